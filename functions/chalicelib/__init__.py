"""The API's logic as plain Python: queries over the catalog snapshot, input rules, snapshot loading."""

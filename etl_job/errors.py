"""Errors the ETL reports as clear messages instead of tracebacks."""


class FileRejected(Exception):
    """A whole input file cannot be used (missing column, empty, not CSV, unknown name...)."""

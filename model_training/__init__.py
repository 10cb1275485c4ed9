"""The training job: implicit ALS on user scores combined with title content features (issue 4)."""

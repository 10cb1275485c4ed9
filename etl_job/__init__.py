"""ETL job: raw catalog and ratings CSVs -> a cleaned parquet lake with manifests and a quarantine."""

TRANSFORM_VERSION = "6"  # bump when a cleaning rule changes: the next run reprocesses every input

"""Shared contracts of reelrec: storage seam, store layouts and schemas.

Standard library only (boto3 is imported lazily for ``s3://`` stores), except ``catalog_snapshot``
which needs numpy: so the same definitions can be imported by the jobs and vendored into the API's
Lambda package, whose only third-party package is numpy.
"""

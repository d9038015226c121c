"""Retry policies of the steps that touch storage: a storage failure (an S3 error, a lock held
past its wait) is retried; a refusal or a configuration error raises `dg.Failure`, which
Dagster does not retry."""

import dagster as dg

# Landing: a run every sensor tick, so a short delay; recovery makes a retry safe.
LANDING_RETRY = dg.RetryPolicy(max_retries=2, delay=10)
# A day's build or publication: longer, it reads the whole day again.
BUILD_RETRY = dg.RetryPolicy(max_retries=2, delay=30)
# Ops of jobs (orders, retention, compaction, hand-overs): each step is safe to repeat.
STORAGE_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)

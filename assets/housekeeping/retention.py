"""Retention jobs: each deletes whole partitions that left their window and reports them.

    retention_aggregates    dashboard aggregates of days more than 90 days old (and those days'
                            rows in the portal's compacted copies)
    retention_raw           raw uploads/records/rejects (and landing logs) of days > 365 days old
    retention_diag          diagnostic bundles 72 hours after they arrived
    retention_quarantine    quarantine partitions (day quarantined) more than 365 days old

The windows follow the `clock` resource (pinned in tests and replays).
"""

import datetime as dt
import uuid

import dagster as dg

from assets.op_jobs import op_job
from assets.resources import Clock, ServiceStorage
from assets.retries import STORAGE_RETRY, fails_once_on_configuration_error
from storage import aggregates, stored_partitions
from storage.roots import Root
from transforms import retention_windows
from transforms.dashboard import new_build_id


def _report(context: dg.OpExecutionContext, removed: list[str], **extra: object) -> dg.Output:
    for rel in removed:
        context.log.info(f"deleted {rel}")
    return dg.Output(
        None,
        metadata={"removed": len(removed), "partitions": dg.MetadataValue.json(removed), **extra},
    )


def _expire_partitions(
    context: dg.OpExecutionContext,
    wh: Root,
    partitions: list[stored_partitions.Partition],
    now: dt.datetime,
    keep_days: int,
    **extra: object,
) -> dg.Output:
    doomed = retention_windows.expired([(p, p.day) for p in partitions], now, keep_days)
    stored_partitions.delete_partitions(wh, doomed)
    oldest = retention_windows.oldest_kept_day(now, keep_days).isoformat()
    return _report(context, [p.rel for p in doomed], oldest_kept_day=oldest, **extra)


# Deleting is safe to repeat (a missing file is fine): every retention op has STORAGE_RETRY.
@dg.op(name="retention_aggregates", retry_policy=STORAGE_RETRY)
@fails_once_on_configuration_error
def retention_aggregates_op(
    context: dg.OpExecutionContext, storage: ServiceStorage, clock: Clock
) -> dg.Output:
    """Delete dashboard aggregates of service days more than 90 days old (whole day
    partitions, then the compacted copies that still hold them), and aggregate builds that a
    rebuild superseded."""
    wh = storage.warehouse_root()
    superseded = aggregates.remove_superseded(wh)
    now = clock.now()
    output = _expire_partitions(
        context,
        wh,
        stored_partitions.aggregate_partitions(wh),
        now,
        retention_windows.AGGREGATE_DAYS,
        superseded_builds_removed=len(superseded),
    )
    # The compacted copies hold the expired days too: written again without them.
    copies = aggregates.expire_compacts(
        wh,
        retention_windows.oldest_kept_day(now, retention_windows.AGGREGATE_DAYS),
        new_build_id(dt.datetime.now(dt.UTC), uuid.uuid4().hex[:8]),
    )
    for rel in copies:
        context.log.info(f"deleted {rel}")
    return dg.Output(None, metadata={**output.metadata, "compacted_copies_rewritten": len(copies)})


@dg.op(name="retention_raw", retry_policy=STORAGE_RETRY)
@fails_once_on_configuration_error
def retention_raw_op(
    context: dg.OpExecutionContext, storage: ServiceStorage, clock: Clock
) -> dg.Output:
    """Delete raw-store partitions (uploads with their ZIP bytes, records, rejects) of
    service days more than 365 days old, with those days' landing logs."""
    wh = storage.warehouse_root()
    partitions = stored_partitions.raw_partitions(wh) + stored_partitions.landing_log_partitions(wh)
    return _expire_partitions(context, wh, partitions, clock.now(), retention_windows.RAW_DAYS)


@dg.op(name="retention_quarantine", retry_policy=STORAGE_RETRY)
@fails_once_on_configuration_error
def retention_quarantine_op(
    context: dg.OpExecutionContext, storage: ServiceStorage, clock: Clock
) -> dg.Output:
    """Delete quarantine partitions (with the quarantined bytes) of service days of
    quarantine more than 365 days old."""
    wh = storage.warehouse_root()
    return _expire_partitions(
        context,
        wh,
        stored_partitions.quarantine_partitions(wh),
        clock.now(),
        retention_windows.QUARANTINE_DAYS,
    )


@dg.op(name="retention_diag", retry_policy=STORAGE_RETRY)
@fails_once_on_configuration_error
def retention_diag_op(
    context: dg.OpExecutionContext, storage: ServiceStorage, clock: Clock
) -> dg.Output:
    """Delete diagnostic bundles 72 hours after they arrived in the restricted area."""
    wh = storage.warehouse_root()
    doomed = retention_windows.expired_bundles(stored_partitions.diag_bundles(wh), clock.now())
    stored_partitions.delete_bundles(wh, doomed)
    hours = int(retention_windows.DIAG_BUNDLE_AGE.total_seconds() // 3600)
    return _report(context, doomed, max_age_hours=hours)


retention_aggregates = op_job(
    retention_aggregates_op,
    "retention_aggregates",
    "Delete dashboard aggregates older than 90 days.",
)
retention_raw = op_job(
    retention_raw_op, "retention_raw", "Delete raw partitions older than 365 days."
)
retention_diag = op_job(
    retention_diag_op, "retention_diag", "Delete diagnostic bundles 72 hours after arrival."
)
retention_quarantine = op_job(
    retention_quarantine_op,
    "retention_quarantine",
    "Delete quarantine partitions older than 365 days.",
)

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

from assets.resources import Clock, ServiceStorage
from assets.retries import STORAGE_RETRY, fails_once_on_configuration_error
from assets.run_summary import plural, summarised
from storage import aggregates, stored_partitions
from storage.roots import Root
from transforms import retention_windows


def _deleted(context: dg.OpExecutionContext, rels: list[str]) -> None:
    for rel in rels:
        context.log.info(f"deleted {rel}")


def _partitions_summary(doomed: list[stored_partitions.Partition], oldest: str) -> str:
    if not doomed:
        return f"nothing to delete: no partition of a service day before {oldest}"
    days = len({p.day for p in doomed})
    return (
        f"deleted {plural(len(doomed), 'partition folder')} of {plural(days, 'service day')} "
        f"before {oldest}"
    )


def _expire_partitions(
    context: dg.OpExecutionContext,
    wh: Root,
    partitions: list[stored_partitions.Partition],
    now: dt.datetime,
    keep_days: int,
) -> tuple[str, dict[str, object]]:
    """Delete the partitions of days before the window: the sentence of the run and its
    counts (folders, days, contracts) with the folders deleted."""
    doomed = retention_windows.expired([(p, p.day) for p in partitions], now, keep_days)
    stored_partitions.delete_partitions(wh, doomed)
    _deleted(context, [p.rel for p in doomed])
    oldest = retention_windows.oldest_kept_day(now, keep_days).isoformat()
    return _partitions_summary(doomed, oldest), {
        "removed": len(doomed),
        "days": len({p.day for p in doomed}),
        "contracts": len({p.support_id for p in doomed if p.support_id != "*"}),
        "oldest_kept_day": oldest,
        "partitions": dg.MetadataValue.json([p.rel for p in doomed]),
    }


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
    summary, counts = _expire_partitions(
        context,
        wh,
        stored_partitions.aggregate_partitions(wh),
        now,
        retention_windows.AGGREGATE_DAYS,
    )
    # The compacted copies hold the expired days too: written again without them. (Imported
    # here: transforms.dashboard brings Polars, which loading the code location does not need.)
    from transforms.dashboard import new_build_id

    copies = aggregates.expire_compacts(
        wh,
        retention_windows.oldest_kept_day(now, retention_windows.AGGREGATE_DAYS),
        new_build_id(dt.datetime.now(dt.UTC), uuid.uuid4().hex[:8]),
    )
    _deleted(context, copies)
    also = []
    if superseded:
        also.append(f"{plural(len(superseded), 'superseded build')} removed")
    if copies:
        also.append(f"{plural(len(copies), 'compacted copy', 'compacted copies')} rewritten")
    if also and not counts["removed"]:  # something was done: not "nothing to delete"
        summary = f"{'; '.join(also)} (no partition of a day before {counts['oldest_kept_day']})"
    elif also:
        summary = f"{summary}; {'; '.join(also)}"
    return summarised(
        summary,
        {
            **counts,
            "superseded_builds_removed": len(superseded),
            "compacted_copies_rewritten": len(copies),
        },
    )


@dg.op(name="retention_raw", retry_policy=STORAGE_RETRY)
@fails_once_on_configuration_error
def retention_raw_op(
    context: dg.OpExecutionContext, storage: ServiceStorage, clock: Clock
) -> dg.Output:
    """Delete raw-store partitions (uploads with their ZIP bytes, records, rejects) of
    service days more than 365 days old, with those days' landing logs."""
    wh = storage.warehouse_root()
    partitions = stored_partitions.raw_partitions(wh) + stored_partitions.landing_log_partitions(wh)
    return summarised(
        *_expire_partitions(context, wh, partitions, clock.now(), retention_windows.RAW_DAYS)
    )


@dg.op(name="retention_quarantine", retry_policy=STORAGE_RETRY)
@fails_once_on_configuration_error
def retention_quarantine_op(
    context: dg.OpExecutionContext, storage: ServiceStorage, clock: Clock
) -> dg.Output:
    """Delete quarantine partitions (with the quarantined bytes) of service days of
    quarantine more than 365 days old."""
    wh = storage.warehouse_root()
    return summarised(
        *_expire_partitions(
            context,
            wh,
            stored_partitions.quarantine_partitions(wh),
            clock.now(),
            retention_windows.QUARANTINE_DAYS,
        )
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
    _deleted(context, doomed)
    hours = int(retention_windows.DIAG_BUNDLE_AGE.total_seconds() // 3600)
    summary = (
        f"deleted {plural(len(doomed), 'diagnostic bundle')} older than {hours} hours"
        if doomed
        else f"nothing to delete: no diagnostic bundle is {hours} hours old"
    )
    return summarised(
        summary,
        {
            "removed": len(doomed),
            "max_age_hours": hours,
            "partitions": dg.MetadataValue.json(doomed),
        },
    )

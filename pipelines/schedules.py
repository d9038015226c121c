"""Schedules, all in Japan time: the daily publication (day D on D+2, 06:00), deliverable
retention, and the night's retention, raw compaction, dashboard build and ledger export;
`tokyo_schedule` and `closed_day_schedule` build each, with the default status the Definitions
pass them (pipelines/automation.py; Dagster's own default, stopped, when none is given)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import dagster as dg

from pipelines.jobs import (
    build_dashboard,
    compact_raw,
    expire_deliverables,
    export_ledgers,
    publish_daily,
    retention_aggregates,
    retention_diag,
    retention_quarantine,
    retention_raw,
)

if TYPE_CHECKING:
    from dagster._core.definitions.unresolved_asset_job_definition import (
        UnresolvedAssetJobDefinition,
    )

TOKYO = "Asia/Tokyo"
STOPPED = dg.DefaultScheduleStatus.STOPPED


def tokyo_schedule(
    job: dg.JobDefinition | UnresolvedAssetJobDefinition,
    cron: str,
    description: str,
    name: str | None = None,
    status: dg.DefaultScheduleStatus = STOPPED,
) -> dg.ScheduleDefinition:
    """A schedule of an unpartitioned job at `cron`, Japan time."""
    return dg.ScheduleDefinition(
        name=name or f"{job.name}_schedule",
        job=job,
        cron_schedule=cron,
        execution_timezone=TOKYO,
        default_status=status,
        description=description,
    )


def closed_day_schedule(
    name: str,
    job: dg.JobDefinition | UnresolvedAssetJobDefinition,
    cron: str,
    days_back: int,
    run_key_prefix: str,
    description: str,
    status: dg.DefaultScheduleStatus = STOPPED,
) -> dg.ScheduleDefinition:
    """A schedule that runs the service-day partition `days_back` days before the
    (Japan) date it fires on; the run key makes a second tick for the same day a no-op."""

    @dg.schedule(
        name=name,
        job=job,
        cron_schedule=cron,
        execution_timezone=TOKYO,
        default_status=status,
        description=description,
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = context.scheduled_execution_time.date() - dt.timedelta(days=days_back)
        return dg.RunRequest(
            run_key=f"{run_key_prefix}-{day.isoformat()}", partition_key=day.isoformat()
        )

    return _schedule


def build_daily_publication_schedule(
    cron: str, status: dg.DefaultScheduleStatus = STOPPED
) -> dg.ScheduleDefinition:
    return closed_day_schedule(
        "daily_publication_schedule",
        publish_daily,
        cron,
        days_back=2,
        run_key_prefix="publish",
        description="Publishes service day D's daily files on D+2 (Japan time).",
        status=status,
    )


def build_deliverable_retention_schedule(
    status: dg.DefaultScheduleStatus = STOPPED,
) -> dg.ScheduleDefinition:
    return tokyo_schedule(
        expire_deliverables,
        "30 4 * * *",
        "Deletes deliverables 30 days after their publication.",
        name="deliverable_retention_schedule",
        status=status,
    )


def build_night_schedules(
    status: dg.DefaultScheduleStatus = STOPPED,
) -> list[dg.ScheduleDefinition]:
    """The night's schedules, in the order they fire: retention, raw compaction, the
    dashboard build of the day that just closed, the ledger export."""
    return [
        tokyo_schedule(
            retention_aggregates,
            "0 4 * * *",
            "Deletes dashboard aggregates older than 90 days.",
            status=status,
        ),
        tokyo_schedule(
            retention_raw, "10 4 * * *", "Deletes raw partitions older than a year.", status=status
        ),
        tokyo_schedule(
            retention_quarantine,
            "20 4 * * *",
            "Deletes quarantine partitions older than a year.",
            status=status,
        ),
        tokyo_schedule(
            retention_diag,
            "15 * * * *",
            "Deletes diagnostic bundles 72 hours after arrival (hourly).",
            status=status,
        ),
        tokyo_schedule(
            compact_raw,
            "15 5 * * *",
            "Merges the raw parts of the day that just closed (and late parts of the week "
            "before), before its dashboard build at 05:30.",
            status=status,
        ),
        closed_day_schedule(
            "dashboard_schedule",
            build_dashboard,
            "30 5 * * *",
            days_back=1,
            run_key_prefix="dashboard",
            description="Builds service day D's dashboard at 05:30 on D+1 (Japan time), once it "
            "closed.",
            status=status,
        ),
        tokyo_schedule(
            export_ledgers,
            "30 6 * * *",
            "Exports the asset ledgers after the night's dashboard build.",
            name="ledger_export_schedule",
            status=status,
        ),
    ]

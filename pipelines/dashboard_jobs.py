"""Jobs and schedules of the dashboard, the ledger export and retention.

`build_dashboard` materialises group `dashboard` for one service day (a backfill from the UI
or `dagster asset materialize --partition`); its schedule builds the day that just closed.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from assets.retention import (
    retention_aggregates,
    retention_diag,
    retention_quarantine,
    retention_raw,
)

TOKYO = "Asia/Tokyo"

build_dashboard = dg.define_asset_job(
    name="build_dashboard",
    selection=dg.AssetSelection.groups("dashboard"),
    description="Build (or rebuild) one service day's dashboard aggregates, every contract.",
)

export_ledgers = dg.define_asset_job(
    name="export_ledgers",
    selection=dg.AssetSelection.groups("clients"),
    description="Export every contract's asset ledger with the latest inventory.",
)


@dg.schedule(
    name="dashboard_schedule",
    job=build_dashboard,
    cron_schedule="30 5 * * *",
    execution_timezone=TOKYO,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Builds service day D's dashboard at 05:30 on D+1 (Japan time), once it closed.",
)
def dashboard_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = context.scheduled_execution_time.date() - dt.timedelta(days=1)
    return dg.RunRequest(run_key=f"dashboard-{day.isoformat()}", partition_key=day.isoformat())


ledger_export_schedule = dg.ScheduleDefinition(
    name="ledger_export_schedule",
    job=export_ledgers,
    cron_schedule="30 6 * * *",
    execution_timezone=TOKYO,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Exports the asset ledgers after the night's dashboard build.",
)


def _retention_schedule(job: dg.JobDefinition, cron: str, what: str) -> dg.ScheduleDefinition:
    return dg.ScheduleDefinition(
        name=f"{job.name}_schedule",
        job=job,
        cron_schedule=cron,
        execution_timezone=TOKYO,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=what,
    )


retention_schedules = [
    _retention_schedule(
        retention_aggregates, "0 4 * * *", "Deletes dashboard aggregates older than 90 days."
    ),
    _retention_schedule(retention_raw, "10 4 * * *", "Deletes raw partitions older than a year."),
    _retention_schedule(
        retention_quarantine, "20 4 * * *", "Deletes quarantine partitions older than a year."
    ),
    _retention_schedule(
        retention_diag, "15 * * * *", "Deletes diagnostic bundles 72 hours after arrival (hourly)."
    ),
]

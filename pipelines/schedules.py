"""Schedules, all in Japan time: the daily publication (day D on D+2, 06:00) and deliverable
retention; `tokyo_schedule` and `closed_day_schedule` build every schedule of the code
location (see also pipelines/dashboard_jobs.py), each with the default status the Definitions
pass them (pipelines/automation.py; Dagster's own default, stopped, when none is given)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import dagster as dg

from assets.delivery.publish import expire_deliverables
from pipelines.jobs import publish_daily

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

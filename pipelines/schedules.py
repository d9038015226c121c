"""Schedules: the daily publication (day D on D+2, 06:00 Japan time) and retention."""

import datetime as dt

import dagster as dg

from assets.delivery import expire_deliverables
from pipelines.jobs import publish_daily

TOKYO = "Asia/Tokyo"


def build_daily_publication_schedule(cron: str) -> dg.ScheduleDefinition:
    @dg.schedule(
        name="daily_publication_schedule",
        job=publish_daily,
        cron_schedule=cron,
        execution_timezone=TOKYO,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Publishes service day D's daily files on D+2 (Japan time).",
    )
    def daily_publication_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = context.scheduled_execution_time.date() - dt.timedelta(days=2)
        return dg.RunRequest(run_key=f"publish-{day.isoformat()}", partition_key=day.isoformat())

    return daily_publication_schedule


deliverable_retention_schedule = dg.ScheduleDefinition(
    name="deliverable_retention_schedule",
    job=expire_deliverables,
    cron_schedule="30 4 * * *",
    execution_timezone=TOKYO,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Deletes deliverables 30 days after their publication.",
)

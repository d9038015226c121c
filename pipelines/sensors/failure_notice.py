"""The run-failure notice: the operator hears of every failed run, of any job."""

import datetime as dt

import dagster as dg

from assets.resources import Notifier
from pipelines import notices


def build_run_failure_notice_sensor(
    interval_seconds: int, status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED
) -> dg.SensorDefinition:
    """`status`: the default the Definitions pass (pipelines/automation.py)."""

    @dg.run_failure_sensor(
        name="run_failure_notice",
        minimum_interval_seconds=interval_seconds,
        default_status=status,
        description="Sends the operator a notice for every failed run (any job).",
    )
    def run_failure_notice(context: dg.RunFailureSensorContext, notifier: Notifier):
        run = context.dagster_run
        record = context.instance.get_run_record_by_id(run.run_id)
        ended = record.end_time if record is not None and record.end_time else None
        failed_at = dt.datetime.fromtimestamp(ended, dt.UTC) if ended else dt.datetime.now(dt.UTC)
        step_errors = [
            f"{e.step_key}: {e.step_failure_data.error.message.strip()}"
            for e in context.get_step_failure_events()
            if e.step_failure_data and e.step_failure_data.error
        ]
        notice = notices.run_failure(
            run_id=run.run_id,
            job_name=run.job_name,
            partition=run.tags.get("dagster/partition"),
            message=context.failure_event.message or "",
            step_errors=step_errors,
            failed_at=failed_at,
            will_retry=run.tags.get("dagster/will_retry") == "true",
        )
        where = notifier.sender().send(notice)
        context.log.info(f"failure notice for run {run.run_id} sent to {notice.to}: {where}")

    return run_failure_notice

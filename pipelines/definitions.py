"""The Dagster code location: every asset, check, job, schedule and sensor of the pipeline.

`defs` is built when Dagster loads the location (`@definitions`), so the environment is read
then and not at import time; `build_definitions()` is the same, for tests and the demo.
"""

import dagster as dg

from assets.dashboard import aggregates as dashboard
from assets.delivery import publish as delivery
from assets.landing import raw
from pipelines import jobs, notices, schedules, sensors
from pipelines.automation import automation
from pipelines.console import one_line_console
from pipelines.executors import build_executor
from pipelines.resources import (
    build_clock,
    build_notifier,
    build_storage,
    daily_publish_cron,
    sensor_interval_seconds,
)


def build_definitions() -> dg.Definitions:
    status = automation()  # IT360_AUTOMATION: whether schedules and sensors start running
    return dg.Definitions(
        assets=[
            raw.raw_uploads,
            delivery.daily_deliverable,
            dashboard.dashboard_day,
            dashboard.asset_ledger_export,
        ],
        jobs=list(jobs.ALL_JOBS),
        schedules=[
            schedules.build_daily_publication_schedule(daily_publish_cron(), status.schedules),
            schedules.build_deliverable_retention_schedule(status.schedules),
            *schedules.build_night_schedules(status.schedules),
        ],
        sensors=[
            sensors.build_inbox_sensor(sensor_interval_seconds(), status.sensors),
            sensors.build_late_landing_sensor(sensor_interval_seconds(), status.sensors),
            sensors.build_run_failure_notice_sensor(
                notices.notice_interval_seconds(), status.sensors
            ),
            sensors.build_daily_deadline_sensor(
                notices.notice_interval_seconds(),
                daily_publish_cron(),
                notices.deadline_grace(),
                status.sensors,
            ),
        ],
        resources={
            "storage": build_storage(),
            "clock": build_clock(),
            "notifier": build_notifier(),
        },
        executor=build_executor(),  # IT360_EXECUTOR; unset: Dagster's default
        # Used when a run's config names it (examples/console.yaml): Dagster's own console
        # otherwise.
        loggers={"console": one_line_console},
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()

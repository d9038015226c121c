"""The Dagster code location: every asset, check, job, schedule and sensor of the pipeline.

`defs` is built when Dagster loads the location (`@definitions`), so the environment is read
then and not at import time; `build_definitions()` is the same, for tests and the demo.
"""

import dagster as dg

from assets import delivery, raw
from pipelines import jobs, schedules, sensors
from pipelines.resources import (
    build_clock,
    build_notifier,
    build_storage,
    daily_publish_cron,
    sensor_interval_seconds,
)


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[raw.raw_uploads, delivery.daily_deliverable],
        jobs=[
            jobs.land_uploads,
            jobs.publish_daily,
            delivery.spot_30_days,
            delivery.spot_1_year,
            delivery.expire_deliverables,
        ],
        schedules=[
            schedules.build_daily_publication_schedule(daily_publish_cron()),
            schedules.deliverable_retention_schedule,
        ],
        sensors=[sensors.build_inbox_sensor(sensor_interval_seconds())],
        resources={
            "storage": build_storage(),
            "clock": build_clock(),
            "notifier": build_notifier(),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()

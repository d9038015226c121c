"""The Dagster code location: every asset, check, job, schedule and sensor of the pipeline.

Built when Dagster loads the location (`@definitions`), so the environment is read then and
not at import time.
"""

from __future__ import annotations

import dagster as dg

from assets import raw
from pipelines import jobs, sensors
from pipelines.resources import build_storage, sensor_interval_seconds


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions(
        assets=[raw.raw_uploads],
        jobs=[jobs.land_uploads],
        sensors=[sensors.build_inbox_sensor(sensor_interval_seconds())],
        resources={"storage": build_storage()},
    )

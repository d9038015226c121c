"""The service day as a Dagster partition: D 05:00 to D+1 05:00 Asia/Tokyo. Defined once."""

from __future__ import annotations

import dagster as dg

from transforms import service_day

FIRST_SERVICE_DAY = service_day.FIRST_SERVICE_DAY.isoformat()

# end_offset=1 includes the service day in progress: agents upload all day, and landing runs
# for the open day as uploads arrive.
service_day_partitions = dg.DailyPartitionsDefinition(
    start_date=FIRST_SERVICE_DAY,
    hour_offset=5,
    timezone="Asia/Tokyo",
    end_offset=1,
    fmt="%Y-%m-%d",
)

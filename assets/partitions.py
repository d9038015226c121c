"""The service day as a Dagster partition: D 05:00 to D+1 05:00 Asia/Tokyo. Defined once."""

from __future__ import annotations

import warnings

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


def day_check(name: str, asset: str, description: str) -> dg.AssetCheckSpec:
    """A check of one service day of a partitioned asset: its result is stored with the
    partition it checked, so the UI's Checks tab and plots read per day (without a
    partitions_def Dagster records the result with no partition). Dagster 1.13 marks a check's
    partitions_def as a preview and warns at every import; the warning is silenced here, once."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return dg.AssetCheckSpec(
            name, asset=asset, description=description, partitions_def=service_day_partitions
        )

"""The service day as a Dagster partition: D 05:00 to D+1 05:00 Asia/Tokyo. Defined once.

The partitions start at the first service day, `IT360_FIRST_SERVICE_DAY` (default in
`transforms.service_day`). Partition keys are the days themselves, so moving the start never
re-keys or moves landed data: days before it stay in the warehouse and in the analyst views,
and only leave the partition list (docs/decisions.md).
"""

from __future__ import annotations

import datetime as dt
import os
import warnings

import dagster as dg

# The first service day lives apart, so that the landing reads it without importing Dagster;
# it is re-exported here for the sensors and jobs that import it with the partitions.
from assets.first_day import FIRST_SERVICE_DAY as FIRST_SERVICE_DAY
from assets.first_day import FIRST_SERVICE_DAY_SETTING as FIRST_SERVICE_DAY_SETTING
from assets.first_day import first_service_day as first_service_day
from transforms import service_day
from transforms.service_day import parse_instant


def build_service_day_partitions(
    first_day: dt.date, last_day: dt.date | None = None
) -> dg.DailyPartitionsDefinition:
    """The service-day partitions from `first_day` to `last_day`, or, without a last day, on
    to the service day in progress."""
    end = {}
    if last_day is not None:
        if last_day < first_day:
            raise ValueError(
                f"IT360_NOW's service day {last_day} is before IT360_FIRST_SERVICE_DAY "
                f"{first_day}: no partition would be left"
            )
        # Dagster keeps the days whose window has ended by `end_date` (midnight, Tokyo): day K
        # ends at K+1 05:00, so the last day K needs an end_date of K+2.
        end = {"end_date": (last_day + dt.timedelta(days=2)).isoformat()}
    # end_offset=1 includes the service day in progress: agents upload all day, and landing
    # runs for the open day as uploads arrive. With an end_date Dagster still stops at the
    # real now, so a pinned day that is today (or later) needs it too.
    return dg.DailyPartitionsDefinition(
        start_date=first_day.isoformat(),
        hour_offset=service_day.DAY_START_HOUR,
        timezone="Asia/Tokyo",
        fmt="%Y-%m-%d",
        end_offset=1,
        **end,
    )


def pinned_service_day(pinned_now: str | None) -> dt.date | None:
    """The service day of the pinned clock (`IT360_NOW`), the pipeline's today; None on the
    real clock."""
    if not pinned_now:
        return None
    try:
        return service_day.service_day_of_instant(parse_instant(pinned_now))
    except ValueError:
        raise ValueError(
            f"IT360_NOW={pinned_now!r} is not an instant: write it as ISO 8601 with its offset, "
            "e.g. 2024-03-23T06:00:00+09:00"
        ) from None


# Read once, when this module is imported: the assets are declared with these partitions at
# import (and the sensors import them), and one object must be shared by all of them, so the
# settings cannot wait for `build_definitions()` (trade-off in docs/decisions.md). With the
# clock pinned (a replay, the demo), the partitions end at its day: the UI lists the days the
# pipeline has lived, not the real calendar up to today. (The first day: assets/first_day.py.)
service_day_partitions = build_service_day_partitions(
    dt.date.fromisoformat(FIRST_SERVICE_DAY), pinned_service_day(os.environ.get("IT360_NOW"))
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

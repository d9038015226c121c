"""The first service day setting (`IT360_FIRST_SERVICE_DAY`), read once per process.

Apart from `assets/partitions.py` so that the landing, which refuses uploads of days before
it, does not import Dagster (about 0.6 CPU s) to learn one date.
"""

from __future__ import annotations

import datetime as dt
import os

from transforms import service_day

FIRST_SERVICE_DAY_SETTING = "IT360_FIRST_SERVICE_DAY"

# Read once, when this module is imported: the assets are declared with their partitions at
# import (see assets/partitions.py), and the landing must use the same day as they do.
FIRST_SERVICE_DAY = service_day.first_service_day(
    os.environ.get(FIRST_SERVICE_DAY_SETTING)
).isoformat()


def first_service_day() -> dt.date:
    """The first service day the partitions start at: landing quarantines earlier uploads."""
    return dt.date.fromisoformat(FIRST_SERVICE_DAY)

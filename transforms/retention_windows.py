"""Retention windows: which stored partitions are old enough to delete (pure date arithmetic).

A window of N days keeps the current service day and the N days before it, by the pipeline's
clock, like the raw store's retained year (`assets.delivery.build.retained_window`); a
partition is deleted only when its whole service day lies before that.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

from transforms.service_day import service_day_of_instant

AGGREGATE_DAYS = 90
RAW_DAYS = 365
QUARANTINE_DAYS = 365
DIAG_BUNDLE_AGE = dt.timedelta(hours=72)

T = TypeVar("T")


def oldest_kept_day(now: dt.datetime, keep_days: int) -> dt.date:
    """The first service day still inside a window of `keep_days` days."""
    return service_day_of_instant(now) - dt.timedelta(days=keep_days)


def expired(items: Iterable[tuple[T, dt.date]], now: dt.datetime, keep_days: int) -> list[T]:
    """The items (each with its service day) whose day is before the window."""
    first = oldest_kept_day(now, keep_days)
    return [item for item, day in items if day < first]


def expired_bundles(
    arrivals: Iterable[tuple[T, dt.datetime]],
    now: dt.datetime,
    max_age: dt.timedelta = DIAG_BUNDLE_AGE,
) -> list[T]:
    """Diagnostic bundles that arrived `max_age` or longer before `now`."""
    return [item for item, arrived in arrivals if now - arrived >= max_age]

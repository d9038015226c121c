"""Retention windows: which stored partitions are old enough to delete (pure date arithmetic).

A window of N days keeps the current service day and the N days before it, by the pipeline's
clock; a partition is deleted only when its whole service day lies before that. The contract's
numbers (the retained year, 90 days of aggregates, 30 days of deliverables, 72 hours of
diagnostic bundles) are written here once and imported wherever they rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TypeVar

from transforms.service_day import service_day_of_instant

#: The retained year: the raw store, the spot files' reach, a terminal's upload history.
RETAINED_DAYS = 365
AGGREGATE_DAYS = 90
RAW_DAYS = RETAINED_DAYS
QUARANTINE_DAYS = RETAINED_DAYS
#: A published deliverable is deleted this many days after publication.
DELIVERABLE_DAYS = 30
DIAG_BUNDLE_AGE = dt.timedelta(hours=72)

T = TypeVar("T")


def oldest_kept_day(now: dt.datetime, keep_days: int) -> dt.date:
    """The first service day still inside a window of `keep_days` days."""
    return service_day_of_instant(now) - dt.timedelta(days=keep_days)


def retained_window(now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The service days still in the raw store: the current one and the year before it."""
    return oldest_kept_day(now, RETAINED_DAYS), service_day_of_instant(now)


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

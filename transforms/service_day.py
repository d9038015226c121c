"""The service day: D 05:00 to D+1 05:00 Japan time (UTC+09:00, no daylight saving).

Pure arithmetic on Japan wall-clock times, so nothing here depends on the machine's time zone.
"""

from __future__ import annotations

import datetime as dt

JST = dt.timezone(dt.timedelta(hours=9), "JST")
DAY_START_HOUR = 5
_DAY_SHIFT = dt.timedelta(hours=DAY_START_HOUR)


def service_day_of_japan_time(local: dt.datetime) -> dt.date:
    """Service day of a naive Japan wall-clock time (05:00 belongs to the new day)."""
    return (local - _DAY_SHIFT).date()


def service_day_of_instant(instant: dt.datetime) -> dt.date:
    """Service day of an aware instant."""
    return service_day_of_japan_time(instant.astimezone(JST).replace(tzinfo=None))


def service_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a service day as aware instants."""
    start = dt.datetime.combine(day, dt.time(DAY_START_HOUR), tzinfo=JST)
    return start, start + dt.timedelta(days=1)


def japan_today(now: dt.datetime) -> dt.date:
    """The Japan calendar date of an aware instant (used for 'provided day' style dates)."""
    return now.astimezone(JST).date()


def parse_day(key: str) -> dt.date:
    """A partition key `YYYY-MM-DD` as a date (strict)."""
    return dt.datetime.strptime(key, "%Y-%m-%d").date()

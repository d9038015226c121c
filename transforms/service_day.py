"""The service day: D 05:00 to D+1 05:00 Japan time (UTC+09:00, no daylight saving).

Pure arithmetic on Japan wall-clock times, so nothing here depends on the machine's time zone.
"""

from __future__ import annotations

import datetime as dt

JST = dt.timezone(dt.timedelta(hours=9), "JST")
DAY_START_HOUR = 5
_DAY_SHIFT = dt.timedelta(hours=DAY_START_HOUR)
# The first service day (the first partition) when IT360_FIRST_SERVICE_DAY is unset: see
# docs/decisions.md ("Partitions start at the first service day"). Uploads of earlier days
# (a reset PC clock, or days before the service started) are quarantined (`day_out_of_range`).
DEFAULT_FIRST_SERVICE_DAY = dt.date(2024, 1, 1)
# A PC clock may run ahead of the service's by this much before its uploads count as coming
# from a day that cannot be yet.
CLOCK_SKEW_DAYS = 1


def service_day_of_japan_time(local: dt.datetime) -> dt.date:
    """Service day of a naive Japan wall-clock time (05:00 belongs to the new day)."""
    return (local - _DAY_SHIFT).date()


def service_day_of_instant(instant: dt.datetime) -> dt.date:
    """Service day of an aware instant."""
    return service_day_of_japan_time(instant.astimezone(JST).replace(tzinfo=None))


def landable_days(now: dt.datetime, first_day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last service day an upload arriving `now` can be landed into: from the
    first service day (the first partition: no run lands an earlier day, so its uploads are
    quarantined rather than left waiting) to today's, plus the clock skew allowed to agents."""
    return first_day, service_day_of_instant(now) + dt.timedelta(days=CLOCK_SKEW_DAYS)


def first_service_day(setting: str | None) -> dt.date:
    """The first service day from its setting's text (`YYYY-MM-DD`; empty or None: the
    default). A wrong value raises an error whose one line names the setting."""
    if not setting:
        return DEFAULT_FIRST_SERVICE_DAY
    try:
        return parse_day(setting.strip())
    except ValueError:
        raise ValueError(
            f"IT360_FIRST_SERVICE_DAY={setting!r} is not a day: write it as YYYY-MM-DD"
        ) from None


def service_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a service day as aware instants."""
    start = dt.datetime.combine(day, dt.time(DAY_START_HOUR), tzinfo=JST)
    return start, start + dt.timedelta(days=1)


def japan_today(now: dt.datetime) -> dt.date:
    """The Japan calendar date of an aware instant (used for 'provided day' style dates)."""
    return now.astimezone(JST).date()


def parse_instant(text: str) -> dt.datetime:
    """An ISO 8601 instant, which must carry its offset (a naive time would be read in the
    machine's time zone, and day arithmetic must not depend on it); returned in UTC."""
    instant = dt.datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset: write it as e.g. {text}+09:00")
    return instant.astimezone(dt.UTC)


def parse_day(key: str) -> dt.date:
    """A partition key `YYYY-MM-DD` as a date (strict)."""
    return dt.datetime.strptime(key, "%Y-%m-%d").date()

"""The deadline sensor's decisions: which service days' daily files are past their deadline,
which of them are missing from a contract's folder (and why), and which notices the sensor's
cursor keeps remembering. The deadlines themselves come from the publication schedule's cron
(pipelines/sensors/daily_deadline.py)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from transforms.inbox import Kind, classify

NOT_IN_FOLDER = "published, but not in the folder"
# Notices older than this are dropped from the cursor: their day left the lookback long ago.
NOTICE_MEMORY = dt.timedelta(days=30)


def days_to_watch(today: dt.date, first_service_day: dt.date, lookback_days: int) -> list[dt.date]:
    """The service days from `lookback_days` before `today` (not before the first service day)
    to `today`."""
    first = max(first_service_day, today - dt.timedelta(lookback_days))
    return [first + dt.timedelta(i) for i in range((today - first).days + 1)]


def past_deadline(
    deadlines: dict[dt.date, dt.datetime], now: dt.datetime
) -> dict[dt.date, dt.datetime]:
    """The days whose deadline has come by `now`."""
    return {day: deadline for day, deadline in deadlines.items() if deadline <= now}


def daily_expiry(publications: Iterable[dict]) -> dict[dt.date, dt.datetime]:
    """Service day -> when its latest published daily file expires, from a contract's
    publication records (kind, file_name, expires_at)."""
    expiry: dict[dt.date, dt.datetime] = {}
    for pub in publications:
        if pub["kind"] == "daily":
            day = dt.date.fromisoformat(pub["file_name"].removesuffix(".zip"))
            expiry[day] = max(expiry.get(day, pub["expires_at"]), pub["expires_at"])
    return expiry


def days_to_check(
    due: Iterable[dt.date], expiry: dict[dt.date, dt.datetime], now: dt.datetime
) -> tuple[list[dt.date], list[dt.date]]:
    """(the due days published and not yet expired: their file should be in the folder, the
    due days never published: missing if they have uploads). A day whose file expired was
    deleted on purpose and is in neither."""
    published = [day for day in sorted(due) if day in expiry and expiry[day] > now]
    unpublished = [day for day in sorted(due) if day not in expiry]
    return published, unpublished


def waiting_uploads(inbox_paths: Iterable[str], contract_ids: frozenset[str]) -> Counter[dt.date]:
    """Service day -> uploads of it waiting in a contract's inbox folder."""
    entries = (classify(path, contract_ids) for path in inbox_paths)
    return Counter(e.service_day for e in entries if e.kind is Kind.UPLOAD)


def missing_days(
    in_folder: dict[dt.date, bool], landed: dict[dt.date, int], waiting: Counter[dt.date]
) -> list[tuple[dt.date, str]]:
    """(day, why) of each missing daily file, by day: a published day whose file is not in the
    folder (`in_folder`), a never published day with uploads landed (`landed`) or waiting in
    the inbox. A day with no upload has no file and is not missing."""
    missing = [(day, NOT_IN_FOLDER) for day, found in in_folder.items() if not found]
    for day, count in landed.items():
        if count or waiting[day]:
            why = f"not published; {count} uploads landed, {waiting[day]} waiting in the inbox"
            missing.append((day, why))
    return sorted(missing)


def notice_key(support_id: str, day: dt.date) -> str:
    """How the cursor remembers a notice: one per contract and day."""
    return f"{support_id}/{day.isoformat()}"


def notices_to_keep(notified: Iterable[str], today: dt.date) -> list[str]:
    """The remembered notices of the last NOTICE_MEMORY, sorted (the cursor stays small)."""
    oldest = (today - NOTICE_MEMORY).isoformat()
    return sorted(key for key in notified if key.split("/", 1)[1] >= oldest)

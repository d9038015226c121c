"""The inbox sensor's decisions: which service days have files waiting in the inbox, and the
landing runs to request for them, one per day and set of waiting files."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Container, Mapping
from dataclasses import dataclass

from transforms.inbox import Kind, classify
from transforms.service_day import landable_days, service_day_of_instant


@dataclass(frozen=True)
class LandingRun:
    """A landing run to request: the service day (a partition key) and its run key."""

    day: str
    run_key: str


def pending_days(
    listing: dict[str, int],
    contracts: frozenset[str],
    now: dt.datetime,
    first_day: dt.date,
    not_files: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Service day -> a digest of its waiting files. Dayless files, bundles, uploads of a day
    no run can land (`day_out_of_range`) and entries that are no regular file (`not_files`,
    listed with size 0 in `listing`) go to the current service day's run (any landing run
    settles them)."""
    today = service_day_of_instant(now).isoformat()
    days = landable_days(now, first_day)
    not_files = not_files or {}
    files: dict[str, list[str]] = {}
    for path, size in sorted(listing.items()):
        entry = classify(path, contracts, days, not_files.get(path))
        if entry.kind is Kind.IGNORED:
            continue
        day = entry.service_day.isoformat() if entry.kind is Kind.UPLOAD else today
        files.setdefault(day, []).append(f"{path}\0{size}")
    return {day: hashlib.sha256("\n".join(p).encode()).hexdigest()[:16] for day, p in files.items()}


def landing_runs(
    pending: dict[str, str], cursor: dict[str, str], partition_keys: Container[str]
) -> tuple[list[LandingRun], dict[str, str]]:
    """Runs for the days whose waiting files changed since the cursor (and that are partitions),
    and the new cursor. Run keys are the day plus the digest, so the same files never start
    two runs."""
    runs = [
        LandingRun(day, f"land-{day}-{digest}")
        for day, digest in sorted(pending.items())
        if cursor.get(day) != digest and day in partition_keys
    ]
    return runs, dict(pending)

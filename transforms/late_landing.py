"""The late-landing sensor's decisions: which service days finished runs bring back to look at,
and which re-runs a closed day needs (its daily file's publication, its dashboard build and the
later builds that read it) from what the warehouse holds of it, given as plain values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

LATE_FIRST_LOOKBACK = dt.timedelta(days=1)  # how far back a sensor without a cursor looks
# Landing batches are stamped by the landing process's clock, runs by the instance's: a
# batch a little before its run's recorded start still counts as that run's.
CLOCK_SLACK = dt.timedelta(minutes=5)
# Runs updated this close to the cursor are fetched again (and skipped by id), so a run that
# finished in the same instant as the cursor's last one is never lost.
CURSOR_OVERLAP = dt.timedelta(seconds=5)
# How far after a day the sensor looks for builds that read it as a terminal's history.
LATER_DAYS = 14
WHOLE_DAY = dt.datetime.min.replace(tzinfo=dt.UTC)

PUBLISH = "publish"
DASHBOARD = "dashboard"


@dataclass(frozen=True)
class FinishedRun:
    """A finished run as the sensor sees it (times in UTC)."""

    run_id: str
    job_name: str
    partition: str | None
    updated: dt.datetime
    started: dt.datetime  # its start, or its creation if it never started


def cursor_start(cursor: dict, now: dt.datetime) -> dt.datetime:
    """From when runs are looked at: the cursor's last run update, else LATE_FIRST_LOOKBACK
    before `now` (runs are then fetched from CURSOR_OVERLAP earlier)."""
    if cursor.get("after"):
        return dt.datetime.fromisoformat(cursor["after"])
    return now - LATE_FIRST_LOOKBACK


def days_to_look_at(
    runs: Iterable[FinishedRun],
    cursor: dict,
    after: dt.datetime,
    landing_job: str,
    watched_jobs: frozenset[str],
) -> tuple[dict[str, dt.datetime], dict]:
    """Service day -> from when its landed batches need a look, for the days of watched runs
    not seen before (`runs` in update order, from `cursor_start`): a landing run's start
    (less CLOCK_SLACK), or the whole day after a publication or dashboard run; and the new
    cursor (`after`: the last run's update time; `seen`: ids of runs updated within
    CURSOR_OVERLAP of it)."""
    seen: dict[str, str] = dict(cursor.get("seen", {}))
    days: dict[str, dt.datetime] = {}
    for run in runs:
        after = max(after, run.updated)
        if run.run_id in seen:
            continue
        seen[run.run_id] = run.updated.isoformat()
        if run.partition is None or run.job_name not in watched_jobs:
            continue
        since = run.started - CLOCK_SLACK if run.job_name == landing_job else WHOLE_DAY
        days[run.partition] = min(days.get(run.partition, since), since)
    kept = {
        run_id: at
        for run_id, at in seen.items()
        if dt.datetime.fromisoformat(at) >= after - CURSOR_OVERLAP
    }
    return days, {"after": after.isoformat(), "seen": dict(sorted(kept.items()))}


def closed_days(days: dict[str, dt.datetime], today: dt.date) -> dict[str, dt.datetime]:
    """The days before `today`: an open day gains uploads anyway and is built once closed."""
    return {d: since for d, since in days.items() if dt.date.fromisoformat(d) < today}


@dataclass
class LateDay:
    """What a closed service day gained after its daily files and dashboard: the newest
    landing batch behind each kind of re-run (None: no re-run needed)."""

    day: dt.date
    late_batch: str | None = None  # newest batch holding an upload missing from a daily file
    late_contracts: list[str] = field(default_factory=list)
    unbuilt_batch: str | None = None  # newest batch of a contract whose build counted fewer
    unbuilt_contracts: list[str] = field(default_factory=list)
    # Built later days whose terminal status read this day's uploads (a terminal's previous
    # upload days): day -> contracts, rebuilt with this day.
    stale_later: dict[dt.date, list[str]] = field(default_factory=dict)

    def add_late(self, support_id: str, batch: str) -> None:
        self.late_batch = max(self.late_batch or "", batch)
        self.late_contracts.append(support_id)

    def add_unbuilt(self, support_id: str, batch: str) -> None:
        self.unbuilt_batch = max(self.unbuilt_batch or "", batch)
        self.unbuilt_contracts.append(support_id)

    def add_stale(self, support_id: str, later_days: Iterable[dt.date]) -> None:
        for later in later_days:
            self.stale_later.setdefault(later, []).append(support_id)


def contracts_landed_since(
    landed: list[dict], since: dt.datetime, support_ids: Iterable[str]
) -> list[str]:
    """The contracts (of `support_ids`) with an upload of the day in a batch from `since` on,
    sorted. `landed`: the day's landed uploads (support_id, upload_key, batch_id, logged_at)."""
    recent = {r["support_id"] for r in landed if r["logged_at"] >= since}
    return sorted(recent & set(support_ids))


def late_batch(rows: list[dict], published: set[str], recorded_late: set[str]) -> str | None:
    """The newest batch holding an upload of the contract's day that is neither in its
    published daily file nor recorded as late (what `publish_daily` would record); None if
    there is none."""
    late = {r["upload_key"] for r in rows} - published - recorded_late
    if not late:
        return None
    return max(r["batch_id"] for r in rows if r["upload_key"] in late)


def unbuilt_batch(rows: list[dict], built_uploads: int | None) -> str | None:
    """The contract's newest batch of the day if its current dashboard build counted fewer
    uploads than have landed; None if it counted them all or the day was never built (its
    first build reads the day as it is then)."""
    if built_uploads is None or len({r["upload_key"] for r in rows}) <= built_uploads:
        return None
    return max(r["batch_id"] for r in rows)


def terminals_landed_since(rows: list[dict], since: dt.datetime) -> set[str]:
    """The terminals (tmid: the upload key's first part) of the uploads landed from `since` on."""
    return {r["upload_key"].split("_", 1)[0] for r in rows if r["logged_at"] >= since}


def later_days(day: dt.date, today: dt.date) -> list[dt.date]:
    """The closed days after `day`, up to LATER_DAYS, whose builds may have read it."""
    candidates = (day + dt.timedelta(n) for n in range(1, LATER_DAYS + 1))
    return [later for later in candidates if later < today]


def stale_later_days(
    day: dt.date, tmids: set[str], history: dict[dt.date, dict[str, list[dt.date]]]
) -> list[dt.date]:
    """The built later days whose terminal status read `day` for one of `tmids`. `history`:
    built later day -> tmid -> the earlier days its build read for that terminal."""
    return [
        later
        for later, read in sorted(history.items())
        if any(day in read.get(t, []) for t in tmids)
    ]


@dataclass(frozen=True)
class Rerun:
    """A re-run to request: `kind` PUBLISH or DASHBOARD, of service day `day`."""

    kind: str
    day: str
    run_key: str
    contracts: list[str]


def reruns(found: LateDay) -> list[Rerun]:
    """One publication and/or one dashboard re-run of the day, then the stale later days'
    dashboards; the run key names the newest landing batch behind it, so each new landing
    asks once, whatever the ticks."""
    day = found.day.isoformat()
    runs = []
    if found.late_batch:
        key = f"late-publish-{day}-{found.late_batch}"
        runs.append(Rerun(PUBLISH, day, key, found.late_contracts))
    if found.unbuilt_batch:
        key = f"late-dashboard-{day}-{found.unbuilt_batch}"
        runs.append(Rerun(DASHBOARD, day, key, found.unbuilt_contracts))
        for later, contracts in sorted(found.stale_later.items()):
            key = f"late-dashboard-{later}-after-{day}-{found.unbuilt_batch}"
            runs.append(Rerun(DASHBOARD, later.isoformat(), key, contracts))
    return runs

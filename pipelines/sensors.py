"""Sensors: the inbox sensor that requests landing runs for service days with new files; the
late-landing sensor that re-runs the daily publication and the dashboard of closed days that
gained uploads after them; the operator notices of a failed run and of a daily file missing
at its deadline."""

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import dagster as dg
from dagster._utils.schedules import cron_string_iterator

from assets import deliverables
from assets.landing import list_inbox
from pipelines import notices
from pipelines.dashboard_jobs import build_dashboard
from pipelines.jobs import land_uploads, publish_daily
from pipelines.partitions import FIRST_SERVICE_DAY, service_day_partitions
from pipelines.resources import Clock, Notifier, ServiceStorage
from storage import aggregates, dashboard_inputs, layout, publications, upload_bytes, warehouse
from storage.contracts import Contract
from storage.roots import Root
from transforms.inbox import Kind, classify
from transforms.service_day import JST, landable_days, service_day_of_instant


def pending_days(
    listing: dict[str, int], contracts: frozenset[str], now: dt.datetime
) -> dict[str, str]:
    """Service day -> a digest of its waiting files. Dayless files, bundles and uploads of a
    day no run can land (`day_out_of_range`) go to the current service day's run (any landing
    run settles them)."""
    today = service_day_of_instant(now).isoformat()
    days = landable_days(now)
    files: dict[str, list[str]] = {}
    for path, size in sorted(listing.items()):
        entry = classify(path, contracts, days)
        if entry.kind is Kind.IGNORED:
            continue
        day = entry.service_day.isoformat() if entry.kind is Kind.UPLOAD else today
        files.setdefault(day, []).append(f"{path}\0{size}")
    return {day: hashlib.sha256("\n".join(p).encode()).hexdigest()[:16] for day, p in files.items()}


def plan_runs(
    pending: dict[str, str], cursor: dict[str, str], valid_keys: Callable[[str], bool]
) -> tuple[list[dg.RunRequest], dict[str, str]]:
    """Requests for days whose waiting files changed since the cursor; run keys are the
    day plus the digest, so the same files never start two runs."""
    requests = [
        dg.RunRequest(
            partition_key=day,
            run_key=f"land-{day}-{digest}",
            tags={"it360/trigger": "inbox_sensor"},
        )
        for day, digest in sorted(pending.items())
        if cursor.get(day) != digest and valid_keys(day)
    ]
    return requests, dict(pending)


def build_inbox_sensor(interval_seconds: int) -> dg.SensorDefinition:
    @dg.sensor(
        name="inbox_sensor",
        job=land_uploads,
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Requests a landing run for every service day that has new inbox files.",
    )
    def inbox_sensor(context: dg.SensorEvaluationContext, storage: ServiceStorage):
        cursor = json.loads(context.cursor) if context.cursor else {}
        listing = list_inbox(storage.inbox_root())
        pending = pending_days(listing, storage.contract_ids(), dt.datetime.now(dt.UTC))
        keys = set(service_day_partitions.get_partition_keys())
        requests, new_cursor = plan_runs(pending, cursor, keys.__contains__)
        context.update_cursor(json.dumps(new_cursor, sort_keys=True))
        if not requests:
            return dg.SkipReason(f"no new inbox files ({len(listing)} waiting)")
        return requests

    return inbox_sensor


# -- late landings: re-publish and rebuild closed days that gained uploads -----------------

# Finished runs, failed and canceled ones too: a landing's committed batches stay landed.
RUN_DONE = [
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
]
LATE_FIRST_LOOKBACK = dt.timedelta(days=1)  # how far back a sensor without a cursor looks
LATE_RUNS_PER_TICK = 200
# Landing batches are stamped by the landing process's clock, runs by the instance's: a
# batch a little before its run's recorded start still counts as that run's.
CLOCK_SLACK = dt.timedelta(minutes=5)
# Runs updated this close to the cursor are fetched again (and skipped by id), so a run that
# finished in the same instant as the cursor's last one is never lost.
CURSOR_OVERLAP = dt.timedelta(seconds=5)


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


# How far after a day the sensor looks for builds that read it as a terminal's history.
LATER_DAYS = 14


# The runs whose end can leave a closed day with an upload missing from its daily file or
# dashboard: a landing (it may have landed one late), and the day's publication and dashboard
# build themselves. A landing that commits while they read the day, and whose tick finds no
# file or build yet, is then caught when they finish instead of at the day's next landing.
WATCHED_JOBS = frozenset({land_uploads.name, publish_daily.name, build_dashboard.name})
WHOLE_DAY = dt.datetime.min.replace(tzinfo=dt.UTC)


def runs_since(
    instance: dg.DagsterInstance, cursor: dict, now: dt.datetime
) -> tuple[dict[str, dt.datetime], dict]:
    """Service day -> from when its landed batches need a look, for the days of watched runs
    that finished since the cursor: a landing run's start (less CLOCK_SLACK), or the whole day
    after its publication or dashboard run; and the new cursor (`after`: the last run's update
    time; `seen`: ids of runs updated within CURSOR_OVERLAP of it)."""
    after = (
        dt.datetime.fromisoformat(cursor["after"])
        if cursor.get("after")
        else now - LATE_FIRST_LOOKBACK
    )
    seen: dict[str, str] = dict(cursor.get("seen", {}))
    records = instance.get_run_records(
        dg.RunsFilter(
            statuses=RUN_DONE,
            updated_after=after - CURSOR_OVERLAP,
        ),
        limit=LATE_RUNS_PER_TICK,
        order_by="update_timestamp",
        ascending=True,
    )
    days: dict[str, dt.datetime] = {}
    for record in records:
        run = record.dagster_run
        updated = _utc(record.update_timestamp)
        after = max(after, updated)
        if run.run_id in seen:
            continue
        seen[run.run_id] = updated.isoformat()
        day = run.tags.get("dagster/partition")
        if day is None or run.job_name not in WATCHED_JOBS:
            continue
        if run.job_name == land_uploads.name:
            started = (
                dt.datetime.fromtimestamp(record.start_time, dt.UTC)
                if record.start_time
                else _utc(record.create_timestamp)
            )
            since = started - CLOCK_SLACK
        else:
            since = WHOLE_DAY
        days[day] = min(days.get(day, since), since)
    kept = {
        run_id: at
        for run_id, at in seen.items()
        if dt.datetime.fromisoformat(at) >= after - CURSOR_OVERLAP
    }
    return days, {"after": after.isoformat(), "seen": dict(sorted(kept.items()))}


def _utc(stamp: dt.datetime) -> dt.datetime:
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def late_day(
    wh: Root,
    contracts: Iterable[Contract],
    day: dt.date,
    since: dt.datetime,
    today: dt.date | None = None,
) -> LateDay:
    """Which re-runs day D needs, for the contracts that landed uploads of D in a batch from
    `since` on. Decided on the whole day's state, so a tick is safe to repeat:

    - publish: an upload of D landed for a contract whose `<D>.zip` is published, is not in
      that file and is not yet recorded as late (what `publish_daily` would record);
    - dashboard: a contract's current build of D counted fewer uploads than have landed; and
      the built days after D, before `today`, whose terminal status read D as the previous
      upload day of a terminal that landed there (`stale_later_days`)."""
    found = LateDay(day)
    landed = warehouse.landed_uploads(wh, day).to_pylist()
    recent = {r["support_id"] for r in landed if r["logged_at"] >= since}
    by_id = {c.support_id: c for c in contracts}
    for sid in sorted(recent & set(by_id)):
        mine = [r for r in landed if r["support_id"] == sid]
        keys = {r["upload_key"] for r in mine}
        if by_id[sid].daily_option:
            pub = publications.latest_daily_publication(wh, sid, day)
            if pub is not None:
                late = (
                    keys
                    - publications.published_upload_keys(pub)
                    - publications.late_upload_keys(wh, sid, day)
                )
                if late:
                    batch = max(r["batch_id"] for r in mine if r["upload_key"] in late)
                    found.late_batch = max(found.late_batch or "", batch)
                    found.late_contracts.append(sid)
        built = aggregates.current_build_uploads(wh, sid, day)
        if built is not None and len(keys) > built[1]:
            found.unbuilt_batch = max(found.unbuilt_batch or "", max(r["batch_id"] for r in mine))
            found.unbuilt_contracts.append(sid)
            tmids = {r["upload_key"].split("_", 1)[0] for r in mine if r["logged_at"] >= since}
            for later in stale_later_days(wh, sid, day, tmids, today or day):
                found.stale_later.setdefault(later, []).append(sid)
    return found


def stale_later_days(
    wh: Root, support_id: str, day: dt.date, tmids: set[str], today: dt.date
) -> list[dt.date]:
    """Closed days after `day` (up to LATER_DAYS) built for the contract whose terminal status
    read `day` for one of `tmids`: the terminal's previous upload day if it uploaded that day,
    or one of its last two if it was silent (`dashboard_inputs.history_days`)."""
    stale = []
    for later in (day + dt.timedelta(n) for n in range(1, LATER_DAYS + 1)):
        if later >= today:
            break
        if aggregates.current_build_uploads(wh, support_id, later) is None:
            continue  # never built: its first build reads the day as it is now
        history = dashboard_inputs.history_days(wh, support_id, later)
        if any(day in history.get(t, []) for t in tmids):
            stale.append(later)
    return stale


def late_requests(found: LateDay) -> list[dg.RunRequest]:
    """One `publish_daily` and/or one `build_dashboard` run of the day; the run key names the
    newest landing batch behind it, so each new landing asks once, whatever the ticks."""
    day = found.day.isoformat()
    tags = {"it360/trigger": "late_landing_sensor"}
    requests = []
    if found.late_batch:
        requests.append(
            dg.RunRequest(
                job_name=publish_daily.name,
                partition_key=day,
                run_key=f"late-publish-{day}-{found.late_batch}",
                tags={**tags, "it360/late_contracts": ",".join(found.late_contracts)},
            )
        )
    if found.unbuilt_batch:
        requests.append(
            dg.RunRequest(
                job_name=build_dashboard.name,
                partition_key=day,
                run_key=f"late-dashboard-{day}-{found.unbuilt_batch}",
                tags={**tags, "it360/late_contracts": ",".join(found.unbuilt_contracts)},
            )
        )
        for later, contracts in sorted(found.stale_later.items()):
            requests.append(
                dg.RunRequest(
                    job_name=build_dashboard.name,
                    partition_key=later.isoformat(),
                    run_key=f"late-dashboard-{later}-after-{day}-{found.unbuilt_batch}",
                    tags={**tags, "it360/late_contracts": ",".join(contracts)},
                )
            )
    return requests


def build_late_landing_sensor(interval_seconds: int) -> dg.SensorDefinition:
    @dg.sensor(
        name="late_landing_sensor",
        jobs=[publish_daily, build_dashboard],
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="After landing, publication and dashboard runs, re-runs publish_daily for a "
        "closed service day that "
        "gained uploads after its daily file was published (they are recorded and reported as "
        "late), and build_dashboard for one that gained uploads after its dashboard build.",
    )
    def late_landing_sensor(
        context: dg.SensorEvaluationContext, storage: ServiceStorage, clock: Clock
    ):
        now = clock.now()
        cursor = json.loads(context.cursor) if context.cursor else {}
        days, new_cursor = runs_since(context.instance, cursor, dt.datetime.now(dt.UTC))
        today = service_day_of_instant(now)
        closed = {d: s for d, s in days.items() if dt.date.fromisoformat(d) < today}
        requests: list[dg.RunRequest] = []
        if closed:
            wh, contracts = storage.warehouse_root(), storage.load_contracts()
            for day, since in sorted(closed.items()):
                found = late_day(wh, contracts, dt.date.fromisoformat(day), since, today)
                requests += late_requests(found)
        context.update_cursor(json.dumps(new_cursor, sort_keys=True))
        if not requests:
            return dg.SkipReason(
                f"{len(days)} service days with finished runs since the last tick "
                f"({len(closed)} closed); "
                "none gained uploads after its daily file or dashboard"
            )
        return requests

    return late_landing_sensor


# -- operator notices ------------------------------------------------------------------------


def build_run_failure_notice_sensor(interval_seconds: int) -> dg.SensorDefinition:
    @dg.run_failure_sensor(
        name="run_failure_notice",
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Sends the operator a notice for every failed run (any job).",
    )
    def run_failure_notice(context: dg.RunFailureSensorContext, notifier: Notifier):
        run = context.dagster_run
        record = context.instance.get_run_record_by_id(run.run_id)
        ended = record.end_time if record is not None and record.end_time else None
        failed_at = dt.datetime.fromtimestamp(ended, dt.UTC) if ended else dt.datetime.now(dt.UTC)
        step_errors = [
            f"{e.step_key}: {e.step_failure_data.error.message.strip()}"
            for e in context.get_step_failure_events()
            if e.step_failure_data and e.step_failure_data.error
        ]
        notice = notices.run_failure(
            run_id=run.run_id,
            job_name=run.job_name,
            partition=run.tags.get("dagster/partition"),
            message=context.failure_event.message or "",
            step_errors=step_errors,
            failed_at=failed_at,
            will_retry=run.tags.get("dagster/will_retry") == "true",
        )
        where = notifier.sender().send(notice)
        context.log.info(f"failure notice for run {run.run_id} sent to {notice.to}: {where}")

    return run_failure_notice


def daily_deadline(day: dt.date, publish_cron: str, grace: dt.timedelta) -> dt.datetime:
    """When service day D's daily file must exist: the publication schedule's first tick on
    D+2 (Japan time; the schedule publishes D on D+2), plus the grace period."""
    d2 = dt.datetime.combine(day + dt.timedelta(days=2), dt.time(0), tzinfo=JST)
    tick = next(cron_string_iterator(d2.timestamp(), publish_cron, "Asia/Tokyo"))
    return tick.astimezone(dt.UTC) + grace


def missing_daily_files(
    storage: ServiceStorage,
    now: dt.datetime,
    publish_cron: str,
    grace: dt.timedelta,
    lookback_days: int = 7,
) -> list[tuple[Contract, dt.date, dt.datetime, str]]:
    """(contract, day, deadline, what was found) for every daily file past its deadline that
    is not in the customer's folder, over the last `lookback_days` service days. A day with no
    upload (landed or waiting in the inbox) has no file and is not missing."""
    today = service_day_of_instant(now)
    first = max(dt.date.fromisoformat(FIRST_SERVICE_DAY), today - dt.timedelta(lookback_days))
    days = [first + dt.timedelta(i) for i in range((today - first).days + 1)]
    due = {d: daily_deadline(d, publish_cron, grace) for d in days}
    due = {d: deadline for d, deadline in due.items() if deadline <= now}
    if not due:
        return []
    roots = deliverables.Roots(storage.warehouse_root(), storage.delivery_root())
    inbox = storage.inbox_root()
    contracts = storage.load_contracts()
    ids = frozenset(c.support_id for c in contracts)
    missing = []
    for contract in contracts:
        if not contract.daily_option:
            continue
        sid = contract.support_id
        waiting = [classify(p, ids) for p in inbox.list_files(sid)]
        expiry = _daily_expiry(publications.all_publications(roots.warehouse, sid))
        for day, deadline in sorted(due.items()):
            path = f"{layout.delivery_folder(sid)}/{day.isoformat()}.zip"
            if day in expiry:
                if expiry[day] <= now or roots.delivery.exists(path):
                    continue
                missing.append((contract, day, deadline, "published, but not in the folder"))
                continue
            landed = upload_bytes.upload_meta(roots.warehouse, sid, day, columns=["upload_key"])
            pending = sum(1 for e in waiting if e.kind is Kind.UPLOAD and e.service_day == day)
            if landed.num_rows or pending:
                missing.append(
                    (
                        contract,
                        day,
                        deadline,
                        f"not published; {landed.num_rows} uploads landed, {pending} waiting "
                        "in the inbox",
                    )
                )
    return missing


def _daily_expiry(pubs) -> dict[dt.date, dt.datetime]:
    """Service day -> when its latest published daily file expires (one read per contract)."""
    expiry: dict[dt.date, dt.datetime] = {}
    for pub in pubs.select(["kind", "file_name", "expires_at"]).to_pylist():
        if pub["kind"] == "daily":
            day = dt.date.fromisoformat(pub["file_name"].removesuffix(".zip"))
            expiry[day] = max(expiry.get(day, pub["expires_at"]), pub["expires_at"])
    return expiry


def build_daily_deadline_sensor(
    interval_seconds: int, publish_cron: str, grace: dt.timedelta
) -> dg.SensorDefinition:
    @dg.sensor(
        name="daily_deliverable_deadline",
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Sends the operator one notice per daily file not in the customer's folder "
        "by its deadline (D+2 at the publication time, plus a grace period).",
    )
    def daily_deliverable_deadline(
        context: dg.SensorEvaluationContext,
        storage: ServiceStorage,
        clock: Clock,
        notifier: Notifier,
    ):
        now = clock.now()
        notified = set(json.loads(context.cursor)["notified"]) if context.cursor else set()
        missing = missing_daily_files(storage, now, publish_cron, grace)
        sent = []
        for contract, day, deadline, why in missing:
            key = f"{contract.support_id}/{day.isoformat()}"
            if key in notified:
                continue
            notifier.sender().send(
                notices.missing_daily_file(
                    support_id=contract.support_id,
                    day=day,
                    deadline=deadline,
                    why=why,
                    file_path=f"{layout.delivery_folder(contract.support_id)}/{day}.zip",
                )
            )
            notified.add(key)
            sent.append(key)
            # the cursor after each notice: a tick cut short never notifies twice
            context.update_cursor(json.dumps({"notified": sorted(notified)}))
        oldest = (service_day_of_instant(now) - dt.timedelta(days=30)).isoformat()
        kept = sorted(k for k in notified if k.split("/", 1)[1] >= oldest)
        context.update_cursor(json.dumps({"notified": kept}))
        if sent:
            return dg.SkipReason(f"notified the operator of {len(sent)} missing: {sent}")
        return dg.SkipReason(f"no daily file past its deadline is missing ({len(missing)} known)")

    return daily_deliverable_deadline

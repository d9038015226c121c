"""The late-landing sensor: after landing, publication and dashboard runs, re-runs the daily
publication and the dashboard of closed service days that gained uploads after them (and the
later days' dashboards that read those days)."""

import datetime as dt
import json
from collections.abc import Iterable

import dagster as dg

from assets.resources import Clock, ServiceStorage
from pipelines.jobs import build_dashboard, land_uploads, publish_daily
from storage import sensor_reads
from storage.contracts import Contract
from storage.roots import Root
from transforms import late_landing
from transforms.late_landing import CURSOR_OVERLAP, LateDay
from transforms.service_day import service_day_of_instant

# Finished runs, failed and canceled ones too: a landing's committed batches stay landed.
RUN_DONE = [
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
]
LATE_RUNS_PER_TICK = 200

# The runs whose end can leave a closed day with an upload missing from its daily file or
# dashboard: a landing (it may have landed one late), and the day's publication and dashboard
# build themselves. A landing that commits while they read the day, and whose tick finds no
# file or build yet, is then caught when they finish instead of at the day's next landing.
WATCHED_JOBS = frozenset({land_uploads.name, publish_daily.name, build_dashboard.name})
RERUN_JOBS = {
    late_landing.PUBLISH: publish_daily.name,
    late_landing.DASHBOARD: build_dashboard.name,
}


def runs_since(
    instance: dg.DagsterInstance, cursor: dict, now: dt.datetime
) -> tuple[dict[str, dt.datetime], dict]:
    """Service day -> from when its landed batches need a look, for the days of watched runs
    that finished since the cursor, and the new cursor (`late_landing.days_to_look_at`)."""
    after = late_landing.cursor_start(cursor, now)
    records = instance.get_run_records(
        dg.RunsFilter(statuses=RUN_DONE, updated_after=after - CURSOR_OVERLAP),
        limit=LATE_RUNS_PER_TICK,
        order_by="update_timestamp",
        ascending=True,
    )
    runs = [_finished_run(record) for record in records]
    return late_landing.days_to_look_at(runs, cursor, after, land_uploads.name, WATCHED_JOBS)


def _finished_run(record: dg.RunRecord) -> late_landing.FinishedRun:
    run = record.dagster_run
    started = (
        dt.datetime.fromtimestamp(record.start_time, dt.UTC)
        if record.start_time
        else _utc(record.create_timestamp)
    )
    return late_landing.FinishedRun(
        run_id=run.run_id,
        job_name=run.job_name,
        partition=run.tags.get("dagster/partition"),
        updated=_utc(record.update_timestamp),
        started=started,
    )


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
    landed = sensor_reads.landed_upload_rows(wh, day)
    by_id = {c.support_id: c for c in contracts}
    for sid in late_landing.contracts_landed_since(landed, since, by_id):
        mine = [r for r in landed if r["support_id"] == sid]
        daily = sensor_reads.daily_file_keys(wh, sid, day) if by_id[sid].daily_option else None
        late = late_landing.late_batch(mine, *daily) if daily is not None else None
        if late:
            found.add_late(sid, late)
        unbuilt = late_landing.unbuilt_batch(mine, sensor_reads.built_upload_count(wh, sid, day))
        if unbuilt:
            found.add_unbuilt(sid, unbuilt)
            tmids = late_landing.terminals_landed_since(mine, since)
            found.add_stale(sid, stale_later_days(wh, sid, day, tmids, today or day))
    return found


def stale_later_days(
    wh: Root, support_id: str, day: dt.date, tmids: set[str], today: dt.date
) -> list[dt.date]:
    """Closed days after `day` (up to LATER_DAYS) built for the contract whose terminal status
    read `day` for one of `tmids`: the terminal's previous upload day if it uploaded that day,
    or one of its last two if it was silent (`dashboard_inputs.history_days`)."""
    later = late_landing.later_days(day, today)
    history = sensor_reads.built_days_history(wh, support_id, later)
    return late_landing.stale_later_days(day, tmids, history)


def late_requests(found: LateDay) -> list[dg.RunRequest]:
    """The day's re-runs (`late_landing.reruns`) as run requests of their jobs."""
    return [
        dg.RunRequest(
            job_name=RERUN_JOBS[rerun.kind],
            partition_key=rerun.day,
            run_key=rerun.run_key,
            tags={
                "it360/trigger": "late_landing_sensor",
                "it360/late_contracts": ",".join(rerun.contracts),
            },
        )
        for rerun in late_landing.reruns(found)
    ]


def build_late_landing_sensor(
    interval_seconds: int, status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED
) -> dg.SensorDefinition:
    """`status`: the default the Definitions pass (pipelines/automation.py)."""

    @dg.sensor(
        name="late_landing_sensor",
        jobs=[publish_daily, build_dashboard],
        minimum_interval_seconds=interval_seconds,
        default_status=status,
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
        # Run times are the instance's real time, whatever the clock resource says.
        days, new_cursor = runs_since(context.instance, cursor, dt.datetime.now(dt.UTC))
        today = service_day_of_instant(now)
        closed = late_landing.closed_days(days, today)
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

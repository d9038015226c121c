"""The late-landing sensor: after landing runs, a closed service day that gained uploads after
its daily file was published gets one `publish_daily` run (which records the uploads as late),
and one that gained uploads after its dashboard build gets one `build_dashboard` run."""

import datetime as dt
import json

import dagster as dg
import pyarrow.compute as pc

from assets.dashboard import build as dashboard_build
from assets.resources import Clock
from pipelines.definitions import build_definitions
from pipelines.sensors import build_late_landing_sensor, stale_later_days
from storage import duck, publications, upload_bytes, warehouse
from storage.roots import Root
from tests.assets.dashboard_fixture import DAY1, DAY2, T1
from tests.assets.landing_helpers import read_uploads_with_bytes
from tests.conftest import storage_for

NOW = "2024-03-22T06:00:00+09:00"  # D+2 (and later) of the sample's 2024-03-18 and -19
LATE_DAY, QUIET_DAY = dt.date(2024, 3, 18), dt.date(2024, 3, 19)


def use_fixture(base, monkeypatch, now: str | None = None):
    """The code location on this fixture (what the daemon would run)."""
    for name, folder in (
        ("IT360_INBOX", "inbox"),
        ("IT360_WAREHOUSE", "warehouse"),
        ("IT360_DELIVERY", "delivery"),
        ("IT360_OUTBOX", "outbox"),
    ):
        monkeypatch.setenv(name, str(base / folder))
    monkeypatch.setenv("IT360_CONTRACTS", str(base / "contracts.yaml"))
    if now:
        monkeypatch.setenv("IT360_NOW", now)
    else:
        monkeypatch.delenv("IT360_NOW", raising=False)
    return build_definitions()


def run(definitions, instance, job: str, day: dt.date):
    result = definitions.resolve_job_def(job).execute_in_process(
        partition_key=day.isoformat(), instance=instance
    )
    assert result.success
    return result


def tick(instance, base, cursor=None, now: str | None = None):
    sensor = build_late_landing_sensor(120)
    resources = {"storage": storage_for(base), "clock": Clock(fixed=now or "")}
    with dg.build_sensor_context(
        instance=instance, cursor=cursor, resources=resources, definitions=build_definitions()
    ) as context:
        result = sensor.evaluate_tick(context)
        return result.run_requests or [], context.cursor


def add_late_upload(base, support_id: str, day: dt.date) -> str:
    """A new upload of `day` in the inbox: a landed one's bytes under a new upload id."""
    wh = Root(str(base / "warehouse"))
    key = sorted(
        upload_bytes.upload_meta(wh, support_id, day, columns=["upload_key"])[0].to_pylist()
    )[0]
    new_key = f"{key[:-32]}{'L' * 32}"
    inbox = base / "inbox" / support_id
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / f"{new_key}.zip").write_bytes(read_uploads_with_bytes(base / "warehouse")[key])
    return new_key


def batch_of(base, day: dt.date, key: str) -> str:
    landed = warehouse.landed_uploads(Root(str(base / "warehouse")), day).to_pylist()
    return next(r["batch_id"] for r in landed if r["upload_key"] == key)


def test_a_late_upload_asks_for_one_publication_run_which_records_it(landed, monkeypatch):
    base, _manifest = landed
    definitions = use_fixture(base, monkeypatch, NOW)
    wh = Root(str(base / "warehouse"))
    with dg.instance_for_test() as instance:
        for day in (LATE_DAY, QUIET_DAY):
            run(definitions, instance, "publish_daily", day)
        assert publications.latest_daily_publication(wh, "S0001", LATE_DAY) is not None
        assert tick(instance, base, now=NOW)[0] == []  # no landing run yet

        late_key = add_late_upload(base, "S0001", LATE_DAY)
        run(definitions, instance, "land_uploads", LATE_DAY)
        run(definitions, instance, "land_uploads", QUIET_DAY)  # a published day, nothing new

        requests, cursor = tick(instance, base, now=NOW)
        assert [(r.job_name, r.partition_key) for r in requests] == [
            ("publish_daily", LATE_DAY.isoformat())
        ]
        batch = batch_of(base, LATE_DAY, late_key)
        assert requests[0].run_key == f"late-publish-{LATE_DAY.isoformat()}-{batch}"
        assert requests[0].tags["it360/late_contracts"] == "S0001"
        assert tick(instance, base, cursor, now=NOW)[0] == []  # the next tick: nothing new
        again, _ = tick(instance, base, now=NOW)  # the same landing seen again: the same key
        assert [r.run_key for r in again] == [requests[0].run_key]
        # the day is still open by this clock: no re-run of a day that has not closed
        assert tick(instance, base, now="2024-03-18T12:00:00+09:00")[0] == []

        assert publications.late_upload_keys(wh, "S0001", LATE_DAY) == set()
        published = definitions.resolve_job_def("publish_daily").execute_in_process(
            partition_key=requests[0].partition_key, instance=instance, tags=requests[0].tags
        )
        assert published.success
        checks = {c.check_name: c for c in published.get_asset_check_evaluations()}
        assert checks["no_late_uploads"].passed is False
        assert checks["no_late_uploads"].metadata["late_uploads"].value == {"S0001": [late_key]}
        con = duck.connect(wh)
        assert con.execute("select support_id, day, upload_key from late_uploads").fetchall() == [
            ("S0001", LATE_DAY, late_key)
        ]
        # recorded: the same landing no longer asks for anything, from any cursor
        assert tick(instance, base, now=NOW)[0] == []


def test_an_upload_landed_while_the_publication_ran_is_caught_when_it_finishes(landed, monkeypatch):
    """The race: the publication reads the day, a landing commits an upload of it and finishes,
    the sensor ticks and finds no daily file yet, then the publication writes its file without
    the upload. The publication run's end is what brings the day back to the sensor."""
    base, _manifest = landed
    definitions = use_fixture(base, monkeypatch, NOW)
    wh = Root(str(base / "warehouse"))
    with dg.instance_for_test() as instance:
        late_key = add_late_upload(base, "S0001", LATE_DAY)
        run(definitions, instance, "land_uploads", LATE_DAY)
        requests, cursor = tick(instance, base, now=NOW)
        assert requests == []  # no daily file yet: nothing is late

        # The publication's read of the day, taken before the landing committed.
        from assets.delivery import build as deliverables

        read_day = deliverables.upload_bytes.upload_meta

        def before_the_landing(*args, **kwargs):
            meta = read_day(*args, **kwargs)
            return meta.filter(pc.not_equal(meta["upload_key"], late_key))

        with monkeypatch.context() as patch:
            patch.setattr(deliverables.upload_bytes, "upload_meta", before_the_landing)
            run(definitions, instance, "publish_daily", LATE_DAY)
        pub = publications.latest_daily_publication(wh, "S0001", LATE_DAY)
        assert late_key not in publications.published_upload_keys(pub)

        requests, _ = tick(instance, base, cursor, now=NOW)
        assert [(r.job_name, r.partition_key) for r in requests] == [
            ("publish_daily", LATE_DAY.isoformat())
        ]
        assert requests[0].run_key == (
            f"late-publish-{LATE_DAY.isoformat()}-{batch_of(base, LATE_DAY, late_key)}"
        )
        run(definitions, instance, "publish_daily", LATE_DAY)  # records it as late
        assert publications.late_upload_keys(wh, "S0001", LATE_DAY) == {late_key}
        assert tick(instance, base, now=NOW)[0] == []  # and that run's end asks for nothing


def test_an_upload_after_the_dashboard_build_asks_for_a_rebuild_of_it_and_of_what_read_it(
    base, monkeypatch
):
    definitions = use_fixture(base, monkeypatch)
    with dg.instance_for_test() as instance:
        for day in (DAY1, DAY2):
            run(definitions, instance, "build_dashboard", day)
        late_key = add_late_upload(base, "S1", DAY1)
        run(definitions, instance, "land_uploads", DAY1)
        run(definitions, instance, "land_uploads", DAY2)  # built, nothing new

        requests, cursor = tick(instance, base)
        # S1 has the daily option, but DAY1's file was never published: no publication run.
        # DAY2's build read DAY1 as the terminal's previous upload day (its last seq and agent
        # state): it is rebuilt too.
        assert [(r.job_name, r.partition_key) for r in requests] == [
            ("build_dashboard", DAY1.isoformat()),
            ("build_dashboard", DAY2.isoformat()),
        ]
        batch = batch_of(base, DAY1, late_key)
        assert [r.run_key for r in requests] == [
            f"late-dashboard-{DAY1.isoformat()}-{batch}",
            f"late-dashboard-{DAY2.isoformat()}-after-{DAY1.isoformat()}-{batch}",
        ]
        assert requests[1].tags["it360/late_contracts"] == "S1"
        assert tick(instance, base, cursor)[0] == []
        # Before DAY2 closed, only DAY1 is asked for.
        day2_open = f"{DAY2.isoformat()}T12:00:00+09:00"
        assert [r.partition_key for r in tick(instance, base, now=day2_open)[0]] == [
            DAY1.isoformat()
        ]

        run(definitions, instance, "build_dashboard", DAY1)
        assert tick(instance, base)[0] == []  # the rebuild counted the new upload


def test_a_landing_with_nothing_new_asks_for_nothing(base, monkeypatch):
    definitions = use_fixture(base, monkeypatch)
    with dg.instance_for_test() as instance:
        run(definitions, instance, "build_dashboard", DAY1)
        run(definitions, instance, "land_uploads", DAY1)
        requests, cursor = tick(instance, base)
        assert requests == []
        assert len(json.loads(cursor)["seen"]) == 2  # the build and the landing were looked at


def test_only_built_later_days_that_read_the_day_for_that_terminal_are_stale(base):
    wh = Root(str(base / "warehouse"))
    contracts = storage_for(base).load_contracts()
    today = DAY2 + dt.timedelta(days=1)
    assert stale_later_days(wh, "S1", DAY1, {T1}, today) == []  # DAY2 never built
    dashboard_build.build_day(wh, contracts, DAY2)
    assert stale_later_days(wh, "S1", DAY1, {T1}, today) == [DAY2]
    assert stale_later_days(wh, "S1", DAY1, {"NOT-A-TERMINAL-OF-S1"}, today) == []
    assert stale_later_days(wh, "S1", DAY1, {T1}, DAY2) == []  # DAY2 not closed yet

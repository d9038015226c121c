"""The dashboard asset, the ledger export, the retention jobs and their schedules, through
Dagster, on the landed hand-written fixture."""

import datetime as dt
import itertools
import os
import time

import dagster as dg
import pyarrow as pa
from dagster._utils.schedules import cron_string_iterator

from assets.dashboard import build as dashboard_build
from assets.dashboard.aggregates import dashboard_day
from pipelines.definitions import build_definitions
from pipelines.jobs import (
    retention_aggregates,
    retention_diag,
    retention_quarantine,
    retention_raw,
)
from pipelines.schedules import build_night_schedules
from storage import aggregates, duck, layout, parquet
from storage.roots import Root
from tests.assets.dashboard_fixture import DAY1, DAY2, DIAG_BUNDLE
from tests.conftest import storage_for
from tests.pipelines.conftest import resources

NIGHT = {s.name: s for s in build_night_schedules()}


def materialized(result, key):
    return {k: v.value for k, v in result.asset_materializations_for_node(key)[0].metadata.items()}


def test_the_dashboard_asset_reports_rows_and_passes_its_checks(base):
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [dashboard_day],
            partition_key=DAY2.isoformat(),
            instance=instance,
            resources={"storage": storage_for(base)},
        )
    assert result.success
    events = result.get_asset_materialization_events()
    meta = {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in events
    }
    assert set(meta) == {f"agg_{n}" for n in layout.AGGREGATES}
    assert meta["agg_terminal_status"]["rows"] == 3
    assert meta["agg_terminal_status"]["rows_by_contract"] == {"S1": 2, "S2": 1}
    assert meta["agg_event_types"]["rows"] == 11
    checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
    assert set(checks) == {
        "dashboard_matches_raw",
        "dashboard_tenant_isolated",
        "organisation_info_used",
    }
    assert all(c.passed for c in checks.values())
    assert checks["organisation_info_used"].metadata["users_without_org_row"].value == {
        "S1": 1,
        "S2": 0,
    }


def test_the_jobs_of_the_code_location_build_a_day_and_export_the_ledgers(base, monkeypatch):
    for name, folder in (
        ("IT360_INBOX", "inbox"),
        ("IT360_WAREHOUSE", "warehouse"),
        ("IT360_DELIVERY", "delivery"),
    ):
        monkeypatch.setenv(name, str(base / folder))
    monkeypatch.setenv("IT360_CONTRACTS", str(base / "contracts.yaml"))
    definitions = build_definitions()
    with dg.instance_for_test() as instance:
        for day in (DAY1, DAY2):
            run = definitions.resolve_job_def("build_dashboard").execute_in_process(
                partition_key=day.isoformat(), instance=instance
            )
            assert run.success
        export = definitions.resolve_job_def("export_ledgers").execute_in_process(instance=instance)
    assert export.success
    meta = materialized(export, "asset_ledger_export")
    assert meta["files"] == {
        "S1": "exports/ledger/S1/ledger.csv",
        "S2": "exports/ledger/S2/ledger.csv",
    }
    assert meta["terminals"] == 3 + 0  # S1: T1, T2 and a ledger-only row; S2 sent no inventory
    assert (base / "delivery" / "exports" / "ledger" / "S2" / "ledger.csv").read_bytes() == (
        "\ufefftmid,computer,inventory_day,inventory_at,manufacturer,model,os_name,os_version,"
        "os_build,ips,macs,drives,app_count,latest_update,latest_update_installed\r\n"
    ).encode()
    con = duck.connect(Root(str(base / "warehouse")))
    assert con.execute("select count(distinct day) from agg_terminal_activity").fetchone() == (2,)


def run_job(job, base, now):
    result = job.execute_in_process(resources=resources(base, now))
    assert result.success
    events = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return {k: v.value for k, v in events[0].event_specific_data.metadata.items()}


def folders(root, rel):
    return sorted(p.name for p in (root / rel).iterdir()) if (root / rel).exists() else []


def test_aggregate_retention_keeps_the_90_day_window_and_drops_superseded_builds(base):
    wh = base / "warehouse"
    contracts = storage_for(base).load_contracts()
    for day in (DAY1, DAY2, DAY2):
        dashboard_build.build_day(Root(str(wh)), contracts, day)
    old = wh / "agg" / "inventory" / "support_id=S1" / f"day={DAY2}"
    stamp = time.time() - 3600  # the first build of the 15th was superseded an hour ago
    for part in old.iterdir():
        os.utime(part, (stamp, stamp))
    newest = max(old.iterdir())
    os.utime(newest, (stamp + 60, stamp + 60))
    # Service day D2 + 90 (2024-10-13): the 15th is still inside, the 14th is not.
    meta = run_job(retention_aggregates, base, "2024-10-13T06:00:00+09:00")
    assert meta["oldest_kept_day"] == "2024-07-15"
    assert meta["removed"] == 2 * len(layout.AGGREGATES)
    assert all(f"day={DAY1}" in p for p in meta["partitions"])
    assert meta["superseded_builds_removed"] == 1
    for name in layout.AGGREGATES:
        assert folders(wh / "agg" / name, "support_id=S1") == [f"day={DAY2}"]
        assert (wh / layout.agg_anchor(name)).exists()
    assert len(list(old.iterdir())) == 1
    assert meta["summary"] == (
        f"deleted {2 * len(layout.AGGREGATES)} partition folders of 1 service day before "
        f"2024-07-15; 1 superseded build removed; {meta['compacted_copies_rewritten']} "
        "compacted copies rewritten"
    )
    assert (meta["days"], meta["contracts"]) == (1, 2)
    again = run_job(retention_aggregates, base, "2024-10-13T06:00:00+09:00")
    assert again["removed"] == 0
    assert again["summary"] == "nothing to delete: no partition of a service day before 2024-07-15"


def test_aggregate_retention_rewrites_the_compacted_copies_without_expired_days(base):
    wh = Root(str(base / "warehouse"))
    contracts = storage_for(base).load_contracts()
    for day in (DAY1, DAY2):
        dashboard_build.build_day(wh, contracts, day)

    def copies(name, sid):
        top = base / "warehouse" / layout.agg_compact_folder(name, sid)
        return sorted(layout.agg_compact_folder(name, sid) + "/" + p.name for p in top.iterdir())

    def days_in(rel, name):
        table, held = aggregates._read_compact(wh, rel, name)
        return set(held), set(table.column("day").to_pylist())

    sids = sorted(
        p.name.removeprefix("support_id=")
        for p in (base / "warehouse").glob("agg/_compact/terminal_activity/support_id=*")
    )
    newest = copies("terminal_activity", sids[0])[-1]
    assert DAY1 in days_in(newest, "terminal_activity")[0]
    before = aggregates.read_aggregate(wh, "terminal_activity", sids[0], DAY1, DAY2)
    # D2 + 90: the 14th (DAY1) left the window; no build of any contract runs after it.
    meta = run_job(retention_aggregates, base, "2024-10-13T06:00:00+09:00")
    assert meta["compacted_copies_rewritten"] >= len(layout.AGGREGATES)
    for name in layout.AGGREGATES:
        for sid in sids:
            for rel in copies(name, sid):
                held, rows = days_in(rel, name)
                assert DAY1 not in held | rows, (rel, held, rows)
    after = aggregates.read_aggregate(wh, "terminal_activity", sids[0], DAY1, DAY2)
    assert after.num_rows > 0 and set(after.column("day").to_pylist()) == {DAY2}
    assert after.num_rows == before.column("day").to_pylist().count(DAY2)
    again = run_job(retention_aggregates, base, "2024-10-13T06:00:00+09:00")
    assert again["compacted_copies_rewritten"] == 0


def test_raw_retention_deletes_whole_days_older_than_a_year(base):
    wh = base / "warehouse"
    meta = run_job(retention_raw, base, "2025-07-15T06:00:00+09:00")  # D2 + 365
    assert meta["oldest_kept_day"] == "2024-07-15"
    assert meta["summary"] == "deleted 5 partition folders of 1 service day before 2024-07-15"
    assert (meta["removed"], meta["days"], meta["contracts"]) == (5, 1, 2)
    assert sorted(meta["partitions"]) == sorted(
        [
            *(
                f"raw/{t}/support_id={s}/day={DAY1}"
                for t in ("uploads", "records", "rejects")
                for s in ("S1", "S2")
                if t != "rejects"  # the fixture has no rejected record
            ),
            f"landing_log/day={DAY1}",
        ]
    )
    for table in ("uploads", "records"):
        assert folders(wh / "raw" / table, "support_id=S1") == [f"day={DAY2}"]
        assert (wh / layout.empty_anchor(table)).exists()
    assert (wh / layout.empty_anchor("landing_log")).exists()
    # A day later the 15th goes too; the anchors stay.
    later = run_job(retention_raw, base, "2025-07-16T06:00:00+09:00")
    assert later["removed"] == 5 and (wh / layout.empty_anchor("records")).exists()
    assert (wh / layout.empty_anchor("landing_log")).exists()


def test_quarantine_retention_keeps_a_year_by_the_day_quarantined(base):
    wh = Root(str(base / "warehouse"))
    table = pa.table({"name": ["x.zip"]})
    for sid, day in (("S1", "2023-07-14"), ("S1", "2023-07-15"), ("_invalid", "2023-07-01")):
        parquet.write_table(wh, f"quarantine/support_id={sid}/day={day}/part-b.parquet", table)
    meta = run_job(retention_quarantine, base, "2024-07-14T06:00:00+09:00")
    assert sorted(meta["partitions"]) == [
        "quarantine/support_id=S1/day=2023-07-14",
        "quarantine/support_id=_invalid/day=2023-07-01",
    ]
    assert folders(base / "warehouse" / "quarantine", "support_id=S1") == ["day=2023-07-15"]
    assert (base / "warehouse" / layout.empty_anchor("quarantine")).exists()


def test_diagnostic_bundles_go_72_hours_after_they_arrived(base):
    sid, name = DIAG_BUNDLE
    bundle = base / "warehouse" / layout.diag_bundle(sid, name)
    arrived = dt.datetime.fromtimestamp(bundle.stat().st_mtime, dt.UTC)
    before = (arrived + dt.timedelta(hours=71, minutes=59)).isoformat()
    early = run_job(retention_diag, base, before)
    assert early["removed"] == 0 and bundle.exists()
    assert early["summary"] == "nothing to delete: no diagnostic bundle is 72 hours old"
    after = (arrived + dt.timedelta(hours=72)).isoformat()
    meta = run_job(retention_diag, base, after)
    assert meta["summary"] == "deleted 1 diagnostic bundle older than 72 hours"
    assert meta["partitions"] == [layout.diag_bundle(sid, name)] and not bundle.exists()


def test_the_dashboard_schedule_builds_the_day_that_just_closed():
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime.fromisoformat("2024-07-16T05:30:00+09:00"),
        repository_def=build_definitions().get_repository_def(),
    )
    request = NIGHT["dashboard_schedule"].evaluate_tick(context).run_requests[0]
    assert request.partition_key == "2024-07-15"
    assert request.run_key == "dashboard-2024-07-15"


def next_ticks(schedule: dg.ScheduleDefinition, after: dt.datetime, count: int = 1):
    """The schedule's next `count` ticks after `after`, as the daemon computes them."""
    ticks = cron_string_iterator(
        after.timestamp(), schedule.cron_schedule, schedule.execution_timezone
    )
    return [next(ticks) for _ in range(count)]


def test_the_night_runs_retention_then_compaction_then_the_build_then_the_export():
    midnight = dt.datetime.fromisoformat("2024-07-16T00:00:00+09:00")
    schedules = NIGHT
    first = {name: next_ticks(s, midnight)[0] for name, s in schedules.items()}
    retention = [first[f"retention_{n}_schedule"] for n in ("aggregates", "raw", "quarantine")]
    # All on the Japan-time day that just began, and in this order: the retention jobs, raw
    # compaction of the closed day before its dashboard build, the ledger export after it.
    assert all(t.date() == midnight.date() for t in first.values())
    assert max(retention) < first["compact_raw_schedule"] < first["dashboard_schedule"]
    assert first["dashboard_schedule"] < first["ledger_export_schedule"]
    # Diagnostic bundles are looked at every hour: their 72 hours are counted in hours.
    diag = next_ticks(schedules["retention_diag_schedule"], midnight, 3)
    assert [b - a for a, b in itertools.pairwise(diag)] == [dt.timedelta(hours=1)] * 2

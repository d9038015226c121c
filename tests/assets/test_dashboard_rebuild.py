"""Rebuilding days: exact replacement, any order, superseded builds, concurrent readers,
tenant isolation on a generated sample, and what an empty or misconfigured contract gets."""

import datetime as dt
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from assets.dashboard import build as dashboard_build
from samples.logs import build_header, build_record, build_upload_zip, encode_log
from storage import aggregates, duck, layout, parquet
from storage.contracts import Contract, load_contracts
from storage.roots import Root
from tests.assets.dashboard_fixture import DAY1, DAY2, T2, upload_name
from tests.assets.landing_helpers import sample_days

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def hand(hand_base):
    """A private copy of the landed hand-written fixture: (base, warehouse, contracts)."""
    base = hand_base
    return base, Root(str(base / "warehouse")), load_contracts(str(base / "contracts.yaml"))


def all_views(wh: Root) -> dict[str, list[tuple]]:
    con = duck.connect(wh)
    return {
        name: con.execute(f"select * exclude (build_id) from agg_{name} order by all").fetchall()
        for name in layout.AGGREGATES
    }


def agg_files(wh_path: Path) -> list[str]:
    return sorted(str(p.relative_to(wh_path)) for p in (wh_path / "agg").rglob("*.parquet"))


def test_days_built_in_any_order_and_rebuilt_give_the_same_aggregates(hand, tmp_path):
    base, wh, contracts = hand
    for day in (DAY1, DAY2):
        dashboard_build.build_day(wh, contracts, day)
    forward = all_views(wh)
    other = tmp_path / "other"
    shutil.copytree(base, other)
    shutil.rmtree(other / "warehouse" / "agg")
    other_wh = Root(str(other / "warehouse"))
    for day in (DAY2, DAY1, DAY2, DAY1, DAY1):
        dashboard_build.build_day(other_wh, contracts, day)
    assert all_views(other_wh) == forward
    assert sum(len(rows) for rows in forward.values()) > 40


def test_a_rebuild_replaces_exactly_that_day(hand):
    base, wh, contracts = hand
    first = {d: dashboard_build.build_day(wh, contracts, d) for d in (DAY1, DAY2)}
    day1_files = [f for f in agg_files(base / "warehouse") if f"day={DAY1}" in f]
    # T2 comes back on the 15th: one more upload for that day, landed, then the day rebuilt.
    lines = [
        build_record("2024-07-15T12:00:00.000+09:00", 5005, "LOGON", "CORP\\Suzuki", "", {}),
        build_record("2024-07-15T12:01:00.000+09:00", 5006, "WINDOW", "CORP\\Suzuki", "", {}),
    ]
    log = encode_log(build_header(T2, "EIGYO-PC02", "4.8.2", "cp932"), lines, "cp932")
    sent15 = "202407151300000"
    (base / "inbox" / "S1" / upload_name(T2, sent15, 99)).write_bytes(
        build_upload_zip(log, f"{sent15}.log", sent15=sent15)
    )
    from assets.landing.land import land_day

    land_day(Root(str(base / "inbox")), wh, frozenset({"S1", "S2"}), DAY2)
    rebuilt = dashboard_build.build_day(wh, contracts, DAY2)
    con = duck.connect(wh)
    assert con.execute(
        "select tmid, uploads, records from agg_terminal_activity "
        "where support_id = 'S1' and day = ? order by tmid",
        [DAY2],
    ).fetchall() == [("AAAAAAAA-0001-0001-0001-000000000001", 2, 12), (T2, 1, 2)]
    assert con.execute(
        "select sum(records), count(distinct build_id) from agg_event_types "
        "where support_id = 'S1' and day = ?",
        [DAY2],
    ).fetchone() == (14, 1)
    assert con.execute(
        "select days_silent, state, lost_records from agg_terminal_status "
        "where support_id = 'S1' and day = ? and tmid = ?",
        [DAY2, T2],
    ).fetchone() == (0, "diagnosing", 0)  # 5004 on the 14th, then 5005
    assert rebuilt[0].build_id > first[DAY2][0].build_id
    # The other day's files were not touched; the old build of the 15th waits out its grace.
    assert [f for f in agg_files(base / "warehouse") if f"day={DAY1}" in f] == day1_files
    before = all_views(wh)
    removed = aggregates.remove_superseded(wh, grace=dt.timedelta(0))
    assert len(removed) == 2 * len(layout.AGGREGATES)  # S1 and S2 of the 15th, once each
    assert all(f"day={DAY2}" in r and first[DAY2][0].build_id[:8] in r for r in removed)
    assert all_views(wh) == before


def test_a_day_without_uploads_lists_silent_terminals_only(hand):
    _base, wh, contracts = hand
    later = dt.date(2024, 7, 20)
    built = {b.support_id: b for b in dashboard_build.build_day(wh, contracts, later)}
    assert built["S1"].rows == {
        name: (2 if name == "terminal_status" else 0) for name in layout.AGGREGATES
    }
    con = duck.connect(wh)
    assert con.execute(
        "select tmid, days_silent, uploads, state from agg_terminal_status "
        "where day = ? order by tmid",
        [later],
    ).fetchall() == [
        ("AAAAAAAA-0001-0001-0001-000000000001", 5, 0, "starting"),
        (T2, 6, 0, "diagnosing"),
        ("BBBBBBBB-0003-0003-0003-000000000003", 5, 0, "running"),
    ]


def test_an_unreadable_organisation_file_is_reported_and_the_day_still_builds(hand):
    base, wh, contracts = hand
    (base / "org" / "S1.csv").write_bytes(b"login,name\r\nx,y\r\n")
    gone = Contract("S2", False, None, str(base / "org" / "missing.csv"), None)
    built = dashboard_build.build_day(wh, [contracts[0], gone], DAY1)
    assert built[0].org_problem.endswith("organisation info: no column 'login_name' in the header")
    assert built[1].org_problem.startswith("organisation info not found")
    assert all(b.matches_raw for b in built)
    con = duck.connect(wh)
    assert con.execute(
        "select count(*), count(name) from agg_user_activity where day = ?", [DAY1]
    ).fetchone() == (3, 0)


def test_the_portal_reads_a_rebuild_that_its_compacted_copy_does_not_hold(hand):
    _base, wh, contracts = hand
    for day in (DAY1, DAY2):
        dashboard_build.build_day(wh, contracts, day)
    before = aggregates.read_aggregate(wh, "terminal_activity", "S1", DAY1, DAY2)
    # A rebuild of the 15th killed after its file and before the copy: the copy is stale.
    (current,) = aggregates.list_parts(wh, "terminal_activity", "S1", DAY2)
    later = f"{current.build_id}-later"
    stored = parquet.read_table(wh, current.rel)
    rebuilt = stored.set_column(
        stored.schema.get_field_index("uploads"), "uploads", pc.add(stored["uploads"], 100)
    ).set_column(
        stored.schema.get_field_index("build_id"), "build_id", pa.array([later] * len(stored))
    )
    aggregates.write_aggregate(wh, "terminal_activity", "S1", DAY2, later, rebuilt)
    after = aggregates.read_aggregate(wh, "terminal_activity", "S1", DAY1, DAY2)
    bumped = [
        u + 100 * (d == DAY2)
        for u, d in zip(before["uploads"].to_pylist(), before["day"].to_pylist(), strict=True)
    ]
    assert after["uploads"].to_pylist() == bumped
    assert after.drop_columns(["uploads", "build_id"]).equals(
        before.drop_columns(["uploads", "build_id"])
    )
    assert {
        b
        for b, d in zip(after["build_id"].to_pylist(), after["day"].to_pylist(), strict=True)
        if d == DAY2
    } == {later}
    # The next copy holds it; reads through it give the same rows, and `where` works on both.
    aggregates.write_compact(wh, "terminal_activity", "S1", "99991231T000000000000Z-test")
    assert aggregates.read_aggregate(wh, "terminal_activity", "S1", DAY1, DAY2).equals(after)
    organisation = after["organisation"][0].as_py()
    assert organisation is not None
    got = aggregates.read_aggregate(
        wh,
        "terminal_activity",
        "S1",
        DAY1,
        DAY2,
        where={"organisation": organisation},
        columns=["day", "tmid", "users"],
    )
    assert got.to_pylist() == [
        {"day": r["day"], "tmid": r["tmid"], "users": r["users"]}
        for r in after.to_pylist()
        if r["organisation"] == organisation
    ]


def test_a_reader_process_never_sees_half_a_day_while_it_is_rebuilt(hand, tmp_path):
    _base, wh, contracts = hand
    s1 = contracts[0]
    dashboard_build.build_contract_day(wh, s1, DAY2)
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.assets.dashboard_reader",
            *(wh.uri, "S1", DAY2.isoformat(), str(stop), str(out)),
        ],
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 30
        while not Path(str(out) + ".ready").exists():
            assert reader.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        builds = [dashboard_build.build_contract_day(wh, s1, DAY2).build_id for _ in range(12)]
        time.sleep(0.3)
    finally:
        stop.write_text("stop")
        reader.wait(timeout=60)
    seen = json.loads(out.read_text())
    assert seen["errors"] == []
    # event types: 10 types, 12 records; status: 2 terminals, 5 lost; users: 2, 10 records
    assert seen["results"] == [json.dumps([10, 12, 2, 5, 2, 10])]
    assert seen["reads"] >= 10
    assert len(set(seen["builds"]) & set(builds)) >= 2  # it did read across rebuilds


def test_no_aggregate_of_a_contract_holds_another_contracts_data(landed):
    base, manifest = landed
    wh = Root(str(base / "warehouse"))
    contracts = load_contracts(str(base / "contracts.yaml"))
    for day in sample_days(manifest):
        for report in dashboard_build.build_day(wh, contracts, day):
            assert report.matches_raw and not report.foreign_tmids
    con = duck.connect(wh)
    own = {
        "tmid": "select distinct support_id, tmid from records",
        "user": 'select distinct support_id, "user" from records where "user" <> \'\'',
        "device": (
            "select distinct support_id, upper(detail->>'vid') || ':' || upper(detail->>'pid')"
            " || ':' || coalesce(detail->>'serial', '') from records where type like 'USB_%'"
        ),
    }
    owned = {key: set(con.execute(sql).fetchall()) for key, sql in own.items()}
    columns = {
        "terminal_activity": "tmid",
        "risk_operations": "tmid",
        "terminal_status": "tmid",
        "inventory": "tmid",
        "user_activity": "user",
        "off_hours": "user",
        "usb_devices": "device",
    }
    checked = 0
    for name, column in columns.items():
        rows = set(
            con.execute(f'select distinct support_id, "{column}" from agg_{name}').fetchall()
        )
        assert rows <= owned[column], name
        checked += len(rows)
    # terminal_activity users and devices stay inside too, and each contract has its own rows
    users = con.execute(
        "select distinct support_id, unnest(users) from agg_terminal_activity"
    ).fetchall()
    assert set(users) <= owned["user"]
    assert {s for s, _ in owned["tmid"]} == {"S0001", "S0002", "S0003"}
    assert checked > 20
    for contract in contracts:
        sid = contract.support_id
        for name in layout.AGGREGATES:
            table = aggregates.read_aggregate(
                wh, name, sid, dt.date(2024, 1, 1), dt.date(2024, 12, 31)
            )
            assert set(table["support_id"].to_pylist()) <= {sid}

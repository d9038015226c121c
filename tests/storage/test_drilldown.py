"""Drill-down (`sql/drilldown.sql`): from every row of the terminal activity, risk operations,
off-hours, USB device and web domain aggregates of the hand-counted fixture
(tests/assets/dashboard_fixture.py), the records drilled from it add up to each of the row's
figures, and they come from that contract-day only.

The build takes two inputs from outside the warehouse, which the drill macros take as
parameters: the Japanese public holidays (`holidays := ...`, from the same `holidays`
calendar as the build) and the contract's own mail domains (`internal_domains :=
org_mail_domains(...)` of its organisation info's mail addresses).
"""

import datetime as dt
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from assets.dashboard import build as dashboard_build
from storage import duck, layout
from storage.aggregates import TYPE_GROUPS
from storage.contracts import load_contracts
from storage.dashboard_inputs import read_operator_file
from storage.roots import Root
from tests.assets.dashboard_fixture import DAY1, DAY2, HAKEN, SUZUKI, T1, T2, T3, TANAKA, YAMADA
from transforms.dashboard import japan_holidays, parse_org_info

# Every Japanese public holiday the fixture's records can fall on (the 15th, Marine Day).
HOLIDAYS = japan_holidays(DAY1 + dt.timedelta(n) for n in range(-1, 4))["date"].to_list()
RISK_COUNTS = (
    "copies_to_removable",
    "moves_to_removable",
    "web_uploads",
    "mails_with_attachments",
    "mails_outside",
    "print_jobs",
    "usb_blocked",
    "clipboard_files",
    "share_writes",
    "risk_records",
)
OFF_HOURS_COUNTS = ("before_07", "after_22", "weekend", "holiday", "off_hours")
# The rows of each aggregate in the fixture (tests/assets/test_dashboard_hand_counts.py), so
# that "every row" is never an empty loop.
ROW_COUNTS = {
    "terminal_activity": 5,
    "risk_operations": 6,
    "off_hours": 6,
    "usb_devices": 4,
    "web_domains": 2,
}


@pytest.fixture(scope="module")
def built(hand_template, tmp_path_factory) -> tuple[Path, Root]:
    """The landed hand-written fixture (conftest), copied and built as the hand counts are."""
    base = tmp_path_factory.mktemp("drilldown") / "fixture"
    shutil.copytree(hand_template, base)
    wh = Root(str(base / "warehouse"))
    contracts = load_contracts(str(base / "contracts.yaml"))
    for day in (DAY2, DAY1):
        dashboard_build.build_day(wh, contracts, day)
    return base, wh


@pytest.fixture(scope="module")
def con(built):
    connection = duck.connect(built[1])
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def internal_domains(built) -> dict[str, list[str]]:
    """Each contract's organisation-info mail addresses, as the build parses them."""
    base, _wh = built
    return {
        c.support_id: parse_org_info(read_operator_file(c.org_info))["mail"].to_list()
        for c in load_contracts(str(base / "contracts.yaml"))
    }


def fetch(con, query: str, params: list | None = None) -> list[dict]:
    result = con.execute(query, params or [])
    columns = [c[0] for c in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


def agg_rows(con, name: str) -> list[dict]:
    rows = fetch(con, f"select * from agg_{name} order by all")
    assert len(rows) == ROW_COUNTS[name]
    return rows


def drill_terminal_activity(con, row: dict) -> list[dict]:
    return fetch(
        con,
        "from drill_terminal_activity(?, ?, ?, holidays := ?)",
        [row["support_id"], row["day"], row["tmid"], HOLIDAYS],
    )


def drill_risk_operations(con, row: dict, mails: list[str]) -> list[dict]:
    return fetch(
        con,
        "from drill_risk_operations(?, ?, ?, ?, internal_domains := org_mail_domains(?))",
        [row["support_id"], row["day"], row["tmid"], row["user"], mails],
    )


def drill_off_hours(con, row: dict) -> list[dict]:
    return fetch(
        con,
        "from drill_off_hours(?, ?, ?, holidays := ?)",
        [row["support_id"], row["day"], row["user"], HOLIDAYS],
    )


def drill_usb_devices(con, row: dict) -> list[dict]:
    return fetch(
        con, "from drill_usb_devices(?, ?, ?)", [row["support_id"], row["day"], row["device"]]
    )


def drill_web_domains(con, row: dict) -> list[dict]:
    return fetch(
        con, "from drill_web_domains(?, ?, ?)", [row["support_id"], row["day"], row["domain"]]
    )


def distinct_users(records: list[dict]) -> int:
    return len({r["user"] for r in records if r["user"]})


def test_terminal_activity_rows_equal_their_records(con):
    """Every figure counted from records: `records`, each `<group>_records`,
    `off_hours_records`, `active_hours` (distinct clock hours) and the first and last time.
    (`uploads` counts uploads, not records.)"""
    for row in agg_rows(con, "terminal_activity"):
        records = drill_terminal_activity(con, row)
        groups = Counter(r["type_group"] for r in records)
        assert {r["tmid"] for r in records} <= {row["tmid"]}
        assert len(records) == row["records"]
        assert {f"{g}_records": groups[g] for g in TYPE_GROUPS} == {
            f"{g}_records": row[f"{g}_records"] for g in TYPE_GROUPS
        }
        assert sum(r["off_hours_records"] for r in records) == row["off_hours_records"]
        active = {r["active_hour"] for r in records if r["active_hour"] is not None}
        assert len(active) == row["active_hours"]
        assert min(r["time"] for r in records) == row["first_record_at"]
        assert max(r["time"] for r in records) == row["last_record_at"]


def test_risk_operations_rows_equal_their_records(con, internal_domains):
    """Each count equals the records flagged for it (`risk_records`: all of them), and the
    bytes and pages equal the drilled records' sums."""
    for row in agg_rows(con, "risk_operations"):
        records = drill_risk_operations(con, row, internal_domains[row["support_id"]])
        assert {(r["tmid"], r["user"] or "") for r in records} == {(row["tmid"], row["user"])}
        assert len(records) == row["risk_records"]
        assert {f: sum(r[f] for r in records) for f in RISK_COUNTS} == {
            f: row[f] for f in RISK_COUNTS
        }
        assert sum(r["web_upload_bytes"] or 0 for r in records) == row["web_upload_bytes"]
        assert sum(r["print_pages"] or 0 for r in records) == row["print_pages"]


def test_off_hours_rows_equal_their_records(con):
    for row in agg_rows(con, "off_hours"):
        records = drill_off_hours(con, row)
        assert {r["user"] for r in records} == {row["user"]}
        assert len(records) == row["records"]
        assert {f: sum(r[f] for r in records) for f in OFF_HOURS_COUNTS} == {
            f: row[f] for f in OFF_HOURS_COUNTS
        }


def test_usb_device_rows_equal_their_records(con):
    """Connects, disconnects and blocks by record; terminals, users, first and last seen from
    the same records."""
    for row in agg_rows(con, "usb_devices"):
        records = drill_usb_devices(con, row)
        counted = Counter(r["counted_as"] for r in records)
        assert len(records) == row["connects"] + row["disconnects"] + row["blocks"]
        assert {f: counted[f] for f in ("connects", "disconnects", "blocks")} == {
            f: row[f] for f in ("connects", "disconnects", "blocks")
        }
        assert len({r["tmid"] for r in records}) == row["terminals"]
        assert distinct_users(records) == row["users"]
        assert min(r["time"] for r in records) == row["first_seen_at"]
        assert max(r["time"] for r in records) == row["last_seen_at"]


def test_web_domain_rows_equal_their_records(con):
    for row in agg_rows(con, "web_domains"):
        records = drill_web_domains(con, row)
        counted = Counter(r["counted_as"] for r in records)
        assert len(records) == row["accesses"] + row["uploads"] + row["downloads"]
        assert {f: counted[f] for f in ("accesses", "uploads", "downloads")} == {
            f: row[f] for f in ("accesses", "uploads", "downloads")
        }
        assert sum(r["upload_bytes"] or 0 for r in records) == row["upload_bytes"]
        assert len({r["tmid"] for r in records}) == row["terminals"]
        assert distinct_users(records) == row["users"]


def test_the_drilled_risk_and_web_records_are_the_hand_counted_ones(con, internal_domains):
    """Equal counts could hide a wrong record (a share read for the write): the records by
    seq, as tests/assets/dashboard_fixture.py describes them."""
    risky = {
        ("S1", DAY1, T1, TANAKA): [107],  # the copy to E:
        ("S1", DAY1, T2, SUZUKI): [5002],  # the print
        ("S1", DAY2, T1, HAKEN): [120, 121],  # the clipboard file, the share write (not 122)
        ("S1", DAY2, T1, TANAKA): [115, 116, 118],  # blocked stick, mail out, web upload
        ("S2", DAY1, T3, YAMADA): [2],  # the mail outside
        ("S2", DAY2, T3, YAMADA): [6],  # the blocked stick
    }
    for row in agg_rows(con, "risk_operations"):
        key = (row["support_id"], row["day"], row["tmid"], row["user"])
        records = drill_risk_operations(con, row, internal_domains[row["support_id"]])
        assert [r["seq"] for r in records] == risky[key]
    web = {("S1", DAY1, "www.yahoo.co.jp"): [104], ("S1", DAY2, "drive.google.com"): [118, 124]}
    for row in agg_rows(con, "web_domains"):
        records = drill_web_domains(con, row)
        assert [r["seq"] for r in records] == web[(row["support_id"], row["day"], row["domain"])]


def drill_all(con, support_id: str, day: dt.date, mails: dict[str, list[str]]) -> dict:
    """Every drill of every row of one contract-day, keyed by aggregate."""
    drills = {
        "terminal_activity": drill_terminal_activity,
        "risk_operations": lambda c, row: drill_risk_operations(c, row, mails[support_id]),
        "off_hours": drill_off_hours,
        "usb_devices": drill_usb_devices,
        "web_domains": drill_web_domains,
    }
    return {
        name: [
            drill(con, row)
            for row in fetch(
                con,
                f"select * from agg_{name} where support_id = ? and day = ? order by all",
                [support_id, day],
            )
        ]
        for name, drill in drills.items()
    }


@pytest.mark.parametrize(("support_id", "day"), [("S1", DAY1), ("S1", DAY2), ("S2", DAY1)])
def test_a_drill_opens_only_its_contract_days_files(
    con, built, internal_domains, tmp_path, support_id, day
):
    """With every other contract-day's raw files made unreadable (garbage in place of
    Parquet), every drill of this contract-day still gives the same records: no other file
    is opened."""
    expected = drill_all(con, support_id, day, internal_domains)
    _base, wh = built
    copy = tmp_path / "warehouse"
    shutil.copytree(wh.url(), copy)
    own = f"support_id={support_id}/day={day.isoformat()}/"
    spoiled = 0
    for table in layout.RAW_TABLES:
        for path in (copy / "raw" / table).rglob("*.parquet"):
            rel = path.relative_to(copy / "raw" / table).as_posix()
            if not rel.startswith((own, "support_id=_empty/")):
                path.write_bytes(b"not parquet")
                spoiled += 1
    assert spoiled > 0
    spoiled_con = duck.connect(Root(str(copy)))
    try:
        assert drill_all(spoiled_con, support_id, day, internal_domains) == expected
        with pytest.raises(duckdb.Error, match=r"(?i)parquet"):  # the others are unreadable
            spoiled_con.execute("select count(*) from records").fetchall()
    finally:
        spoiled_con.close()


def test_drilled_records_belong_to_the_rows_contract_day(con, internal_domains):
    """Every drilled record's upload is one of that contract-day's (from the full `uploads`
    view), whatever the aggregate; the records of another day or contract never appear."""
    owner = {
        key: (sid, day)
        for key, sid, day in con.execute(
            "select upload_key, support_id, day from uploads"
        ).fetchall()
    }
    drilled = 0
    for support_id, day in [("S1", DAY1), ("S1", DAY2), ("S2", DAY1), ("S2", DAY2)]:
        for records in drill_all(con, support_id, day, internal_domains).values():
            for record in (r for rows in records for r in rows):
                assert owner[record["upload_key"]] == (support_id, day)
                drilled += 1
    assert drilled > 0


def test_a_drill_stays_inside_its_tenant_and_service_day(con, internal_domains):
    # S1 and S2 met the same stick on the 14th: S1's row is T2's connect only
    sandisk = fetch(con, "from drill_usb_devices('S1', ?, '0781:5581:4C530001')", [DAY1])
    assert [(r["tmid"], r["seq"]) for r in sandisk] == [(T2, 5003)]
    toshiba = fetch(con, "from drill_usb_devices('S2', ?, '0930:6545:C03FD5F7')", [DAY2])
    assert [(r["tmid"], r["seq"]) for r in toshiba] == [(T3, 6)]
    # another contract's terminal, drilled through S2, gives nothing
    assert fetch(con, "from drill_terminal_activity('S2', ?, ?)", [DAY1, T1]) == []
    assert fetch(con, "from drill_off_hours('S2', ?, ?)", [DAY2, TANAKA]) == []
    # the 14th holds the 04:59:59.9 upload's records of the 15th's early hours, never the
    # 05:00:00.0 upload's record stamped 04:59:59.950 (service day the 15th)
    t1_14 = fetch(con, "from drill_terminal_activity('S1', ?, ?)", [DAY1, T1])
    t1_15 = fetch(con, "from drill_terminal_activity('S1', ?, ?)", [DAY2, T1])
    assert [r["seq"] for r in t1_14] == list(range(100, 109))
    assert [r["seq"] for r in t1_15] == [109, *range(115, 126)]
    # a day without a folder reads as empty
    no_folder = DAY2 + dt.timedelta(3)
    assert fetch(con, "from drill_terminal_activity('S1', ?, ?)", [no_folder, T1]) == []


def test_without_the_outside_inputs_their_flags_are_unknown(con, internal_domains):
    """No holidays: a holiday record's `holiday` flag is null, not false. No own domains: an
    internal mail with no other risk is shown as a possible risk (`risk_records` null)."""
    off = fetch(con, "from drill_off_hours('S1', ?, ?)", [DAY2, TANAKA])
    assert {r["holiday"] for r in off} == {None}
    assert [r["off_hours"] for r in off] == [None, None, None, None, True, True]
    row = {"support_id": "S1", "day": DAY2, "tmid": T1, "user": TANAKA}
    unknown = fetch(con, "from drill_risk_operations('S1', ?, ?, ?)", [DAY2, T1, TANAKA])
    known = drill_risk_operations(con, row, internal_domains["S1"])
    assert [r["seq"] for r in known] == [115, 116, 118]
    assert [(r["seq"], r["risk_records"]) for r in unknown] == [
        (115, True),
        (116, True),
        (117, None),  # to suzuki@sample.co.jp only: internal, if the domains are known
        (118, True),
    ]
    assert [r["line_no"] for r in known] == [r["line_no"] for r in unknown if r["seq"] != 117]

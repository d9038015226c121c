"""Analyst queries read only the partitions they pin, and answer as a full scan does.

On the landed sample (3 contracts x 4 terminals x 2 days, every bad kind), locally and on
moto's S3 server: `storage.duck.connect` (the views, pruned from the query's `where`) against
`storage.duck.view_connection` (the same views as plain DuckDB, reading everything), and the
`<table>_between` macros of `sql/views.sql`.
"""

import datetime as dt
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage import crypto, duck, layout
from storage.roots import Root
from tests.conftest import FIRST_DAY, upload_tree

CONTRACTS = ["S0001", "S0002", "S0003"]
DAYS = [FIRST_DAY + dt.timedelta(n) for n in range(-1, 3)]  # one day before and after the data

QUERIES = {
    "uploads": "select support_id, day, count(*), sum(records), min(upload_key) from uploads",
    "records": "select support_id, day, count(*), sum(line_no), max(process) from records",
    "rejects": "select support_id, day, count(*), min(reason) from rejects",
    "quarantine": "select support_id, quarantined_day, count(*), min(reason) from quarantine",
}
GROUPED = " group by all order by all"


@pytest.fixture(scope="module")
def warehouse(landed_template) -> Root:
    base, _ = landed_template
    return Root(str(base / "warehouse"))


@pytest.fixture(scope="module")
def pruned(warehouse):
    return duck.connect(warehouse)


@pytest.fixture(scope="module")
def full(warehouse):
    return duck.view_connection(warehouse)


def _where(support_ids: list[str], first: dt.date, last: dt.date, day: str = "day") -> str:
    contracts = ", ".join(f"'{s}'" for s in support_ids)
    return f" where support_id in ({contracts}) and {day} between '{first}' and '{last}'"


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    support_ids=st.lists(st.sampled_from(CONTRACTS), min_size=1, max_size=3, unique=True),
    first=st.sampled_from(DAYS),
    span=st.integers(0, 3),
    view=st.sampled_from(sorted(QUERIES)),
)
def test_a_pinned_query_answers_as_the_full_scan_does(pruned, full, support_ids, first, span, view):
    day = "quarantined_day" if view == "quarantine" else "day"
    if view == "quarantine":
        first = dt.date.today() - dt.timedelta(1)  # quarantined on the day the sample landed
    query = QUERIES[view] + _where(support_ids, first, first + dt.timedelta(span), day) + GROUPED
    assert f"{view}_in(" in pruned.pruned(query)
    assert pruned.sql(query).fetchall() == full.sql(query).fetchall()


@pytest.mark.parametrize(
    "query",
    [
        # a data filter, a top-n and a join, each on pinned partitions
        "select process, count(*) n from records where support_id = 'S0001' and day = '2024-03-18'"
        " and type <> 'LOGON' group by process order by n desc, process limit 3",
        "select upload_key, line_no from records where day = '2024-03-19' and support_id = 'S0002'"
        " order by time desc, upload_key, line_no limit 5",
        "select u.computer, count(*) from records r join uploads u"
        " using (support_id, day, tmid, upload_key) where r.support_id = 'S0003'"
        " and day >= '2024-03-19' group by all order by all",
        "select l.outcome, count(*) from landing_log l where l.day > '2000-01-01'"
        " group by all order by all",
        "select count(*) from uploads where support_id = 'S0001' and day = '2024-03-18'"
        " and upload_key in (select upload_key from rejects where support_id = 'S0001')",
    ],
)
def test_filters_top_n_and_joins_over_pruned_views_answer_as_a_full_scan(pruned, full, query):
    assert pruned.pruned(query) != query
    got = pruned.sql(query).fetchall()
    assert got and got == full.sql(query).fetchall()


def files_read(con, query: str) -> int:
    plan = con.sql("explain analyze " + query).fetchall()[0][1]
    return sum(int(n.replace(",", "")) for n in re.findall(r"Total Files Read: ([\d,]+)", plan))


def parts_in(wh: Root, folder: str) -> int:
    return sum(1 for f in wh.list_files(folder) if f.endswith(".parquet"))


def test_a_pinned_query_opens_only_its_partitions_files(pruned, full, warehouse):
    query = "select count(*) from records where support_id = 'S0002' and day = '2024-03-19'"
    day = "support_id=S0002/day=2024-03-19"
    expected = parts_in(warehouse, f"raw/records/{day}")
    assert expected > 0
    assert files_read(pruned, query) == expected + 1  # and the table's empty anchor
    everything = parts_in(warehouse, "raw/records")
    assert files_read(full, query) == everything + 1  # every file (the anchor twice)


def test_the_between_macros_read_a_range_with_days_without_folders(full):
    got = full.sql(
        "select day, count(*) from records_between('S0001', '2024-03-01', '2024-03-31')"
        " group by day order by day"
    ).fetchall()
    want = full.sql(
        "select day, count(*) from records where support_id = 'S0001' group by day order by day"
    ).fetchall()
    assert got == want and len(got) == 2
    assert full.sql("from uploads_between('S0001', '2023-01-01', '2023-01-05')").fetchall() == []
    assert files_read(full, "from records_between('S0001', '2024-03-18', '2024-03-18')") < (
        files_read(full, "from records")
    )


@pytest.mark.parametrize("bad", ["../S0001", "S0001/day=*", "", "S 1"])
def test_a_between_macro_refuses_what_is_not_a_support_id(full, bad):
    with pytest.raises(Exception, match="not a support ID"):
        full.sql(f"from records_between('{bad}', '2024-03-18', '2024-03-18')").fetchall()


def test_a_wrong_key_fails_the_connection_with_a_clear_message(warehouse, monkeypatch):
    monkeypatch.setenv("IT360_KEY", "00" * 32)
    with pytest.raises(crypto.WarehouseKeyError, match="cannot decrypt"):
        duck.connect(warehouse)


class CountingCalls:
    """Counts what DuckDB asks of the registered fsspec filesystem (S3 reads go through it)."""

    def __init__(self, fs) -> None:
        self.globs: list[str] = []
        self.opened: list[str] = []
        glob, open_ = fs.glob, fs.open

        def counting_glob(path, *args, **kwargs):
            self.globs.append(str(path))
            return glob(path, *args, **kwargs)

        def counting_open(path, *args, **kwargs):
            self.opened.append(str(path))
            return open_(path, *args, **kwargs)

        fs.glob, fs.open = counting_glob, counting_open


def test_on_s3_connecting_lists_nothing_and_a_pinned_query_lists_only_its_folders(
    s3_env, landed_template
):
    base, _ = landed_template
    upload_tree(base / "warehouse", s3_env, "wh")
    wh = Root(f"s3://{s3_env}/wh")
    calls = CountingCalls(wh.fs)
    con = duck.connect(wh)
    # DuckDB looks each literal path up through glob too: only the anchors, and the journal
    # of uncommitted landing batches (finished batches leave nothing there)
    assert calls.globs and all(
        ("*" not in g and "part-empty" in g) or "/_state/journal/" in g for g in calls.globs
    )
    assert calls.opened and all("part-empty.parquet" in path for path in calls.opened)

    calls.globs.clear()
    calls.opened.clear()
    query = "select count(*) from records where support_id = 'S0003' and day = '2024-03-18'"
    want = duck.connect(Root(str(base / "warehouse"))).sql(query).fetchall()
    assert con.sql(query).fetchall() == want and want[0][0] > 0
    patterns = [g for g in calls.globs if "*" in g and "/_state/journal/" not in g]
    assert patterns and all("support_id=S0003/day=2024-03-18/" in g for g in patterns)
    assert all(
        "support_id=S0003/day=2024-03-18/" in path or "part-empty" in path for path in calls.opened
    )


def test_parameters_pin_partitions_as_literals_do(pruned, full):
    query = "select count(*), sum(line_no) from records where support_id = ? and day = ?"
    values = ["S0002", FIRST_DAY]
    assert "records_in(" in pruned.pruned(query, values)
    got = pruned.execute(query, values).fetchall()
    assert got == full.execute(query, values).fetchall() and got[0][0] > 0
    named = "select count(*) from uploads where day = $day"
    assert pruned.sql(named, params={"day": FIRST_DAY}).fetchall() == (
        full.sql(named, params={"day": FIRST_DAY}).fetchall()
    )


def test_the_parts_of_an_uncommitted_landing_batch_are_invisible_until_it_commits(landed, tmp_path):
    base, _ = landed
    wh = Root(str(base / "warehouse"))
    day = "support_id=S0001/day=2024-03-18"
    shown = {
        table: f"select count(*) from {table} where support_id = 'S0001' and day = '2024-03-18'"
        for table in ("uploads", "records", "rejects")
    }
    con = duck.connect(wh)
    before = {table: con.sql(q).fetchall()[0][0] for table, q in shown.items()}
    batch = "29990101T000000-killed"
    copied = {}
    for table in shown:  # a batch that wrote every part and died before its commit marker
        part = next(p for p in wh.list_files(f"raw/{table}/{day}") if p.endswith(".parquet"))
        copy = f"{part.rsplit('/', 1)[0]}/part-{batch}.parquet"
        wh.write_bytes(copy, wh.read_bytes(part))
        copied[table] = (
            duck.view_connection(wh)
            .sql(f"select count(*) from warehouse_days('/{part}')")
            .fetchall()[0][0]
        )
    wh.write_bytes(layout.journal_intent(batch), b"{}")
    assert {table: con.sql(q).fetchall()[0][0] for table, q in shown.items()} == before
    wh.write_bytes(layout.journal_committed(batch), b"")
    assert {table: con.sql(q).fetchall()[0][0] for table, q in shown.items()} == {
        table: before[table] + copied[table] for table in shown
    }


PINS = {
    # the day as an expression, the clock included (the sample's days are in the past)
    "expression": "support_id = '{s}' and day = date '{d}' + 1 - 1",
    "clock": "support_id = '{s}' and day = current_date - (current_date - date '{d}')::integer",
    "or": "(support_id = '{s}' and day = '{d}') or (support_id = '{t}' and day = '{e}')",
    "row in": "(support_id, day) in (('{s}', date '{d}'), ('{t}', date '{e}'))",
    "in": "support_id in ('{s}', '{t}') and day in ('{d}', '{e}')",
}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pair=st.lists(st.sampled_from(CONTRACTS), min_size=2, max_size=2),
    days=st.lists(st.sampled_from(DAYS), min_size=2, max_size=2),
    shape=st.sampled_from(sorted(PINS)),
    view=st.sampled_from(["uploads", "records", "rejects"]),
)
def test_the_pins_analysts_write_prune_and_answer_as_the_full_scan(
    pruned, full, pair, days, shape, view
):
    where = PINS[shape].format(s=pair[0], t=pair[1], d=days[0], e=days[1])
    query = QUERIES[view] + f" where {where}" + GROUPED
    assert f"{view}_in(" in pruned.pruned(query)
    assert pruned.sql(query).fetchall() == full.sql(query).fetchall()


@pytest.mark.parametrize(
    "query",
    [
        # one side pinned, the other joined on its partition columns
        "select u.computer, count(*) from records r join uploads u on r.support_id = "
        "u.support_id and r.day = u.day and r.tmid = u.tmid and r.upload_key = u.upload_key "
        "where u.support_id = 'S0002' and u.day = date '2024-03-19' - 1 group by all order by all",
        "select count(*), sum(r.line_no) from uploads u, records r where u.support_id = "
        "r.support_id and u.day = r.day and u.upload_key = r.upload_key and r.day = '2024-03-19'",
    ],
)
def test_a_join_pinned_on_one_side_prunes_both(pruned, full, query):
    rewritten = pruned.pruned(query)
    assert "records_in(" in rewritten and "uploads_in(" in rewritten
    got = pruned.sql(query).fetchall()
    assert got and got[0][0] and got == full.sql(query).fetchall()


def a_terminal(wh: Root, day: str) -> str:
    folders = wh.list_dirs(f"raw/records/support_id=S0001/day={day}")
    return sorted(f.rsplit("/", 1)[-1].removeprefix("tmid=") for f in folders)[0]


def test_a_terminal_reads_its_own_folder_and_a_contract_day_each_folder_once(
    pruned, full, warehouse
):
    day = "2024-03-18"
    tmid = a_terminal(warehouse, day)
    folder = f"raw/records/support_id=S0001/day={day}/tmid={tmid}"
    whole_day = f"select count(*) from records where support_id = 'S0001' and day = '{day}'"
    one = f"{whole_day} and tmid = '{tmid}'"
    rewritten = pruned.pruned(one)
    assert "records_in(" not in rewritten and all(
        f"/{part}'" in rewritten for part in warehouse.list_files(folder)
    )  # its files by name, listed in Python (no anchor: the folder has files)
    assert files_read(pruned, one) == parts_in(warehouse, folder)
    assert pruned.sql(one).fetchall() == full.sql(one).fetchall() != [(0,)]
    assert files_read(pruned, whole_day) == parts_in(warehouse, folder.rsplit("/", 1)[0]) + 1
    drill = f"from drill_terminal_activity('S0001', date '{day}', '{tmid}')"
    assert files_read(full, drill) == parts_in(warehouse, folder) + 1
    assert len(full.sql(drill).fetchall()) == pruned.sql(one).fetchall()[0][0]
    with pytest.raises(Exception, match="not a TMID"):
        full.sql(f"from records_in(['S0001'], ['{day}'], tmids := ['../x'])").fetchall()


def test_a_full_scan_runs_in_16_mb_and_still_hides_an_uncommitted_batch(landed):
    base, _ = landed
    wh = Root(str(base / "warehouse"))
    folder = "raw/records/support_id=S0001/day=2024-03-18"
    part = max(
        (p for p in wh.list_files(folder) if p.endswith(".parquet")),
        key=lambda p: len(wh.read_bytes(p)),
    )
    plain = duck.view_connection(wh)
    per_part = plain.sql(f"select count(*) from warehouse_days('/{part}')").fetchall()[0][0]
    before = plain.sql("select count(*) from warehouse_days('/raw/records/*/*/*/*.parquet')")
    truth = before.fetchall()[0][0]
    copies = -(-150_000 // per_part)  # enough committed rows that a hash table per row fails
    data = wh.read_bytes(part)
    here = part.rsplit("/", 1)[0]
    for n in range(copies):  # committed: no journal entry names them
        wh.write_bytes(f"{here}/part-29990101T000000-copy{n}.parquet", data)
    killed = "29990101T000000-killed"
    wh.write_bytes(f"{here}/part-{killed}.parquet", data)
    wh.write_bytes(layout.journal_intent(killed), b"{}")
    con = duck.connect(wh)
    con.execute("set memory_limit = '16MB'")
    con.execute("set threads = 1")
    assert con.sql("select count(*) from records").fetchall() == [(truth + copies * per_part,)]


def _scans_held_by_joins(node: dict) -> list[str]:
    """The scans under the side a join holds in memory (DuckDB's right child)."""

    def scans(n: dict) -> list[str]:
        own = [n["name"]] if "SCAN" in n["name"] or "READ_PARQUET" in n["name"] else []
        return own + [s for c in n.get("children", []) for s in scans(c)]

    held = scans(node["children"][1]) if "JOIN" in node["name"] else []
    return held + [s for c in node.get("children", []) for s in _scans_held_by_joins(c)]


@pytest.mark.parametrize("view", ["records", "uploads", "rejects"])
def test_hiding_uncommitted_batches_never_holds_the_rows_read(landed, view):
    # The hidden-batch filter is a join with a one-row list; DuckDB must hold that list, not
    # the scan: an empty anchor first in the file list made every scan look empty, and the
    # join then held every row's file name (memory grew with the rows read).
    base, _ = landed
    con = duck.connect(Root(str(base / "warehouse")))
    for query in (f"select count(*) from {view}", f"select * from {view}"):
        plan = json.loads(con.duckdb.sql(f"explain (format json) {query}").fetchall()[0][1])
        assert plan and not [s for root in plan for s in _scans_held_by_joins(root)], query


@pytest.mark.parametrize("tmid", ["../x", "*", "T1/../..", "[a-z]*", ""])
def test_a_pinned_tmid_that_names_no_folder_reads_every_folder_and_answers_no_rows(
    pruned, full, tmid
):
    query = f"select count(*) from records where support_id = 'S0001' and tmid = '{tmid}'"
    folders = re.search(r"tmids := cast\(\[(.*?)\] as", pruned.pruned(query))
    assert folders is None or folders.group(1) == ""  # every folder, or none: never the value
    assert pruned.sql(query).fetchall() == full.sql(query).fetchall() == [(0,)]


def every_terminal_day(wh: Root) -> list[tuple[str, str, str]]:
    """(support_id, day, TMID) of every records folder of the sample."""
    found = set()
    for rel in wh.list_files("raw/records"):
        values = [layout.hive_value(rel, key) for key in ("support_id", "day", "tmid")]
        if values[0] in CONTRACTS:
            found.add(tuple(values))
    return sorted(found)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pick=st.integers(0, 10_000),
    other_day=st.booleans(),
    missing=st.booleans(),
    view=st.sampled_from(["uploads", "records", "rejects"]),
)
def test_a_query_pinned_to_terminal_folders_reads_their_files_and_answers_as_the_full_scan(
    pruned, full, warehouse, pick, other_day, missing, view
):
    terminals = every_terminal_day(warehouse)
    support_id, day, tmid = terminals[pick % len(terminals)]
    if other_day:  # a day whose folder may not exist for this terminal
        day = (dt.date.fromisoformat(day) + dt.timedelta(1)).isoformat()
    if missing:  # a TMID that names a folder value but has no folder
        tmid = "T0000000-0000"
    query = (
        f"select * from {view} where support_id = '{support_id}' and day = '{day}' "
        f"and tmid in ('{tmid}') order by all"
    )
    rewritten = pruned.pruned(query)
    assert f"{view}_in(" not in rewritten and "read_parquet(" in rewritten
    got, want = pruned.sql(query), full.sql(query)
    assert got.columns == want.columns and got.types == want.types
    assert got.fetchall() == want.fetchall()


def test_a_terminal_day_hides_the_parts_of_an_uncommitted_batch(landed):
    base, _ = landed
    wh = Root(str(base / "warehouse"))
    support_id, day, tmid = every_terminal_day(wh)[0]
    folder = f"raw/records/support_id={support_id}/day={day}/tmid={tmid}"
    query = (
        f"select count(*) from records where support_id = '{support_id}' and day = '{day}' "
        f"and tmid = '{tmid}'"
    )
    con = duck.connect(wh)
    before = con.sql(query).fetchall()[0][0]
    part = next(p for p in wh.list_files(folder) if p.endswith(".parquet"))
    batch = "29990101T000000-killed"
    wh.write_bytes(f"{folder}/part-{batch}.parquet", wh.read_bytes(part))
    wh.write_bytes(layout.journal_intent(batch), b"{}")
    assert con.sql(query).fetchall()[0][0] == before
    wh.write_bytes(layout.journal_committed(batch), b"")
    assert con.sql(query).fetchall()[0][0] > before


def test_a_terminal_folder_of_digits_reads_as_text(landed):
    base, _ = landed
    wh = Root(str(base / "warehouse"))
    support_id, day, tmid = every_terminal_day(wh)[0]
    here = f"raw/records/support_id={support_id}/day={day}"
    for part in wh.list_files(f"{here}/tmid={tmid}"):  # DuckDB would guess an integer
        wh.write_bytes(f"{here}/tmid=123/{part.rsplit('/', 1)[-1]}", wh.read_bytes(part))
    query = (
        f"select tmid, count(*) from records where support_id = '{support_id}' "
        f"and day = '{day}' and tmid = '123' group by all"
    )
    got, want = duck.connect(wh).sql(query), duck.view_connection(wh).sql(query)
    assert got.types == want.types
    assert got.fetchall() == want.fetchall() != []


def test_on_s3_a_terminal_day_reads_its_files_by_name_and_answers_as_locally(
    s3_env, landed_template
):
    base, _ = landed_template
    upload_tree(base / "warehouse", s3_env, "wh-terminal")
    local = Root(str(base / "warehouse"))
    support_id, day, tmid = every_terminal_day(local)[0]
    query = (
        f"select count(*), sum(line_no) from records where support_id = '{support_id}' "
        f"and day = '{day}' and tmid = '{tmid}'"
    )
    con = duck.connect(Root(f"s3://{s3_env}/wh-terminal"))
    assert f"'s3://{s3_env}/wh-terminal/raw/records/" in con.pruned(query)
    got = con.sql(query).fetchall()
    assert got == duck.connect(local).sql(query).fetchall() and got[0][0] > 0

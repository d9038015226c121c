"""Analyst queries read only the partitions they pin, and answer as a full scan does.

On the landed sample (3 contracts x 4 terminals x 2 days, every bad kind), locally and on
moto's S3 server: `storage.duck.connect` (the views, pruned from the query's `where`) against
`storage.duck.view_connection` (the same views as plain DuckDB, reading everything), and the
`<table>_between` macros of `sql/views.sql`.
"""

import datetime as dt
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

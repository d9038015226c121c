"""Macro arguments cannot name a path (issue 20, item 4).

Every `_in`/`_between` macro of sql/views.sql and every drill-down of sql/drilldown.sql is
fed arbitrary support IDs and days (`..`, `/`, globs, NUL, unicode, quotes, very long text)
over the landed sample (3 contracts), beside which sits a copy of the warehouse without the
pinned contract S0001: a canary that any traversal out of the warehouse root would read.
Each call either is refused ("not a support ID" / "not a day") exactly when the value is not
one, or answers exactly the view's rows for the pinned contract and day: no row of another
contract, and no row twice (which a read of the canary copy would give).
"""

import datetime as dt
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from storage import duck, layout
from storage.roots import Root
from tests.conftest import FIRST_DAY
from transforms.names import is_contract_id

PINNED = "S0001"
TODAY = dt.date.today()  # the sample's quarantine and landing log are on the day it landed
DAYS = [FIRST_DAY, FIRST_DAY + dt.timedelta(1), TODAY]
CONTRACT_DAY_VIEWS = [
    *layout.RAW_TABLES,
    "quarantine",
    "late_uploads",
    *(f"agg_{name}" for name in layout.AGGREGATES),
]
DAY_COLUMN = {"quarantine": "quarantined_day"}
DRILLS = {
    "drill_terminal_activity": "'T'",
    "drill_risk_operations": "'T', 'CORP\\u'",
    "drill_off_hours": "'CORP\\u'",
    "drill_usb_devices": "'0781:5581:X'",
    "drill_web_domains": "'example.com'",
}
REFUSED = re.compile(r"not a support ID|not a day \(YYYY-MM-DD\)")
OUT = "/../../../../../canary/warehouse"  # from a raw day folder up to the test's base folder
DAY_TO_S0002 = "2024-03-18/../../support_id=S0002/day=2024-03-18"  # the issue's own
DAY_TO_CANARY = f"2024-03-18{OUT}/raw/records/support_id=S0002/day=2024-03-18"
DAY_TO_CANARY_LOG = f"2024-03-18{OUT}/landing_log/day={TODAY}"
HOSTILE = [
    "",
    "*",
    "?",
    "[",
    "**",
    "..",
    "/",
    ".",
    "S000?",
    "S000[12]",
    "S0001/",
    "_empty",
    "_invalid",
    "S0001\x00",
    "\x00",
    "S０００１",  # full-width digits
    "ＳＯＯＯ１",
    "x" * 65,
    "x" * 5000,
    "S0001' or '1'='1",
    'S0001"',
    "%",
    "S0001 ",
    " S0001",
    "S0001\n",
    "S0001/day=2024-03-18/../../support_id=S0002",
    "../support_id=S0002",
    f"S0001/day=2024-03-18{OUT}/raw/records/support_id=S0002",
    "2024-03-18",
    "2024-3-18",
    "2024-03-18 ",
    "2024-03-18/",
    DAY_TO_S0002,
    DAY_TO_CANARY,
    DAY_TO_CANARY_LOG,
    "2024-03-1?",
    "2024-03-1[89]",
    "2024-02-30",
    "0000-01-01",
    "20240318",
    "2024-W12-1",
    "２０２４-０３-１８",
]
texts = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=80),
    st.text(alphabet="S0123./*?[]-_=", max_size=30),
    st.sampled_from([PINNED, "S0002", "S0003", "S9999", "-x"]),
    st.sampled_from([d.isoformat() for d in DAYS]),
)


def is_day(text: str) -> bool:
    """A strict `YYYY-MM-DD` real date (the rule of sql/views.sql `day_value`)."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def base(landed_template, tmp_path_factory) -> Path:
    """The landed sample, and beside it `canary/warehouse`: its copy less the pinned contract."""
    folder = tmp_path_factory.mktemp("macro_arguments")
    shutil.copytree(landed_template[0] / "warehouse", folder / "warehouse")
    canary = folder / "canary" / "warehouse"
    shutil.copytree(folder / "warehouse", canary)
    for pinned in list(canary.rglob(f"support_id={PINNED}")):
        shutil.rmtree(pinned)
    return folder


@pytest.fixture(scope="module")
def con(base) -> duckdb.DuckDBPyConnection:
    return duck.view_connection(Root(str(base / "warehouse")))


def rows_differ(con, query: str, params: list, expected: str, expected_params: list) -> int:
    """How many rows the two queries do not share, counted with multiplicity."""
    both = f"(({query}) except all ({expected})) union all (({expected}) except all ({query}))"
    values = params + expected_params + expected_params + params
    return con.execute(f"select count(*) from ({both})", values).fetchall()[0][0]


def call(con, query: str, params: list) -> str | None:
    """None if the query ran, else its error's first line (which must be a refusal)."""
    try:
        con.execute(f"select count(*) from ({query})", params).fetchall()
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0]
        assert REFUSED.search(message), message
        return message
    return None


def expected_rows(view: str, support_id: str | None, day: str | None) -> tuple[str, list]:
    where, params = ["true"], []
    if support_id is not None:
        where.append("support_id = ?")
        params.append(support_id)
    if day is not None:
        where.append(f"{DAY_COLUMN.get(view, 'day')} = cast(? as date)")
        params.append(day)
    return f"from {view} where {' and '.join(where)}", params


settings_ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings_
@given(view=st.sampled_from(CONTRACT_DAY_VIEWS), support_id=texts, day=texts)
@example(view="records", support_id=PINNED, day=DAY_TO_CANARY)  # the issue's day crossing
@example(view="records", support_id=PINNED, day="*")
@example(view="records", support_id="*", day=FIRST_DAY.isoformat())
@example(view="rejects", support_id=PINNED, day=DAY_TO_S0002)
@example(view="quarantine", support_id=PINNED, day=DAY_TO_S0002)
def test_an_in_macro_refuses_what_is_no_value_and_never_crosses(con, view, support_id, day):
    query = f"from {view}_in(?, ?)"
    refused = call(con, query, [[support_id], [day]])
    valid = (support_id == "*" or is_contract_id(support_id)) and (day == "*" or is_day(day))
    assert (refused is None) == valid, (support_id, day, refused)
    if valid:
        want, params = expected_rows(
            view, None if support_id == "*" else support_id, None if day == "*" else day
        )
        assert rows_differ(con, query, [[support_id], [day]], want, params) == 0


@settings_
@given(view=st.sampled_from(CONTRACT_DAY_VIEWS), support_id=texts, first=texts, last=texts)
@example(view="records", support_id="*", first=str(FIRST_DAY), last=str(FIRST_DAY))
@example(view="uploads", support_id=PINNED, first=str(FIRST_DAY), last=DAY_TO_CANARY)
def test_a_between_macro_takes_one_contract_and_real_days(con, view, support_id, first, last):
    query = f"from {view}_between(?, ?, ?)"
    refused = call(con, query, [support_id, first, last])
    valid = is_contract_id(support_id) and is_day(first) and is_day(last)
    assert (refused is None) == valid, (support_id, first, last, refused)
    if valid and first <= last <= str(TODAY + dt.timedelta(400)):
        day = DAY_COLUMN.get(view, "day")
        want = f"from {view} where support_id = ? and {day} between ? and ?"
        differ = rows_differ(con, query, [support_id, first, last], want, [support_id, first, last])
        assert differ == 0


@settings_
@given(day=texts)
@example(day=DAY_TO_CANARY_LOG)
def test_the_landing_log_macros_take_real_days_only(con, day):
    refused = call(con, "from landing_log_in(?)", [[day]])
    assert (refused is None) == (day == "*" or is_day(day)), (day, refused)
    if refused is None:
        want, params = expected_rows("landing_log", None, None if day == "*" else day)
        assert rows_differ(con, "from landing_log_in(?)", [[day]], want, params) == 0
    refused = call(con, "from landing_log_between(?, ?)", [day, day])
    assert (refused is None) == is_day(day), (day, refused)


@settings_
@given(drill=st.sampled_from(sorted(DRILLS)), support_id=texts, day=texts)
@example(drill="drill_terminal_activity", support_id="*", day=str(FIRST_DAY))
@example(drill="drill_off_hours", support_id=PINNED, day=DAY_TO_CANARY)
def test_a_drill_down_refuses_what_is_no_contract_or_day(con, drill, support_id, day):
    query = f"from {drill}(?, ?, {DRILLS[drill]})"
    refused = call(con, query, [support_id, day])
    assert (refused is None) == (is_contract_id(support_id) and is_day(day)), (support_id, day)


@pytest.mark.parametrize(
    "query",
    [
        f"from records_in(['{PINNED}'], ['2024-03-18/../../support_id=S0002/day=2024-03-18'])",
        "from records_between('*', '2024-03-18', '2024-03-19')",
        f"from rejects_in(['{PINNED}'], ['2024-03-18{OUT}/raw/rejects/support_id=S0002/day=*'])",
    ],
)
def test_the_issues_two_calls_are_refused_in_plain_sql(con, query):
    with pytest.raises(duckdb.Error, match=REFUSED):
        con.sql(query).fetchall()


def test_the_crafted_traversals_would_read_the_canary_if_they_reached_a_path(con, base):
    """The hostile days above name real files: read as a plain file pattern, they answer."""
    crossing = f"/raw/records/support_id={PINNED}/day={DAY_TO_CANARY}/*/*.parquet"
    outside = con.execute(f"select count(*), min(support_id) from warehouse_days('{crossing}')")
    assert (
        outside.fetchall()[0]
        == (
            con.execute(
                "select count(*), min(support_id) from records where support_id = 'S0002'"
                " and day = '2024-03-18'"
            ).fetchall()[0]
        )
    )


def test_the_sql_rule_for_a_support_id_is_the_contracts_rule(con):
    """One definition: the SQL pattern accepts exactly what `is_contract_id` does."""
    for text in [*HOSTILE, "a", "-", "A-b_9", "x" * 64, "_x", "S0001"]:
        try:
            con.execute("select contract_id(?)", [text]).fetchall()
            accepted = True
        except duckdb.Error:
            accepted = False
        assert accepted == is_contract_id(text), text


def test_pruning_never_puts_a_pinned_value_that_is_no_support_id_into_a_path(con, base):
    pruned = duck.connect(Root(str(base / "warehouse")))
    for value in ["../S0002", "S000?", "*", "_invalid", "S0002/day=*", "S0001"]:
        query = f"select count(*) from records where support_id = '{value}' and day = '2024-03-18'"
        rewritten = pruned.pruned(query)
        (listed,) = re.findall(r"records_in\(cast\(\[([^]]*)\] as varchar", rewritten)
        assert listed == ("'S0001'" if value == "S0001" else "'*'"), rewritten
        assert pruned.sql(query).fetchall() == con.sql(query).fetchall()

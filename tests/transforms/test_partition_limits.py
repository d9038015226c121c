"""What a query's `where` limits each view reference to (queries parsed by DuckDB itself)."""

import datetime as dt
import json

import duckdb
import pytest

from transforms.partition_limits import DAY, SUPPORT_ID, TMID, Limit, view_references

COLUMNS = {
    "records": {"support_id": SUPPORT_ID, "day": DAY, "tmid": TMID},
    "uploads": {"support_id": SUPPORT_ID, "day": DAY},
    "quarantine": {"support_id": SUPPORT_ID, "quarantined_day": DAY},
}
D = dt.date(2024, 3, 18)


def limits(query: str) -> list[tuple[str, str, Limit]]:
    parsed = json.loads(duckdb.execute("select json_serialize_sql(?)", [query]).fetchall()[0][0])
    assert not parsed["error"], parsed
    refs = view_references(parsed["statements"][0], COLUMNS)
    return [(r.view, r.alias, r.limit) for r in sorted(refs, key=lambda r: r.location)]


@pytest.mark.parametrize(
    ("where", "limit"),
    [
        ("support_id = 'S1'", Limit(support_ids=frozenset({"S1"}))),
        ("'S1' = support_id", Limit(support_ids=frozenset({"S1"}))),
        ("support_id in ('S1', 'S2')", Limit(support_ids=frozenset({"S1", "S2"}))),
        ("day = '2024-03-18'", Limit(days=frozenset({D}))),
        ("day = date '2024-03-18'", Limit(days=frozenset({D}))),
        ("day = cast('2024-03-18' as date)", Limit(days=frozenset({D}))),
        (
            "day in ('2024-03-18', date '2024-03-20')",
            Limit(days=frozenset({D, D + dt.timedelta(2)})),
        ),
        (
            "day between '2024-03-18' and '2024-03-20'",
            Limit(first_day=D, last_day=D + dt.timedelta(2)),
        ),
        ("day >= '2024-03-18'", Limit(first_day=D)),
        ("day > '2024-03-18'", Limit(first_day=D + dt.timedelta(1))),
        ("'2024-03-18' < day", Limit(first_day=D + dt.timedelta(1))),
        ("day < '2024-03-18'", Limit(last_day=D - dt.timedelta(1))),
        (
            "day <= '2024-03-18' and day >= '2024-03-01'",
            Limit(first_day=D.replace(day=1), last_day=D),
        ),
        (
            "support_id = 'S1' and process = 'x.exe' and day = '2024-03-18'",
            Limit(support_ids=frozenset({"S1"}), days=frozenset({D})),
        ),
        ("support_id = 'S1' and support_id = 'S2'", Limit(support_ids=frozenset())),
    ],
)
def test_a_where_on_the_partition_columns_limits_the_view(where, limit):
    assert limits(f"select count(*) from records where {where}") == [("records", "", limit)]


@pytest.mark.parametrize(
    "where",
    [
        "support_id = 'S1' or day = '2024-03-18'",  # or: either side may hold the row
        "not (support_id = 'S1')",
        "support_id <> 'S1'",
        "support_id like 'S1%'",
        "support_id > 'S1'",  # a range of support IDs is not pinned
        "day = ?",  # a parameter's value is not known here
        "day = current_date",
        "day = timestamp '2024-03-18 10:00:00'",
        "day = '18/03/2024'",  # DuckDB may read more forms than plain ISO: left alone
        "upper(support_id) = 'S1'",
        "day not between '2024-03-18' and '2024-03-20'",
        "support_id not in ('S1')",
    ],
)
def test_anything_else_limits_nothing(where):
    assert limits(f"select count(*) from records where {where}") == [("records", "", Limit())]


def test_a_qualified_column_limits_only_its_own_reference():
    got = limits(
        "select * from records r left join uploads u using (support_id, day, tmid, upload_key) "
        "where r.support_id = 'S1' and u.day = '2024-03-18'"
    )
    assert got == [
        ("records", "r", Limit(support_ids=frozenset({"S1"}))),
        ("uploads", "u", Limit(days=frozenset({D}))),
    ]


def test_an_unqualified_column_limits_every_reference_of_inner_joins_only():
    inner = limits("select * from records join uploads using (support_id) where support_id = 'S1'")
    assert [limit for *_, limit in inner] == [Limit(support_ids=frozenset({"S1"}))] * 2
    outer = limits(
        "select * from records left join uploads using (support_id) where day = '2024-03-18'"
    )
    assert [limit for *_, limit in outer] == [Limit(), Limit()]


@pytest.mark.parametrize("join", ["semi join", "anti join", "positional join", "asof join"])
def test_joins_that_pair_or_keep_rows_by_other_rules_limit_nothing(join):
    on = "" if join == "positional join" else " on records.tmid >= uploads.tmid"
    got = limits(f"select * from records {join} uploads{on} where records.support_id = 'S1'")
    assert not any(limit.limits_anything for *_, limit in got)


def test_a_cte_named_like_a_view_is_not_the_view():
    got = limits("with records as (from uploads) select * from records where support_id = 'S1'")
    assert got == [("uploads", "", Limit())]


def test_each_select_limits_its_own_references():
    got = limits(
        "select * from uploads where day = '2024-03-18' and upload_key in "
        "(select upload_key from records where support_id = 'S2')"
    )
    assert got == [
        ("uploads", "", Limit(days=frozenset({D}))),
        ("records", "", Limit(support_ids=frozenset({"S2"}))),
    ]


def test_a_renamed_partition_column_is_followed_and_the_original_name_is_not():
    assert limits("from quarantine where quarantined_day = '2024-03-18'") == [
        ("quarantine", "", Limit(days=frozenset({D})))
    ]
    assert limits("from quarantine where day = '2024-03-18'") == [("quarantine", "", Limit())]


@pytest.mark.parametrize("source", ["main.records", "records tablesample 10%"])
def test_a_schema_qualified_or_sampled_reference_is_left_alone(source):
    got = limits(f"select * from {source} where support_id = 'S1'")
    assert not any(limit.limits_anything for *_, limit in got)


def test_parameters_given_with_the_query_count_as_their_values():
    query = "select * from records where support_id = $sid and day >= $first and day < $last"
    parsed = json.loads(duckdb.execute("select json_serialize_sql(?)", [query]).fetchall()[0][0])
    values = {"sid": "S1", "first": D, "last": dt.datetime(2024, 3, 20, 12)}  # a timestamp: none
    (ref,) = view_references(parsed["statements"][0], COLUMNS, values)
    assert ref.limit == Limit(support_ids=frozenset({"S1"}), first_day=D)


def evaluate(expression):
    """DuckDB's value of a parsed constant expression (as storage.duck computes it)."""
    # fetchall, not fetchone: DuckDB 2 keeps a result open until a fetch returns no rows, and
    # this is the module's shared default connection (other tests use it next)
    statement = json.loads(duckdb.execute("select json_serialize_sql('select 1')").fetchall()[0][0])
    statement["statements"][0]["node"]["select_list"] = [expression]
    sql = duckdb.execute("select json_deserialize_sql(?)", [json.dumps(statement)]).fetchall()[0][0]
    return duckdb.execute(sql).fetchall()[0][0]


def evaluated_limits(query: str, parameters=None) -> list[Limit]:
    parsed = json.loads(duckdb.execute("select json_serialize_sql(?)", [query]).fetchall()[0][0])
    refs = view_references(parsed["statements"][0], COLUMNS, parameters, evaluate)
    return [r.limit for r in sorted(refs, key=lambda r: r.location)]


TODAY = duckdb.execute("select current_date").fetchall()[0][0]
DAY_AFTER = dt.timedelta(1)


@pytest.mark.parametrize(
    ("where", "limit"),
    [
        ("day = date '2024-03-19' - 1", Limit(days=frozenset({D}))),
        ("day = cast('2024-03-17' as date) + 1", Limit(days=frozenset({D}))),
        ("day = date '2024-03-19' - interval 1 day", Limit(days=frozenset({D}))),
        ("day >= date '2024-03-19' - 1", Limit(first_day=D)),
        # the clock: today and tomorrow (the query may start after midnight)
        ("day = current_date - 1", Limit(days=frozenset({TODAY - DAY_AFTER, TODAY}))),
        ("day = today()", Limit(days=frozenset({TODAY, TODAY + DAY_AFTER}))),
        (
            "day between current_date - 7 and current_date - 1",
            Limit(first_day=TODAY - 7 * DAY_AFTER, last_day=TODAY),
        ),
        # an `or` reads the partitions of every branch
        (
            "(support_id = 'S1' and day = '2024-03-18') or (support_id = 'S2' and day = "
            "'2024-03-20')",
            Limit(support_ids=frozenset({"S1", "S2"}), days=frozenset({D, D + 2 * DAY_AFTER})),
        ),
        (
            "(support_id, day) in (('S1', date '2024-03-18'), ('S2', date '2024-03-19'))",
            Limit(support_ids=frozenset({"S1", "S2"}), days=frozenset({D, D + DAY_AFTER})),
        ),
        (  # a branch pins what its constants pin
            "(support_id, day) in (('S1', date '2024-03-18'), (process, date '2024-03-19'))",
            Limit(days=frozenset({D, D + DAY_AFTER})),
        ),
        (
            "support_id = 'S1' and (day between '2024-03-01' and '2024-03-05' or day = "
            "'2024-03-18')",
            Limit(support_ids=frozenset({"S1"}), first_day=D.replace(day=1), last_day=D),
        ),
        (
            "tmid = 'T-1' and day = '2024-03-18'",
            Limit(days=frozenset({D}), tmids=frozenset({"T-1"})),
        ),
        ("tmid in ('T-1', '../x')", Limit(tmids=frozenset({"T-1"}))),  # no folder is '../x'
    ],
)
def test_constant_expressions_ors_and_terminals_limit_the_view(where, limit):
    assert evaluated_limits(f"select count(*) from records where {where}") == [limit]


@pytest.mark.parametrize(
    "where",
    [
        "day = date '2024-03-18' + cast(random() * 3 as integer)",  # not the same each time
        "day = current_date - upload_key",  # a column
        "day = date '2024-03-19' - interval 1 hour",  # a timestamp that is no day
        "(support_id = 'S1' and day = '2024-03-18') or process = 'x.exe'",
    ],
)
def test_what_is_not_constant_or_a_branch_without_a_pin_limits_nothing(where):
    got = evaluated_limits(f"select count(*) from records where {where}")
    assert got == [Limit()]


def test_an_inner_join_equality_carries_a_pin_to_the_other_view():
    got = evaluated_limits(
        "select * from records r join uploads u on r.support_id = u.support_id "
        "and r.day = u.day and r.upload_key = u.upload_key "
        "where u.support_id = 'S1' and u.day = date '2024-03-19' - 1"
    )
    pinned = Limit(support_ids=frozenset({"S1"}), days=frozenset({D}))
    assert got == [pinned, pinned]
    chained = evaluated_limits(
        "select * from records r, uploads u, records q where r.day = u.day and u.day = q.day "
        "and q.day = '2024-03-18'"
    )
    assert chained == [Limit(days=frozenset({D}))] * 3


def test_an_outer_join_equality_carries_nothing():
    got = evaluated_limits(
        "select * from records r left join uploads u on r.day = u.day where u.day = '2024-03-18'"
    )
    assert got == [Limit(), Limit(days=frozenset({D}))]

"""What a query's `where` limits each view reference to (queries parsed by DuckDB itself)."""

import datetime as dt
import json

import duckdb
import pytest

from transforms.partition_limits import DAY, SUPPORT_ID, Limit, view_references

COLUMNS = {
    "records": {"support_id": SUPPORT_ID, "day": DAY},
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

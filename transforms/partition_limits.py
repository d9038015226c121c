"""Which partitions each view reference of an analyst query needs, read from the query itself.

The analyst views read a whole table (DuckDB cannot prune an encrypted scan without listing
every file, see sql/views.sql). `storage.duck` asks DuckDB to parse a query
(`json_serialize_sql`) and hands the parsed statement here; this module finds each reference to
a view and the partition values that the `where` of its own `select` pins: `support_id` (and
the raw tables' `tmid`) by `=` or `in`, `day` by `=`, `in`, `between` or a range (`>`, `>=`,
`<`, `<=`), each compared with a constant. A constant is a literal, a parameter's value, or an
expression of literals and the clock that the caller evaluates (`Evaluate`: DuckDB computes
`date '2024-03-19' - 1` or `current_date - interval 1 day`). The reference can then read those
folders only, with the same answer, because:

- only top-level `and` terms of the `where` count, and each is a comparison that no row with a
  null or another value passes, so every row outside the partitions was dropped anyway; an
  `or` of such terms (or `(support_id, day) in (...)`) counts as the partitions of all its
  branches together: a row outside all of them passes none;
- a qualified column (`r.day`) limits the reference with that name or alias; an unqualified one
  only in a `from` of inner joins, where it names that reference's column or one equal to it
  (`using`), never in an outer, semi, anti, as-of or positional join, which keep or pair rows
  of a side on conditions the limit would change;
- in a `from` of inner joins, an equality of two references' partition columns (`r.day =
  u.day`, in an `on` or the `where`) gives each the other's limit on that column: a row of
  one without an equal row in the other is not in the answer;
- the clock is read once, before the query runs: an expression of `current_date` counts with
  both that day and the next, since the query may start after midnight;
- a view name that the query also defines as a CTE, a sampled reference, or one with a schema
  is left alone.

Anything else (other functions, columns in the value, `not`) leaves a reference unlimited: it
reads everything, as before, and the answer is the same.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

SUPPORT_ID = "support_id"
DAY = "day"
TMID = "tmid"

# A constant expression's value, computed by the caller (None if it cannot tell).
Evaluate = Callable[[Mapping[str, Any]], Any]

_LIMITING_JOINS = {"INNER", "LEFT", "RIGHT", "FULL", "OUTER"}
_PLAIN_REFS = {"REGULAR", "CROSS"}
_FLIPPED = {
    "COMPARE_GREATERTHAN": "COMPARE_LESSTHAN",
    "COMPARE_GREATERTHANOREQUALTO": "COMPARE_LESSTHANOREQUALTO",
    "COMPARE_LESSTHAN": "COMPARE_GREATERTHAN",
    "COMPARE_LESSTHANOREQUALTO": "COMPARE_GREATERTHANOREQUALTO",
    "COMPARE_EQUAL": "COMPARE_EQUAL",
}
# What a constant day expression may call: date arithmetic, nothing volatile but the clock.
_CONSTANT_FUNCTIONS = {
    "+", "-", "today", "current_date", "trunc", "date_trunc", "last_day", "make_date",
    "to_days", "to_weeks", "to_months", "to_years",
}  # fmt: skip
_CLOCK = {"today", "current_date"}
# A value that may name a TMID folder (landing writes upper-case TMIDs only); any other
# value matches no row, so it names no folder.
_FOLDER_VALUE = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]*")


@dataclass(frozen=True)
class Limit:
    """The partitions a reference needs: None where a key is not pinned."""

    support_ids: frozenset[str] | None = None
    days: frozenset[dt.date] | None = None  # an explicit set (`=`, `in`)
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    tmids: frozenset[str] | None = None

    @property
    def limits_anything(self) -> bool:
        return self != Limit()

    def in_range(self, day: dt.date) -> bool:
        """Whether `day` lies within the range bounds (either may be open)."""
        first, last = self.first_day, self.last_day
        return (first is None or day >= first) and (last is None or day <= last)

    def with_support_ids(self, values: frozenset[str]) -> Limit:
        current = self.support_ids
        return replace(self, support_ids=values if current is None else current & values)

    def with_tmids(self, values: frozenset[str]) -> Limit:
        return replace(self, tmids=values if self.tmids is None else self.tmids & values)

    def with_days(self, values: frozenset[dt.date]) -> Limit:
        return replace(self, days=values if self.days is None else self.days & values)

    def from_day(self, day: dt.date) -> Limit:
        first = self.first_day
        return replace(self, first_day=day if first is None else max(first, day))

    def to_day(self, day: dt.date) -> Limit:
        last = self.last_day
        return replace(self, last_day=day if last is None else min(last, day))

    def key(self, key: str) -> Limit:
        """This limit on one key only (the others open)."""
        if key == SUPPORT_ID:
            return Limit(support_ids=self.support_ids)
        if key == TMID:
            return Limit(tmids=self.tmids)
        return Limit(days=self.days, first_day=self.first_day, last_day=self.last_day)

    def narrowed(self, other: Limit) -> Limit:
        """Both limits at once."""
        limit = self
        if other.support_ids is not None:
            limit = limit.with_support_ids(other.support_ids)
        if other.tmids is not None:
            limit = limit.with_tmids(other.tmids)
        if other.days is not None:
            limit = limit.with_days(other.days)
        if other.first_day is not None:
            limit = limit.from_day(other.first_day)
        if other.last_day is not None:
            limit = limit.to_day(other.last_day)
        return limit

    def either(self, other: Limit) -> Limit:
        """The partitions of either limit (per key: both sets, or the span of both ranges;
        open if either is open on that key)."""
        return Limit(
            support_ids=_union(self.support_ids, other.support_ids),
            tmids=_union(self.tmids, other.tmids),
            **_either_days(self, other),
        )


def _union(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    return None if a is None or b is None else a | b


def _either_days(a: Limit, b: Limit) -> dict[str, Any]:
    if a.days is not None and b.days is not None:
        return {"days": frozenset(filter(a.in_range, a.days)) | set(filter(b.in_range, b.days))}
    firsts = [_lowest(a), _lowest(b)]
    lasts = [_highest(a), _highest(b)]
    return {
        "first_day": None if None in firsts else min(firsts),  # type: ignore[type-var]
        "last_day": None if None in lasts else max(lasts),  # type: ignore[type-var]
    }


def _lowest(limit: Limit) -> dt.date | None:
    if limit.days is not None and limit.days:
        return max(min(limit.days), limit.first_day or dt.date.min)
    return limit.first_day


def _highest(limit: Limit) -> dt.date | None:
    if limit.days is not None and limit.days:
        return min(max(limit.days), limit.last_day or dt.date.max)
    return limit.last_day


@dataclass(frozen=True)
class ViewReference:
    """One `from <view>` of the query: where its name starts (UTF-8 byte offset), its alias
    ('' if none) and what it can be limited to."""

    view: str
    location: int
    alias: str
    limit: Limit


@dataclass(frozen=True)
class _Term:
    qualifier: str | None  # the table name or alias before the column, lower case
    column: str  # lower case
    comparison: str  # COMPARE_EQUAL, COMPARE_IN, COMPARE_BETWEEN, ...
    values: tuple[Any, ...]  # the constants (STRING texts, date casts or `_Days`), in order


@dataclass(frozen=True)
class _Either:
    """An `or`: each branch's terms."""

    branches: tuple[tuple[_Term | _Either, ...], ...]


@dataclass(frozen=True)
class _Equal:
    """`a.x = b.y` between two qualified columns."""

    left: tuple[str, str]
    right: tuple[str, str]


@dataclass(frozen=True)
class _Days:
    """The days a constant expression may stand for when the query runs."""

    days: frozenset[dt.date]


def view_references(
    statement: Mapping[str, Any],
    partition_columns: Mapping[str, Mapping[str, str]],
    parameters: Mapping[str, Any] | None = None,
    evaluate: Evaluate | None = None,
) -> list[ViewReference]:
    """Every limitable reference to a view of `partition_columns` (view -> {column -> SUPPORT_ID,
    DAY or TMID}) in a statement parsed by DuckDB's `json_serialize_sql` (one entry of its
    `statements`), with the limit its `where` gives (possibly none). `parameters` are the
    values the query will run with, by identifier ('1', '2', ... for `?`; the name for `$name`):
    a string or a date among them counts as the constant it stands for. `evaluate` computes
    a constant expression of the parse (without it, only literals count)."""
    if parameters:
        statement = _with_parameters(statement, parameters)
    shadowed = {name.lower() for name in _cte_names(statement)}
    views = {name.lower(): name for name in partition_columns if name.lower() not in shadowed}
    found: list[ViewReference] = []
    for node in _select_nodes(statement):
        found.extend(_references_of(node, views, partition_columns, evaluate))
    return found


def _references_of(
    node: Mapping[str, Any],
    views: Mapping[str, str],
    partition_columns: Mapping[str, Mapping[str, str]],
    evaluate: Evaluate | None,
) -> Iterator[ViewReference]:
    refs, joins, conditions = _from_tree(node.get("from_table"))
    if not all(ref in _PLAIN_REFS and join in _LIMITING_JOINS for ref, join, _ in joins):
        return
    all_inner = all(join == "INNER" for _, join, _ in joins)
    conjuncts = list(_conjuncts(node.get("where_clause")))
    if all_inner:  # an inner join's `on` drops rows as the `where` does
        conjuncts += [c for condition in conditions for c in _conjuncts(condition)]
    terms = [t for t in (_term(c, evaluate) for c in conjuncts) if t is not None]
    named: dict[str, tuple[str, Mapping[str, Any]]] = {}  # alias -> (view, ref)
    for ref in refs:
        view = views.get(ref["table_name"].lower())
        if view is None or ref.get("schema_name") or ref.get("catalog_name") or ref.get("sample"):
            continue
        named[(ref.get("alias") or ref["table_name"]).lower()] = (view, ref)
    limits = {
        name: _limit_of(terms, name, partition_columns[view], all_inner)
        for name, (view, _) in named.items()
    }
    if all_inner:
        limits = _shared_through_equalities(limits, terms, named, partition_columns)
    for name, (view, ref) in named.items():
        yield ViewReference(view, int(ref["query_location"]), ref.get("alias") or "", limits[name])


def _limit_of(
    terms: list[_Term | _Either | _Equal], name: str, columns: Mapping[str, str], all_inner: bool
) -> Limit:
    """What the `and` of `terms` limits the reference `name` to."""
    limit = Limit()
    for term in terms:
        if isinstance(term, _Either):
            branches = [_limit_of(list(b), name, columns, all_inner) for b in term.branches]
            either = branches[0]
            for branch in branches[1:]:
                either = either.either(branch)
            limit = limit.narrowed(either)
            continue
        if isinstance(term, _Equal):
            continue
        applies = term.qualifier == name if term.qualifier else all_inner
        key = columns.get(term.column)
        if applies and key is not None:
            limit = _narrow(limit, key, term)
    return limit


def _shared_through_equalities(
    limits: dict[str, Limit],
    terms: list[_Term | _Either | _Equal],
    named: Mapping[str, tuple[str, Mapping[str, Any]]],
    partition_columns: Mapping[str, Mapping[str, str]],
) -> dict[str, Limit]:
    """Each reference narrowed by the limits of those whose partition column equals its own."""
    equalities = []
    for term in terms:
        if not isinstance(term, _Equal):
            continue
        (a, a_column), (b, b_column) = term.left, term.right
        if a in named and b in named and a != b:
            a_key = partition_columns[named[a][0]].get(a_column)
            if a_key is not None and a_key == partition_columns[named[b][0]].get(b_column):
                equalities.append((a, b, a_key))
    for _ in range(len(equalities)):  # enough rounds to carry a limit along a chain
        for a, b, key in equalities:
            limits[b] = limits[b].narrowed(limits[a].key(key))
            limits[a] = limits[a].narrowed(limits[b].key(key))
    return limits


def _narrow(limit: Limit, key: str, term: _Term) -> Limit:
    if key in (SUPPORT_ID, TMID):
        texts = [v for v in term.values if isinstance(v, str)]
        if term.comparison not in ("COMPARE_EQUAL", "COMPARE_IN") or len(texts) != len(term.values):
            return limit
        if key == TMID:  # a value no folder can have matches no row
            return limit.with_tmids(frozenset(t for t in texts if _FOLDER_VALUE.fullmatch(t)))
        return limit.with_support_ids(frozenset(texts))
    days = [_as_days(v) for v in term.values]
    if any(d is None or not d for d in days):
        return limit
    one_day = dt.timedelta(days=1)
    low = [min(d) for d in days if d]  # the earliest each value may stand for
    high = [max(d) for d in days if d]
    match term.comparison:
        case "COMPARE_EQUAL" | "COMPARE_IN":
            return limit.with_days(frozenset(day for d in days if d for day in d))
        case "COMPARE_BETWEEN":
            return limit.from_day(low[0]).to_day(high[1])
        case "COMPARE_GREATERTHANOREQUALTO":
            return limit.from_day(low[0])
        case "COMPARE_GREATERTHAN":
            return limit.from_day(low[0] + one_day)
        case "COMPARE_LESSTHANOREQUALTO":
            return limit.to_day(high[0])
        case "COMPARE_LESSTHAN":
            return limit.to_day(high[0] - one_day)
    return limit


def _as_days(value: Any) -> frozenset[dt.date] | None:
    # A string literal compared with a date column is cast to a date; only the plain ISO form
    # is taken here (DuckDB accepts more, which then simply limits nothing).
    if isinstance(value, _Days):
        return value.days
    text = value.text if isinstance(value, _DateCast) else value
    if not isinstance(text, str) or len(text) != 10:
        return None
    try:
        return frozenset({dt.date.fromisoformat(text)})
    except ValueError:
        return None


@dataclass(frozen=True)
class _DateCast:
    text: str


def _term(expr: Mapping[str, Any], evaluate: Evaluate | None) -> _Term | _Either | _Equal | None:
    kind = expr.get("type")
    if kind == "CONJUNCTION_OR":
        branches = []
        for child in expr.get("children") or []:
            found = [_term(c, evaluate) for c in _conjuncts(child)]
            branches.append(tuple(t for t in found if t is not None))
        return _Either(tuple(branches))
    if kind == "COMPARE_IN":
        column, *values = expr.get("children") or [None]
        if _function_name(column) == "row":
            return _row_in(column, values, evaluate)
        return _column_term(column, kind, values, evaluate)
    if kind == "COMPARE_BETWEEN":
        values = [expr.get("lower"), expr.get("upper")]
        return _column_term(expr.get("input"), kind, values, evaluate)
    if kind in _FLIPPED:
        left, right = expr.get("left"), expr.get("right")
        if kind == "COMPARE_EQUAL" and _is_column(left) and _is_column(right):
            return _equal(left, right)
        if _is_column(right) and not _is_column(left):
            return _column_term(right, _FLIPPED[kind], [left], evaluate)
        return _column_term(left, kind, [right], evaluate)
    return None


def _row_in(row: Mapping[str, Any], values: list[Any], evaluate: Evaluate | None) -> _Either:
    """`(support_id, day) in (('S1', '…'), …)`: one branch per tuple, an `and` of its
    equalities (a value that is not a tuple of as many constants leaves its branch open)."""
    columns = _arguments(row)
    branches = []
    for value in values:
        items = _arguments(value) if _function_name(value) == "row" else []
        if len(items) != len(columns):
            branches.append(())
            continue
        found = (
            _column_term(column, "COMPARE_EQUAL", [item], evaluate)
            for column, item in zip(columns, items, strict=True)
        )
        branches.append(tuple(t for t in found if t is not None))
    return _Either(tuple(branches))


def _equal(left: Mapping[str, Any], right: Mapping[str, Any]) -> _Equal | None:
    names = [[n.lower() for n in side["column_names"]] for side in (left, right)]
    if all(len(n) == 2 for n in names):
        return _Equal((names[0][0], names[0][1]), (names[1][0], names[1][1]))
    return None


def _column_term(
    column: Any, comparison: str, values: list[Any], evaluate: Evaluate | None
) -> _Term | None:
    if not _is_column(column):
        return None
    constants = tuple(_constant(v, evaluate) for v in values)
    if not constants or any(c is None for c in constants):
        return None
    names = [n.lower() for n in column["column_names"]]
    if len(names) == 1:
        return _Term(None, names[0], comparison, constants)
    if len(names) == 2:
        return _Term(names[0], names[1], comparison, constants)
    return None  # schema.table.column: left alone


def _is_column(expr: Any) -> bool:
    return isinstance(expr, Mapping) and expr.get("class") == "COLUMN_REF" and not _is_clock(expr)


def _function_name(expr: Any) -> str | None:
    if isinstance(expr, Mapping) and expr.get("class") == "FUNCTION":
        return str(expr.get("function_name", "")).lower()
    return None


def _arguments(expr: Mapping[str, Any]) -> list[Any]:
    return [a.get("expression") for a in expr.get("arguments") or []]


def _constant(expr: Any, evaluate: Evaluate | None = None) -> Any:
    """A string literal's text, a `date '...'` / `cast('...' as date)` as `_DateCast`, a
    constant expression's days as `_Days`, else None."""
    if not isinstance(expr, Mapping):
        return None
    if expr.get("class") == "CONSTANT":
        literal = expr.get("literal") or {}
        return literal.get("text") if literal.get("kind") == "STRING" else None
    if expr.get("class") == "CAST" and not expr.get("try_cast"):
        inner = _constant(expr.get("child"))
        type_name = str((expr.get("type_expr") or {}).get("type_name", "")).lower()
        if isinstance(inner, str) and type_name == "date":
            return _DateCast(inner)
        if isinstance(inner, str) and type_name in ("varchar", "text", "string"):
            return inner
    if evaluate is not None and _is_constant_expression(expr):
        return _evaluated_days(expr, evaluate)
    return None


def _evaluated_days(expr: Mapping[str, Any], evaluate: Evaluate) -> _Days | None:
    """The day an expression of literals stands for; with the clock, the day it stands for
    today and tomorrow (the query may run after midnight)."""
    if not any(_is_clock(node) for node in _mappings(expr)):
        value = _as_date(evaluate(expr))
        return _Days(frozenset({value})) if value is not None else None
    today = _as_date(evaluate(_CLOCK_NODE))
    if today is None:
        return None
    values = {_as_date(evaluate(_with_clock(expr, today + dt.timedelta(n)))) for n in (0, 1)}
    return _Days(frozenset(values)) if None not in values else None  # type: ignore[arg-type]


def _as_date(value: Any) -> dt.date | None:
    """A date, or a midnight timestamp (`current_date - interval 1 day`), which compares with
    a date column as that day does; None for anything else."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None and value.time() == dt.time(0):
            return value.date()
        return None
    return value if isinstance(value, dt.date) else None


_CLOCK_NODE: Mapping[str, Any] = {
    "class": "COLUMN_REF", "type": "COLUMN_REF", "alias": "", "query_location": 0,
    "query_location_length": 0, "column_names": ["current_date"],
}  # fmt: skip


def _is_clock(expr: Any) -> bool:
    if not isinstance(expr, Mapping):
        return False
    if expr.get("class") == "COLUMN_REF":
        return [n.lower() for n in expr.get("column_names") or []] == ["current_date"]
    return _function_name(expr) in _CLOCK and not expr.get("arguments")


def _is_constant_expression(expr: Mapping[str, Any]) -> bool:
    """An expression of literals, casts, the clock and date arithmetic (`_CONSTANT_FUNCTIONS`):
    the same value wherever it stands in the query."""
    for node in _mappings(expr):
        kind = node.get("class")
        if kind in ("CONSTANT", "CAST", "TYPE") or _is_clock(node):
            continue
        if "class" not in node or kind == "ORDER_MODIFIER":
            continue  # a function's argument wrapper or empty `order by`
        if kind == "FUNCTION" and _function_name(node) in _CONSTANT_FUNCTIONS:
            if (
                node.get("filter")
                or node.get("distinct")
                or (node.get("order_bys") or {}).get("orders")
            ):
                return False
            continue
        return False
    return True


def _with_clock(tree: Any, day: dt.date) -> Any:
    """`tree` with the clock replaced by `date '<day>'`."""
    if isinstance(tree, list):
        return [_with_clock(value, day) for value in tree]
    if not isinstance(tree, Mapping):
        return tree
    if _is_clock(tree):
        return _date_node(day)
    return {key: _with_clock(value, day) for key, value in tree.items()}


def _date_node(day: dt.date) -> dict[str, Any]:
    """`cast('<day>' as date)` as DuckDB's parse writes it."""
    text = {
        "class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": 0,
        "query_location_length": 0, "literal": {"kind": "STRING", "text": day.isoformat()},
    }  # fmt: skip
    type_expr = {
        "class": "TYPE", "type": "TYPE", "alias": "", "query_location": 0,
        "query_location_length": 0, "catalog": "", "schema": "", "type_name": "date",
        "children": [], "qualified_name": {"path": ["date"]},
    }  # fmt: skip
    return {
        "class": "CAST", "type": "OPERATOR_CAST", "alias": "", "query_location": 0,
        "query_location_length": 0, "child": text, "try_cast": False, "type_expr": type_expr,
    }  # fmt: skip


def _with_parameters(tree: Any, parameters: Mapping[str, Any]) -> Any:
    """The parsed statement with each parameter whose value is a string or a date written as
    that constant (other values stay parameters, which limit nothing)."""
    if isinstance(tree, list):
        return [_with_parameters(value, parameters) for value in tree]
    if not isinstance(tree, Mapping):
        return tree
    if tree.get("type") == "VALUE_PARAMETER" and str(tree.get("identifier")) in parameters:
        value = parameters[str(tree.get("identifier"))]
        if isinstance(value, str):
            return {
                "class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": 0,
                "query_location_length": 0, "literal": {"kind": "STRING", "text": value},
            }  # fmt: skip
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return _date_node(value)
        return tree
    return {key: _with_parameters(value, parameters) for key, value in tree.items()}


def _conjuncts(expr: Any) -> Iterator[Mapping[str, Any]]:
    if not isinstance(expr, Mapping):
        return
    if expr.get("type") == "CONJUNCTION_AND":
        for child in expr.get("children") or []:
            yield from _conjuncts(child)
    else:
        yield expr


def _from_tree(
    table: Any,
) -> tuple[list[Mapping[str, Any]], list[tuple[str, str, Any]], list[Any]]:
    """The base tables of a `from` (not inside subqueries), its joins' (ref, join, condition)
    and their conditions."""
    if not isinstance(table, Mapping):
        return [], [], []
    if table.get("type") == "BASE_TABLE":
        return [table], [], []
    if table.get("type") == "JOIN":
        left_refs, left_joins, left_on = _from_tree(table.get("left"))
        right_refs, right_joins, right_on = _from_tree(table.get("right"))
        condition = table.get("condition")
        join = (str(table.get("ref_type")), str(table.get("join_type")), condition)
        return (
            left_refs + right_refs,
            [*left_joins, *right_joins, join],
            [*left_on, *right_on, condition],
        )
    return [], [], []


def _select_nodes(tree: Any) -> Iterator[Mapping[str, Any]]:
    return (node for node in _mappings(tree) if node.get("type") == "SELECT_NODE")


def _cte_names(tree: Any) -> Iterator[str]:
    for node in _mappings(tree):
        for entry in (node.get("cte_map") or {}).get("map") or []:
            yield str(entry.get("key", ""))


def _mappings(tree: Any) -> Iterator[Mapping[str, Any]]:
    """Every object of the parsed statement, at any depth."""
    if isinstance(tree, Mapping):
        yield tree
        for value in tree.values():
            yield from _mappings(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _mappings(value)

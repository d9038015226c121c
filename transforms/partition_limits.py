"""Which partitions each view reference of an analyst query needs, read from the query itself.

The analyst views read a whole table (DuckDB cannot prune an encrypted scan without listing
every file, see sql/views.sql). `storage.duck` asks DuckDB to parse a query
(`json_serialize_sql`) and hands the parsed statement here; this module finds each reference to
a view and the partition values that the `where` of its own `select` pins: `support_id` by
`=` or `in`, `day` by `=`, `in`, `between` or a range (`>`, `>=`, `<`, `<=`), each compared with
a constant. The reference can then read those folders only, with the same answer, because:

- only top-level `and` terms of the `where` count, and each is a comparison that no row with a
  null or another value passes, so every row outside the partitions was dropped anyway;
- a qualified column (`r.day`) limits the reference with that name or alias; an unqualified one
  only in a `from` of inner joins, where it names that reference's column or one equal to it
  (`using`), never in an outer, semi, anti, as-of or positional join, which keep or pair rows
  of a side on conditions the limit would change;
- a view name that the query also defines as a CTE, a sampled reference, or one with a schema
  is left alone.

Anything else (parameters, expressions, `or`) leaves a reference unlimited: it reads everything,
as before, and the answer is the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

SUPPORT_ID = "support_id"
DAY = "day"

_LIMITING_JOINS = {"INNER", "LEFT", "RIGHT", "FULL", "OUTER"}
_PLAIN_REFS = {"REGULAR", "CROSS"}
_FLIPPED = {
    "COMPARE_GREATERTHAN": "COMPARE_LESSTHAN",
    "COMPARE_GREATERTHANOREQUALTO": "COMPARE_LESSTHANOREQUALTO",
    "COMPARE_LESSTHAN": "COMPARE_GREATERTHAN",
    "COMPARE_LESSTHANOREQUALTO": "COMPARE_GREATERTHANOREQUALTO",
    "COMPARE_EQUAL": "COMPARE_EQUAL",
}


@dataclass(frozen=True)
class Limit:
    """The partitions a reference needs: None where a key is not pinned."""

    support_ids: frozenset[str] | None = None
    days: frozenset[dt.date] | None = None  # an explicit set (`=`, `in`)
    first_day: dt.date | None = None
    last_day: dt.date | None = None

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

    def with_days(self, values: frozenset[dt.date]) -> Limit:
        return replace(self, days=values if self.days is None else self.days & values)

    def from_day(self, day: dt.date) -> Limit:
        first = self.first_day
        return replace(self, first_day=day if first is None else max(first, day))

    def to_day(self, day: dt.date) -> Limit:
        last = self.last_day
        return replace(self, last_day=day if last is None else min(last, day))


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
    values: tuple[Any, ...]  # the constants (STRING texts or date casts), in order


def view_references(
    statement: Mapping[str, Any],
    partition_columns: Mapping[str, Mapping[str, str]],
    parameters: Mapping[str, Any] | None = None,
) -> list[ViewReference]:
    """Every limitable reference to a view of `partition_columns` (view -> {column -> SUPPORT_ID
    or DAY}) in a statement parsed by DuckDB's `json_serialize_sql` (one entry of its
    `statements`), with the limit its `where` gives (possibly none). `parameters` are the
    values the query will run with, by identifier ('1', '2', ... for `?`; the name for `$name`):
    a string or a date among them counts as the constant it stands for."""
    if parameters:
        statement = _with_parameters(statement, parameters)
    shadowed = {name.lower() for name in _cte_names(statement)}
    views = {name.lower(): name for name in partition_columns if name.lower() not in shadowed}
    found: list[ViewReference] = []
    for node in _select_nodes(statement):
        found.extend(_references_of(node, views, partition_columns))
    return found


def _references_of(
    node: Mapping[str, Any],
    views: Mapping[str, str],
    partition_columns: Mapping[str, Mapping[str, str]],
) -> Iterator[ViewReference]:
    refs, joins = _from_tree(node.get("from_table"))
    if not all(ref in _PLAIN_REFS and join in _LIMITING_JOINS for ref, join in joins):
        return
    all_inner = all(join == "INNER" for _, join in joins)
    terms = [t for t in map(_term, _conjuncts(node.get("where_clause"))) if t is not None]
    for ref in refs:
        view = views.get(ref["table_name"].lower())
        if view is None or ref.get("schema_name") or ref.get("catalog_name") or ref.get("sample"):
            continue
        name = (ref.get("alias") or ref["table_name"]).lower()
        limit = Limit()
        for term in terms:
            applies = term.qualifier == name if term.qualifier else all_inner
            key = partition_columns[view].get(term.column)
            if applies and key is not None:
                limit = _narrow(limit, key, term)
        yield ViewReference(view, int(ref["query_location"]), ref.get("alias") or "", limit)


def _narrow(limit: Limit, key: str, term: _Term) -> Limit:
    if key == SUPPORT_ID:
        texts = [v for v in term.values if isinstance(v, str)]
        if term.comparison in ("COMPARE_EQUAL", "COMPARE_IN") and len(texts) == len(term.values):
            return limit.with_support_ids(frozenset(texts))
        return limit
    days = [_as_day(v) for v in term.values]
    if any(d is None for d in days):
        return limit
    one_day = dt.timedelta(days=1)
    match term.comparison:
        case "COMPARE_EQUAL" | "COMPARE_IN":
            return limit.with_days(frozenset(d for d in days if d is not None))
        case "COMPARE_BETWEEN":
            return limit.from_day(days[0]).to_day(days[1])  # type: ignore[arg-type]
        case "COMPARE_GREATERTHANOREQUALTO":
            return limit.from_day(days[0])  # type: ignore[arg-type]
        case "COMPARE_GREATERTHAN":
            return limit.from_day(days[0] + one_day)  # type: ignore[operator]
        case "COMPARE_LESSTHANOREQUALTO":
            return limit.to_day(days[0])  # type: ignore[arg-type]
        case "COMPARE_LESSTHAN":
            return limit.to_day(days[0] - one_day)  # type: ignore[operator]
    return limit


def _as_day(value: Any) -> dt.date | None:
    # A string literal compared with a date column is cast to a date; only the plain ISO form
    # is taken here (DuckDB accepts more, which then simply limits nothing).
    text = value.text if isinstance(value, _DateCast) else value
    if not isinstance(text, str) or len(text) != 10:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class _DateCast:
    text: str


def _term(expr: Mapping[str, Any]) -> _Term | None:
    kind = expr.get("type")
    if kind == "COMPARE_IN":
        column, *values = expr.get("children") or [None]
        return _column_term(column, kind, values)
    if kind == "COMPARE_BETWEEN":
        return _column_term(expr.get("input"), kind, [expr.get("lower"), expr.get("upper")])
    if kind in _FLIPPED:
        left, right = expr.get("left"), expr.get("right")
        if _is_column(right) and not _is_column(left):
            return _column_term(right, _FLIPPED[kind], [left])
        return _column_term(left, kind, [right])
    return None


def _column_term(column: Any, comparison: str, values: list[Any]) -> _Term | None:
    if not _is_column(column):
        return None
    constants = tuple(_constant(v) for v in values)
    if not constants or any(c is None for c in constants):
        return None
    names = [n.lower() for n in column["column_names"]]
    if len(names) == 1:
        return _Term(None, names[0], comparison, constants)
    if len(names) == 2:
        return _Term(names[0], names[1], comparison, constants)
    return None  # schema.table.column: left alone


def _is_column(expr: Any) -> bool:
    return isinstance(expr, Mapping) and expr.get("class") == "COLUMN_REF"


def _constant(expr: Any) -> Any:
    """A string literal's text, a `date '...'` / `cast('...' as date)` as `_DateCast`, else
    None."""
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
    return None


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
            return {"class": "CONSTANT", "literal": {"kind": "STRING", "text": value}}
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            text = {"class": "CONSTANT", "literal": {"kind": "STRING", "text": value.isoformat()}}
            return {"class": "CAST", "child": text, "type_expr": {"type_name": "date"}}
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


def _from_tree(table: Any) -> tuple[list[Mapping[str, Any]], list[tuple[str, str]]]:
    """The base tables of a `from` (not inside subqueries) and its joins' (ref, join) types."""
    if not isinstance(table, Mapping):
        return [], []
    if table.get("type") == "BASE_TABLE":
        return [table], []
    if table.get("type") == "JOIN":
        left_refs, left_joins = _from_tree(table.get("left"))
        right_refs, right_joins = _from_tree(table.get("right"))
        join = (str(table.get("ref_type")), str(table.get("join_type")))
        return left_refs + right_refs, [*left_joins, *right_joins, join]
    return [], []


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

"""The portal's read path: `read_aggregate`, one aggregate of one contract over a range of
service days, through pyarrow (not DuckDB).

It reads mostly one file per aggregate and contract: the contract's compacted copy
(`compacted`), from this process's cache. It still decides which build of each day is current
from the listing (`builds`), and takes a day from the copy only if the copy holds exactly that
build, reading the day's own file otherwise.

Part of the package `storage.aggregates` (see its `__init__`).
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc

from storage import layout
from storage.aggregates.builds import current_parts, parts_of
from storage.aggregates.compacted import by_day, cached_copy, read_parts
from storage.aggregates.schemas import json_columns, view_schema
from storage.roots import Root


def read_aggregate(
    warehouse: Root,
    name: str,
    support_id: str,
    first_day: dt.date,
    last_day: dt.date,
    *,
    where: dict[str, object] | None = None,
    columns: list[str] | None = None,
) -> pa.Table:
    """Rows of one aggregate for one contract and the service days `first_day..last_day`.

    This is the portal's read path. It reads precomputed aggregates only (never the raw
    store), of one contract only, and only the current build of each day: it lists the
    contract's builds, picks the greatest build id per day, and reads those builds' rows
    (from the contract's compacted copy when it holds them, else from their own files). It
    takes no lock; a pipeline rebuilding a day meanwhile is invisible until its file is
    complete, and the files this call chose stay readable for `SUPERSEDED_GRACE`.

    `where` keeps rows whose columns equal the given values (`{"organisation": "経理部"}`);
    `columns` selects columns (default: all). Rows come ordered by day. Column names must be
    the aggregate's own (`SCHEMAS[name]`).

        read_aggregate(Root(os.environ["IT360_WAREHOUSE"]), "terminal_activity", "S0001",
                       date(2024, 1, 1), date(2024, 3, 31), where={"organisation": "経理部"})
    """
    schema = view_schema(name)
    where = where or {}
    wanted = columns or schema.names
    unknown = [c for c in [*wanted, *where] if c not in schema.names]
    if unknown:
        raise ValueError(f"{name} has no column {unknown[0]!r}")
    if any(c in json_columns(name) for c in where):
        raise ValueError("list columns cannot be compared with `where`")
    # File names only (no times): locally a plain directory walk, on S3 one listing.
    listing = warehouse.list_sizes(layout.agg_contract(name, support_id))
    parts = [
        p
        for p in current_parts(parts_of(name, [(rel, 0.0) for rel in listing]))
        if first_day <= p.day <= last_day
    ]
    if not parts:
        return schema.empty_table().select(wanted)
    needed = [c for c in schema.names if c in wanted or c in where or c == "day"]
    out = pa.schema([schema.field(c) for c in needed])
    pieces, todo = [], parts
    copies = warehouse.list_sizes(layout.agg_compact_folder(name, support_id))
    compacts = sorted(rel for rel in copies if layout.is_agg_compact(rel))
    if compacts:
        with contextlib.suppress(FileNotFoundError):  # deleted meanwhile: read the day files
            copy, held = cached_copy(warehouse, compacts[-1], name)
            kept = {p.day for p in parts if held.get(p.day) == p.build_id}
            days = pc.is_in(copy["day"], value_set=pa.array(sorted(kept), pa.date32()))
            pieces.append(_matching(copy.select(needed), where, days).cast(out))
            todo = [p for p in parts if p.day not in kept]
    pieces += [_matching(t, where).cast(out) for t in read_parts(warehouse, name, todo, needed)]
    table = pa.concat_tables(pieces)
    # One piece is already in day order: the copy is sorted by day, a day file is one day.
    return (table if len(pieces) == 1 else by_day(table)).select(wanted)


def _matching(
    table: pa.Table, where: dict[str, object], mask: pa.ChunkedArray | None = None
) -> pa.Table:
    """The rows (of `mask`) whose columns equal the values (SQL `=`: null matches nothing)."""
    for column, value in where.items():
        equal = _equal(table[column], value)
        mask = equal if mask is None else pc.and_(mask, equal)
    return table if mask is None else table.filter(mask)


def _equal(values: pa.ChunkedArray, value: object) -> pa.ChunkedArray:
    """values = value, row by row; a dictionary column is compared through its dictionary
    (the distinct values), not decoded row by row."""
    if not pa.types.is_dictionary(values.type):
        return pc.equal(values, pa.scalar(value).cast(values.type))
    scalar = pa.scalar(value).cast(values.type.value_type)
    chunks = [pc.take(pc.equal(c.dictionary, scalar), c.indices) for c in values.chunks]
    return pa.chunked_array(chunks, pa.bool_())

"""DuckDB connections over the warehouse, with the analyst views of `sql/views.sql`.

The warehouse is encrypted (see `storage/crypto.py`): every connection registers the key
under the name `it360` and reads warehouse files through the table macros of
`sql/warehouse_key.sql` (`warehouse_parquet`) and `sql/views.sql`, which decrypt them.
Connections are in memory and never spill to disk (`temp_directory = ''`): DuckDB 2.0 cannot
encrypt its temporary files without the httpfs extension, and a spilled hash table would be
plaintext customer data.

`connect` gives analysts the views, and reads only the folders a query needs: before a query
runs, each reference to a view whose `where` pins support_id and/or day
(`transforms/partition_limits.py`) is replaced by the view's macro over those partitions,
`records` -> `records_in(['S0001'], ['2024-03-18']) as records`. Nothing else of the query's
text changes, and a query that pins nothing reads everything, as the view does.

A raw table's reference that pins every folder down to its TMIDs (one terminal-day, say) is
replaced by a read of those folders' files, listed here rather than by the macro: Python lists
the folders (`compaction.visible_regular_parts`), then the journal, drops the parts of uncommitted
batches (the views' rule, in that order) and names the remaining files. The macro's fixed
costs (building and checking the folder paths in SQL, globbing the journal, a filter on every
row's file name) were most of such a query; the values in those paths are checked here
(`transforms/partition_limits.py` keeps TMIDs to folder values, support IDs must name a
contract).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from storage import compaction, crypto, journal, layout
from storage.roots import Root
from transforms.names import is_contract_id
from transforms.partition_limits import (
    DAY,
    SUPPORT_ID,
    TMID,
    Limit,
    ViewReference,
    view_references,
)

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

# A closed range longer than this is resolved from the day folders that exist instead of
# being spelled out day by day (ten years: a year's retention with room to spare).
_MAX_SPELLED_DAYS = 3660
_EXPLAIN = re.compile(r"\s*explain(\s+analyze)?\s+", re.IGNORECASE)


@dataclass(frozen=True)
class PrunedView:
    """A view that `connect` can limit: its partition columns, the folder of its table and
    whether that table is partitioned by contract (`landing_log` is by day only)."""

    folder: str
    columns: dict[str, str]
    by_contract: bool = True


_BY_SUPPORT_AND_DAY = {"support_id": SUPPORT_ID, "day": DAY}
_BY_TERMINAL = {**_BY_SUPPORT_AND_DAY, "tmid": TMID}  # the raw tables: a folder per TMID
PRUNED_VIEWS: dict[str, PrunedView] = {
    **{t: PrunedView(layout.raw_table(t), _BY_TERMINAL) for t in layout.RAW_TABLES},
    "quarantine": PrunedView(layout.QUARANTINE, {"support_id": SUPPORT_ID, "quarantined_day": DAY}),
    "landing_log": PrunedView(layout.LANDING_LOG, {"day": DAY}, by_contract=False),
    "late_uploads": PrunedView(layout.LATE_UPLOADS, _BY_SUPPORT_AND_DAY),
    **{
        f"agg_{name}": PrunedView(layout.agg_table(name), _BY_SUPPORT_AND_DAY)
        for name in layout.AGGREGATES
    },
}


def sql_text(name: str) -> str:
    """The text of one file of `sql/` (kept as files so analysts can run them too)."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def open_connection(warehouse: Root | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that can read the warehouse's files (the key registered; S3 through
    the same fsspec filesystem the pipeline uses, so no extension download is needed)."""
    con = _keyed_connection(warehouse)
    con.execute(sql_text("warehouse_key.sql"))
    return con


def _keyed_connection(warehouse: Root | None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that never spills, with the key in `warehouse_key` and, for S3,
    the pipeline's own fsspec filesystem (no extension download)."""
    con = duckdb.connect(config={"temp_directory": ""})
    if warehouse is not None and not warehouse.is_local:
        con.register_filesystem(warehouse.fs)
    con.execute("set variable warehouse_key = ?", [crypto.key_from_env().hex()])
    return con


def view_connection(warehouse: Root) -> duckdb.DuckDBPyConnection:
    """`open_connection` with the views and macros of `sql/views.sql` over `warehouse`, as
    plain DuckDB: a view reads every partition of its table."""
    con = _keyed_connection(warehouse)
    # DuckDB keeps the bytes of every file a query read in memory, up to its memory limit, for a
    # next query: an analyst's scan of a year would hold what it read. The OS caches local
    # files anyway (docs/decisions.md).
    con.execute("set enable_external_file_cache = false")
    con.execute("set variable warehouse = ?", [warehouse.url()])
    try:
        con.execute(sql_text("views.sql"))  # binds every view on the tables' anchor files
        con.execute(sql_text("record_classes.sql"))
        con.execute(sql_text("drilldown.sql"))
    except duckdb.Error as exc:
        raise crypto.explain_read_error(exc, warehouse.url()) from exc
    return con


class AnalystConnection:
    """A DuckDB connection with the analyst views, whose `sql`, `query` and `execute` read only
    the partitions a query pins (module doc). Everything else is the DuckDB connection's."""

    def __init__(self, con: duckdb.DuckDBPyConnection, warehouse: Root) -> None:
        self.duckdb = con
        self.warehouse = warehouse
        self.raw_columns = raw_view_columns(con)

    def pruned(self, query: str, parameters: object = None) -> str:
        """The query as it will run: view references limited to the partitions it pins
        (with `parameters`, those its `?` or `$name` parameters pin too)."""
        return prune_query(
            self.duckdb, self.warehouse, query, parameters, raw_columns=self.raw_columns
        )

    def sql(self, query: str, *, alias: str = "", params: object = None) -> duckdb.DuckDBPyRelation:
        return self.duckdb.sql(self.pruned(query, params), alias=alias, params=params)

    def query(
        self, query: str, *, alias: str = "", params: object = None
    ) -> duckdb.DuckDBPyRelation:
        return self.duckdb.query(self.pruned(query, params), alias=alias, params=params)

    def execute(self, query: str, parameters: object = None) -> duckdb.DuckDBPyConnection:
        return self.duckdb.execute(self.pruned(query, parameters), parameters)

    def close(self) -> None:
        self.duckdb.close()

    def __enter__(self) -> AnalystConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.duckdb, name)


def connect(warehouse: Root) -> AnalystConnection:
    """The analyst views over `warehouse`, reading only the folders each query pins.
    Connecting reads the tables' empty anchor files only, whatever the warehouse holds."""
    return AnalystConnection(view_connection(warehouse), warehouse)


def raw_view_columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The columns of the raw tables' views, in order, as `sql/views.sql` defines them (a read
    of named files must give the view's columns)."""
    rows = con.execute(
        "select table_name, list(column_name order by column_index) from duckdb_columns() "
        "where database_name = current_database() and schema_name = 'main' "
        "and list_contains(?, table_name) group by table_name",
        [list(layout.RAW_TABLES)],
    ).fetchall()
    return {table: columns for table, columns in rows}


def prune_query(
    con: duckdb.DuckDBPyConnection,
    warehouse: Root,
    query: str,
    parameters: object = None,
    *,
    raw_columns: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """`query` with each view reference that its `where` limits replaced by the view's macro
    over those partitions, or for a raw table pinned to its TMID folders, by a read of their
    landed files (module doc; needs `raw_columns`, the views' columns); the query unchanged if
    nothing is limited or it is not one select DuckDB can parse (`explain` and `explain
    analyze` show the plan of the pruned query)."""
    explain = _EXPLAIN.match(query)
    if explain:
        rest = query[explain.end() :]
        return explain.group(0) + prune_query(
            con, warehouse, rest, parameters, raw_columns=raw_columns
        )
    references = _limited_references(con, query, _by_identifier(parameters))
    if not references:
        return query
    text = query.encode("utf-8")  # DuckDB's query locations count bytes
    for ref in sorted(references, key=lambda r: r.location, reverse=True):
        call = _replacement(warehouse, ref, raw_columns or {})
        name_end = _name_end(text, ref.location, ref.view)
        if call is None or name_end is None:
            continue
        replacement = call if ref.alias else f"{call} as {ref.view}"
        text = text[: ref.location] + replacement.encode("utf-8") + text[name_end:]
    return text.decode("utf-8")


def _by_identifier(parameters: object) -> dict[str, Any]:
    """Query parameters by their identifier in DuckDB's parse: '1', '2', ... or the name."""
    if isinstance(parameters, dict):
        return {str(name): value for name, value in parameters.items()}
    if isinstance(parameters, list | tuple):
        return {str(n): value for n, value in enumerate(parameters, start=1)}
    return {}


# A word of the query that may name a pruned view (a query naming none is not parsed: it
# reads what it reads, unchanged; a false match only costs the parse).
_NAMES_A_VIEW = re.compile(
    r"\b(?:" + "|".join(re.escape(name) for name in PRUNED_VIEWS) + r")\b", re.IGNORECASE
)


def _limited_references(
    con: duckdb.DuckDBPyConnection, query: str, parameters: dict[str, Any]
) -> list[ViewReference]:
    if not _NAMES_A_VIEW.search(query):
        return []
    try:
        parsed = json.loads(con.execute("select json_serialize_sql(?)", [query]).fetchall()[0][0])
    except duckdb.Error:
        return []
    statements = parsed.get("statements") or []
    if parsed.get("error") or len(statements) != 1:
        return []
    columns = {name: view.columns for name, view in PRUNED_VIEWS.items()}
    references = view_references(statements[0], columns, parameters, _evaluator(con))
    return [r for r in references if r.limit.limits_anything]


def _evaluator(con: duckdb.DuckDBPyConnection) -> Callable[[Mapping[str, Any]], Any]:
    """Computes a constant expression of a parsed query (`date '2024-03-19' - 1`) with DuckDB:
    its value, or None if DuckDB cannot (the reference then reads everything)."""

    def evaluate(expression: Mapping[str, Any]) -> Any:
        # fetchall: a result left unfetched would block the connection's next query
        parsed = con.execute("select json_serialize_sql('select 1')").fetchall()[0][0]
        statement = json.loads(parsed)
        statement["statements"][0]["node"]["select_list"] = [expression]
        try:
            text = json.dumps(statement)
            sql = con.execute("select json_deserialize_sql(?)", [text]).fetchall()[0][0]
            return con.execute(sql).fetchall()[0][0]
        except duckdb.Error:
            return None

    return evaluate


def _name_end(text: bytes, location: int, view: str) -> int | None:
    """Where the view's name written at `location` ends (it may be quoted), or None if the text
    there is not the name (then the reference is left as it is)."""
    name = view.encode()
    written = text[location : location + len(name) + 2]
    if written[: len(name)].lower() == name:
        return location + len(name)
    if written.lower() == b'"' + name + b'"':
        return location + len(name) + 2
    return None


def _replacement(
    warehouse: Root, ref: ViewReference, raw_columns: Mapping[str, Sequence[str]]
) -> str | None:
    """What reads the reference's partitions: the named files of its TMID folders if it pins
    them all and the view's columns are known, else the view's macro; None if nothing is
    limited after all."""
    view = PRUNED_VIEWS[ref.view]
    support_ids = _support_ids(view, ref.limit)
    days = _days(warehouse, view, support_ids, ref.limit)
    columns = raw_columns.get(ref.view)
    folders = _terminal_folders(ref, support_ids, days)
    if columns and folders is not None:
        return _files_read(warehouse, ref.view, columns, _landed_files(warehouse, folders))
    return _macro_call(ref, view, support_ids, days)


def _support_ids(view: PrunedView, limit: Limit) -> list[str]:
    pinned = limit.support_ids
    # A pinned value that names no contract's folder (`..`, `/`, a glob, '*', `_invalid`) is
    # never put into a path: the reference reads every contract and its `where` decides.
    if view.by_contract and pinned is not None and all(is_contract_id(s) for s in pinned):
        return sorted(pinned)
    return ["*"]


def _terminal_folders(
    ref: ViewReference, support_ids: Sequence[str], days: Sequence[str]
) -> list[str] | None:
    """The raw table's TMID folders the reference reads, if it names every one of them
    (contracts, days and TMIDs all pinned); else None."""
    tmids = ref.limit.tmids
    if ref.view not in layout.RAW_TABLES or tmids is None or "*" in (*support_ids, *days):
        return None
    return [
        layout.raw_partition(ref.view, s, dt.date.fromisoformat(d), t)
        for s in support_ids
        for d in days
        for t in sorted(tmids)
    ]


def _landed_files(warehouse: Root, folders: Sequence[str]) -> list[str]:
    """The part files of `folders` that committed landing batches wrote. The journal is listed
    after the folders, as the views' filter reads it after their glob: a part listed before its
    batch committed has its intent in the journal by then (landing writes the intent first)."""
    parts = [
        part for folder in folders for part in compaction.visible_regular_parts(warehouse, folder)
    ]
    if not parts:
        return []
    uncommitted = journal.uncommitted_batches(warehouse)
    return [part for part in parts if layout.part_name_id(part) not in uncommitted]


def _files_read(warehouse: Root, table: str, columns: Sequence[str], files: Sequence[str]) -> str:
    """A subquery of the view's columns over `files` (or, if none, over the table's empty
    anchor file, for the schema). Hive types are not guessed: a TMID of digits stays text."""
    paths = [f"{warehouse.url()}/{rel}" for rel in files or [layout.empty_anchor(table)]]
    names = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
    return (
        f"(select {names} from read_parquet({_sql_list(paths)}, hive_partitioning = true, "
        "hive_types_autocast = false, hive_types = {'day': date}, "
        "encryption_config = {footer_key: 'it360'}) offset 0)"
    )


def _macro_call(
    ref: ViewReference, view: PrunedView, support_ids: list[str], days: list[str]
) -> str | None:
    """The view's `_in` macro over `support_ids`, `days` (and the pinned TMIDs, for a raw
    table); None if all three are unlimited."""
    if support_ids == ["*"] and days == ["*"] and ref.limit.tmids is None:
        return None
    if not view.by_contract:
        return f"{ref.view}_in({_sql_list(days)})"
    # The pinned TMIDs are folder values only (transforms/partition_limits.py drops any other,
    # which matches no row), as `partition_tmid` in sql/views.sql requires.
    if ref.limit.tmids is not None and TMID in view.columns.values():
        tmids = _sql_list(sorted(ref.limit.tmids))
        return f"{ref.view}_in({_sql_list(support_ids)}, {_sql_list(days)}, tmids := {tmids})"
    return f"{ref.view}_in({_sql_list(support_ids)}, {_sql_list(days)})"


def _days(warehouse: Root, view: PrunedView, support_ids: Sequence[str], limit: Limit) -> list[str]:
    """The day folder values to read: the pinned days, else the days of a closed range, else
    the day folders that exist within an open range; ['*'] if no day is pinned."""
    first, last = limit.first_day, limit.last_day
    if limit.days is not None:
        chosen: Iterable[dt.date] = filter(limit.in_range, limit.days)
    elif first is None and last is None:
        return ["*"]
    elif first is not None and last is not None and (last - first).days < _MAX_SPELLED_DAYS:
        chosen = (first + dt.timedelta(n) for n in range((last - first).days + 1))
    else:
        chosen = filter(limit.in_range, _existing_days(warehouse, view, support_ids))
    return sorted({d.isoformat() for d in chosen})


def _existing_days(warehouse: Root, view: PrunedView, support_ids: Sequence[str]) -> set[dt.date]:
    """The day folders of the table (of the listed contracts), one listing per contract."""
    if not view.by_contract:
        folders = [view.folder]
    elif support_ids == ["*"]:
        folders = [
            layout.contract_folder(view.folder, layout.support_id_of_folder(name))
            for name in warehouse.list_dirs(view.folder)
        ]
    else:
        folders = [layout.contract_folder(view.folder, s) for s in support_ids]
    days: set[dt.date] = set()
    for folder in folders:
        for name in warehouse.list_dirs(folder):
            try:
                days.add(layout.day_of_folder(name))
            except ValueError:
                continue
    return days


def _sql_list(values: Sequence[str]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"cast([{quoted}] as varchar [])"


def main(argv: list[str] | None = None) -> int:
    """`python -m storage.duck [--warehouse ROOT] [--all] [--csv] [SQL...]`: run SQL over the
    analyst views and print each result; without SQL, an SQL session on the terminal (or the
    statements of a pipe). Needs only the pipeline's own install, not the DuckDB command line.
    A query that pins support_id and/or day reads only those folders. The key comes from
    `IT360_KEY_FILE` or `IT360_KEY`, as for the pipeline. An SQL error is one line on stderr
    (exit status 1)."""
    import argparse
    import os
    import sys

    from storage import analyst_shell

    parser = argparse.ArgumentParser(prog="python -m storage.duck", description=main.__doc__)
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("IT360_WAREHOUSE") or "var/warehouse",
        help="warehouse root, a folder or s3://bucket/prefix (default: $IT360_WAREHOUSE, "
        "else var/warehouse)",
    )
    parser.add_argument("--all", action="store_true", help="show every row, not the first 40")
    parser.add_argument("--csv", action="store_true", help="print every row as CSV")
    parser.add_argument("sql", nargs="*", help="statements, each run in turn (none: a session)")
    args = parser.parse_args(argv)
    try:
        con = connect(Root(args.warehouse))
    except (crypto.WarehouseKeyError, duckdb.Error) as exc:
        print(analyst_shell.error_line(exc), file=sys.stderr)
        return 2
    output = analyst_shell.Output(csv=args.csv, rows=None if args.all else analyst_shell.TABLE_ROWS)
    with con:
        if not args.sql:
            return analyst_shell.session(con, output, interactive=sys.stdin.isatty())
        for statement in args.sql:
            if not analyst_shell.run_statement(con, statement, output, sys.stdout):
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""DuckDB connections over the warehouse, with the analyst views of `sql/views.sql`.

The warehouse is encrypted (see `storage/crypto.py`): every connection registers the key
under the name `it360` and reads warehouse files through the table macros of
`sql/warehouse_key.sql` (`warehouse_parquet`) and `sql/views.sql`, which decrypt them.
Connections are in memory and never spill to disk (`temp_directory = ''`): DuckDB 2.0 cannot
encrypt its temporary files without the httpfs extension, and a spilled hash table would be
plaintext customer data.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from storage import crypto
from storage.roots import Root

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def sql_text(name: str) -> str:
    """The text of one file of `sql/` (kept as files so analysts can run them too)."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def open_connection(warehouse: Root | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that can read the warehouse's files (the key registered; S3 through
    the same fsspec filesystem the pipeline uses, so no extension download is needed)."""
    con = duckdb.connect(config={"temp_directory": ""})
    if warehouse is not None and not warehouse.is_local:
        con.register_filesystem(warehouse.fs)
    con.execute("set variable warehouse_key = ?", [crypto.key_from_env().hex()])
    con.execute(sql_text("warehouse_key.sql"))
    return con


def connect(warehouse: Root) -> duckdb.DuckDBPyConnection:
    """`open_connection` with the analyst views of `sql/views.sql` over `warehouse`."""
    con = duckdb.connect(config={"temp_directory": ""})
    if not warehouse.is_local:
        con.register_filesystem(warehouse.fs)
    con.execute("set variable warehouse = ?", [warehouse.url()])
    con.execute("set variable warehouse_key = ?", [crypto.key_from_env().hex()])
    con.execute(sql_text("views.sql"))
    return con


def main(argv: list[str] | None = None) -> int:
    """`python -m storage.duck [--warehouse ROOT] SQL...`: run SQL over the analyst views and
    print each result, for a machine without the DuckDB command line (only the Python package
    is installed). The key comes from `IT360_KEY_FILE` or `IT360_KEY`, as for the pipeline."""
    import argparse
    import os
    import sys

    parser = argparse.ArgumentParser(prog="python -m storage.duck", description=main.__doc__)
    parser.add_argument(
        "--warehouse",
        default=os.environ.get("IT360_WAREHOUSE") or "var/warehouse",
        help="warehouse root, a folder or s3://bucket/prefix (default: $IT360_WAREHOUSE, "
        "else var/warehouse)",
    )
    parser.add_argument("sql", nargs="+", help="statements, each run in turn")
    args = parser.parse_args(argv)
    try:
        con = connect(Root(args.warehouse))
    except crypto.WarehouseKeyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for statement in args.sql:
        relation = con.sql(statement)
        if relation is not None:
            relation.show(max_width=200)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

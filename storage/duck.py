"""DuckDB connections over the warehouse, with the analyst views of `sql/views.sql`."""

from __future__ import annotations

from pathlib import Path

import duckdb

from storage.roots import Root

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


def sql_text(name: str) -> str:
    """The text of one file of `sql/` (kept as files so analysts can run them too)."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def connect(warehouse: Root) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the warehouse views; S3 goes through the same fsspec
    filesystem the pipeline uses, so no DuckDB extension download is needed."""
    con = duckdb.connect()
    if not warehouse.is_local:
        con.register_filesystem(warehouse.fs)
    con.execute("set variable warehouse = ?", [warehouse.url()])
    con.execute(sql_text("views.sql"))
    return con

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

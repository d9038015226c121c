"""Parquet in and out of a `Root`: the one place tables are serialised.

Encryption at rest will be added here, once, for every table.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.parquet as pq

from storage.roots import Root

# The original ZIP bytes are already compressed; zstd on them would only burn CPU.
_NO_COMPRESSION = {"zip_bytes", "content", "raw_line"}


def table_to_parquet_bytes(table: pa.Table) -> bytes:
    compression = {
        name: ("none" if name in _NO_COMPRESSION else "zstd") for name in table.column_names
    }
    sink = io.BytesIO()
    pq.write_table(table, sink, compression=compression, row_group_size=256 * 1024)
    return sink.getvalue()


def write_table(root: Root, rel: str, table: pa.Table) -> None:
    """Write a table as one Parquet file, atomically."""
    root.write_bytes(rel, table_to_parquet_bytes(table))


def read_table(root: Root, rel: str, columns: list[str] | None = None) -> pa.Table:
    with root.open_read(rel) as src:
        return pq.read_table(src, columns=columns)


def read_tables(
    root: Root, rels: list[str], schema: pa.Schema, columns: list[str] | None = None
) -> pa.Table:
    """Several part files of one table as one table (empty, with the schema, if none)."""
    if not rels:
        empty = schema.empty_table()
        return empty.select(columns) if columns else empty
    parts = [read_table(root, rel, columns) for rel in rels]
    return pa.concat_tables(parts)

"""Parquet in and out of a `Root`: the one place tables are serialised.

Every file is encrypted at rest (Parquet modular encryption, uniform AES-GCM under the
warehouse key, see `storage/crypto.py`): written here, read here or by DuckDB through
`storage/duck.py`.
"""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.parquet as pq

from storage import crypto, layout
from storage.roots import Root

# The original ZIP bytes are already compressed; zstd on them would only burn CPU.
_NO_COMPRESSION = {"zip_bytes", "content", "raw_line"}
# Columns whose values (nearly) never repeat within a file: a dictionary page would only be
# built and thrown away (Parquet falls back to plain), costing landing time for nothing.
_NO_DICTIONARY = _NO_COMPRESSION | {"detail", "time", "seq", "line_no", "sha256", "header"}
# Long free text and bytes: min/max statistics of them help no reader.
_NO_STATISTICS = _NO_COMPRESSION | {"detail", "header"}

# DuckDB 2.0 reads an encrypted column chunk only if it holds a single data page (beyond the
# first page its AES-GCM check fails: duckdb/duckdb#18524, reader not matching the modular
# encryption spec). So pages are never cut by size or row count, and no dictionary falls
# back to plain mid-chunk; row groups stay small enough that a page is a few MiB.
ONE_PAGE_PER_COLUMN_CHUNK = {
    "data_page_size": 1 << 30,
    "dictionary_pagesize_limit": 1 << 30,
    "max_rows_per_page": 1 << 30,
}
ROW_GROUP_ROWS = 64 * 1024


def table_to_parquet_bytes(table: pa.Table) -> bytes:
    """The bytes of a Parquet file holding `table` (what `write_file` stores)."""
    names = table.column_names
    compression = {name: ("none" if name in _NO_COMPRESSION else "zstd") for name in names}
    sink = io.BytesIO()
    pq.write_table(
        table,
        sink,
        compression=compression,
        use_dictionary=[name for name in names if name not in _NO_DICTIONARY],
        write_statistics=[name for name in names if name not in _NO_STATISTICS],
        row_group_size=ROW_GROUP_ROWS,
        encryption_properties=crypto.encryption_properties(),
        **ONE_PAGE_PER_COLUMN_CHUNK,
    )
    return sink.getvalue()


def write_table(root: Root, rel: str, table: pa.Table) -> None:
    """Write a table as one Parquet file, atomically."""
    write_file(root, rel, table_to_parquet_bytes(table))


def ensure_empty_tables(root: Root, anchors: dict[str, pa.Schema]) -> None:
    """Write each empty anchor file (path -> schema) that is not there yet, first removing what
    a killed writer of it left. Anchors give views and readers a table's schema before any
    data exists (see storage/layout.py)."""
    for rel, schema in anchors.items():
        root.delete_partial(rel)
        if not root.exists(rel):
            write_table(root, rel, schema.empty_table())


def write_file(root: Root, rel: str, data: bytes) -> None:
    """Write bytes made by `table_to_parquet_bytes` (e.g. in a worker process), atomically."""
    root.write_bytes(rel, data)


def read_table(
    root: Root, rel: str, columns: list[str] | None = None, decryption: object = None
) -> pa.Table:
    """One part file, decrypted. Locally pyarrow opens the path itself (not through a Python
    file object); on S3 the whole file comes in one GET (parts are small), retried like every
    Root read. A ParquetFile, not `pq.read_table`, which would add hive columns from the path."""
    decryption = decryption or crypto.decryption_properties()
    source = root.full(rel) if root.is_local else pa.BufferReader(root.read_bytes(rel))
    try:
        with pq.ParquetFile(source, decryption_properties=decryption) as file:
            # One thread per file (see READERS): column threads only add hand-offs here.
            return file.read(columns=columns, use_threads=False)
    except OSError as exc:
        raise crypto.explain_read_error(exc, root.url(rel)) from exc


# Part files read at the same time by `read_tables`: pyarrow reads, decrypts and decodes them
# without holding the GIL, and on S3 each one mostly waits on the network.
READERS = 4


def read_tables(
    root: Root, rels: list[str], schema: pa.Schema, columns: list[str] | None = None
) -> pa.Table:
    """Several part files of one table as one table, in the order given (empty, with the
    schema, if none)."""
    if not rels:
        empty = schema.empty_table()
        return empty.select(columns) if columns else empty
    decryption = crypto.decryption_properties()
    if len(rels) == 1:
        return read_table(root, rels[0], columns, decryption)
    with ThreadPoolExecutor(min(READERS, len(rels))) as pool:
        parts = list(pool.map(lambda rel: read_table(root, rel, columns, decryption), rels))
    return pa.concat_tables(parts)


def part_files(root: Root, rel: str) -> list[str]:
    """The table part files below a folder (temporaries and other files left out)."""
    return [r for r in root.list_files(rel) if layout.is_parquet_part(r)]

"""Reading the aggregates' stored files: one file decrypted into Arrow, and a folder's files
with the times they appeared.

Part of the package `storage.aggregates` (see its `__init__`): the I/O that choosing builds
(`builds`), the compacted copies (`compacted`) and the portal (`portal`) share. Paths come from
their callers, which take them from `storage.layout`.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from storage import crypto
from storage.aggregates.schemas import JSON_LISTS
from storage.roots import Root


def read_file(
    warehouse: Root, rel: str, columns: list[str], dictionary: bool = False
) -> tuple[pa.Table, dict[bytes, bytes] | None]:
    """One aggregate file, decrypted, read whole into memory first (pyarrow on a Python file
    object makes a call per small read). `dictionary` keeps text columns dictionary-encoded:
    decoding 90 days of repeated names costs more than the rest of a portal read."""
    data = warehouse.read_bytes(rel)
    try:
        file = pq.ParquetFile(
            pa.BufferReader(data),
            decryption_properties=crypto.decryption_properties(),
            read_dictionary=[c for c in columns if c not in JSON_LISTS] if dictionary else None,
        )
        table = file.read(columns=columns)
    except OSError as exc:
        raise crypto.explain_read_error(exc, warehouse.url(rel)) from exc
    return table.select(columns), file.schema_arrow.metadata


def files_with_times(warehouse: Root, top: str) -> list[tuple[str, float]]:
    """Every file under `top` (recursively) with its modification time, sorted by path; none
    when `top` does not exist."""
    try:
        found = warehouse.fs.find(warehouse.full(top), withdirs=False, detail=True)
    except FileNotFoundError:
        return []
    return sorted((warehouse.rel(path), _mtime(info)) for path, info in found.items())


def _mtime(info: dict) -> float:
    # Local files, S3 objects and memory files name their time differently.
    stamp = info.get("mtime") or info.get("LastModified") or info.get("created") or 0
    return float(stamp.timestamp()) if hasattr(stamp, "timestamp") else float(stamp)

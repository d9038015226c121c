"""The uploads table as the deliverables read it: the planning columns of a contract-day (or
of one TMID-day), then each TMID-day partition's original ZIP bytes, in entry order.

Each part file is opened directly (`storage.parquet.read_tables`: a `pq.ParquetFile`, one
footer, only the columns asked for, decrypted with the warehouse key), not through `pq.read_table`,
whose dataset layer costs about a millisecond of set-up per file (and imports
`pyarrow.dataset` and `pyarrow.compute`, ~70 ms): a daily file reads every TMID's part files
twice (planning columns, then bytes). Several files are read at once, and the bytes are
handed out as views of the column's buffer, never copied into one `bytes` object each.

Kept apart from `storage/warehouse.py` so that deliverables read only the uploads table, part
by part with `pq.ParquetFile`, and a process that only builds deliverables imports neither
DuckDB nor Polars.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor

import pyarrow as pa

from storage import compaction, layout, parquet, schemas
from storage.roots import Root

UPLOAD_META = ["tmid", "upload_key", "sent15", "upload_id", "computer", "sha256", "day"]
Partition = tuple[dt.date, str]  # (service day, tmid)


def upload_meta(
    warehouse: Root,
    support_id: str,
    day: dt.date,
    tmid: str | None = None,
    columns: list[str] | None = None,
) -> pa.Table:
    """Landed uploads of a contract-day (optionally one TMID), without their bytes."""
    folder = (
        layout.raw_day("uploads", support_id, day)
        if tmid is None
        else layout.raw_partition("uploads", support_id, day, tmid)
    )
    return read_parts(
        warehouse, compaction.visible_parts(warehouse, folder), columns or UPLOAD_META
    )


def raw_days(warehouse: Root, support_id: str) -> list[dt.date]:
    """Service days that hold uploads of a contract."""
    folders = warehouse.list_dirs(layout.raw_contract("uploads", support_id))
    return sorted(dt.date.fromisoformat(f.removeprefix("day=")) for f in folders)


def read_parts(warehouse: Root, rels: list[str], columns: list[str]) -> pa.Table:
    """Some columns of several part files of the uploads table, as one table (empty, with
    the schema, if there are none)."""
    return parquet.read_tables(warehouse, rels, schemas.UPLOADS, columns)


class UploadBytes:
    """Original ZIP bytes by (day, tmid, upload_key), one TMID-day partition at a time.

    Deliverables fetch uploads in entry order, which keeps to one partition for long runs;
    holding only the last few partitions bounds memory by partition, not by deliverable.
    Each upload comes as a read-only view of its partition's column buffer (no copy).

    `order`, the (day, tmid) partitions in the order the deliverable needs them (when the
    caller knows it), lets the next partition be read on a thread while the current one is
    being written. `close()` ends that thread.
    """

    def __init__(
        self, warehouse: Root, support_id: str, keep: int = 4, order: Iterable[Partition] = ()
    ) -> None:
        self.warehouse, self.support_id, self.keep = warehouse, support_id, keep
        self._cache: dict[Partition, dict[str, memoryview]] = {}
        self._next = dict(itertools.pairwise(dict.fromkeys(order)))
        self._pool: ThreadPoolExecutor | None = None
        self._ahead: tuple[Partition, Future[dict[str, memoryview]]] | None = None

    def __call__(self, ref: object) -> memoryview:
        day, tmid, key = ref  # type: ignore[misc]
        partition = (day, tmid)
        part = self._cache.pop(partition, None)
        if part is None:
            part = self._read_ahead_of(partition)
            if part is None:
                part = self._load(day, tmid)
            self._start_next(partition)
        self._cache[partition] = part  # most recently used last
        while len(self._cache) > self.keep:
            self._cache.pop(next(iter(self._cache)))
        return part[key]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool, self._ahead = None, None

    def _read_ahead_of(self, partition: Partition) -> dict[str, memoryview] | None:
        if self._ahead is None or self._ahead[0] != partition:
            return None
        ahead, self._ahead = self._ahead[1], None
        return ahead.result()

    def _start_next(self, partition: Partition) -> None:
        following = self._next.get(partition)
        if following is None or following in self._cache:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="upload-bytes")
        self._ahead = (following, self._pool.submit(self._load, *following))

    def _load(self, day: dt.date, tmid: str) -> dict[str, memoryview]:
        rels = compaction.visible_parts(
            self.warehouse, layout.raw_partition("uploads", self.support_id, day, tmid)
        )
        table = read_parts(self.warehouse, rels, ["upload_key", "zip_bytes"])
        keys = table["upload_key"].to_pylist()
        return dict(zip(keys, binary_views(table["zip_bytes"]), strict=True))


def binary_views(column: pa.ChunkedArray) -> list[memoryview]:
    """Each value of a (large_)binary column as a view of the column's data buffer."""
    views: list[memoryview] = []
    for chunk in column.chunks:
        if chunk.null_count:
            raise ValueError(f"{chunk.null_count} uploads without bytes in the uploads table")
        offsets = _offsets(chunk)
        data = chunk.buffers()[2]
        whole = memoryview(data) if data is not None else memoryview(b"")
        views += [whole[start:end] for start, end in itertools.pairwise(offsets)]
    return views


def _offsets(chunk: pa.Array) -> list[int]:
    kind = pa.int64() if pa.types.is_large_binary(chunk.type) else pa.int32()
    offsets = pa.Array.from_buffers(
        kind, len(chunk) + 1, [None, chunk.buffers()[1]], offset=chunk.offset
    )
    return offsets.to_pylist()

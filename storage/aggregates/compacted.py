"""Each contract's compacted copy of an aggregate, and this process's cache of decoded copies.

The portal reads 90 days of one contract at once, and opening a small encrypted Parquet file
costs milliseconds (its footer, one decryption per column chunk): 90 day files cost more than
the query's whole budget. So after each build every aggregate's current builds of the
contract are copied into one file, with the list columns already parsed and, in its
metadata, which build of which day it holds. The copy is a cache, never the truth: a reader
lists the day folders as before and takes a day from the copy only if the copy holds that
day's current build (a build is never rewritten, so its rows are the same in both places),
reading the day's own file otherwise (a rebuild newer than the copy, a copy killed before it
was written, a day written by something else). Copies are written once, atomically, and a
superseded one is deleted after SUPERSEDED_GRACE, as builds are.

Part of the package `storage.aggregates` (see its `__init__`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import posixpath
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pyarrow.compute as pc

from storage import crypto, layout, parquet
from storage.aggregates.builds import (
    SUPERSEDED_GRACE,
    Part,
    current_parts,
    parts_of,
    stale_temporaries,
)
from storage.aggregates.files import files_with_times, read_file
from storage.aggregates.schemas import parse_lists, view_schema
from storage.roots import Root

_COMPACT_DAYS = b"it360_compact_days"  # metadata key: JSON {day: build_id} of the copy

# A copy is never rewritten (a new copy gets a new name), so a process keeps the copies it
# read, decoded, up to COPY_CACHE_BYTES: a portal process reads the same contracts again and
# again, and decoding a copy is most of a read's cost. Keyed by the file and the warehouse
# key, so a key change never serves what the old key decrypted.
COPY_CACHE_BYTES = 256 << 20


class _CopyCache:
    """Decoded copies, least recently used first, evicted beyond `limit` bytes of Arrow
    memory. Its lock guards the dictionary only: a copy is read outside it, so two threads
    missing the same copy may both read it (the same rows: copies are never rewritten)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.tables: OrderedDict[tuple, tuple[pa.Table, dict[dt.date, str]]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, warehouse: Root, rel: str, name: str) -> tuple[pa.Table, dict[dt.date, str]]:
        key = (warehouse.url(rel), crypto.key_from_env())
        with self.lock:
            if key in self.tables:
                self.tables.move_to_end(key)
                return self.tables[key]
        found = _read_compact(warehouse, rel, name, dictionary=True)
        with self.lock:
            self.tables[key] = found
            while sum(t.nbytes for t, _ in self.tables.values()) > self.limit:
                self.tables.popitem(last=False)
        return found

    def clear(self) -> None:
        with self.lock:
            self.tables.clear()


# One cache per process, shared by every caller of `cached_copy`: that sharing is its point.
_copy_cache = _CopyCache(COPY_CACHE_BYTES)


def forget_cached_copies() -> None:
    """Empty this process's cache of decoded copies (what a first read after a build costs)."""
    _copy_cache.clear()


def cached_copy(warehouse: Root, rel: str, name: str) -> tuple[pa.Table, dict[dt.date, str]]:
    """The copy at `rel`, its text columns dictionary-encoded, and which build of which day it
    holds; from this process's cache when it was read before under the same key."""
    return _copy_cache.get(warehouse, rel, name)


def write_compact(warehouse: Root, name: str, support_id: str, compact_id: str) -> str:
    """Copy the current build of every day of one aggregate of one contract into a new file
    (`compact_id` must sort after earlier copies' ids), reusing the newest copy's days that
    are still current; then delete the contract's copies superseded for SUPERSEDED_GRACE (so
    only this does: `remove_superseded` leaves copies alone). Returns its path."""
    builds = files_with_times(warehouse, layout.agg_contract(name, support_id))
    parts = current_parts(parts_of(name, builds))
    files = files_with_times(warehouse, layout.agg_compact_folder(name, support_id))
    pieces, todo = [], parts
    compacts = [rel for rel, _ in files if layout.is_agg_compact(rel)]
    if compacts:
        with contextlib.suppress(FileNotFoundError):  # deleted meanwhile: read every day
            previous, held = _read_compact(warehouse, compacts[-1], name)
            kept = {p.day for p in parts if held.get(p.day) == p.build_id}
            pieces.append(_of_days(previous, kept))
            todo = [p for p in parts if p.day not in kept]
    pieces += read_parts(warehouse, name, todo, view_schema(name).names)
    table = by_day(pa.concat_tables(pieces) if pieces else view_schema(name).empty_table())
    days = json.dumps({p.day.isoformat(): p.build_id for p in parts}, sort_keys=True)
    rel = layout.agg_compact(name, support_id, compact_id)
    parquet.write_table(warehouse, rel, table.replace_schema_metadata({_COMPACT_DAYS: days}))
    now = time.time()
    files.append((rel, now))
    warehouse.delete_many(_superseded_compacts(files, now) + stale_temporaries(files, now))
    return rel


def expire_compacts(warehouse: Root, oldest_kept: dt.date, compact_id: str) -> list[str]:
    """Retention for the compacted copies: each contract's copies that hold a day before
    `oldest_kept` are deleted, after the newest is written again without those days (their
    day files must be gone already). Without this, a contract that no build touches any more
    would keep expired days in its copy for ever. A reader that loses a copy while reading it
    falls back to the day files (`read_aggregate`). Returns the deleted paths."""
    removed: list[str] = []
    for name in layout.AGGREGATES:
        for folder in warehouse.list_dirs(layout.agg_compact_root(name)):
            support_id = folder.removeprefix("support_id=")
            files = files_with_times(warehouse, layout.agg_compact_folder(name, support_id))
            copies = [rel for rel, _ in files if layout.is_agg_compact(rel)]
            expired = [rel for rel in copies if _holds_day_before(warehouse, rel, oldest_kept)]
            if not expired:
                continue
            if copies[-1] in expired:
                write_compact(warehouse, name, support_id, compact_id)
            warehouse.delete_many(expired)
            removed += expired
    return removed


def _holds_day_before(warehouse: Root, rel: str, day: dt.date) -> bool:
    try:
        _table, metadata = read_file(warehouse, rel, [])
    except FileNotFoundError:
        return False
    held = json.loads((metadata or {}).get(_COMPACT_DAYS, b"{}"))
    return any(dt.date.fromisoformat(d) < day for d in held)


def _superseded_compacts(
    files: list[tuple[str, float]], now: float, grace: dt.timedelta = SUPERSEDED_GRACE
) -> list[str]:
    """Copies of a contract that a newer copy replaced at least `grace` ago."""
    by_contract: dict[str, list[tuple[str, float]]] = {}
    for rel, modified in files:
        if layout.is_agg_compact(rel):
            by_contract.setdefault(posixpath.dirname(rel), []).append((rel, modified))
    old = []
    for copies in by_contract.values():
        copies.sort()
        for i, (rel, _) in enumerate(copies[:-1]):
            replaced_at = min(modified for _, modified in copies[i + 1 :])
            if now - replaced_at >= grace.total_seconds():
                old.append(rel)
    return old


def _read_compact(
    warehouse: Root, rel: str, name: str, dictionary: bool = False
) -> tuple[pa.Table, dict[dt.date, str]]:
    """A compacted copy, and which build of which day it holds. A copy written with other
    columns (before a schema change) holds nothing: its days are read from their files."""
    schema = view_schema(name)
    try:
        table, metadata = read_file(warehouse, rel, schema.names, dictionary)
    except (pa.ArrowInvalid, KeyError):
        return schema.empty_table(), {}
    for field in schema:
        stored = table.schema.field(field.name).type
        if (stored.value_type if pa.types.is_dictionary(stored) else stored) != field.type:
            return schema.empty_table(), {}
    held = json.loads((metadata or {}).get(_COMPACT_DAYS, b"{}"))
    return table, {dt.date.fromisoformat(day): build for day, build in held.items()}


def read_parts(warehouse: Root, name: str, parts: list[Part], columns: list[str]) -> list[pa.Table]:
    """Day files, their list columns parsed (as the compacted copy holds them)."""

    def read(part: Part) -> pa.Table:
        return parse_lists(read_file(warehouse, part.rel, columns)[0], name)

    if len(parts) < 2:
        return [read(p) for p in parts]
    with ThreadPoolExecutor(min(8, len(parts))) as pool:
        return list(pool.map(read, parts))


def _of_days(table: pa.Table, days: Iterable[dt.date]) -> pa.Table:
    return table.filter(pc.is_in(table["day"], value_set=pa.array(sorted(days), pa.date32())))


def by_day(table: pa.Table) -> pa.Table:
    """Rows ordered by day, each day's rows in their file's order (Arrow's sort is stable)."""
    return table.take(pc.sort_indices(table["day"]))

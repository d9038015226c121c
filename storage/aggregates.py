"""The dashboard's aggregate store: schemas, writes, which build is current, and the portal's
read path.

One file per aggregate, contract, service day and build (`layout.agg_part`). A file is written
once, atomically (`Root.write_bytes`), and never rewritten: DuckDB opens a Parquet file several
times during one query, so a file replaced in place can be read half old, half new. A rebuild
therefore adds a file under a new, greater build id, and every reader takes, for each
(contract, day), the file with the greatest build id it can see. A reader thus sees a day's
aggregate either wholly as it was or wholly as rebuilt, never half, and is never blocked.

Superseded files are deleted only once they have been superseded for `SUPERSEDED_GRACE` (real
time), so that a reader that chose them just before the rebuild can still open them. The ten
aggregates of a day each switch on their own (one file each), not together; see
docs/decisions.md.

The portal's path (`read_aggregate`) reads pyarrow, not DuckDB, and mostly one file per
aggregate and contract: a compacted copy of the contract's current builds (`write_compact`,
after each build). It still decides which build of each day is current from the listing, and
takes a day from the copy only if the copy holds exactly that build.
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
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from storage import crypto, layout, parquet
from storage.roots import Root

SUPERSEDED_GRACE = dt.timedelta(minutes=10)

UTC_MS = pa.timestamp("ms", tz="UTC")
I64 = pa.int64()
STR = pa.string()

#: Record type groups, in the order of their `<group>_records` columns (see
#: sql/dashboard_day_records.sql for which types each holds).
TYPE_GROUPS = (
    "power",
    "session",
    "app",
    "file",
    "print",
    "web",
    "mail",
    "usb",
    "clipboard",
    "share",
    "agent",
    "other",
)
_GROUP_COLUMNS = [(f"{g}_records", I64) for g in TYPE_GROUPS]
_KEY = [("support_id", STR), ("day", pa.date32())]
_BUILD = [("build_id", STR)]
_DRIVE = pa.struct([("letter", STR), ("type", STR), ("size", I64), ("free", I64)])
# List columns are stored as JSON text: DuckDB cannot decrypt nested Parquet columns written
# by pyarrow (the warehouse's encryption at rest). Readers get them back as typed lists: the
# views of sql/views.sql and `read_aggregate` parse them (column -> JSON structure, type).
JSON_LISTS: dict[str, tuple[str, pa.DataType]] = {
    "computers": ('["VARCHAR"]', pa.list_(STR)),
    "users": ('["VARCHAR"]', pa.list_(STR)),
    "ips": ('["VARCHAR"]', pa.list_(STR)),
    "macs": ('["VARCHAR"]', pa.list_(STR)),
    "drives": (
        '[{"letter": "VARCHAR", "type": "VARCHAR", "size": "BIGINT", "free": "BIGINT"}]',
        pa.list_(_DRIVE),
    ),
}

SCHEMAS: dict[str, pa.Schema] = {
    "terminal_activity": pa.schema(
        [
            *_KEY,
            ("tmid", STR),
            ("computer", STR),
            ("computers", STR),  # JSON list
            ("uploads", I64),
            ("records", I64),
            *_GROUP_COLUMNS,
            ("first_record_at", UTC_MS),
            ("last_record_at", UTC_MS),
            ("active_hours", I64),
            ("off_hours_records", I64),
            ("users", STR),  # JSON list
            ("main_user", STR),
            ("organisation", STR),
            *_BUILD,
        ]
    ),
    "user_activity": pa.schema(
        [
            *_KEY,
            ("user", STR),
            ("name", STR),
            ("title", STR),
            ("company", STR),
            ("organisation", STR),
            ("mail", STR),
            ("terminals", I64),
            ("records", I64),
            *_GROUP_COLUMNS,
            ("first_record_at", UTC_MS),
            ("last_record_at", UTC_MS),
            ("off_hours_records", I64),
            *_BUILD,
        ]
    ),
    "event_types": pa.schema(
        [
            *_KEY,
            ("type", STR),
            ("type_group", STR),
            ("records", I64),
            ("terminals", I64),
            ("users", I64),
            *_BUILD,
        ]
    ),
    "risk_operations": pa.schema(
        [
            *_KEY,
            ("tmid", STR),
            ("user", STR),
            ("copies_to_removable", I64),
            ("moves_to_removable", I64),
            ("web_uploads", I64),
            ("web_upload_bytes", I64),
            ("mails_with_attachments", I64),
            ("mails_outside", I64),
            ("print_jobs", I64),
            ("print_pages", I64),
            ("usb_blocked", I64),
            ("clipboard_files", I64),
            ("share_writes", I64),
            ("risk_records", I64),
            *_BUILD,
        ]
    ),
    "off_hours": pa.schema(
        [
            *_KEY,
            ("user", STR),
            ("name", STR),
            ("organisation", STR),
            ("records", I64),
            ("before_07", I64),
            ("after_22", I64),
            ("weekend", I64),
            ("holiday", I64),
            ("off_hours", I64),
            *_BUILD,
        ]
    ),
    "applications": pa.schema(
        [
            *_KEY,
            ("process", STR),
            ("records", I64),
            ("starts", I64),
            ("terminals", I64),
            ("users", I64),
            *_BUILD,
        ]
    ),
    "web_domains": pa.schema(
        [
            *_KEY,
            ("domain", STR),
            ("accesses", I64),
            ("uploads", I64),
            ("downloads", I64),
            ("upload_bytes", I64),
            ("terminals", I64),
            ("users", I64),
            *_BUILD,
        ]
    ),
    "usb_devices": pa.schema(
        [
            *_KEY,
            ("device", STR),
            ("vid", STR),
            ("pid", STR),
            ("serial", STR),
            ("name", STR),
            ("class", STR),
            ("terminals", I64),
            ("users", I64),
            ("connects", I64),
            ("disconnects", I64),
            ("blocks", I64),
            ("first_seen_at", UTC_MS),
            ("last_seen_at", UTC_MS),
            *_BUILD,
        ]
    ),
    "terminal_status": pa.schema(
        [
            *_KEY,
            ("tmid", STR),
            ("computer", STR),
            ("agent_version", STR),
            ("state", STR),
            ("last_upload_at", UTC_MS),
            ("last_upload_day", pa.date32()),
            ("days_silent", I64),
            ("uploads", I64),
            ("records", I64),
            ("lost_records", I64),
            *_BUILD,
        ]
    ),
    "inventory": pa.schema(
        [
            *_KEY,
            ("tmid", STR),
            ("computer", STR),
            ("inventory_at", UTC_MS),
            ("manufacturer", STR),
            ("model", STR),
            ("os_name", STR),
            ("os_version", STR),
            ("os_build", STR),
            ("ips", STR),  # JSON list
            ("macs", STR),  # JSON list
            ("drives", STR),  # JSON list of {letter, type, size, free}
            ("app_count", I64),
            ("latest_update", STR),
            ("latest_update_installed", pa.date32()),
            *_BUILD,
        ]
    ),
}
assert tuple(SCHEMAS) == layout.AGGREGATES


def json_columns(name: str) -> list[str]:
    """The aggregate's list columns stored as JSON text (`users` is a count elsewhere)."""
    return [f.name for f in SCHEMAS[name] if f.name in JSON_LISTS and f.type == STR]


def view_schema(name: str) -> pa.Schema:
    """The aggregate's columns as readers get them (JSON lists parsed)."""
    lists = json_columns(name)
    return pa.schema(
        [pa.field(f.name, JSON_LISTS[f.name][1]) if f.name in lists else f for f in SCHEMAS[name]]
    )


def conform(name: str, table: pa.Table) -> pa.Table:
    """The table with exactly the aggregate's columns and types (DuckDB sums are int128)."""
    schema = SCHEMAS[name]
    return table.select(schema.names).cast(schema)


def ensure_anchors(warehouse: Root) -> None:
    """Write each aggregate's empty anchor once, so its view binds on a new warehouse."""
    parquet.ensure_empty_tables(
        warehouse, {layout.agg_anchor(name): schema for name, schema in SCHEMAS.items()}
    )


def write_aggregate(
    warehouse: Root, name: str, support_id: str, day: dt.date, build_id: str, table: pa.Table
) -> str:
    """Publish one build of one aggregate of a contract-day (a new file, written atomically)."""
    rel = layout.agg_part(name, support_id, day, build_id)
    parquet.write_table(warehouse, rel, conform(name, table))
    return rel


# -- which build is current ------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One stored build of one aggregate of a contract-day."""

    rel: str
    name: str
    support_id: str
    day: dt.date
    build_id: str
    modified: float  # POSIX seconds: when the file appeared


def _folder(name: str, support_id: str | None, day: dt.date | None) -> str:
    if support_id and day:
        return layout.agg_day(name, support_id, day)
    return layout.agg_contract(name, support_id) if support_id else layout.agg_table(name)


def list_parts(
    warehouse: Root, name: str, support_id: str | None = None, day: dt.date | None = None
) -> list[Part]:
    """Every stored build file of an aggregate (one contract-day, one contract, or all),
    anchors excluded."""
    return _parts_of(name, _files_with_times(warehouse, _folder(name, support_id, day)))


def _parts_of(name: str, files: list[tuple[str, float]]) -> list[Part]:
    parts = []
    for rel, modified in files:
        if not layout.is_parquet_part(rel):
            continue
        sid = layout.hive_value(rel, "support_id")
        day = layout.hive_value(rel, "day")
        if sid is None or day is None or not layout.is_contract_partition(sid):
            continue
        parts.append(
            Part(rel, name, sid, dt.date.fromisoformat(day), layout.part_name_id(rel), modified)
        )
    return parts


def current_parts(parts: Iterable[Part]) -> list[Part]:
    """The part with the greatest build id of each (aggregate, contract, day)."""
    best: dict[tuple[str, str, dt.date], Part] = {}
    for part in parts:
        key = (part.name, part.support_id, part.day)
        if key not in best or part.build_id > best[key].build_id:
            best[key] = part
    return sorted(best.values(), key=lambda p: (p.name, p.support_id, p.day))


def current_build_uploads(warehouse: Root, support_id: str, day: dt.date) -> tuple[str, int] | None:
    """(current build id, uploads it counted) of a contract-day's dashboard, from its
    terminal activity (one row per uploading terminal, with its day's upload count); None
    when the day was never built for the contract."""
    parts = current_parts(list_parts(warehouse, "terminal_activity", support_id, day))
    if not parts:
        return None
    table, _metadata = _read_file(warehouse, parts[0].rel, ["uploads"])
    return parts[0].build_id, int(pc.sum(table["uploads"]).as_py() or 0)


def superseded_parts(
    parts: Iterable[Part], now: float, grace: dt.timedelta = SUPERSEDED_GRACE
) -> list[Part]:
    """Parts that a newer build of their day replaced at least `grace` ago."""
    by_day: dict[tuple[str, str, dt.date], list[Part]] = {}
    for part in parts:
        by_day.setdefault((part.name, part.support_id, part.day), []).append(part)
    old = []
    for builds in by_day.values():
        builds.sort(key=lambda p: p.build_id)
        for i, part in enumerate(builds[:-1]):
            replaced_at = min(newer.modified for newer in builds[i + 1 :])
            if now - replaced_at >= grace.total_seconds():
                old.append(part)
    return old


def remove_superseded(
    warehouse: Root,
    support_id: str | None = None,
    day: dt.date | None = None,
    grace: dt.timedelta = SUPERSEDED_GRACE,
) -> list[str]:
    """Delete superseded builds (of one contract-day, one contract, or everything) and
    temporaries left by killed writers; returns the deleted paths. Uses real time: the grace
    protects readers in flight, whatever the pipeline's clock says."""
    now = time.time()
    doomed: list[str] = []
    for name in layout.AGGREGATES:
        files = _files_with_times(warehouse, _folder(name, support_id, day))
        parts = _parts_of(name, files)
        if day is not None:
            parts = [p for p in parts if p.day == day]
        doomed += [p.rel for p in superseded_parts(parts, now, grace)]
        doomed += _stale_temporaries(files, now, grace)
    warehouse.delete_many(doomed)
    return doomed


def _stale_temporaries(
    files: list[tuple[str, float]], now: float, grace: dt.timedelta = SUPERSEDED_GRACE
) -> list[str]:
    """Hidden temporaries that killed writers left, once no running writer can own them."""
    return [
        rel
        for rel, modified in files
        if ".tmp-" in posixpath.basename(rel) and now - modified >= grace.total_seconds()
    ]


def _files_with_times(warehouse: Root, top: str) -> list[tuple[str, float]]:
    try:
        found = warehouse.fs.find(warehouse.full(top), withdirs=False, detail=True)
    except FileNotFoundError:
        return []
    return sorted((warehouse.rel(path), _mtime(info)) for path, info in found.items())


def _mtime(info: dict) -> float:
    stamp = info.get("mtime") or info.get("LastModified") or info.get("created") or 0
    return float(stamp.timestamp()) if hasattr(stamp, "timestamp") else float(stamp)


# -- the contract's compacted copy -----------------------------------------------------------
#
# The portal reads 90 days of one contract at once, and opening a small encrypted Parquet file
# costs milliseconds (its footer, one decryption per column chunk): 90 day files cost more than
# the query's whole budget. So after each build every aggregate's current builds of the
# contract are copied into one file, with the list columns already parsed and, in its
# metadata, which build of which day it holds. The copy is a cache, never the truth: a reader
# lists the day folders as before and takes a day from the copy only if the copy holds that
# day's current build (a build is never rewritten, so its rows are the same in both places),
# reading the day's own file otherwise (a rebuild newer than the copy, a copy killed before it
# was written, a day written by something else). Copies are written once, atomically, and a
# superseded one is deleted after SUPERSEDED_GRACE, as builds are.

_COMPACT_DAYS = b"it360_compact_days"  # metadata key: JSON {day: build_id} of the copy

# A copy is never rewritten (a new copy gets a new name), so a process keeps the copies it
# read, decoded, up to COPY_CACHE_BYTES: a portal process reads the same contracts again and
# again, and decoding a copy is most of a read's cost. Keyed by the file and the warehouse
# key, so a key change never serves what the old key decrypted.
COPY_CACHE_BYTES = 256 << 20


class _CopyCache:
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


_copy_cache = _CopyCache(COPY_CACHE_BYTES)


def forget_cached_copies() -> None:
    """Empty this process's cache of decoded copies (what a first read after a build costs)."""
    with _copy_cache.lock:
        _copy_cache.tables.clear()


def write_compact(warehouse: Root, name: str, support_id: str, compact_id: str) -> str:
    """Copy the current build of every day of one aggregate of one contract into a new file
    (`compact_id` must sort after earlier copies' ids), reusing the newest copy's days that
    are still current; then delete the contract's copies superseded for SUPERSEDED_GRACE (so
    only this does: `remove_superseded` leaves copies alone). Returns its path."""
    builds = _files_with_times(warehouse, layout.agg_contract(name, support_id))
    parts = current_parts(_parts_of(name, builds))
    files = _files_with_times(warehouse, layout.agg_compact_folder(name, support_id))
    pieces, todo = [], parts
    compacts = [rel for rel, _ in files if layout.is_agg_compact(rel)]
    if compacts:
        with contextlib.suppress(FileNotFoundError):  # deleted meanwhile: read every day
            previous, held = _read_compact(warehouse, compacts[-1], name)
            kept = {p.day for p in parts if held.get(p.day) == p.build_id}
            pieces.append(_of_days(previous, kept))
            todo = [p for p in parts if p.day not in kept]
    pieces += _read_parts(warehouse, name, todo, view_schema(name).names)
    table = _by_day(pa.concat_tables(pieces) if pieces else view_schema(name).empty_table())
    days = json.dumps({p.day.isoformat(): p.build_id for p in parts}, sort_keys=True)
    rel = layout.agg_compact(name, support_id, compact_id)
    parquet.write_table(warehouse, rel, table.replace_schema_metadata({_COMPACT_DAYS: days}))
    now = time.time()
    files.append((rel, now))
    warehouse.delete_many(_superseded_compacts(files, now) + _stale_temporaries(files, now))
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
            files = _files_with_times(warehouse, layout.agg_compact_folder(name, support_id))
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
        _table, metadata = _read_file(warehouse, rel, [])
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
        table, metadata = _read_file(warehouse, rel, schema.names, dictionary)
    except (pa.ArrowInvalid, KeyError):
        return schema.empty_table(), {}
    for field in schema:
        stored = table.schema.field(field.name).type
        if (stored.value_type if pa.types.is_dictionary(stored) else stored) != field.type:
            return schema.empty_table(), {}
    held = json.loads((metadata or {}).get(_COMPACT_DAYS, b"{}"))
    return table, {dt.date.fromisoformat(day): build for day, build in held.items()}


def _read_parts(
    warehouse: Root, name: str, parts: list[Part], columns: list[str]
) -> list[pa.Table]:
    """Day files, their list columns parsed (as the compacted copy holds them)."""

    def read(part: Part) -> pa.Table:
        return _parse_lists(_read_file(warehouse, part.rel, columns)[0], name)

    if len(parts) < 2:
        return [read(p) for p in parts]
    with ThreadPoolExecutor(min(8, len(parts))) as pool:
        return list(pool.map(read, parts))


def _read_file(
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


def _parse_lists(table: pa.Table, name: str) -> pa.Table:
    """The JSON text list columns of a stored aggregate as typed lists (`view_schema`)."""
    schema = view_schema(name)
    for column in [c for c in table.column_names if c in json_columns(name)]:
        field = schema.field(column)
        values = [None if v is None else json.loads(v) for v in table[column].to_pylist()]
        index = table.schema.get_field_index(column)
        table = table.set_column(index, field, pa.array(values, field.type))
    return table


def _of_days(table: pa.Table, days: Iterable[dt.date]) -> pa.Table:
    return table.filter(pc.is_in(table["day"], value_set=pa.array(sorted(days), pa.date32())))


def _by_day(table: pa.Table) -> pa.Table:
    """Rows ordered by day, each day's rows in their file's order (Arrow's sort is stable)."""
    return table.take(pc.sort_indices(table["day"]))


# -- the portal's read path ------------------------------------------------------------------


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
        for p in current_parts(_parts_of(name, [(rel, 0.0) for rel in listing]))
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
            copy, held = _copy_cache.get(warehouse, compacts[-1], name)
            kept = {p.day for p in parts if held.get(p.day) == p.build_id}
            days = pc.is_in(copy["day"], value_set=pa.array(sorted(kept), pa.date32()))
            pieces.append(_matching(copy.select(needed), where, days).cast(out))
            todo = [p for p in parts if p.day not in kept]
    pieces += [_matching(t, where).cast(out) for t in _read_parts(warehouse, name, todo, needed)]
    table = pa.concat_tables(pieces)
    # One piece is already in day order: the copy is sorted by day, a day file is one day.
    return (table if len(pieces) == 1 else _by_day(table)).select(wanted)


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

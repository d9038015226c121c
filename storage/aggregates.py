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
"""

from __future__ import annotations

import datetime as dt
import posixpath
import time
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa

from storage import duck, layout, parquet
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


def view_schema(name: str) -> pa.Schema:
    """The aggregate's columns as readers get them (JSON lists parsed)."""
    schema = SCHEMAS[name]
    return pa.schema(
        [pa.field(f.name, JSON_LISTS[f.name][1]) if f.name in JSON_LISTS else f for f in schema]
    )


def conform(name: str, table: pa.Table) -> pa.Table:
    """The table with exactly the aggregate's columns and types (DuckDB sums are int128)."""
    schema = SCHEMAS[name]
    return table.select(schema.names).cast(schema)


def ensure_anchors(warehouse: Root) -> None:
    """Write each aggregate's empty anchor once, so its view binds on a new warehouse."""
    for name, schema in SCHEMAS.items():
        rel = layout.agg_anchor(name)
        warehouse.delete_partial(rel)
        if not warehouse.exists(rel):
            parquet.write_table(warehouse, rel, schema.empty_table())


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
            Part(rel, name, sid, dt.date.fromisoformat(day), layout.build_id_of_part(rel), modified)
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
        doomed += [
            rel
            for rel, modified in files
            if ".tmp-" in posixpath.basename(rel) and now - modified >= grace.total_seconds()
        ]
    warehouse.delete_many(doomed)
    return doomed


def _files_with_times(warehouse: Root, top: str) -> list[tuple[str, float]]:
    try:
        found = warehouse.fs.find(warehouse.full(top), withdirs=False, detail=True)
    except FileNotFoundError:
        return []
    return sorted((warehouse.rel(path), _mtime(info)) for path, info in found.items())


def _mtime(info: dict) -> float:
    stamp = info.get("mtime") or info.get("LastModified") or info.get("created") or 0
    return float(stamp.timestamp()) if hasattr(stamp, "timestamp") else float(stamp)


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
    contract's builds, picks the greatest build id per day, and reads exactly those files.
    It takes no lock; a pipeline rebuilding a day meanwhile is invisible until its file is
    complete, and the file this call chose stays readable for `SUPERSEDED_GRACE`.

    `where` keeps rows whose columns equal the given values (`{"organisation": "経理部"}`);
    `columns` selects columns (default: all). Values are bound as parameters; column names
    must be the aggregate's own (`SCHEMAS[name]`).

        read_aggregate(Root(os.environ["IT360_WAREHOUSE"]), "terminal_activity", "S0001",
                       date(2024, 1, 1), date(2024, 3, 31), where={"organisation": "経理部"})
    """
    schema = view_schema(name)
    where = where or {}
    wanted = columns or schema.names
    unknown = [c for c in [*wanted, *where] if c not in schema.names]
    if unknown:
        raise ValueError(f"{name} has no column {unknown[0]!r}")
    if any(c in JSON_LISTS for c in where):
        raise ValueError("list columns cannot be compared with `where`")
    parts = [
        p
        for p in current_parts(list_parts(warehouse, name, support_id))
        if first_day <= p.day <= last_day
    ]
    if not parts:
        return schema.empty_table().select(wanted)
    conditions = " and ".join(f'"{c}" = $value_{i}' for i, c in enumerate(where))
    select = ", ".join(
        f'from_json("{c}", \'{JSON_LISTS[c][0]}\') as "{c}"' if c in JSON_LISTS else f'"{c}"'
        for c in wanted
    )
    sql = f"select {select} from warehouse_parquet($files)"
    if conditions:
        sql += f" where {conditions}"
    sql += " order by day"
    con = duck.open_connection(warehouse)
    try:
        params = {f"value_{i}": value for i, value in enumerate(where.values())}
        params["files"] = [warehouse.url(p.rel) for p in parts]
        table = con.sql(sql, params=params).to_arrow_table()
    finally:
        con.close()
    return table.cast(pa.schema([schema.field(c) for c in wanted]))

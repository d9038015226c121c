"""The aggregates' schemas: the columns of each of the ten dashboard aggregates as stored (list
columns as JSON text) and as readers get them (lists parsed), and their empty anchor files.

Part of the package `storage.aggregates` (see its `__init__`): this module knows columns and
types only; which file holds a build (`builds`), the compacted copies (`compacted`) and the
portal's read path (`portal`) live beside it.
"""

from __future__ import annotations

import json

import pyarrow as pa

from storage import layout, parquet
from storage.roots import Root

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


def parse_lists(table: pa.Table, name: str) -> pa.Table:
    """The JSON text list columns of a stored aggregate as typed lists (`view_schema`)."""
    schema = view_schema(name)
    for column in [c for c in table.column_names if c in json_columns(name)]:
        field = schema.field(column)
        values = [None if v is None else json.loads(v) for v in table[column].to_pylist()]
        index = table.schema.get_field_index(column)
        table = table.set_column(index, field, pa.array(values, field.type))
    return table

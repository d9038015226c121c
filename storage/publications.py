"""Publication records: what was handed to which customer, when, and what it held.

    publications/support_id=<S>/day=<P>/part-<publication id>.parquet   one row per publication
    expirations/support_id=<S>/part-<publication id>.parquet             one row per deleted file
    late_uploads/support_id=<S>/day=<D>/part-<detection id>.parquet      uploads after publication

P is the Japan date of publication. Operators query them through `sql/views.sql`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pyarrow as pa

from storage import layout, parquet
from storage.roots import Root

UTC_MS = pa.timestamp("ms", tz="UTC")

PUBLICATION = pa.schema(
    [
        ("publication_id", pa.string()),
        ("kind", pa.string()),  # daily | spot_30_days | spot_1_year
        ("support_id", pa.string()),
        ("file_name", pa.string()),
        ("path", pa.string()),  # relative to the delivery root
        ("published_at", UTC_MS),
        ("expires_at", UTC_MS),
        ("size", pa.int64()),
        ("sha256", pa.string()),
        ("uploads", pa.int64()),
        ("entries", pa.int64()),
        # Lists are stored as JSON text: DuckDB cannot decrypt nested Parquet columns
        # written by pyarrow (see docs/decisions.md, encryption at rest).
        ("service_days", pa.string()),  # JSON list of ISO dates
        ("days_without_data", pa.string()),
        ("late_uploads", pa.int64()),
        ("upload_keys", pa.string()),  # JSON list (daily files: to find late uploads)
        ("request", pa.string()),  # the order, as JSON
    ]
)

EXPIRATION = pa.schema(
    [
        ("publication_id", pa.string()),
        ("support_id", pa.string()),
        ("path", pa.string()),
        ("expired_at", UTC_MS),
    ]
)

LATE_UPLOAD = pa.schema(
    [
        ("support_id", pa.string()),
        ("day", pa.date32()),
        ("upload_key", pa.string()),
        ("publication_id", pa.string()),
        ("detected_at", UTC_MS),
    ]
)


@dataclass(frozen=True)
class Publication:
    publication_id: str
    kind: str
    support_id: str
    file_name: str
    path: str
    published_at: dt.datetime
    expires_at: dt.datetime
    size: int
    sha256: str
    uploads: int
    entries: int
    service_days: list[dt.date]
    days_without_data: list[dt.date]
    late_uploads: int
    upload_keys: list[str]
    request: str


def _publication_part(support_id: str, day: dt.date, publication_id: str) -> str:
    return (
        f"publications/support_id={support_id}/day={day.isoformat()}/part-{publication_id}.parquet"
    )


def record_publication(warehouse: Root, pub: Publication, japan_day: dt.date) -> None:
    row = {name: getattr(pub, name) for name in PUBLICATION.names}
    for name in ("service_days", "days_without_data"):
        row[name] = json.dumps([d.isoformat() for d in row[name]])
    row["upload_keys"] = json.dumps(row["upload_keys"])
    table = pa.Table.from_pylist([row], schema=PUBLICATION)
    parquet.write_table(
        warehouse, _publication_part(pub.support_id, japan_day, pub.publication_id), table
    )


def published_upload_keys(row: dict) -> set[str]:
    """The upload keys a publication record lists (daily files)."""
    return set(json.loads(row["upload_keys"] or "[]"))


def latest_daily_publication(warehouse: Root, support_id: str, day: dt.date) -> dict | None:
    """The newest publication record of a contract's daily file `<D>.zip`, None if never
    published (the same records `assets/deliverables.published_daily` reads)."""
    pubs = all_publications(warehouse, support_id)
    name = f"{day.isoformat()}.zip"
    rows = [row for row in pubs.to_pylist() if row["kind"] == "daily" and row["file_name"] == name]
    return max(rows, key=lambda row: row["published_at"]) if rows else None


def all_publications(warehouse: Root, support_id: str | None = None) -> pa.Table:
    top = f"publications/support_id={support_id}" if support_id else "publications"
    parts = parquet.part_files(warehouse, top)
    return parquet.read_tables(warehouse, parts, PUBLICATION)


def record_expiration(
    warehouse: Root, publication_id: str, support_id: str, path: str, at: dt.datetime
) -> None:
    table = pa.Table.from_pylist(
        [
            {
                "publication_id": publication_id,
                "support_id": support_id,
                "path": path,
                "expired_at": at,
            }
        ],
        schema=EXPIRATION,
    )
    rel = f"expirations/support_id={support_id}/part-{publication_id}.parquet"
    parquet.write_table(warehouse, rel, table)


def expired_ids(warehouse: Root) -> set[str]:
    parts = parquet.part_files(warehouse, "expirations")
    table = parquet.read_tables(warehouse, parts, EXPIRATION, ["publication_id"])
    return set(table["publication_id"].to_pylist())


def record_late_uploads(
    warehouse: Root,
    support_id: str,
    day: dt.date,
    keys: list[str],
    publication_id: str,
    at: dt.datetime,
    detection_id: str,
) -> None:
    rows = [
        {
            "support_id": support_id,
            "day": day,
            "upload_key": k,
            "publication_id": publication_id,
            "detected_at": at,
        }
        for k in keys
    ]
    rel = f"late_uploads/support_id={support_id}/day={day.isoformat()}/part-{detection_id}.parquet"
    parquet.write_table(warehouse, rel, pa.Table.from_pylist(rows, schema=LATE_UPLOAD))


def late_upload_keys(warehouse: Root, support_id: str, day: dt.date) -> set[str]:
    top = f"late_uploads/support_id={support_id}/day={day.isoformat()}"
    parts = parquet.part_files(warehouse, top)
    return set(
        parquet.read_tables(warehouse, parts, LATE_UPLOAD, ["upload_key"])["upload_key"].to_pylist()
    )


def ensure_anchors(warehouse: Root) -> None:
    """Empty files so the operator views bind before anything was published."""
    empty = layout.EMPTY_SUPPORT
    anchors = {
        _publication_part(empty, dt.date(1970, 1, 1), "empty"): PUBLICATION,
        f"expirations/support_id={empty}/part-empty.parquet": EXPIRATION,
        f"late_uploads/support_id={empty}/day=1970-01-01/part-empty.parquet": LATE_UPLOAD,
    }
    parquet.ensure_empty_tables(warehouse, anchors)

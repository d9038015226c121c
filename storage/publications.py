"""Publication records: what was handed to which customer, when, and what it held.

Three tables (their paths: `storage/layout.py`): publications (one row per publication, by the
Japan date of publication), expirations (one row per deleted file) and late uploads (uploads
that landed after their day's daily file). Operators query them through `sql/views.sql`.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass

import pyarrow as pa

from storage import layout, parquet
from storage.roots import Root, is_temporary

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


def record_publication(warehouse: Root, pub: Publication, japan_day: dt.date) -> None:
    row = {name: getattr(pub, name) for name in PUBLICATION.names}
    for name in ("service_days", "days_without_data"):
        row[name] = json.dumps([d.isoformat() for d in row[name]])
    row["upload_keys"] = json.dumps(row["upload_keys"])
    table = pa.Table.from_pylist([row], schema=PUBLICATION)
    parquet.write_table(
        warehouse, layout.publication_part(pub.support_id, japan_day, pub.publication_id), table
    )


def published_upload_keys(row: dict) -> set[str]:
    """The upload keys a publication record lists (daily files)."""
    return set(json.loads(row["upload_keys"] or "[]"))


def latest_daily_publication(warehouse: Root, support_id: str, day: dt.date) -> dict | None:
    """The newest publication record of a contract's daily file `<D>.zip`, None if never
    published (the same records `assets/deliverables.published_daily` reads)."""
    pubs = all_publications(warehouse, support_id)
    name = layout.daily_file_name(day)
    rows = [row for row in pubs.to_pylist() if row["kind"] == "daily" and row["file_name"] == name]
    return max(rows, key=lambda row: row["published_at"]) if rows else None


def all_publications(warehouse: Root, support_id: str | None = None) -> pa.Table:
    parts = parquet.part_files(warehouse, layout.publications_folder(support_id))
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
    parquet.write_table(warehouse, layout.expiration_part(support_id, publication_id), table)


def expired_ids(warehouse: Root) -> set[str]:
    parts = parquet.part_files(warehouse, layout.EXPIRATIONS)
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
    rel = layout.late_uploads_part(support_id, day, detection_id)
    parquet.write_table(warehouse, rel, pa.Table.from_pylist(rows, schema=LATE_UPLOAD))


def late_upload_keys(warehouse: Root, support_id: str, day: dt.date) -> set[str]:
    parts = parquet.part_files(warehouse, layout.late_uploads_day(support_id, day))
    return set(
        parquet.read_tables(warehouse, parts, LATE_UPLOAD, ["upload_key"])["upload_key"].to_pylist()
    )


def ensure_anchors(warehouse: Root) -> None:
    """Empty files so the operator views bind before anything was published."""
    anchors = {
        layout.empty_anchor(layout.PUBLICATIONS): PUBLICATION,
        layout.empty_anchor(layout.EXPIRATIONS): EXPIRATION,
        layout.empty_anchor(layout.LATE_UPLOADS): LATE_UPLOAD,
    }
    parquet.ensure_empty_tables(warehouse, anchors)


def delete_stale_temporaries(warehouse: Root, older_than_seconds: float = 86_400) -> int:
    """Drop the hidden temporaries (local roots only: an unfinished S3 upload is never stored)
    that a writer of a publication record killed midway left beside it, once old enough that
    no running writer can still own them. Returns how many."""
    if not warehouse.is_local:
        return 0
    cutoff = time.time() - older_than_seconds
    doomed = [
        rel
        for top in layout.RECORD_TABLES
        for rel in warehouse.list_files(top)
        if is_temporary(rel) and warehouse.modified(rel) < cutoff
    ]
    warehouse.delete_many(doomed)
    return len(doomed)

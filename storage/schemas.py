"""Arrow schemas of every stored table (the columns analysts and deliverables rely on)."""

from __future__ import annotations

import pyarrow as pa

UTC_MS = pa.timestamp("ms", tz="UTC")

UPLOADS = pa.schema(
    [
        ("support_id", pa.string()),
        ("day", pa.date32()),
        ("tmid", pa.string()),
        ("upload_key", pa.string()),
        ("sent15", pa.string()),
        ("upload_id", pa.string()),
        ("sent_at", UTC_MS),
        ("computer", pa.string()),  # null when the log has no readable header
        ("agent_version", pa.string()),
        ("charset", pa.string()),
        ("header", pa.string()),  # every header key, unknown ones included, as JSON
        ("zip_size", pa.int64()),
        ("log_size", pa.int64()),
        ("sha256", pa.string()),
        ("records", pa.int64()),
        ("rejects", pa.int64()),
        ("batch_id", pa.string()),
        ("landed_at", UTC_MS),
        ("zip_bytes", pa.large_binary()),
    ]
)

RECORDS = pa.schema(
    [
        ("support_id", pa.string()),
        ("day", pa.date32()),
        ("tmid", pa.string()),
        ("upload_key", pa.string()),
        ("line_no", pa.int32()),
        ("time", UTC_MS),
        ("seq", pa.uint64()),
        ("type", pa.string()),
        ("user", pa.string()),
        ("process", pa.string()),
        ("detail", pa.string()),
    ]
)

REJECTS = pa.schema(
    [
        ("support_id", pa.string()),
        ("day", pa.date32()),
        ("tmid", pa.string()),
        ("upload_key", pa.string()),
        ("line_no", pa.int32()),
        ("reason", pa.string()),
        ("raw_line", pa.large_binary()),
    ]
)

QUARANTINE = pa.schema(
    [
        ("support_id", pa.string()),
        ("day", pa.date32()),  # service day of quarantined_at (retention partition)
        ("name", pa.string()),  # path inside the inbox
        ("service_day", pa.date32()),  # the upload's service day when its name gives one
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("sha256", pa.string()),
        ("size", pa.int64()),
        ("batch_id", pa.string()),
        ("quarantined_at", UTC_MS),
        ("content", pa.large_binary()),
    ]
)

LANDING_LOG = pa.schema(
    [
        ("day", pa.date32()),  # the landing run's partition
        ("batch_id", pa.string()),
        ("path", pa.string()),  # inbox-relative path
        ("support_id", pa.string()),
        ("service_day", pa.date32()),
        ("upload_key", pa.string()),
        ("outcome", pa.string()),  # landed | duplicate | quarantined | diag
        ("reason", pa.string()),
        ("sha256", pa.string()),
        ("size", pa.int64()),
        ("logged_at", UTC_MS),
    ]
)

TABLES = {"uploads": UPLOADS, "records": RECORDS, "rejects": REJECTS}

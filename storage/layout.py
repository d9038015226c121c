"""Where everything lives: the warehouse and delivery layout (the publication records' paths
are in storage/publications.py, the locks' in storage/locks.py).

Warehouse (a `Root`):

    raw/uploads/support_id=<S>/day=<D>/tmid=<T>/part-<batch>.parquet   one row per landed upload
    raw/records/support_id=<S>/day=<D>/tmid=<T>/part-<batch>.parquet   one row per record
    raw/rejects/support_id=<S>/day=<D>/tmid=<T>/part-<batch>.parquet   one row per bad record
    raw/<table>/support_id=<S>/day=<D>/tmid=<T>/compact-<id>.json       a compaction in progress
    quarantine/support_id=<S>/day=<Q>/part-<batch>.parquet             Q: service day quarantined
    landing_log/day=<D>/part-<batch>.parquet                           every inbox file's fate
    quarantine/support_id=<S>/day=<Q>/blobs-<batch>/<digest>.blob      files too large for a row
    restricted/diag/<S>/<file name>                                    diagnostic bundles
    _state/terminals/<TMID>/<S>                                        which contract owns a TMID
    _state/journal/<batch>.intent.json | .committed                    landing transactions

    <table>/support_id=_empty/...part-empty.parquet                   one empty file per table

The empty file gives every table a schema before anything lands (DuckDB refuses a glob that
matches nothing); anything under `support_id=_…` is not a contract and is skipped by readers.
Partition columns are also stored inside each file, so a file read alone is self-describing;
the DuckDB views also read them from the hive path (they cannot prune on them: the encrypted
scans take no filter, see sql/views.sql).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath

RAW_TABLES = ("uploads", "records", "rejects")
QUARANTINE = "quarantine"
LANDING_LOG = "landing_log"
LATE_UPLOADS = "late_uploads"  # the publication records' (storage/publications.py)
INVALID_SUPPORT = "_invalid"  # quarantine partition for inbox folders that are no support ID


def raw_partition(table: str, support_id: str, day: dt.date, tmid: str) -> str:
    return f"raw/{table}/support_id={support_id}/day={day.isoformat()}/tmid={tmid}"


def raw_day(table: str, support_id: str, day: dt.date) -> str:
    return f"raw/{table}/support_id={support_id}/day={day.isoformat()}"


def raw_contract(table: str, support_id: str) -> str:
    return f"raw/{table}/support_id={support_id}"


def raw_part(table: str, support_id: str, day: dt.date, tmid: str, batch_id: str) -> str:
    return f"{raw_partition(table, support_id, day, tmid)}/part-{batch_id}.parquet"


def quarantine_part(support_id: str, day: dt.date, batch_id: str) -> str:
    return f"quarantine/support_id={support_id}/day={day.isoformat()}/part-{batch_id}.parquet"


def quarantine_blob(support_id: str, day: dt.date, batch_id: str, name: str) -> str:
    """Where a quarantined file too large for its table row is kept (an encrypted blob, see
    `storage/blobs.py`), named by a digest of its inbox path: never by the path itself,
    which the inbox's writer chose."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return (
        f"quarantine/support_id={support_id}/day={day.isoformat()}/blobs-{batch_id}/{digest}.blob"
    )


def landing_log_day(day: dt.date) -> str:
    return f"landing_log/day={day.isoformat()}"


def landing_log_part(day: dt.date, batch_id: str) -> str:
    return f"{landing_log_day(day)}/part-{batch_id}.parquet"


def diag_bundle(support_id: str, name: str) -> str:
    return f"restricted/diag/{support_id}/{name}"


def diag_folder(support_id: str) -> str:
    return f"restricted/diag/{support_id}"


TERMINALS = "_state/terminals"


def terminal_owner_marker(tmid: str, support_id: str) -> str:
    return f"{TERMINALS}/{tmid}/{support_id}"


JOURNAL = "_state/journal"


def journal_intent(batch_id: str) -> str:
    return f"{JOURNAL}/{batch_id}.intent.json"


def journal_committed(batch_id: str) -> str:
    return f"{JOURNAL}/{batch_id}.committed"


EMPTY_SUPPORT = "_empty"
_EMPTY_DAY = dt.date(1970, 1, 1)


def empty_anchor(table: str) -> str:
    """The empty file that gives `table` its schema (see module docstring)."""
    if table in RAW_TABLES:
        return (
            f"{raw_partition(table, EMPTY_SUPPORT, _EMPTY_DAY, EMPTY_SUPPORT)}/part-empty.parquet"
        )
    if table == "quarantine":
        return quarantine_part(EMPTY_SUPPORT, _EMPTY_DAY, "empty")
    if table == "landing_log":
        return landing_log_part(_EMPTY_DAY, "empty")
    raise ValueError(f"no empty anchor for {table!r}")


def is_contract_partition(support_folder: str) -> bool:
    return not support_folder.removeprefix("support_id=").startswith("_")


def is_parquet_part(rel: str) -> bool:
    name = posixpath.basename(rel)
    return name.startswith("part-") and name.endswith(".parquet")


def hive_value(rel: str, key: str) -> str | None:
    """The value of `key=` in a hive-style path, if any."""
    for piece in rel.split("/"):
        if piece.startswith(f"{key}="):
            return piece[len(key) + 1 :]
    return None


# -- inbox -------------------------------------------------------------------------------
DIAG_FOLDER = "diag"


# -- delivery ----------------------------------------------------------------------------
def delivery_folder(support_id: str) -> str:
    return f"it360-log/{support_id}"


# -- dashboard aggregates (90 days) ------------------------------------------------------
#
#    agg/<name>/support_id=<S>/day=<D>/part-<build>.parquet   one file per build of a day
#    agg/_compact/<name>/support_id=<S>/compact-<id>.parquet   a copy of the contract's
#                                               current builds, all days in one file
#    exports/ledger/<S>/ledger.csv      (in the delivery root)  the asset-ledger export
#
# A build never rewrites a file: it adds `part-<build>.parquet` beside the day's earlier
# builds, and readers take the greatest build id of each (contract, day). Superseded builds
# are deleted later (see `storage/aggregates/builds.py`). The compacted copies are written after
# each build, for the portal's reads, which use a day's copy only if it is of that day's
# current build.

AGGREGATES = (
    "terminal_activity",
    "user_activity",
    "event_types",
    "risk_operations",
    "off_hours",
    "applications",
    "web_domains",
    "usb_devices",
    "terminal_status",
    "inventory",
)


def agg_table(name: str) -> str:
    return f"agg/{name}"


def agg_contract(name: str, support_id: str) -> str:
    return f"agg/{name}/support_id={support_id}"


def agg_day(name: str, support_id: str, day: dt.date) -> str:
    return f"agg/{name}/support_id={support_id}/day={day.isoformat()}"


def agg_part(name: str, support_id: str, day: dt.date, build_id: str) -> str:
    return f"{agg_day(name, support_id, day)}/part-{build_id}.parquet"


def agg_anchor(name: str) -> str:
    """The empty file that gives aggregate `name` its schema (see module docstring)."""
    return agg_part(name, EMPTY_SUPPORT, _EMPTY_DAY, "empty")


def part_name_id(rel: str) -> str:
    """`.../part-<id>.parquet` -> `<id>`: a landing batch, a compaction or a dashboard build."""
    return posixpath.basename(rel).removeprefix("part-").removesuffix(".parquet")


def agg_compact_root(name: str) -> str:
    """Outside the aggregate's own folder, which holds day folders only."""
    return f"agg/_compact/{name}"


def agg_compact_folder(name: str, support_id: str) -> str:
    return f"{agg_compact_root(name)}/support_id={support_id}"


def agg_compact(name: str, support_id: str, compact_id: str) -> str:
    return f"{agg_compact_folder(name, support_id)}/compact-{compact_id}.parquet"


def is_agg_compact(rel: str) -> bool:
    name = posixpath.basename(rel)
    return name.startswith("compact-") and name.endswith(".parquet")


def ledger_export(support_id: str) -> str:
    return f"exports/ledger/{support_id}/ledger.csv"


def raw_table(table: str) -> str:
    return f"raw/{table}"


def quarantine_contract(support_id: str) -> str:
    return f"quarantine/support_id={support_id}"


def quarantine_day(support_id: str, day: dt.date) -> str:
    return f"quarantine/support_id={support_id}/day={day.isoformat()}"


DIAG_ROOT = "restricted/diag"


def inbox_folder(support_id: str) -> str:
    """A contract's folder in the inbox (its agents upload there)."""
    return support_id


def daily_file(support_id: str, day: dt.date) -> str:
    """A contract's daily file of service day `day`, in the delivery root."""
    return f"{delivery_folder(support_id)}/{day.isoformat()}.zip"

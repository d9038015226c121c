"""Where everything lives: the warehouse and delivery layout. Every path the service stores
or reads is made here (the aggregates' are used by storage/aggregates.py).

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
    _state/locks/<name>.lock                                           locks (storage/locks.py)
    publications/support_id=<S>/day=<P>/part-<publication id>.parquet  one row per publication
    expirations/support_id=<S>/part-<publication id>.parquet            one row per deleted file
    late_uploads/support_id=<S>/day=<D>/part-<detection id>.parquet     uploads after publication

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


# -- any table partitioned by contract and day -------------------------------------------
def contract_folder(table_folder: str, support_id: str) -> str:
    """A contract's folder of a table partitioned `support_id=<S>/...`."""
    return f"{table_folder}/support_id={support_id}"


def contract_day_folder(table_folder: str, support_id: str, day: dt.date) -> str:
    """A (contract, day) folder of a table partitioned `support_id=<S>/day=<D>/...`."""
    return f"{contract_folder(table_folder, support_id)}/day={day.isoformat()}"


def support_id_of_folder(folder_name: str) -> str:
    """`support_id=<S>` (a folder's own name) -> `<S>`."""
    return folder_name.removeprefix("support_id=")


def day_of_folder(folder_name: str) -> dt.date:
    """`day=<D>` (a folder's own name) -> the date `<D>`."""
    return dt.date.fromisoformat(folder_name.removeprefix("day="))


# -- raw store ---------------------------------------------------------------------------
def raw_partition(table: str, support_id: str, day: dt.date, tmid: str) -> str:
    return f"{raw_day(table, support_id, day)}/tmid={tmid}"


def raw_day(table: str, support_id: str, day: dt.date) -> str:
    return contract_day_folder(raw_table(table), support_id, day)


def raw_contract(table: str, support_id: str) -> str:
    return contract_folder(raw_table(table), support_id)


def raw_part(table: str, support_id: str, day: dt.date, tmid: str, batch_id: str) -> str:
    return f"{raw_partition(table, support_id, day, tmid)}/part-{batch_id}.parquet"


def quarantine_part(support_id: str, day: dt.date, batch_id: str) -> str:
    return f"{quarantine_day(support_id, day)}/part-{batch_id}.parquet"


def quarantine_blob(support_id: str, day: dt.date, batch_id: str, name: str) -> str:
    """Where a quarantined file too large for its table row is kept (an encrypted blob, see
    `storage/blobs.py`), named by a digest of its inbox path: never by the path itself,
    which the inbox's writer chose."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return f"{quarantine_day(support_id, day)}/blobs-{batch_id}/{digest}.blob"


def landing_log_day(day: dt.date) -> str:
    return f"{LANDING_LOG}/day={day.isoformat()}"


def landing_log_part(day: dt.date, batch_id: str) -> str:
    return f"{landing_log_day(day)}/part-{batch_id}.parquet"


def diag_bundle(support_id: str, name: str) -> str:
    return f"{diag_folder(support_id)}/{name}"


def diag_folder(support_id: str) -> str:
    return f"{DIAG_ROOT}/{support_id}"


def diag_bundle_of_inbox_file(support_id: str, inbox_path: str) -> str:
    """Where a diagnostic bundle of the inbox is kept: under its own file name."""
    return diag_bundle(support_id, posixpath.basename(inbox_path))


def diag_hand_over(support_id: str, name: str) -> str:
    """Where a collected bundle goes in support's own root: `<S>/<inbox file name>`."""
    return f"{support_id}/{name}"


TERMINALS = "_state/terminals"


def terminal_owner_marker(tmid: str, support_id: str) -> str:
    return f"{TERMINALS}/{tmid}/{support_id}"


def terminal_owner_of_marker(rel: str) -> tuple[str, str]:
    """`terminal_owner_marker(tmid, support_id)` -> (tmid, support_id)."""
    tmid, support_id = rel.split("/")[-2:]
    return tmid, support_id


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
    if table == PUBLICATIONS:
        return publication_part(EMPTY_SUPPORT, _EMPTY_DAY, "empty")
    if table == EXPIRATIONS:
        return expiration_part(EMPTY_SUPPORT, "empty")
    if table == LATE_UPLOADS:
        return late_uploads_part(EMPTY_SUPPORT, _EMPTY_DAY, "empty")
    raise ValueError(f"no empty anchor for {table!r}")


def is_contract_partition(support_folder: str) -> bool:
    return not support_id_of_folder(support_folder).startswith("_")


def is_parquet_part(rel: str) -> bool:
    name = posixpath.basename(rel)
    return name.startswith("part-") and name.endswith(".parquet")


def hive_value(rel: str, key: str) -> str | None:
    """The value of `key=` in a hive-style path, if any."""
    for piece in rel.split("/"):
        if piece.startswith(f"{key}="):
            return piece[len(key) + 1 :]
    return None


def part_folder(rel: str) -> str:
    """The folder a part file (or a compaction manifest) is in."""
    return posixpath.dirname(rel)


def beside(rel: str, name: str) -> str:
    """The file named `name` (only its last part counts) in the folder of `rel`."""
    return posixpath.join(posixpath.dirname(rel), posixpath.basename(name))


# -- raw compaction (storage/compaction.py) ----------------------------------------------
COMPACTION_MANIFEST_PREFIX = "compact-"


def compaction_part(folder: str, compaction_id: str) -> str:
    """The merged part a compaction writes in a terminal-day folder."""
    return f"{folder}/part-{compaction_id}.parquet"


def compaction_manifest(folder: str, compaction_id: str) -> str:
    return f"{folder}/{COMPACTION_MANIFEST_PREFIX}{compaction_id}.json"


def is_compaction_manifest(rel: str) -> bool:
    name = posixpath.basename(rel)
    return name.startswith(COMPACTION_MANIFEST_PREFIX) and name.endswith(".json")


# -- locks (storage/locks.py) ------------------------------------------------------------
LOCKS = "_state/locks"


def lock_file(name: str) -> str:
    """The file (local) or lease object (S3) of lock `name`; see storage/locks.py."""
    return f"{LOCKS}/{name}.lock"


# -- publication records (storage/publications.py) ---------------------------------------
PUBLICATIONS = "publications"
EXPIRATIONS = "expirations"
RECORD_TABLES = (PUBLICATIONS, LATE_UPLOADS, EXPIRATIONS)


def publications_folder(support_id: str | None = None) -> str:
    """Every publication record, or one contract's."""
    return contract_folder(PUBLICATIONS, support_id) if support_id else PUBLICATIONS


def publication_part(support_id: str, day: dt.date, publication_id: str) -> str:
    """`day`: the Japan date of publication."""
    return f"{contract_day_folder(PUBLICATIONS, support_id, day)}/part-{publication_id}.parquet"


def expiration_part(support_id: str, publication_id: str) -> str:
    return f"{contract_folder(EXPIRATIONS, support_id)}/part-{publication_id}.parquet"


def late_uploads_day(support_id: str, day: dt.date) -> str:
    return contract_day_folder(LATE_UPLOADS, support_id, day)


def late_uploads_part(support_id: str, day: dt.date, detection_id: str) -> str:
    return f"{late_uploads_day(support_id, day)}/part-{detection_id}.parquet"


# -- notices (storage/notices.py) --------------------------------------------------------
def outbox_notice(folder: str, notice_id: str) -> str:
    """A notice's e-mail file in the outbox folder (`""`: the root itself)."""
    name = f"{notice_id}.eml"
    return f"{folder}/{name}" if folder else name


# -- inbox -------------------------------------------------------------------------------
DIAG_FOLDER = "diag"


# -- delivery ----------------------------------------------------------------------------
# A deliverable is written in the staging folder and renamed into place, so a customer's
# folder only ever holds finished files (see `storage/deliverable_files.py`).
DELIVERY_STAGING = ".staging"


def delivery_folder(support_id: str) -> str:
    return f"it360-log/{support_id}"


def deliverable(support_id: str, file_name: str) -> str:
    """A deliverable's path in the delivery root."""
    return f"{delivery_folder(support_id)}/{file_name}"


def daily_file_name(day: dt.date) -> str:
    """The daily file of service day `day`: `<D>.zip`."""
    return f"{day.isoformat()}.zip"


def spot_30_days_file_name(day: dt.date) -> str:
    """One day of a 30-day spot order: `<D>_SP.zip`."""
    return f"{day.isoformat()}_SP.zip"


def spot_1_year_file_name(tmid: str, provided_day: dt.date) -> str:
    """A 1-year spot order of one terminal, provided on `provided_day`: `<TMID>_AllData_<P>.zip`."""
    return f"{tmid}_AllData_{provided_day.isoformat()}.zip"


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
    return contract_folder(agg_table(name), support_id)


def agg_day(name: str, support_id: str, day: dt.date) -> str:
    return contract_day_folder(agg_table(name), support_id, day)


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
    return contract_folder(agg_compact_root(name), support_id)


def agg_compact(name: str, support_id: str, compact_id: str) -> str:
    return f"{agg_compact_folder(name, support_id)}/compact-{compact_id}.parquet"


def is_agg_compact(rel: str) -> bool:
    name = posixpath.basename(rel)
    return name.startswith("compact-") and name.endswith(".parquet")


def ledger_export(support_id: str) -> str:
    return f"exports/ledger/{support_id}/ledger.csv"


def raw_table(table: str) -> str:
    return f"raw/{table}"


def quarantine_day(support_id: str, day: dt.date) -> str:
    return contract_day_folder(QUARANTINE, support_id, day)


DIAG_ROOT = "restricted/diag"


def inbox_folder(support_id: str) -> str:
    """A contract's folder in the inbox (its agents upload there)."""
    return support_id


def daily_file(support_id: str, day: dt.date) -> str:
    """A contract's daily file of service day `day`, in the delivery root."""
    return deliverable(support_id, daily_file_name(day))

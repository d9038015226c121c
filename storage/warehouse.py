"""Reads of the warehouse the landing needs: landed keys, TMID owners, bundles, day totals."""

from __future__ import annotations

import datetime as dt
import posixpath

import pyarrow as pa
import pyarrow.compute as pc

from storage import aggregates, compaction, layout, parquet, publications, schemas
from storage.roots import Root, is_temporary


def landed_by_terminal(warehouse: Root, day: dt.date) -> dict[tuple[str, str], dict[str, str]]:
    """(support_id, TMID) -> {upload_key: sha256} of every upload of service day `day` landed
    so far, from the landing log (one small file per landing batch).

    Not from the raw uploads parts: each landing run adds a part per terminal, so at the inbox
    sensor's pace (a run every few minutes, an upload per terminal in each) a run read one file
    per earlier run of each of its terminals, 19,200 files and 38 s by the end of a 200-terminal
    day, and the landing slowed quadratically over the day.
    """
    log = landed_uploads(warehouse, day, ["sha256"])
    landed: dict[tuple[str, str], dict[str, str]] = {}
    for support_id, key, sha in zip(
        log["support_id"].to_pylist(),
        log["upload_key"].to_pylist(),
        log["sha256"].to_pylist(),
        strict=True,
    ):
        landed.setdefault((support_id, key.split("_", 1)[0]), {})[key] = sha
    return landed


def terminal_owners(warehouse: Root) -> dict[str, str]:
    """tmid -> the contract that first landed it."""
    owners: dict[str, str] = {}
    for rel in warehouse.list_files(layout.TERMINALS):
        tmid, support_id = layout.terminal_owner_of_marker(rel)
        owners.setdefault(tmid, support_id)
    return owners


def raw_parts(warehouse: Root, table: str, support_id: str, day: dt.date) -> list[str]:
    return compaction.visible_parts(warehouse, layout.raw_day(table, support_id, day))


def read_raw_day(
    warehouse: Root, table: str, support_id: str, day: dt.date, columns: list[str] | None = None
) -> pa.Table:
    """One contract's rows of one raw table for one service day."""
    parts = raw_parts(warehouse, table, support_id, day)
    return parquet.read_tables(warehouse, parts, schemas.TABLES[table], columns)


def raw_support_ids(warehouse: Root) -> list[str]:
    return [
        layout.support_id_of_folder(d)
        for d in warehouse.list_dirs(layout.raw_table("uploads"))
        if layout.is_contract_partition(d)
    ]


ANCHORED = {
    **schemas.TABLES,
    layout.QUARANTINE: schemas.QUARANTINE,
    layout.LANDING_LOG: schemas.LANDING_LOG,
}


def ensure_schema_anchors(warehouse: Root) -> None:
    """Write each table's empty anchor file once, so the views work on a new warehouse."""
    parquet.ensure_empty_tables(
        warehouse, {layout.empty_anchor(table): schema for table, schema in ANCHORED.items()}
    )
    publications.ensure_anchors(warehouse)
    aggregates.ensure_anchors(warehouse)


def landing_log_day(warehouse: Root, day: dt.date) -> pa.Table:
    parts = parquet.part_files(warehouse, layout.landing_log_day(day))
    return parquet.read_tables(warehouse, parts, schemas.LANDING_LOG)


LANDED_COLUMNS = ["support_id", "upload_key", "batch_id", "logged_at"]


def landed_uploads(
    warehouse: Root, day: dt.date, extra_columns: list[str] | None = None
) -> pa.Table:
    """Every upload of service day `day` that landed, one row each (`LANDED_COLUMNS` and
    `extra_columns`), from the landing log: a few small columns of one file per batch, never
    the raw store."""
    columns = [*LANDED_COLUMNS, *(extra_columns or [])]
    parts = parquet.part_files(warehouse, layout.landing_log_day(day))
    log = parquet.read_tables(
        warehouse, parts, schemas.LANDING_LOG, ["outcome", "service_day", *columns]
    )
    landed = pc.and_(
        pc.equal(log["outcome"], "landed"),
        pc.equal(log["service_day"], pa.scalar(day, pa.date32())),
    )
    return log.filter(landed).select(columns)


def day_fates(warehouse: Root, day: dt.date) -> dict[str, object]:
    """What every landing run of a service day did, summed: files by outcome and quarantines
    by reason (from the landing log, so duplicates, which store nothing else, count too)."""
    log = landing_log_day(warehouse, day).to_pylist()
    outcomes: dict[str, int] = {}
    reasons: dict[str, int] = {}
    for row in log:
        outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
        if row["outcome"] == "quarantined":
            reasons[row["reason"]] = reasons.get(row["reason"], 0) + 1
    return {
        "outcomes": dict(sorted(outcomes.items())),
        "quarantined": dict(sorted(reasons.items())),
    }


def diag_bundle_files(
    warehouse: Root, support_id: str, tmid: str | None = None
) -> list[tuple[str, str]]:
    """(path, inbox file name) of each pending bundle of the contract (of one TMID if given),
    in name order; a write in progress (a hidden temporary) is not a bundle yet."""
    found = []
    for rel in sorted(warehouse.list_files(layout.diag_folder(support_id))):
        name = posixpath.basename(rel)
        if is_temporary(name) or (tmid is not None and _bundle_tmid(name) != tmid):
            continue
        found.append((rel, name))
    return found


def _bundle_tmid(name: str) -> str:
    return name.split("_", 1)[0]  # bundles keep the inbox name `<TMID>_<SENT15>-<ID>.zip`


def day_totals(warehouse: Root, support_ids: list[str], day: dt.date) -> dict[str, int]:
    """Counts of one service day across contracts, for checks and metadata."""
    uploads = records = rejects = records_claimed = rejects_claimed = 0
    keys: list[str] = []
    for support_id in support_ids:
        up = read_raw_day(
            warehouse, "uploads", support_id, day, ["upload_key", "records", "rejects"]
        )
        uploads += up.num_rows
        keys += up["upload_key"].to_pylist()
        records_claimed += int(pc.sum(up["records"]).as_py() or 0)
        rejects_claimed += int(pc.sum(up["rejects"]).as_py() or 0)
        records += read_raw_day(warehouse, "records", support_id, day, ["line_no"]).num_rows
        rejects += read_raw_day(warehouse, "rejects", support_id, day, ["line_no"]).num_rows
    return {
        "uploads": uploads,
        "distinct_upload_keys": len(set(keys)),
        "records": records,
        "records_claimed_by_uploads": records_claimed,
        "rejects": rejects,
        "rejects_claimed_by_uploads": rejects_claimed,
    }

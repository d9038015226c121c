"""The stored partitions retention acts on, listed from folder names, and their deletion.

Every retention job deletes whole partitions (a folder per contract and service day, or one
diagnostic bundle); the empty schema anchors (`support_id=_empty`) are never listed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from storage import layout
from storage.roots import Root, is_temporary


@dataclass(frozen=True)
class Partition:
    rel: str  # folder (or bundle file) relative to the warehouse
    support_id: str
    day: dt.date


def _day_partitions(wh: Root, table_folder: str, keep_invalid: bool = False) -> list[Partition]:
    found = []
    for support_folder in wh.list_dirs(table_folder):
        support_id = layout.support_id_of_folder(support_folder)
        if support_id == layout.EMPTY_SUPPORT:
            continue
        if not layout.is_contract_partition(support_id) and not keep_invalid:
            continue
        for day_folder in wh.list_dirs(layout.contract_folder(table_folder, support_id)):
            day = layout.day_of_folder(day_folder)
            rel = layout.contract_day_folder(table_folder, support_id, day)
            found.append(Partition(rel, support_id, day))
    return found


def aggregate_partitions(wh: Root) -> list[Partition]:
    """Every (aggregate, contract, day) folder of the dashboard."""
    return [p for name in layout.AGGREGATES for p in _day_partitions(wh, layout.agg_table(name))]


def raw_partitions(wh: Root) -> list[Partition]:
    """Every (raw table, contract, day) folder of the raw store."""
    return [p for t in layout.RAW_TABLES for p in _day_partitions(wh, layout.raw_table(t))]


def landing_log_partitions(wh: Root) -> list[Partition]:
    """Every service day's landing-log folder (the fates of that day's inbox files, every
    contract together); the schema anchor's folder is not one."""
    anchor_folder = layout.part_folder(layout.empty_anchor(layout.LANDING_LOG))
    days = [layout.day_of_folder(folder) for folder in wh.list_dirs(layout.LANDING_LOG)]
    return [
        Partition(layout.landing_log_day(day), "*", day)
        for day in days
        if layout.landing_log_day(day) != anchor_folder
    ]


def quarantine_partitions(wh: Root) -> list[Partition]:
    """Every (contract, day quarantined) folder, the `_invalid` folder's included."""
    return _day_partitions(wh, layout.QUARANTINE, keep_invalid=True)


def diag_bundles(wh: Root) -> list[tuple[str, dt.datetime]]:
    """Every diagnostic bundle in the restricted area, with when it arrived there (the time
    its file was written, which the landing does when it moves the bundle out of the inbox)."""
    try:
        found = wh.fs.find(wh.full(layout.DIAG_ROOT), withdirs=False, detail=True)
    except FileNotFoundError:
        return []
    bundles = []
    for path, info in sorted(found.items()):
        rel = wh.rel(path)
        if is_temporary(rel):
            continue
        stamp = info.get("mtime") or info.get("LastModified") or info.get("created")
        seconds = stamp.timestamp() if hasattr(stamp, "timestamp") else float(stamp)
        bundles.append((rel, dt.datetime.fromtimestamp(seconds, dt.UTC)))
    return bundles


def delete_partitions(wh: Root, partitions: list[Partition]) -> None:
    """Delete whole partition folders (a retry after a crash finds fewer of them)."""
    for partition in partitions:
        wh.delete_tree(partition.rel)


def delete_bundles(wh: Root, rels: list[str]) -> None:
    wh.delete_many(rels)

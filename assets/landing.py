"""Land one service day: list the inbox, triage in bounded batches, commit each batch.

This is the coordination between `storage/` (every read and write) and `transforms/` (every
decision); the Dagster asset in `assets/raw.py` only calls `land_day` and reports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa

from storage import journal, layout, parquet, schemas, warehouse
from storage.roots import Root, copy_stream
from transforms.inbox import InboxEntry, Kind, classify
from transforms.landing import (
    BatchResult,
    Fate,
    InboxFile,
    LandingContext,
    QuarantineItem,
    sha256_hex,
    triage_batch,
)
from transforms.reasons import Quarantine
from transforms.service_day import service_day_of_instant
from transforms.upload_zip import MAX_LOG_BYTES

# A ZIP can only be larger than its content by a little; anything this big is no upload.
MAX_ZIP_BYTES = MAX_LOG_BYTES + (1 << 20)


@dataclass
class LandingReport:
    day: dt.date
    files_seen: int = 0
    outcomes: Counter = field(default_factory=Counter)  # landed/duplicate/quarantined/diag
    quarantined_by_reason: Counter = field(default_factory=Counter)
    records: int = 0
    rejects: int = 0
    rejects_by_reason: Counter = field(default_factory=Counter)
    batches: int = 0
    recovered: journal.Recovery | None = None

    @property
    def accounted(self) -> int:
        return sum(self.outcomes.values())

    def add(self, result: BatchResult) -> None:
        self.batches += 1
        for fate in result.fates:
            self.outcomes[fate.outcome] += 1
            if fate.outcome == "quarantined":
                self.quarantined_by_reason[fate.reason] += 1
        self.records += result.records.height
        self.rejects += result.rejects.height
        self.rejects_by_reason.update(result.rejects["reason"].to_list())


@dataclass(frozen=True)
class LandingLimits:
    batch_files: int = 4000
    batch_bytes: int = 128 << 20


def land_day(
    inbox: Root,
    wh: Root,
    contracts: frozenset[str],
    day: dt.date,
    *,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    limits: LandingLimits = LandingLimits(),
    progress: Callable[[str], None] = lambda _msg: None,
) -> LandingReport:
    """Land every inbox upload of service day `day`, plus every dayless file and bundle."""
    warehouse.ensure_schema_anchors(wh)
    report = LandingReport(day=day, recovered=journal.recover(wh, inbox))
    listing = list_inbox(inbox)
    entries = [classify(path, contracts) for path in listing]
    mine = [e for e in entries if _belongs_to_run(e, day)]
    report.files_seen = len(mine)
    context = LandingContext(landed_sha={}, owners=warehouse.terminal_owners(wh))
    loaded: set[tuple[str, str]] = set()
    for batch in _batches(mine, listing, limits):
        at = now()
        _load_landed(wh, day, batch, context, loaded)
        result = _triage(inbox, batch, listing, context, at)
        _commit(inbox, wh, day, batch, result, at)
        context.owners.update(result.new_owners)
        context.landed_sha.update(
            zip(result.uploads["upload_key"], result.uploads["sha256"], strict=True)
        )
        report.add(result)
        progress(
            f"batch {report.batches}: {len(batch)} files, {report.accounted} of "
            f"{report.files_seen} settled"
        )
    return report


def _belongs_to_run(entry: InboxEntry, day: dt.date) -> bool:
    if entry.kind is Kind.UPLOAD:
        return entry.service_day == day
    return entry.kind in (Kind.DIAG, Kind.REFUSED)


def list_inbox(inbox: Root) -> dict[str, int]:
    """Inbox-relative path -> size, for every file."""
    found = inbox.fs.find(inbox.full(""), withdirs=False, detail=True)
    return {inbox.rel(path): int(info.get("size") or 0) for path, info in found.items()}


def _batches(
    entries: list[InboxEntry], sizes: dict[str, int], limits: LandingLimits
) -> Iterator[list[InboxEntry]]:
    # Dayless files and bundles first, so that even a run with no upload settles them.
    ordered = sorted(entries, key=lambda e: (e.kind is Kind.UPLOAD, e.path))
    batch: list[InboxEntry] = []
    batch_bytes = 0
    for entry in ordered:
        size = sizes[entry.path]
        if batch and (len(batch) >= limits.batch_files or batch_bytes + size > limits.batch_bytes):
            yield batch
            batch, batch_bytes = [], 0
        batch.append(entry)
        batch_bytes += size
    if batch:
        yield batch


def _load_landed(
    wh: Root, day: dt.date, batch: list[InboxEntry], context: LandingContext, loaded: set
) -> None:
    wanted: dict[str, set[str]] = {}
    for entry in batch:
        if entry.kind is Kind.UPLOAD and (entry.support_id, entry.name.tmid) not in loaded:
            wanted.setdefault(entry.support_id, set()).add(entry.name.tmid)
    for support_id, tmids in wanted.items():
        context.landed_sha.update(warehouse.landed_sha(wh, support_id, day, tmids))
        loaded.update((support_id, t) for t in tmids)


def _triage(
    inbox: Root,
    batch: list[InboxEntry],
    sizes: dict[str, int],
    context: LandingContext,
    at: dt.datetime,
) -> BatchResult:
    too_large = [e for e in batch if e.kind is not Kind.DIAG and sizes[e.path] > MAX_ZIP_BYTES]
    small = [e for e in batch if e.kind is not Kind.DIAG and sizes[e.path] <= MAX_ZIP_BYTES]
    data = inbox.read_many([e.path for e in small])
    uploads = [InboxFile(e, data[e.path]) for e in small if e.kind is Kind.UPLOAD]
    result = triage_batch(uploads, context, at)
    for entry in small:
        if entry.kind is Kind.REFUSED:
            item = _refused(entry, data[entry.path])
            result.quarantined.append(item)
            result.fates.append(_fate_of(item))
    for entry in too_large:
        item = QuarantineItem(
            entry.path,
            entry.support_id,
            entry.service_day,
            Quarantine.TOO_LARGE,
            f"{sizes[entry.path]} bytes",
            None,
            sizes[entry.path],
            None,
        )
        result.quarantined.append(item)
        result.fates.append(_fate_of(item))
    for entry in batch:
        if entry.kind is Kind.DIAG:
            result.fates.append(
                Fate(
                    entry.path,
                    entry.support_id,
                    entry.service_day,
                    entry.name.key,
                    "diag",
                    None,
                    None,
                    sizes[entry.path],
                )
            )
    return result


def _refused(entry: InboxEntry, data: bytes) -> QuarantineItem:
    return QuarantineItem(
        entry.path,
        entry.support_id,
        entry.service_day,
        entry.reason,
        entry.detail,
        data,
        len(data),
        sha256_hex(data),
    )


def _fate_of(item: QuarantineItem) -> Fate:
    name_key = None
    return Fate(
        item.path,
        item.support_id,
        item.service_day,
        name_key,
        "quarantined",
        item.reason.value,
        item.sha256,
        item.size,
    )


def batch_id_of(day: dt.date, batch: list[InboxEntry], at: dt.datetime) -> str:
    """Unique per batch: a re-sent file has the same path as its first copy, so the time of
    the batch is part of the id (part names never collide with an earlier batch's)."""
    digest = hashlib.sha256(f"{day.isoformat()}\0{at.isoformat()}".encode())
    for entry in batch:
        digest.update(f"\0{entry.path}".encode())
    return at.strftime("%Y%m%dT%H%M%S") + "-" + digest.hexdigest()[:16]


def _commit(
    inbox: Root,
    wh: Root,
    day: dt.date,
    batch: list[InboxEntry],
    result: BatchResult,
    at: dt.datetime,
) -> None:
    batch_id = batch_id_of(day, batch, at)
    writes: list[tuple[str, Callable[[], None]]] = []

    def table_write(rel: str, table: pa.Table) -> None:
        writes.append((rel, lambda: parquet.write_table(wh, rel, table)))

    # Records and rejects before uploads: the uploads part is what makes a key count as landed.
    for table_name, frame in (
        ("records", result.records),
        ("rejects", result.rejects),
        ("uploads", result.uploads),
    ):
        schema = schemas.TABLES[table_name]
        with_batch = (
            frame.with_columns(pl.lit(batch_id).alias("batch_id"))
            if "batch_id" in schema.names
            else frame
        )
        for (support_id, part_day, tmid), part in with_batch.partition_by(
            ["support_id", "day", "tmid"], as_dict=True, maintain_order=True
        ).items():
            rel = layout.raw_part(table_name, support_id, part_day, tmid, batch_id)
            table_write(rel, part.to_arrow().select(schema.names).cast(schema))
    q_day = service_day_of_instant(at)
    for support_id, items in _by_support(result.quarantined).items():
        rel = layout.quarantine_part(support_id, q_day, batch_id)
        table_write(rel, _quarantine_table(items, support_id, q_day, batch_id, at))
    for item in result.quarantined:
        if item.data is None:
            blob = f"{layout.quarantine_part(_support_or_invalid(item.support_id), q_day, batch_id)}.blobs/{item.path}"  # noqa: E501
            writes.append((blob, lambda i=item, b=blob: copy_stream(inbox, i.path, wh, b)))
    for fate in result.fates:
        if fate.outcome == "diag":
            target = layout.diag_bundle(fate.support_id, fate.path.rsplit("/", 1)[-1])
            writes.append((target, lambda f=fate, t=target: copy_stream(inbox, f.path, wh, t)))
    for tmid, support_id in result.new_owners.items():
        marker = layout.terminal_owner_marker(tmid, support_id)
        writes.append((marker, lambda m=marker: wh.write_bytes(m, b"")))
    table_write(
        layout.landing_log_part(day, batch_id), _landing_log(result.fates, day, batch_id, at)
    )
    journal.run_batch(wh, inbox, batch_id, writes, [e.path for e in batch])


def _support_or_invalid(support_id: str | None) -> str:
    return support_id or layout.INVALID_SUPPORT


def _by_support(items: list[QuarantineItem]) -> dict[str, list[QuarantineItem]]:
    grouped: dict[str, list[QuarantineItem]] = {}
    for item in items:
        grouped.setdefault(_support_or_invalid(item.support_id), []).append(item)
    return grouped


def _quarantine_table(
    items: list[QuarantineItem], support_id: str, q_day: dt.date, batch_id: str, at: dt.datetime
) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "support_id": support_id,
                "day": q_day,
                "name": i.path,
                "service_day": i.service_day,
                "reason": i.reason.value,
                "detail": i.detail,
                "sha256": i.sha256,
                "size": i.size,
                "batch_id": batch_id,
                "quarantined_at": at,
                "content": i.data,
            }
            for i in items
        ],
        schema=schemas.QUARANTINE,
    )


def _landing_log(fates: list[Fate], day: dt.date, batch_id: str, at: dt.datetime) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "day": day,
                "batch_id": batch_id,
                "path": f.path,
                "support_id": f.support_id,
                "service_day": f.service_day,
                "upload_key": f.upload_key,
                "outcome": f.outcome,
                "reason": f.reason,
                "sha256": f.sha256,
                "size": f.size,
                "logged_at": at,
            }
            for f in sorted(fates, key=lambda f: f.path)
        ],
        schema=schemas.LANDING_LOG,
    )

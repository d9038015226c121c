"""Land one service day: list the inbox, triage in bounded batches, commit each batch.

This is the coordination between `storage/` (every read and write) and `transforms/` (every
decision); the Dagster asset in `assets/landing/raw.py` only calls `land_day` and reports.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc

from assets.first_day import first_service_day
from assets.landing.work import (
    PART_TABLES,
    Share,
    ShareResult,
    Workers,
    gc_paused,
    land_share,
    restrict,
    split_shares,
)
from storage import journal, landing_batch, layout, locks, schemas, warehouse
from storage.roots import NO_FILE, Identity, Listing, Root
from transforms.inbox import InboxEntry, Kind, classify
from transforms.landing import (
    Fates,
    LandingContext,
    QuarantineItem,
    not_a_file,
    sha256_hex,
)
from transforms.reasons import Quarantine
from transforms.service_day import landable_days, service_day_of_instant
from transforms.upload_zip import MAX_LOG_BYTES

# A ZIP can only be larger than its content by a little; anything this big is no upload.
MAX_ZIP_BYTES = MAX_LOG_BYTES + (1 << 20)


@dataclass
class TriagedBatch:
    """A batch whose every file has its fate, with the parts to write; not committed yet."""

    entries: list[InboxEntry]
    batch_id: str
    at: dt.datetime
    parts: dict[str, list[tuple[str, bytes]]]  # raw table -> [(relative path, Parquet bytes)]
    fates: pa.Table  # `transforms.landing.FATES` rows, one per file of `entries`
    quarantined: list[QuarantineItem]
    new_owners: dict[str, str]
    landed_sha: dict[str, str]
    records: int
    rejects: int
    rejects_by_reason: Counter


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

    def add(self, batch: TriagedBatch) -> None:
        self.batches += 1
        outcome = batch.fates["outcome"]
        self.outcomes.update(_counts(outcome))
        self.quarantined_by_reason.update(
            _counts(batch.fates["reason"].filter(pc.equal(outcome, "quarantined")))
        )
        self.records += batch.records
        self.rejects += batch.rejects
        self.rejects_by_reason.update(batch.rejects_by_reason)


def _counts(values: pa.ChunkedArray) -> Counter:
    return Counter({row["values"]: row["counts"] for row in pc.value_counts(values).to_pylist()})


@dataclass(frozen=True)
class LandingLimits:
    batch_files: int = 4000
    batch_bytes: int = 128 << 20
    # Processes triaging the shares of a batch (see assets/landing/work.py); 1: this one.
    workers: int = min(4, os.cpu_count() or 1)
    # Files per share: a worker's memory follows its share, so a batch has at least
    # `workers` shares and more when it is large (a share never splits a TMID).
    share_files: int = 250
    # Starting workers costs about a second, worth it only for an inbox with this many files.
    parallel_from_files: int = 2000
    # Files a batch's commit copies (bundles, files too large for a row): each is held open
    # from before the commit until it is copied, so this bounds the open files.
    batch_copies: int = 200


def land_day(
    inbox: Root,
    wh: Root,
    contracts: frozenset[str],
    day: dt.date,
    *,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    limits: LandingLimits = LandingLimits(),
    progress: Callable[[str], None] = lambda _msg: None,
    holder: str = "",
) -> LandingReport:
    """Land every inbox upload of service day `day`, plus every dayless file and bundle.
    `holder` (e.g. "run 1a2b3c4d") is named in the landing lock, for the messages of a run
    that waits for it or finds it left by a killed run.

    Batches are pipelined: while batch N is committed here, the workers already triage batch
    N+1 (its decisions only need N's outcome, known before N is written). Every write and
    delete happens in this process, in batch order, through the journal. Batch N+1 is even
    handed to the workers while they still triage N: only its shares with a TMID of N wait
    for N's outcome, so the workers never stand idle between batches.
    """
    # One landing at a time per warehouse, whoever starts it (see storage/locks.py).
    purpose = f"landing {day}" + (f" ({holder})" if holder else "")
    with locks.hold(wh, locks.LANDING, purpose=purpose, notify=progress):
        warehouse.ensure_schema_anchors(wh)
        report = LandingReport(day=day, recovered=journal.recover(wh, inbox))
        entries = inbox.list_entries()
        not_files = entries.not_files  # a link, a FIFO, an empty folder...: settled by name
        listing = entries.every_entry()
        # Decided on the whole inbox, before classifying it, so that the workers' start-up
        # overlaps the classification (an inbox this full is almost always one day's uploads).
        parallel = len(listing) >= limits.parallel_from_files
        # Uploads of a day no run can land (before the service, or a PC clock far ahead) are
        # refused in any run, as dayless files are.
        days = landable_days(now(), first_service_day())
        with Workers(limits.workers if parallel else 1) as workers:
            with gc_paused():  # an entry per inbox file, no cycle
                mine, copied = _paths_of_run(listing, not_files, contracts, day, days)
            report.files_seen = len(mine)
            pipeline = _TwoDeep(
                workers,
                inbox,
                limits,
                sizes=listing,
                context=LandingContext(landed_sha={}, owners=warehouse.terminal_owners(wh)),
                landed_before=warehouse.landed_by_terminal(wh, day),
            )
            for paths in _batches(mine, listing, copied, limits):
                # Classified again here, so that only one batch's entries are held at a time.
                with gc_paused():  # see gc_paused: thousands of objects per batch, no cycle
                    batch = [classify(p, contracts, days, not_files.get(p)) for p in paths]
                    triaged = pipeline.push(batch, day, now())
                    if triaged is not None:
                        _commit_and_report(inbox, wh, day, triaged, entries, report, progress)
            with gc_paused():
                triaged = pipeline.drain()
                if triaged is not None:
                    _commit_and_report(inbox, wh, day, triaged, entries, report, progress)
        return report


def _commit_and_report(
    inbox: Root,
    wh: Root,
    day: dt.date,
    triaged: TriagedBatch,
    listing: Listing,
    report: LandingReport,
    progress: Callable[[str], None],
) -> None:
    triaged = _commit(inbox, wh, day, triaged, listing.identities)
    report.add(triaged)
    progress(
        f"batch {report.batches}: {len(triaged.entries)} files, {report.accounted} of "
        f"{report.files_seen} settled"
    )


def _belongs_to_run(entry: InboxEntry, day: dt.date) -> bool:
    if entry.kind is Kind.UPLOAD:
        return entry.service_day == day
    return entry.kind in (Kind.DIAG, Kind.REFUSED)


def _paths_of_run(
    listing: dict[str, int],
    not_files: dict[str, str],
    contracts: frozenset[str],
    day: dt.date,
    days: tuple[dt.date, dt.date],
) -> tuple[list[str], set[str]]:
    """This run's inbox paths in landing order: dayless files and bundles first, so that even
    a run with no upload settles them; and those of them the commit copies (bundles, files
    too large to read). Only paths are kept: a classified entry weighs about 1 KiB, and a
    large day has 100,000 files."""
    keyed = []
    copied: set[str] = set()
    for path in listing:
        entry = classify(path, contracts, days, not_files.get(path))
        if _belongs_to_run(entry, day):
            keyed.append((entry.kind is Kind.UPLOAD, path))
            if entry.kind is Kind.DIAG or listing[path] > MAX_ZIP_BYTES:
                copied.add(path)
    keyed.sort()
    return [path for _upload, path in keyed], copied


def _batches(
    paths: list[str], sizes: dict[str, int], copied: set[str], limits: LandingLimits
) -> Iterator[list[str]]:
    batch: list[str] = []
    batch_bytes = copies = 0
    for path in paths:
        size, is_copy = sizes[path], path in copied
        if batch and (
            len(batch) >= limits.batch_files
            or batch_bytes + size > limits.batch_bytes
            or copies + is_copy > limits.batch_copies
        ):
            yield batch
            batch, batch_bytes, copies = [], 0, 0
        batch.append(path)
        batch_bytes += size
        copies += is_copy
    if batch:
        yield batch


def _forget_passed_terminals(
    context: LandingContext, loaded: set[tuple[str, str]], batch: list[InboxEntry]
) -> None:
    """Keep only the landed keys of the terminals of `batch` (the latest batch started), so
    memory follows the batch, not the day. Paths are landed in sorted order, so the uploads of
    one (support_id, TMID) are consecutive: a later batch can only hold terminals of the
    latest one, or new ones.
    (Keys of the same TMID in another contract never matter: the TMID's owner check
    quarantines those uploads before any key is looked at.)"""
    current = {(e.support_id, e.name.tmid) for e in batch if e.kind is Kind.UPLOAD}
    tmids = {tmid for _support, tmid in current}
    context.landed_sha = {
        key: sha for key, sha in context.landed_sha.items() if key.split("_", 1)[0] in tmids
    }
    loaded &= current


def _load_landed(
    landed_before: dict[tuple[str, str], dict[str, str]],
    batch: list[InboxEntry],
    context: LandingContext,
    loaded: set,
) -> None:
    """Hand the batch's terminals' keys landed by earlier runs to the triage (this run's own
    come back with each batch's outcome); each terminal's once, then dropped here."""
    for entry in batch:
        terminal = (entry.support_id, entry.name.tmid) if entry.kind is Kind.UPLOAD else None
        if terminal is not None and terminal not in loaded:
            context.landed_sha.update(landed_before.pop(terminal, {}))
            loaded.add(terminal)


@dataclass
class _InFlight:
    """A batch with the workers, its outcome not known yet. Each share is either handed to a
    worker or held back: a share with a TMID of the batch before needs that batch's outcome
    (the TMID's owner, its landed keys) and is handed over once it is known."""

    entries: list[InboxEntry]
    batch_id: str
    at: dt.datetime
    shares: list[list[InboxEntry]]
    handed: dict[int, Future] = field(default_factory=dict)  # share index -> its triage
    held_back: list[int] = field(default_factory=list)  # share indexes

    def results(self) -> list[ShareResult]:
        """Every share's result, in share order (waits for them)."""
        return [self.handed[i].result() for i in range(len(self.shares))]


class _TwoDeep:
    """Batches pipelined two deep through the workers, so they never stand idle.

    `push(batch)` hands the new batch's shares to the workers at once, holding back those with
    a TMID of the batch still in flight, then waits for that batch, learns its outcome, hands
    over the held-back shares, and returns it triaged: the caller commits it while the workers
    triage the new one. `drain()` returns the last batch. With paths in sorted order, about
    one share per batch is held back.
    """

    def __init__(
        self,
        workers: Workers,
        inbox: Root,
        limits: LandingLimits,
        *,
        sizes: dict[str, int],
        context: LandingContext,
        landed_before: dict[tuple[str, str], dict[str, str]],
    ) -> None:
        self._workers = workers
        self._inbox = inbox
        self._limits = limits
        self._sizes = sizes
        self._context = context  # what the triage of the next shares must know
        self._landed_before = landed_before  # keys of earlier runs, per terminal not loaded yet
        self._loaded: set[tuple[str, str]] = set()
        self._in_flight: _InFlight | None = None

    def push(self, batch: list[InboxEntry], day: dt.date, at: dt.datetime) -> TriagedBatch | None:
        """Start `batch`; the batch started before it, triaged (None for the first)."""
        _load_landed(self._landed_before, batch, self._context, self._loaded)
        started = self._start(batch, day, at)
        before, self._in_flight = self._in_flight, started
        if before is None:
            return None
        triaged = _finish_triage(self._inbox, before, self._sizes)
        self._context.owners.update(triaged.new_owners)
        self._context.landed_sha.update(triaged.landed_sha)
        _forget_passed_terminals(self._context, self._loaded, batch)
        for i in started.held_back:
            started.handed[i] = self._submit(started, started.shares[i])
        started.held_back = []
        return triaged

    def drain(self) -> TriagedBatch | None:
        """The last batch started, triaged (None if none was)."""
        last, self._in_flight = self._in_flight, None
        return None if last is None else _finish_triage(self._inbox, last, self._sizes)

    def _start(self, batch: list[InboxEntry], day: dt.date, at: dt.datetime) -> _InFlight:
        sizes, before = self._sizes, self._in_flight
        uploads = [e for e in batch if e.kind is Kind.UPLOAD and sizes[e.path] <= MAX_ZIP_BYTES]
        count = max(self._workers.count, -(-len(uploads) // self._limits.share_files))
        busy = {e.name.tmid for e in before.entries if e.kind is Kind.UPLOAD} if before else set()
        started = _InFlight(
            batch, batch_id_of(day, batch, at), at, split_shares(uploads, sizes, count)
        )
        for i, share in enumerate(started.shares):
            if any(e.name.tmid in busy for e in share):
                started.held_back.append(i)
            else:
                started.handed[i] = self._submit(started, share)
        return started

    def _submit(self, started: _InFlight, share: list[InboxEntry]) -> Future:
        restricted = restrict(self._context, share)
        return self._workers.submit(
            land_share,
            Share(self._inbox.uri, share, restricted, started.at, started.batch_id),
        )


def _finish_triage(inbox: Root, started: _InFlight, sizes: dict[str, int]) -> TriagedBatch:
    """Wait for the shares, then add the files settled without opening them."""
    results = started.results()
    batch = started.entries
    order = {e.path: (e.name.sent15, e.support_id, e.path) for e in batch if e.name}
    # As one triage of the whole batch would list them: earliest SENT15 first.
    quarantined = sorted(
        (item for r in results for item in r.quarantined), key=lambda i: order[i.path]
    )
    unopened = _settle_unopened(inbox, batch, sizes, quarantined)
    return TriagedBatch(
        entries=batch,
        batch_id=started.batch_id,
        at=started.at,
        parts={t: [part for r in results for part in r.parts[t]] for t in PART_TABLES},
        fates=pa.concat_tables([*(r.fates for r in results), unopened.table()]),
        quarantined=quarantined,
        new_owners={t: s for r in results for t, s in r.new_owners.items()},
        landed_sha={k: v for r in results for k, v in r.landed_sha.items()},
        records=sum(r.records for r in results),
        rejects=sum(r.rejects for r in results),
        rejects_by_reason=sum((r.rejects_by_reason for r in results), Counter()),
    )


def _settle_unopened(
    inbox: Root, batch: list[InboxEntry], sizes: dict[str, int], quarantined: list[QuarantineItem]
) -> Fates:
    """Refused names, files too large to be uploads, and diagnostic bundles: their fates,
    the quarantined ones also added to `quarantined`."""
    fates = Fates()
    small = [e for e in batch if e.kind is not Kind.DIAG and sizes[e.path] <= MAX_ZIP_BYTES]
    too_large = [e for e in batch if e.kind is not Kind.DIAG and sizes[e.path] > MAX_ZIP_BYTES]
    refused = [e for e in small if e.kind is Kind.REFUSED]
    # An entry listed as no regular file is refused by name and never opened.
    data, not_files = inbox.read_files(
        [e.path for e in refused if e.reason is not Quarantine.NOT_A_FILE]
    )
    for entry in refused:
        if entry.path in not_files:  # a regular file when listed, not one now
            item = not_a_file(entry, not_files[entry.path])
        else:
            item = _refused(entry, data.get(entry.path, b""))
        quarantined.append(item)
        fates.add_quarantined(item)
    for entry in too_large:
        item = QuarantineItem(
            path=entry.path,
            support_id=entry.support_id,
            service_day=entry.service_day,
            reason=Quarantine.TOO_LARGE,
            detail=f"{sizes[entry.path]} bytes",
            data=None,
            size=sizes[entry.path],
            sha256=None,
        )
        quarantined.append(item)
        fates.add_quarantined(item)
    for entry in batch:
        if entry.kind is Kind.DIAG:
            fates.add_diag(entry, sizes[entry.path])
    return fates


def _refused(entry: InboxEntry, data: bytes) -> QuarantineItem:
    unread = entry.reason is Quarantine.NOT_A_FILE  # by name: no content, no checksum
    return QuarantineItem(
        path=entry.path,
        support_id=entry.support_id,
        service_day=entry.service_day,
        reason=entry.reason,
        detail=entry.detail,
        data=data,
        size=len(data),
        sha256=None if unread else sha256_hex(data),
    )


def batch_id_of(day: dt.date, batch: list[InboxEntry], at: dt.datetime) -> str:
    """Unique per batch: a re-sent file has the same path as its first copy, so the time of
    the batch is part of the id (part names never collide with an earlier batch's)."""
    digest = hashlib.sha256(f"{day.isoformat()}\0{at.isoformat()}".encode())
    for entry in batch:
        digest.update(f"\0{entry.path}".encode())
    return at.strftime("%Y%m%dT%H%M%S") + "-" + digest.hexdigest()[:16]


def _commit(
    inbox: Root, wh: Root, day: dt.date, triaged: TriagedBatch, listed: dict[str, Identity]
) -> TriagedBatch:
    """Store the batch; returns it with the fates it was stored with (see `_opened_or_refused`).
    `listed`: the listing's identities, so that an entry replaced since is left in the inbox."""
    copied = _copied_at_commit(triaged)
    with inbox.open_files(copied) as (sources, refused):
        triaged = _opened_or_refused(triaged, refused)
        landing_batch.commit(inbox, wh, _batch_files(triaged, day, sources, listed))
    return triaged


def _copied_at_commit(triaged: TriagedBatch) -> list[str]:
    """Inbox paths whose bytes the commit copies (bundles, files too large for a row): the
    workers never read them."""
    blobs = [item.path for item in triaged.quarantined if item.data is None]
    return blobs + [path for _support_id, path in _diag_bundles(triaged.fates)]


def _opened_or_refused(triaged: TriagedBatch, refused: dict[str, str]) -> TriagedBatch:
    """The batch with each entry that was to be copied but is no regular file now (a link
    or FIFO swapped in since the listing, or gone) quarantined by name, as a worker's read
    settles an upload swapped or gone: no content, and the rest of the batch commits."""
    if not refused:
        return triaged
    items = {e.path: not_a_file(e, refused[e.path]) for e in triaged.entries if e.path in refused}
    fates = Fates()
    for item in items.values():
        fates.add_quarantined(item)
    kept = pc.invert(pc.is_in(triaged.fates["path"], pa.array(list(items), pa.string())))
    # A file too large for a row keeps its place among the quarantined; a bundle joins them.
    quarantined = [items.pop(item.path, item) for item in triaged.quarantined]
    return dataclasses.replace(
        triaged,
        fates=pa.concat_tables([triaged.fates.filter(kept), fates.table()]),
        quarantined=quarantined + list(items.values()),
    )


def _batch_files(
    triaged: TriagedBatch,
    day: dt.date,
    sources: dict[str, IO[bytes]],
    listed: dict[str, Identity],
) -> landing_batch.BatchFiles:
    batch_id, at = triaged.batch_id, triaged.at
    q_day = service_day_of_instant(at)
    quarantine = {
        support_id: _quarantine_table(items, support_id, q_day, batch_id, at)
        for support_id, items in _by_support(triaged.quarantined).items()
    }
    return landing_batch.BatchFiles(
        batch_id=batch_id,
        day=day,
        quarantine_day=q_day,
        parts=triaged.parts,
        quarantine=quarantine,
        quarantine_blobs=[
            (_support_or_invalid(item.support_id), item.path)
            for item in triaged.quarantined
            if item.data is None
        ],
        diag_bundles=_diag_bundles(triaged.fates),
        sources=sources,
        new_owners=triaged.new_owners,
        landing_log=_landing_log(triaged.fates, day, batch_id, at),
        consumed=[e.path for e in triaged.entries],
        listed=_listed_of_batch(triaged, listed),
    )


def _listed_of_batch(triaged: TriagedBatch, listed: dict[str, Identity]) -> dict[str, Identity]:
    """Each consumed path -> what its delete must still find there (`Root.delete_many`): what
    the listing found, or, for an entry settled by name as no regular file, `NO_FILE` (a link
    or FIFO swapped in since the listing is what was settled, and goes)."""
    by_name = {i.path for i in triaged.quarantined if i.reason is Quarantine.NOT_A_FILE}
    return {
        e.path: NO_FILE if e.path in by_name else listed[e.path]
        for e in triaged.entries
        if e.path in by_name or e.path in listed
    }


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


def _diag_bundles(fates: pa.Table) -> list[tuple[str, str]]:
    bundles = fates.filter(pc.equal(fates["outcome"], "diag"))
    return list(zip(bundles["support_id"].to_pylist(), bundles["path"].to_pylist(), strict=True))


def _landing_log(fates: pa.Table, day: dt.date, batch_id: str, at: dt.datetime) -> pa.Table:
    """The batch's landing log: its files' fates by path, with the batch's own columns."""
    fates = fates.sort_by("path")
    n = fates.num_rows
    batch_columns = {
        "day": pa.repeat(pa.scalar(day, pa.date32()), n),
        "batch_id": pa.repeat(pa.scalar(batch_id, pa.string()), n),
        "logged_at": pa.repeat(pa.scalar(at, schemas.LANDING_LOG.field("logged_at").type), n),
    }
    return pa.Table.from_arrays(
        [batch_columns[n] if n in batch_columns else fates[n] for n in schemas.LANDING_LOG.names],
        schema=schemas.LANDING_LOG,
    )

"""The CPU work of landing a batch, in worker processes: read, triage, encode the parts.

A landing batch spends nearly all its time on work that needs no shared state: reading and
inflating thousands of small ZIPs, parsing their headers and records, and encoding the
Parquet parts. Its only sequential decisions (the first SENT15 claims a TMID; a key landed
before makes a duplicate or a conflict) are per TMID. So a batch is split into shares that
never split a TMID, each share is triaged by `land_share` in a worker process, and the
parent only merges the results and commits them through the journal: every warehouse write,
and so the crash safety of the journal, stays in the one landing process.

A worker writes nothing anywhere; one whose parent dies exits (`_exit_with_parent`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import multiprocessing
import multiprocessing.connection
import os
import sys
import threading
import types
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from storage import layout, parquet, schemas
from storage.roots import Root
from transforms.inbox import InboxEntry
from transforms.landing import (
    Fates,
    InboxFile,
    LandingContext,
    QuarantineItem,
    not_a_file,
    triage_batch,
)

if TYPE_CHECKING:
    import polars as pl

PART_TABLES = ("records", "rejects", "uploads")  # the order they are written in


@dataclass(frozen=True)
class Share:
    """Uploads of one batch, whole TMIDs only, with what the warehouse knows of them."""

    inbox_uri: str
    entries: list[InboxEntry]  # Kind.UPLOAD, small enough to read
    context: LandingContext  # restricted to these TMIDs and keys
    landed_at: dt.datetime
    batch_id: str


@dataclass
class ShareResult:
    parts: dict[str, list[tuple[str, bytes]]]  # table -> [(relative path, Parquet bytes)]
    fates: pa.Table  # `transforms.landing.FATES` rows
    quarantined: list[QuarantineItem]
    new_owners: dict[str, str]
    landed_sha: dict[str, str]  # upload_key -> sha256 of what this share landed
    records: int = 0
    rejects: int = 0
    rejects_by_reason: Counter = field(default_factory=Counter)


def split_shares(
    entries: list[InboxEntry], sizes: dict[str, int], count: int
) -> list[list[InboxEntry]]:
    """`entries` in at most `count` shares of about equal bytes, each TMID in one share."""
    by_tmid: dict[str, list[InboxEntry]] = {}
    for entry in entries:
        by_tmid.setdefault(entry.name.tmid, []).append(entry)
    total = sum(sizes[e.path] for e in entries)
    shares: list[list[InboxEntry]] = [[]]
    filled = 0
    for group in by_tmid.values():
        if filled >= total * len(shares) / count and len(shares) < count:
            shares.append([])
        shares[-1].extend(group)
        filled += sum(sizes[e.path] for e in group)
    return [share for share in shares if share]


def restrict(context: LandingContext, entries: list[InboxEntry]) -> LandingContext:
    """The part of `context` that decisions about `entries` can look at."""
    tmids = {e.name.tmid for e in entries}
    keys = {e.name.key for e in entries}
    return LandingContext(
        landed_sha={k: v for k, v in context.landed_sha.items() if k in keys},
        owners={t: s for t, s in context.owners.items() if t in tmids},
    )


def land_share(share: Share) -> ShareResult:
    """Triage one share and encode its parts of the raw tables (writes nothing)."""
    with gc_paused():
        return _land_share(share)


def _land_share(share: Share) -> ShareResult:
    data, not_files = Root(share.inbox_uri).read_files([e.path for e in share.entries])
    files = [InboxFile(e, data[e.path]) for e in share.entries if e.path in data]
    del data
    result = triage_batch(files, share.context, share.landed_at)
    # Listed as regular files, but not one when opened (a link swapped in since, or gone):
    # by name.
    unread = [not_a_file(e, not_files[e.path]) for e in share.entries if e.path in not_files]
    unread_fates = Fates()
    for item in unread:
        unread_fates.add_quarantined(item)
    frames = {"records": result.records, "rejects": result.rejects, "uploads": result.uploads}
    return ShareResult(
        parts={t: encode_parts(t, frames[t], share.batch_id) for t in PART_TABLES},
        fates=pa.concat_tables([result.fates, unread_fates.table()]),
        quarantined=result.quarantined + unread,
        new_owners=result.new_owners,
        landed_sha=dict(zip(result.uploads["upload_key"], result.uploads["sha256"], strict=True)),
        records=result.records.height,
        rejects=result.rejects.height,
        rejects_by_reason=Counter(result.rejects["reason"].to_list()),
    )


def encode_parts(table: str, frame: pl.DataFrame, batch_id: str) -> list[tuple[str, bytes]]:
    """One Parquet file per (support_id, day, tmid) partition of `frame`."""
    import polars as pl  # in the workers only (see transforms/landing.py)

    schema = schemas.TABLES[table]
    if "batch_id" in schema.names:
        frame = frame.with_columns(pl.lit(batch_id).alias("batch_id"))
    parts = frame.partition_by(["support_id", "day", "tmid"], as_dict=True, maintain_order=True)
    # Arrow's classic string layout, not Polars' string views: casting views to the schema's
    # strings would copy every value once more.
    oldest = pl.CompatLevel.oldest()
    return [
        (
            layout.raw_part(table, support_id, day, tmid, batch_id),
            parquet.table_to_parquet_bytes(
                part.to_arrow(compat_level=oldest).select(schema.names).cast(schema)
            ),
        )
        for (support_id, day, tmid), part in parts.items()
    ]


class Workers:
    """Runs `land_share` calls: in `count` worker processes, or in this process when 1.

    Processes are started with `spawn` (forking a process that already runs Polars and
    DuckDB threads can deadlock) as soon as the pool is made, so their imports overlap the
    parent's own work before the first batch. Each runs Polars (and so DuckDB, see
    `transforms/records.py`) on one thread: the workers already keep every core busy, and
    threads of their own would only add synchronisation (about a quarter more CPU).
    """

    def __init__(self, count: int) -> None:
        # A daemonic process (e.g. a prefork Celery worker) may not start children.
        self.count = 1 if multiprocessing.current_process().daemon else max(1, count)
        self._pool: ProcessPoolExecutor | None = None
        if self.count > 1:
            self._pool = ProcessPoolExecutor(
                self.count,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent,
            )
            # A spawned process starts with this environment, and Polars reads its thread
            # count once, at import; the pool starts every process on these first submits.
            with _environment(POLARS_MAX_THREADS="1"), _main_module_hidden():
                for _ in range(self.count):
                    self._pool.submit(_ready)

    def submit(self, fn: Callable[[Share], ShareResult], share: Share) -> Future:
        if self._pool is not None:
            return self._pool.submit(fn, share)
        done: Future = Future()
        try:
            done.set_result(fn(share))
        except Exception as exc:
            done.set_exception(exc)
        return done

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection inside: a share (or a batch's commit) makes tens of
    thousands of small objects, so the collector would run hundreds of times and walk them
    (and every imported module's objects) each time, for no cycle to find: the rows, fates
    and parts are plain containers freed by their reference counts, and an exception caught
    in the triage is dropped with its name at the end of its `except`. What it would have
    found is bounded by the share or batch and collected as usual once the collector is back
    on. Nested or concurrent uses leave it on at the end if it was on at the start."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Processes spawned inside start without running this process's main module again.
    `spawn` runs it in each child (as `__mp_main__`, for functions defined there), and a
    landing's main module is a command: `dagster` (its whole CLI), `python -m pipelines.run`
    or Dagster's run worker, each importing Dagster, 0.5-0.9 CPU s per worker for nothing
    (docs/performance.md, issue 23). The workers run only this module's functions. The pool
    starts its processes within its first submits (`Workers`), which is when this is held;
    no thread of a run reads `__main__` in those milliseconds."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if main is not None:
            sys.modules["__main__"] = main


def _ready() -> None:
    """Submitted once per worker as the pool starts: imports what `land_share` needs (Polars,
    DuckDB, which the landing process itself never imports) while the parent classifies the
    inbox, rather than when the first batch arrives."""
    from transforms import records

    records.warm_up()
    # Whatever exists now (the imported modules) lives as long as the worker: the collector
    # need not walk it again at every collection.
    gc.freeze()


def _exit_with_parent() -> None:
    # A worker only computes for its parent; if the parent is killed (kill -9 mid-landing is
    # a tested case), nothing should linger holding memory or the parent's output pipes.
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def wait_then_exit() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=wait_then_exit, name="exit-with-parent", daemon=True).start()

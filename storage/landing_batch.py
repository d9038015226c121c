"""A landing batch's commit: every file it stores, written on threads through the journal.

`assets/landing/land.py` decides each inbox file's fate and builds the batch's rows; this module
knows where they go (`storage/layout.py`), the order that keeps readers safe, and the journal
transaction that makes the batch land whole or not at all (`storage/journal.py`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO

import pyarrow as pa

from storage import blobs, journal, layout, parquet
from storage.roots import IO_THREADS, Identity, Root


@dataclass(frozen=True)
class BatchFiles:
    """Everything one landing batch stores, as the landing decided it."""

    batch_id: str
    day: dt.date  # the service day being landed: the landing log's partition
    quarantine_day: dt.date  # the service day the batch ran in: the quarantine's partition
    parts: dict[str, list[tuple[str, bytes]]]  # raw table -> [(relative path, Parquet bytes)]
    quarantine: dict[str, pa.Table]  # support ID (or `layout.INVALID_SUPPORT`) -> its rows
    quarantine_blobs: list[tuple[str, str]]  # (support ID, inbox path): too large for a row
    diag_bundles: list[tuple[str, str]]  # (support ID, inbox path)
    # Inbox path -> its reader, for every path of `quarantine_blobs` and `diag_bundles`: opened
    # before the commit (`Root.open_files`), so what the commit copies is what was opened.
    sources: dict[str, IO[bytes]]
    new_owners: dict[str, str]  # TMID -> the contract it is first landed for
    landing_log: pa.Table  # every consumed inbox file's fate
    consumed: list[str]  # inbox paths, deleted once the batch is committed
    # Consumed path -> what the listing found there (`Listing.identities`): deleted only if
    # still that entry, so content put at its name since is left for the next landing.
    listed: dict[str, Identity] = field(default_factory=dict)


def commit(inbox: Root, warehouse: Root, batch: BatchFiles) -> None:
    """Store the batch as one journal transaction, then delete its inbox files."""
    batch_id, q_day = batch.batch_id, batch.quarantine_day
    with WriteWaves() as waves:
        writes: list[tuple[str, Callable[[], None]]] = []

        def add(rel: str, write: Callable[[], None]) -> None:
            writes.append((rel, waves.in_background(write)))

        # Records and rejects before uploads: the uploads part is what makes a key count as
        # landed, so an upload never shows without its records.
        for rel, data in [*batch.parts["records"], *batch.parts["rejects"]]:
            add(rel, lambda r=rel, d=data: parquet.write_file(warehouse, r, d))
        waves.next_wave()
        for rel, data in batch.parts["uploads"]:
            add(rel, lambda r=rel, d=data: parquet.write_file(warehouse, r, d))
        for support_id, table in batch.quarantine.items():
            rel = layout.quarantine_part(support_id, q_day, batch_id)
            add(rel, lambda r=rel, t=table: parquet.write_table(warehouse, r, t))
        for support_id, path in batch.quarantine_blobs:
            blob = layout.quarantine_blob(support_id, q_day, batch_id, path)
            add(blob, lambda s=batch.sources[path], b=blob: blobs.write_blob(warehouse, b, s))
        for support_id, path in batch.diag_bundles:
            target = layout.diag_bundle_of_inbox_file(support_id, path)
            add(target, lambda s=batch.sources[path], t=target: blobs.write_blob(warehouse, t, s))
        for tmid, support_id in batch.new_owners.items():
            marker = layout.terminal_owner_marker(tmid, support_id)
            add(marker, lambda m=marker: warehouse.write_bytes(m, b""))
        # The last write waits for all the others, so the journal's commit marker follows them.
        rel = layout.landing_log_part(batch.day, batch_id)
        log = batch.landing_log
        writes.append((rel, waves.after_all(lambda: parquet.write_table(warehouse, rel, log))))
        journal.run_batch(warehouse, inbox, batch_id, writes, batch.consumed, batch.listed)


class WriteWaves:
    """A batch's writes on threads: each file still appears whole (atomic writes), but
    hundreds of small files do not wait on each other's fsync. A write submitted after
    `next_wave()` starts only once every earlier write has finished."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(IO_THREADS)
        self._running: list[Future] = []
        self._new_wave = False

    def in_background(self, write: Callable[[], None]) -> Callable[[], None]:
        """The journal's writer for `write`: starts it on a thread and returns at once."""
        wave_start, self._new_wave = self._new_wave, False

        def start() -> None:
            if wave_start:
                self.wait()
            self._running.append(self._pool.submit(write))

        return start

    def next_wave(self) -> None:
        self._new_wave = True

    def after_all(self, write: Callable[[], None]) -> Callable[[], None]:
        """The journal's writer for `write`: waits for every earlier write, then writes."""

        def run() -> None:
            self.wait()
            write()

        return run

    def wait(self) -> None:
        """Wait for every started write; raise the first failure."""
        running, self._running = self._running, []
        failures = [f.exception() for f in running]
        for failure in failures:
            if failure is not None:
                raise failure

    def __enter__(self) -> WriteWaves:
        return self

    def __exit__(self, *_exc: object) -> None:
        # Also on failure: no write may still be running once the batch has given up.
        self._pool.shutdown(wait=True, cancel_futures=True)

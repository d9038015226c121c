"""`generate_sample`: a whole sample inbox, its operator files and its manifest.

Terminals are independent (each has its own seeded writer), so big samples are written by
worker processes, a terminal at a time; the bytes are the same for any number of workers.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

from samples.generator.bad_files import bad_inbox_files
from samples.generator.manifest import InboxFile, ManifestEntry, SampleManifest
from samples.generator.operator_files import write_operator_files
from samples.generator.plan import Plan, build_plan
from samples.generator.uploads import terminal_files

# The plan and inbox of this process's terminals: set once per worker process (so the plan
# is pickled once per worker, not once per terminal), or in-process for one worker.
_WORKER: tuple[Plan, Path] | None = None


def _init_worker(plan: Plan, inbox: Path) -> None:
    global _WORKER
    _WORKER = (plan, inbox)


def _write_terminal(g: int) -> tuple[list[ManifestEntry], list[dict[str, Any]]]:
    assert _WORKER is not None
    plan, inbox = _WORKER
    files, gaps = terminal_files(plan, g)
    _write(inbox, files)
    return [f.entry for f in files], gaps


def _write(inbox: Path, files: list[InboxFile]) -> None:
    for f in files:
        target = inbox / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data)


def _check_empty(inbox: Path) -> None:
    if inbox.exists() and any(p.is_file() for p in inbox.rglob("*")):
        raise FileExistsError(f"{inbox} already holds files; generate into an empty inbox")


def generate_sample(
    inbox: Path,
    contracts_file: Path,
    *,
    contracts: int = 3,
    terminals: int = 20,
    first_day: date = date(2024, 3, 18),
    days: int = 3,
    uploads_per_day: int = 8,
    records_per_upload: int = 60,
    seed: int = 0,
    bad_files: bool = True,
    workers: int | None = None,
) -> SampleManifest:
    """Write a sample inbox, the contracts YAML with org/ledger CSVs; return the manifest.

    `terminals` is the total over all contracts (dealt round-robin). `workers` None picks
    worker processes for big samples only; the bytes do not depend on it.
    """
    inbox = Path(inbox)
    contracts_file = Path(contracts_file)
    plan = build_plan(
        contracts=contracts,
        terminals=terminals,
        first_day=first_day,
        days=days,
        uploads_per_day=uploads_per_day,
        records_per_upload=records_per_upload,
        seed=seed,
        bad_files=bad_files,
    )
    _check_empty(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    contracts_file.parent.mkdir(parents=True, exist_ok=True)
    write_operator_files(plan, contracts_file)
    for c in plan.contracts:
        (inbox / c.support_id).mkdir(exist_ok=True)

    if workers is None:
        big = terminals * days * uploads_per_day * records_per_upload > 200_000
        workers = min(os.cpu_count() or 1, 8) if big else 1
    entries: list[ManifestEntry] = []
    gaps: list[dict[str, Any]] = []
    indexes = range(len(plan.terminals))
    if workers > 1:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(plan, inbox)) as ex:
            results = list(ex.map(_write_terminal, indexes, chunksize=4))
    else:
        _init_worker(plan, inbox)
        results = [_write_terminal(g) for g in indexes]
    for e, gp in results:
        entries += e
        gaps += gp
    if bad_files:
        bad = bad_inbox_files(plan)
        _write(inbox, bad)
        entries += [f.entry for f in bad]
    entries.sort(key=lambda e: e.path)
    return SampleManifest(plan.params, entries, gaps)

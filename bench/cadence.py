"""The reference day landed at the inbox sensor's pace, against the same day landed at once.

    python -m bench.cadence [--keep FOLDER] [--slot-minutes 15]

The other benchmarks land a day in one run. In service, the inbox sensor starts a landing run
every few minutes, each with the uploads sent since the last one (about one per terminal, as
agents send every 15 minutes), and every run adds a part file per terminal and table. This
lands the reference day (generated as `bench.run` does, or reused from `--keep`) once in one
run and once in one run per `--slot-minutes` of SENT15, then times, in fresh processes, the
readers that follow on each warehouse: the daily export of the largest contract and the
dashboard build of the day; then compacts the sliced day (`storage/compaction.py`) and times
the readers again. Printed, not written to the docs (`docs/performance.md` quotes it).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import time
from pathlib import Path

from bench.measure import run_once
from bench.run import DAY, REFERENCE_TERMINALS, Workload, _largest_contract, _workspace


def land_in_slots(work: Workload, wh: Path, slot_minutes: int) -> tuple[int, float]:
    """Land the day in one run per SENT15 slot (copying each slot's files into the inbox
    first, as agents would send them); (runs, seconds of landing)."""
    from assets.landing.land import land_day
    from storage.contracts import load_contracts
    from storage.roots import Root

    ids = frozenset(c.support_id for c in load_contracts(str(work.contracts)))
    slots: dict[str, list[Path]] = {}
    for path in sorted(work.inbox.rglob("*.zip")):
        sent15 = path.name.split("_", 1)[-1][:15]
        if len(sent15) == 15 and sent15.isdigit():
            slot = f"{sent15[:10]}{int(sent15[10:12]) // slot_minutes:02d}"
        else:
            slot = "~"  # names without a SENT15 arrive with the last slot
        slots.setdefault(slot, []).append(path)
    inbox = wh.parent / "slots-inbox"
    shutil.rmtree(inbox, ignore_errors=True)
    landing = 0.0
    for n, (_slot, paths) in enumerate(sorted(slots.items()), 1):
        for path in paths:
            target = inbox / path.relative_to(work.inbox)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        started = time.perf_counter()
        land_day(Root(str(inbox)), Root(str(wh)), ids, DAY)
        landing += time.perf_counter() - started
        if n % 10 == 0:
            print(f"  {n}/{len(slots)} runs, {landing:.1f} s of landing", flush=True)
    return len(slots), landing


def part_files(wh: Path, table: str) -> int:
    return sum(1 for _ in (wh / "raw" / table).rglob("part-*.parquet")) - 1  # not the anchor


def readers(wh: Path, delivery: Path, contracts: Path) -> tuple[float, float, str]:
    """Wall seconds of the daily export of the largest contract and of the dashboard build."""
    support_id, uploads = _largest_contract(wh)
    export = run_once(
        ["-m", "bench.daily_export", "build", str(wh), str(delivery), support_id, str(DAY)],
        quiet=True,
    )
    build = run_once(
        [
            "-c",
            "import sys, datetime as dt; from assets.dashboard.build import build_day;"
            "from storage.contracts import load_contracts; from storage.roots import Root;"
            "build_day(Root(sys.argv[1]), load_contracts(sys.argv[2]),"
            " dt.date.fromisoformat(sys.argv[3]))",
            str(wh),
            str(contracts),
            str(DAY),
        ],
        quiet=True,
    )
    return export.wall, build.wall, f"{support_id}, {uploads} uploads"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument("--slot-minutes", type=int, default=15)
    args = parser.parse_args()
    if not (os.environ.get("IT360_KEY_FILE") or os.environ.get("IT360_KEY")):
        os.environ["IT360_KEY"] = secrets.token_hex(32)
    from assets.landing.land import land_day
    from storage.contracts import load_contracts
    from storage.roots import Root

    with _workspace(args.keep) as base:
        work = Workload(base, REFERENCE_TERMINALS)
        work.generate()
        rows = []
        once = base / "cadence-once" / "warehouse"
        shutil.rmtree(once.parent, ignore_errors=True)
        inbox = once.parent / "inbox"
        shutil.copytree(work.inbox, inbox)
        ids = frozenset(c.support_id for c in load_contracts(str(work.contracts)))
        started = time.perf_counter()
        land_day(Root(str(inbox)), Root(str(once)), ids, DAY)
        rows.append(("one run", 1, time.perf_counter() - started, once))
        sliced = base / "cadence-slots" / "warehouse"
        shutil.rmtree(sliced.parent, ignore_errors=True)
        runs, seconds = land_in_slots(work, sliced, args.slot_minutes)
        rows.append((f"one run per {args.slot_minutes} minutes", runs, seconds, sliced))
        print(
            "| landed in | runs | landing s | records parts | uploads parts "
            "| daily export s | dashboard build s |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for name, n, landing, wh in rows:
            export, build, which = readers(wh, wh.parent / "delivery", work.contracts)
            print(
                f"| {name} | {n} | {landing:.1f} | {part_files(wh, 'records')} "
                f"| {part_files(wh, 'uploads')} | {export:.2f} | {build:.2f} |",
                flush=True,
            )
        print(f"(daily export: {which})", flush=True)
        from storage import compaction, warehouse

        started = time.perf_counter()
        merged = sum(
            compaction.compact_day(Root(str(sliced)), support_id, DAY).folders
            for support_id in warehouse.raw_support_ids(Root(str(sliced)))
        )
        compacting = time.perf_counter() - started
        export, build, _ = readers(sliced, sliced.parent / "delivery", work.contracts)
        print(
            f"| the same, then compacted ({merged} folders in {compacting:.1f} s) | {runs} "
            f"| {seconds:.1f} | {part_files(sliced, 'records')} | {part_files(sliced, 'uploads')} "
            f"| {export:.2f} | {build:.2f} |"
        )


if __name__ == "__main__":
    main()

"""Landing in-process: `assets.landing.land.land_day` on one service day, nothing else.

    python -m bench.land INBOX WAREHOUSE CONTRACTS_FILE DAY [--profile OUT.pstats]

Run as a whole process by `bench.run` (wall, CPU and peak RSS include the imports). With
`--profile` the landing runs under cProfile and the stats are dumped for the doc's profile.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("inbox")
    parser.add_argument("warehouse")
    parser.add_argument("contracts")
    parser.add_argument("day", type=dt.date.fromisoformat)
    parser.add_argument("--profile", help="write cProfile stats of the landing here")
    parser.add_argument("--batch-files", type=int, help="override LandingLimits.batch_files")
    parser.add_argument("--workers", type=int, help="override LandingLimits.workers")
    parser.add_argument("--share-files", type=int, help="override LandingLimits.share_files")
    parser.add_argument("--verbose", action="store_true", help="print each batch as it lands")
    args = parser.parse_args()

    from assets.landing.land import LandingLimits, land_day
    from storage.contracts import load_contracts
    from storage.roots import Root

    ids = frozenset(c.support_id for c in load_contracts(args.contracts))
    overrides = {
        "batch_files": args.batch_files,
        "workers": args.workers,
        "share_files": args.share_files,
    }
    limits = LandingLimits(**{k: v for k, v in overrides.items() if v is not None})
    started = time.perf_counter()

    def progress(message: str) -> None:
        if args.verbose:
            print(f"{time.perf_counter() - started:6.2f}s {message}", flush=True)

    def land():
        return land_day(
            Root(args.inbox), Root(args.warehouse), ids, args.day, limits=limits, progress=progress
        )

    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)  # CPU seconds, not waiting
        report = profiler.runcall(land)
        profiler.dump_stats(args.profile)
    else:
        report = land()
    seconds = time.perf_counter() - started
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(report.outcomes.items()))
    print(
        f"landed {args.day}: {report.files_seen} files ({outcomes}), {report.records} records,"
        f" {report.rejects} rejects, {report.batches} batches in {seconds:.2f}s"
    )
    print(_cpu_split())


def _cpu_split() -> str:
    """CPU of the landing process itself and of its (finished) worker processes."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (
        f"CPU s: landing process {own.ru_utime:.2f} user + {own.ru_stime:.2f} system,"
        f" workers {workers.ru_utime:.2f} user + {workers.ru_stime:.2f} system"
    )


if __name__ == "__main__":
    main()

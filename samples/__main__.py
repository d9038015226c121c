"""Command line for the sample generator: `python -m samples --inbox ... --contracts ...`.

Writes a sample inbox (and contracts YAML, org and ledger CSVs) and prints a one-line
summary; `--manifest` saves what the pipeline must make of each file. With `--resends` it
instead re-sends uploads listed in an existing manifest (after a landing consumed them).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from samples.generator import SampleManifest, generate_resends, generate_sample


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m samples", description=__doc__)
    p.add_argument("--inbox", type=Path, required=True, help="inbox root to write into")
    p.add_argument("--contracts", type=Path, help="contracts YAML to write (not with --resends)")
    p.add_argument("--contracts-count", type=int, default=3)
    p.add_argument("--terminals", type=int, default=20, help="total over all contracts")
    p.add_argument("--days", type=int, default=3)
    p.add_argument("--first-day", type=date.fromisoformat, default=date(2024, 3, 18))
    p.add_argument("--uploads-per-day", type=int, default=8)
    p.add_argument("--records-per-upload", type=int, default=60)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-bad-files", action="store_true")
    p.add_argument("--workers", type=int, default=None, help="processes (default: auto)")
    p.add_argument("--manifest", type=Path, help="manifest JSON to write (or read, --resends)")
    p.add_argument("--resends", action="store_true", help="re-send uploads of --manifest")
    p.add_argument("--duplicates", type=int, default=3)
    p.add_argument("--conflicts", type=int, default=2)
    p.add_argument(
        "--resends-manifest",
        type=Path,
        help="where to write the re-sends' manifest (default: <manifest>.resends.json)",
    )
    return p


def _summary(manifest: SampleManifest, inbox: Path, seconds: float) -> str:
    c = manifest.expected_counts()
    outcomes = ", ".join(f"{k} {v}" for k, v in c["outcomes"].items())
    rejects = sum(c["rejects"].values())
    return (
        f"wrote {c['files']} files to {inbox} ({outcomes}); "
        f"{c['records']} good records, {rejects} rejects; {seconds:.1f}s"
    )


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    if args.resends:
        if args.manifest is None:
            print("--resends needs --manifest (the first run's manifest)", file=sys.stderr)
            return 2
        first = SampleManifest.read(args.manifest)
        manifest = generate_resends(
            args.inbox,
            first,
            seed=args.seed,
            duplicates=args.duplicates,
            conflicts=args.conflicts,
        )
        out = args.resends_manifest or args.manifest.with_suffix(".resends.json")
        manifest.write(out)
    else:
        if args.contracts is None:
            print("--contracts is required", file=sys.stderr)
            return 2
        manifest = generate_sample(
            args.inbox,
            args.contracts,
            contracts=args.contracts_count,
            terminals=args.terminals,
            first_day=args.first_day,
            days=args.days,
            uploads_per_day=args.uploads_per_day,
            records_per_upload=args.records_per_upload,
            seed=args.seed,
            bad_files=not args.no_bad_files,
            workers=args.workers,
        )
        if args.manifest is not None:
            manifest.write(args.manifest)
    print(_summary(manifest, args.inbox, time.perf_counter() - started))
    return 0


if __name__ == "__main__":  # guarded: worker processes may import this module
    sys.exit(main())

"""Benchmark of the dashboard: building one service day's aggregates, and the portal's 90-day
read of precomputed aggregates.

    python -m bench.dashboard                      # 1,000 terminals x 100 uploads x 60 records
    python -m bench.dashboard --terminals 50       # a quick run

1. A sample day is generated (`samples.generator`, no bad files) and landed (`land_day`) into
   `<workdir>/.../warehouse`, once per set of parameters (kept for later runs).
2. Build: `--build-runs` fresh processes each build every contract's ten aggregates of the day
   (`assets.dashboard.build.build_day`), measured as whole processes (`bench.measure`: wall,
   CPU, peak RSS of the process tree) and inside (the build alone).
3. Portal: the built day's terminal-activity file is copied to the 89 days before it and to
   `--extra-contracts` other contracts, and each contract's compacted copy written (what 90
   nightly builds leave), then one process runs the 90-day query for one contract and one
   organisation `--query-runs` times, through `storage.aggregates.read_aggregate` (first with
   the process's cache of decoded copies emptied, as on the first read after a build, then
   again) and through the `agg_terminal_activity` view: p50/p95 per query, and the process's
   wall, CPU and peak RSS.

`measure(...)` runs steps 2 and 3 on a landed warehouse for `bench/run.py`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

DAY = dt.date(2024, 3, 18)
DAYS = 90
QUERY = "90-day terminal activity, 1 contract, 1 organisation"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--terminals", type=int, default=1000)
    parser.add_argument("--uploads", type=int, default=100, help="uploads per terminal")
    parser.add_argument("--records", type=int, default=60, help="records per upload")
    parser.add_argument("--contracts", type=int, default=1)
    parser.add_argument("--extra-contracts", type=int, default=9)
    parser.add_argument("--build-runs", type=int, default=3)
    parser.add_argument("--query-runs", type=int, default=100)
    parser.add_argument("--workdir", default="var/bench/dashboard")
    # one measured step, run in its own process by the steps above
    parser.add_argument("--phase", choices=["build", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    parser.add_argument("--contracts-file", help=argparse.SUPPRESS)
    parser.add_argument("--day", default=DAY.isoformat(), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        day = dt.date.fromisoformat(args.day)
        if args.phase == "build":
            result = _phase_build(Path(args.warehouse), Path(args.contracts_file), day)
        else:
            result = _phase_query(Path(args.warehouse), day, args.query_runs)
        Path(args.out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
        return
    sample = f"t{args.terminals}-u{args.uploads}-r{args.records}-c{args.contracts}"
    work = Path(args.workdir) / sample
    records = _prepare(work, args)
    wh, contracts = work / "warehouse", work / "contracts.yaml"
    builds = [_measured("build", wh, contracts, DAY) for _ in range(args.build_runs)]
    _spread_days(wh, contracts, DAY, args.extra_contracts)
    query = _measured("query", wh, contracts, DAY, args.query_runs)
    _print_table(args, records, builds, query)


def measure(
    warehouse: Path, contracts: Path, day: dt.date, runs: int, query_runs: int = 100
) -> list[tuple]:
    """For bench/run.py: (name, Sample, note) rows of the build and the 90-day query."""
    builds = [_measured("build", warehouse, contracts, day) for _ in range(runs)]
    _spread_days(warehouse, contracts, day, extra_contracts=9)
    query = _measured("query", warehouse, contracts, day, query_runs)
    median = sorted(builds, key=lambda b: b["sample"].wall)[len(builds) // 2]
    return [
        (
            "dashboard build, one day, 10 aggregates, every contract",
            median["sample"],
            f"{median['records']:,} records -> {median['rows']:,} rows; build alone "
            f"{statistics.median(b['build_s'] for b in builds):.1f} s",
        ),
        (
            f"portal: {QUERY} ({query_runs} queries, one process)",
            query["sample"],
            f"read_aggregate p50 {query['read_aggregate']['p50_ms']:.0f} ms / p95 "
            f"{query['read_aggregate']['p95_ms']:.0f} ms (first read after a build: p50 "
            f"{query['read_aggregate_cold']['p50_ms']:.0f} ms / p95 "
            f"{query['read_aggregate_cold']['p95_ms']:.0f} ms); view p50 "
            f"{query['view']['p50_ms']:.0f} ms / p95 {query['view']['p95_ms']:.0f} ms",
        ),
    ]


def _prepare(work: Path, args: argparse.Namespace) -> int:
    """Generate and land the sample day once; returns its record count."""
    from assets.landing.land import land_day
    from samples.generator import generate_sample
    from storage import warehouse
    from storage.contracts import load_contracts
    from storage.roots import Root

    done = work / "landed.json"
    if done.exists():
        return json.loads(done.read_text())["records"]
    shutil.rmtree(work, ignore_errors=True)
    started = time.perf_counter()
    generate_sample(
        work / "inbox",
        work / "contracts.yaml",
        contracts=args.contracts,
        terminals=args.terminals,
        first_day=DAY,
        days=1,
        uploads_per_day=args.uploads,
        records_per_upload=args.records,
        bad_files=False,
    )
    generated = time.perf_counter() - started
    ids = frozenset(c.support_id for c in load_contracts(str(work / "contracts.yaml")))
    wh = Root(str(work / "warehouse"))
    started = time.perf_counter()
    report = land_day(Root(str(work / "inbox")), wh, ids, DAY)
    landed = time.perf_counter() - started
    totals = warehouse.day_totals(wh, sorted(ids), DAY)
    print(
        f"sample: generated in {generated:.0f} s, landed {report.outcomes['landed']} uploads "
        f"({totals['records']:,} records) in {landed:.0f} s",
        file=sys.stderr,
    )
    done.write_text(json.dumps({"records": totals["records"]}))
    return totals["records"]


def _measured(phase: str, wh: Path, contracts: Path, day: dt.date, query_runs: int = 100) -> dict:
    """Run one phase in a fresh process, measured whole (`bench.measure.run_once`)."""
    from bench.measure import run_once

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        args = ["-m", "bench.dashboard", "--phase", phase, "--warehouse", str(wh.resolve())]
        args += ["--contracts-file", str(contracts.resolve()), "--day", day.isoformat()]
        args += ["--query-runs", str(query_runs), "--out", str(out)]
        sample = run_once(args)
        result = json.loads(out.read_text(encoding="utf-8"))
    result["sample"] = sample
    return result


def _phase_build(wh_path: Path, contracts_file: Path, day: dt.date) -> dict:
    from assets.dashboard import build as dashboard_build
    from storage.contracts import load_contracts
    from storage.roots import Root

    wh = Root(str(wh_path))
    started = time.perf_counter()
    built = dashboard_build.build_day(wh, load_contracts(str(contracts_file)), day)
    return {
        "build_s": time.perf_counter() - started,
        "rows": sum(sum(b.rows.values()) for b in built),
        "records": sum(b.records_counted for b in built),
        "ok": all(b.matches_raw and not b.foreign_tmids for b in built),
    }


def _spread_days(wh_path: Path, contracts_file: Path, day: dt.date, extra_contracts: int) -> None:
    """Copy the current build of the day's terminal activity to the 89 days before it and to
    other contracts, as 90 nightly builds would have left them (only where nothing is), with
    each contract's compacted copy (which every build writes)."""
    import pyarrow as pa

    from storage import aggregates, parquet
    from storage.contracts import load_contracts
    from storage.roots import Root
    from transforms.dashboard import new_build_id

    wh = Root(str(wh_path))
    real = {c.support_id for c in load_contracts(str(contracts_file))}
    current = aggregates.current_parts(aggregates.list_parts(wh, "terminal_activity"))
    present = {(p.support_id, p.day) for p in current}
    extra = [f"X{i:04d}" for i in range(1, extra_contracts + 1)]
    for part in [p for p in current if p.day == day and p.support_id in real]:
        table = parquet.read_table(wh, part.rel)
        for sid in [part.support_id, *extra]:
            for back in range(DAYS):
                target = day - dt.timedelta(days=back)
                if (sid, target) in present:
                    continue
                moved = table.set_column(
                    table.schema.get_field_index("day"),
                    "day",
                    pa.array([target] * table.num_rows, pa.date32()),
                ).set_column(
                    table.schema.get_field_index("support_id"),
                    "support_id",
                    pa.array([sid] * table.num_rows, pa.string()),
                )
                aggregates.write_aggregate(
                    wh, "terminal_activity", sid, target, part.build_id, moved
                )
        for sid in [part.support_id, *extra]:
            compact_id = new_build_id(dt.datetime.now(dt.UTC), "spread")
            aggregates.write_compact(wh, "terminal_activity", sid, compact_id)


def _phase_query(wh_path: Path, day: dt.date, runs: int) -> dict:
    from storage import aggregates, duck
    from storage.roots import Root

    wh = Root(str(wh_path))
    first = day - dt.timedelta(days=DAYS - 1)
    con = duck.connect(wh)
    sid, organisation = con.execute(
        "select support_id, organisation from agg_terminal_activity "
        "where day = ? and organisation is not null and support_id not like 'X%' "
        "group by all order by count(*) desc, support_id, organisation limit 1",
        [day],
    ).fetchone()
    timings: dict[str, list[float]] = {"read_aggregate": [], "read_aggregate_cold": [], "view": []}
    rows: dict[str, int] = {}
    for _ in range(runs):
        # cold: the process has not read the contract's compacted copy yet (a first read
        # after a build); then the same query again, the copy decoded and kept
        aggregates.forget_cached_copies()
        for timing in ("read_aggregate_cold", "read_aggregate"):
            started = time.perf_counter()
            table = aggregates.read_aggregate(
                wh, "terminal_activity", sid, first, day, where={"organisation": organisation}
            )
            timings[timing].append(time.perf_counter() - started)
        rows["read_aggregate"] = table.num_rows
        started = time.perf_counter()
        got = con.execute(
            "select * from agg_terminal_activity where support_id = ? and day between ? and ? "
            "and organisation = ?",
            [sid, first, day, organisation],
        ).fetchall()
        timings["view"].append(time.perf_counter() - started)
        rows["view"] = len(got)
    result: dict[str, object] = {"support_id": sid, "organisation": organisation, "rows": rows}
    for name, values in timings.items():
        values.sort()
        result[name] = {
            "p50_ms": statistics.median(values) * 1000,
            "p95_ms": values[round(0.95 * (len(values) - 1))] * 1000,
        }
    return result


def _print_table(args: argparse.Namespace, records: int, builds: list[dict], query: dict) -> None:
    build_s = sorted(b["build_s"] for b in builds)
    walls = sorted(b["sample"].wall for b in builds)
    print(
        f"\nDashboard bench: {args.terminals} terminals x {args.uploads} uploads x "
        f"{args.records} records ({records:,} records, {args.contracts} contract(s)); "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n"
    )
    print("| measure | runs | p50 | p95 / max | process wall | process CPU | peak RSS |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| build one day (10 aggregates, in-process) | {len(builds)} | "
        f"{statistics.median(build_s):.1f} s | {build_s[-1]:.1f} s | "
        f"{statistics.median(walls):.1f} s | "
        f"{statistics.median(b['sample'].cpu for b in builds):.1f} s | "
        f"{max(b['sample'].rss_mib for b in builds):.0f} MiB |"
    )
    sample = query["sample"]
    labels = {
        "read_aggregate": "`read_aggregate()`",
        "read_aggregate_cold": "`read_aggregate()`, first read after a build",
        "view": "`agg_` view",
    }
    for name, label in labels.items():
        q = query[name]
        print(
            f"| {QUERY}, {label} | {args.query_runs} | {q['p50_ms']:.0f} ms | "
            f"{q['p95_ms']:.0f} ms | {sample.wall:.1f} s | {sample.cpu:.1f} s | "
            f"{sample.rss_mib:.0f} MiB |"
        )
    checks = "ok" if all(b["ok"] for b in builds) else "FAILED"
    print(
        f"\nportal query: {query['support_id']} / {query['organisation']}: "
        f"{query['rows']['read_aggregate']} rows (view: {query['rows']['view']}); "
        f"build rows {builds[0]['rows']:,}, checks {checks}; the query process runs all three "
        "reads, so its wall, CPU and RSS cover them all"
    )


if __name__ == "__main__":
    main()

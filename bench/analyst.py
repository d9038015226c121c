"""Analysts at scale: does a query through the analyst views cost what it reads? (issue 14)

    python -m bench.analyst [--terminals 1000] [--runs 3] [--days-small 5 --days-large 20]
                            [--rebuild] [--workdir var/bench/analyst]
    python -m bench.analyst --terminals 40 --days-small 2 --days-large 4 --runs 1   # smoke

1. Build (once; cached under `<workdir>/<days>d-<terminals>t`, `--rebuild` to redo): the
   sample generator writes `--days-large` service days of uploads (2 contracts, `--terminals`
   in all, 8 uploads x 60 records per terminal-day, no bad files), landed day by day by the
   pipeline (`assets.landing.land.land_day`), each day then compacted (`compact_day` for every
   contract, as the nightly `compact_raw` job does for closed days), and the drilled day's
   aggregates built (`assets.dashboard.build.build_day`). The warehouse after `--days-small`
   days is copied aside: both sizes hold the same first days, byte for byte the same rows.
   The warehouse key (`IT360_KEY`) is kept beside each warehouse (`key.hex`).
2. Measure, each in a fresh process (`bench.measure.run_once`), the median of `--runs`; the
   time is taken inside the process around the operation alone (imports and, for queries,
   connecting are not in it):
   a. `storage.duck.connect(Root(wh))` and close;
   b. one contract-day count through the `records` view (`connect(...).sql`, which prunes);
   c. the top 10 processes of one contract over 7 days through the view;
   d. one drill-down, `drill_terminal_activity(support_id, day, tmid)` (n/a if absent);
   each beside the same over hand-named folders (`warehouse_days(...)` on
   `storage.duck.view_connection`, plain DuckDB), and b through the plain view (no pruning,
   reads everything) for the record.
   b, c and d are the same query text at both sizes: the day is the middle one of the small
   warehouse, the 7 days end on its last day, so both sizes hold the same rows for them and
   must give the same answers (asserted, as is pruned == hand-named).
3. Print the table, the ratios against the issue's targets, and an extrapolation to a year of
   10,000 terminals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from bench.measure import REPO, machine, run_once
from bench.run import DAY, RECORDS_PER_UPLOAD

FIRST_DAY = DAY  # the reference day of the other benches
CONTRACTS = 2
UPLOADS_PER_DAY = 8
SUPPORT_ID = "S0001"
WINDOW_DAYS = 7
YEAR_DAYS, YEAR_TERMINALS = 365, 10_000
TARGET_GROWTH = 1.3  # 20 days / 5 days, every query and connect
TARGET_VIEW_X = 2.0  # a contract-day through the view / the hand-named folders
FULL_SCAN = "z. full scan, count(*) of `records` (growth: peak memory, not time)"


# -- build -------------------------------------------------------------------------------


def folder(workdir: Path, days: int, terminals: int) -> Path:
    return workdir / f"{days}d-{terminals}t"


def build(workdir: Path, terminals: int, sizes: list[int], drill_day: dt.date) -> None:
    """Generate `max(sizes)` days, land them day by day, compact each day, and copy the
    warehouse aside after each size's last day (module doc, step 1)."""
    from assets.dashboard.build import build_day
    from assets.landing.land import land_day
    from samples.generator import generate_sample
    from storage import compaction, warehouse
    from storage.contracts import load_contracts
    from storage.roots import Root

    top = max(sizes)
    work = workdir / f"build-{terminals}t"
    for path in [work, *(folder(workdir, n, terminals) for n in sizes)]:
        shutil.rmtree(path, ignore_errors=True)
    key = secrets.token_hex(32)
    os.environ.pop("IT360_KEY_FILE", None)
    os.environ["IT360_KEY"] = key
    build_id = uuid.uuid4().hex
    inbox, contracts_file, wh = work / "inbox", work / "contracts.yaml", work / "warehouse"

    print(
        f"build: generating {top} days x {terminals} terminals x {UPLOADS_PER_DAY} uploads "
        f"x {RECORDS_PER_UPLOAD} records into {inbox}",
        flush=True,
    )
    started = time.perf_counter()
    with _count_files_while(inbox, "  generated"):
        generate_sample(
            inbox,
            contracts_file,
            contracts=CONTRACTS,
            terminals=terminals,
            first_day=FIRST_DAY,
            days=top,
            uploads_per_day=UPLOADS_PER_DAY,
            records_per_upload=RECORDS_PER_UPLOAD,
            bad_files=False,
        )
    files = sum(1 for p in inbox.rglob("*") if p.is_file())
    print(f"  {files:,} inbox files in {time.perf_counter() - started:.0f} s", flush=True)

    contracts = load_contracts(str(contracts_file))
    ids = frozenset(c.support_id for c in contracts)
    totals = {"uploads": 0, "records": 0}
    for n in range(1, top + 1):
        day = FIRST_DAY + dt.timedelta(days=n - 1)
        t0 = time.perf_counter()
        report = land_day(Root(str(inbox)), Root(str(wh)), ids, day)
        t1 = time.perf_counter()
        merged = sum(
            compaction.compact_day(Root(str(wh)), sid, day).folders
            for sid in warehouse.raw_support_ids(Root(str(wh)))
        )
        t2 = time.perf_counter()
        built = ""
        if day == drill_day:
            build_day(Root(str(wh)), contracts, day)
            built = f"; aggregates built in {time.perf_counter() - t2:.1f} s"
        totals["uploads"] += report.outcomes.get("landed", 0)
        totals["records"] += report.records
        print(
            f"  day {n}/{top} {day}: landed {report.outcomes.get('landed', 0):,} uploads, "
            f"{report.records:,} records in {t1 - t0:.1f} s; compacted {merged} folders in "
            f"{t2 - t1:.1f} s{built} (elapsed {time.perf_counter() - started:.0f} s)",
            flush=True,
        )
        if n in sizes:
            meta = {"build_id": build_id, "days": n, "terminals": terminals, **totals}
            _keep_size(wh, folder(workdir, n, terminals), key, meta, move=n == top)
    left = sum(1 for p in inbox.rglob("*") if p.is_file())
    if left:
        print(f"  ({left} inbox files of other days were not landed)", flush=True)
    shutil.rmtree(work, ignore_errors=True)


def _keep_size(wh: Path, target: Path, key: str, meta: dict, move: bool) -> None:
    """Keep the warehouse as it is after this size's last day (moved if it is the last)."""
    target.mkdir(parents=True)
    if move:
        wh.rename(target / "warehouse")
    else:
        shutil.copytree(wh, target / "warehouse")
    (target / "key.hex").write_text(key)
    meta = {**meta, "first_day": FIRST_DAY.isoformat()}
    (target / "built.json").write_text(json.dumps(meta))
    print(f"  -> {target} ({meta['uploads']:,} uploads landed)", flush=True)


class _count_files_while:
    """Print how many files a folder holds every 20 s while the block runs (progress)."""

    def __init__(self, path: Path, label: str) -> None:
        self.path, self.label = path, label
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.done.wait(20):
            n = sum(len(f) for _, _, f in os.walk(self.path))
            print(f"{self.label} {n:,} files", flush=True)

    def __enter__(self) -> None:
        self.thread.start()

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


def cached(workdir: Path, terminals: int, sizes: list[int]) -> bool:
    """Every size built, by the same build (same rows, same key)."""
    ids = set()
    for n in sizes:
        meta = folder(workdir, n, terminals) / "built.json"
        if not meta.exists():
            return False
        ids.add(json.loads(meta.read_text())["build_id"])
    return len(ids) == 1


# -- the measured operations, one per fresh process ---------------------------------------


def phase(kind: str, wh: str, query: str, out: str, count_files: bool = False) -> None:
    """Run one measured operation; write {seconds, rows[, rewrite_s, files, available]} to
    `out`. `count_files`: afterwards, run the query again under `explain analyze` for the
    Parquet files DuckDB read (anchors included)."""
    from storage import duck
    from storage.roots import Root

    root = Root(wh)
    result: dict = {}
    if kind == "connect":
        started = time.perf_counter()
        con = duck.connect(root)
        con.close()
        result["seconds"] = time.perf_counter() - started
    elif kind in ("view", "drill"):
        con = duck.connect(root)
        if kind == "drill" and not _has_drill(con):
            Path(out).write_text(json.dumps({"available": False}))
            return
        started = time.perf_counter()
        rows = con.sql(query).fetchall()
        result["seconds"] = time.perf_counter() - started
        result["rows"] = rows
        started = time.perf_counter()
        result["rewritten"] = con.pruned(query)  # again, after: the rewrite's own share
        result["rewrite_s"] = time.perf_counter() - started
        if count_files:
            result["files"] = files_read(con.duckdb, result["rewritten"])
    else:  # "hand" or "plain": plain DuckDB over the views.sql macros and views
        con = duck.view_connection(root)
        started = time.perf_counter()
        rows = con.sql(query).fetchall()
        result["seconds"] = time.perf_counter() - started
        result["rows"] = rows
        if count_files:
            result["files"] = files_read(con, query)
    result["available"] = True
    result["peak_mib"] = _peak_mib()
    Path(out).write_text(json.dumps(result, default=str))


def _peak_mib() -> float:
    """The process's peak resident memory (Linux reports KiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def files_read(con, query: str) -> int:
    """Parquet files a query reads, from DuckDB's profile ("Total Files Read" of each scan)."""
    con.execute("pragma enable_profiling = 'json'")
    profile = con.sql(f"explain analyze {query}").fetchall()[0][1]
    con.execute("pragma disable_profiling")
    return sum(int(n) for n in re.findall(r'"Total Files Read": "(\d+)"', profile))


def _has_drill(con) -> bool:
    """`drill_terminal_activity` on the connection (loading sql/drilldown.sql if the
    connection does not yet)."""
    from storage import duck

    def present() -> bool:
        # fetchall: a result left unfetched blocks the connection's next `sql`
        found = con.duckdb.execute(
            "select count(*) from duckdb_functions() where function_name = ?",
            ["drill_terminal_activity"],
        ).fetchall()
        return bool(found[0][0])

    if present():
        return True
    if (duck.SQL_DIR / "drilldown.sql").exists():
        con.duckdb.execute(duck.sql_text("drilldown.sql"))
        return present()
    return False


@dataclass
class Measured:
    seconds: list[float] = field(default_factory=list)
    rewrite: list[float] = field(default_factory=list)
    rows: object = None
    available: bool = True
    peak_mib: list[float] = field(default_factory=list)
    rewritten: str = ""
    files: int | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def measure(got: Measured, kind: str, wh: Path, key: str, query: str) -> None:
    """One run of one operation in a fresh process, added to `got` (the first run also
    counts the files the query reads, after its timing)."""
    if not got.available:
        return
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "result.json"
        args = ["-m", "bench.analyst", "--phase", kind, "--warehouse", str(wh)]
        args += ["--query", query, "--out", str(out)]
        if kind != "connect" and not got.seconds:
            args.append("--count-files")
        run_once(args, env={"IT360_KEY": key, "IT360_KEY_FILE": ""}, quiet=True)
        result = json.loads(out.read_text())
    if not result["available"]:
        got.available = False
        return
    got.seconds.append(result["seconds"])
    got.peak_mib.append(result.get("peak_mib", 0.0))
    if "files" in result:
        got.files = result["files"]
    if "rewrite_s" in result:
        got.rewrite.append(result["rewrite_s"])
        got.rewritten = result["rewritten"]
    if "rows" in result:
        rows = [tuple(r) for r in result["rows"]]
        assert got.rows is None or got.rows == rows, f"{kind}: answers differ between runs"
        got.rows = rows


# -- the queries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Queries:
    day: dt.date  # the contract-day (b) and the drilled day (d)
    first: dt.date  # the 7 days of c
    last: dt.date
    data_days: list[dt.date]  # those of the 7 that hold data at both sizes
    tmid: str

    def b(self) -> str:
        return (
            f"select count(*) from records where support_id = '{SUPPORT_ID}' "
            f"and day = date '{self.day}'"
        )

    def b_hand(self) -> str:
        return (
            "select count(*) from warehouse_days("
            f"'/raw/records/support_id={SUPPORT_ID}/day={self.day}/*/*.parquet')"
        )

    def c(self) -> str:
        return (
            "select process, count(*) as n from records "
            f"where support_id = '{SUPPORT_ID}' "
            f"and day between date '{self.first}' and date '{self.last}' "
            "group by process order by n desc, process limit 10"
        )

    def c_hand(self) -> str:
        days = " union all ".join(
            "select process from warehouse_days("
            f"'/raw/records/support_id={SUPPORT_ID}/day={d}/*/*.parquet')"
            for d in self.data_days
        )
        return (
            f"select process, count(*) as n from ({days}) "
            "group by process order by n desc, process limit 10"
        )

    def d(self) -> str:
        return (
            "select count(*) from "
            f"drill_terminal_activity('{SUPPORT_ID}', date '{self.day}', '{self.tmid}')"
        )

    def d_hand(self) -> str:
        return (
            "select count(*) from warehouse_days("
            f"'/raw/records/support_id={SUPPORT_ID}/day={self.day}/tmid={self.tmid}/*.parquet')"
        )

    def e(self) -> str:  # the day as an expression of the clock
        return (
            f"select count(*) from records where support_id = '{SUPPORT_ID}' "
            f"and day = current_date - (current_date - date '{self.day}')::integer"
        )

    def f(self) -> str:  # two contract-days in an `or`
        other = self.day - dt.timedelta(days=1)
        return (
            f"select count(*) from records where (support_id = '{SUPPORT_ID}' and day = "
            f"'{self.day}') or (support_id = '{SUPPORT_ID}' and day = date '{other}')"
        )

    def g(self) -> str:  # a join where one side names the contract-day
        return (
            "select count(*) from records r join uploads u on r.support_id = u.support_id "
            "and r.day = u.day and r.tmid = u.tmid and r.upload_key = u.upload_key "
            f"where u.support_id = '{SUPPORT_ID}' and u.day = date '{self.day}' + 1 - 1"
        )

    def h(self) -> str:  # one terminal-day by `tmid =`
        return (
            f"select count(*) from records where support_id = '{SUPPORT_ID}' "
            f"and day = '{self.day}' and tmid = '{self.tmid}'"
        )

    def full(self) -> str:  # every record: its peak memory against the rows read
        return "select count(*) from records"


def choose_queries(small: int) -> Queries:
    last = FIRST_DAY + dt.timedelta(days=small - 1)
    first = last - dt.timedelta(days=WINDOW_DAYS - 1)
    data_days = [FIRST_DAY + dt.timedelta(days=n) for n in range(small)]
    data_days = [d for d in data_days if first <= d <= last]
    return Queries(FIRST_DAY + dt.timedelta(days=small // 2), first, last, data_days, "")


# -- main ------------------------------------------------------------------------------------


ROWS = [
    # (name, kind, query attribute)
    ("a. connect", "connect", None),
    ("b. contract-day count, `records` view (pruned)", "view", "b"),
    ("b. same, hand-named folder (`warehouse_days`)", "hand", "b_hand"),
    ("b. same, plain view, no pruning (for the record)", "plain", "b"),
    ("c. top 10 processes, 7 days, `records` view (pruned)", "view", "c"),
    ("c. same, hand-named day folders (union all)", "hand", "c_hand"),
    ("d. drill-down `drill_terminal_activity` (one terminal-day)", "drill", "d"),
    ("d. same, hand-named TMID folder", "hand", "d_hand"),
    ("e. contract-day, the day as `current_date` arithmetic", "view", "e"),
    ("f. two contract-days in an `or`", "view", "f"),
    ("g. records join uploads, only uploads pinned", "view", "g"),
    ("h. one terminal-day, `tmid =` (target: <= 2x d hand-named)", "view", "h"),
    (FULL_SCAN, "view", "full"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--terminals", type=int, default=1000, help="over 2 contracts")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--days-small", type=int, default=5)
    parser.add_argument("--days-large", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true", help="build even if cached")
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench" / "analyst")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--warehouse", help=argparse.SUPPRESS)
    parser.add_argument("--query", default="", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--count-files", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, args.warehouse, args.query, args.out, args.count_files)
        return
    if not 0 < args.days_small < args.days_large:
        parser.error("need 0 < --days-small < --days-large")
    sizes = [args.days_small, args.days_large]
    workdir = args.workdir.resolve()
    queries = choose_queries(args.days_small)
    load_at_start = os.getloadavg()[0]
    if args.rebuild or not cached(workdir, args.terminals, sizes):
        build(workdir, args.terminals, sizes, queries.day)
    else:
        print(f"reusing the warehouses in {workdir} (--rebuild to build again)", flush=True)
    whs = {n: folder(workdir, n, args.terminals) / "warehouse" for n in sizes}
    keys = {n: (folder(workdir, n, args.terminals) / "key.hex").read_text() for n in sizes}
    day_folder = whs[args.days_small] / "raw" / "records" / f"support_id={SUPPORT_ID}"
    tmids = sorted(p.name for p in (day_folder / f"day={queries.day}").iterdir())
    queries = Queries(
        queries.day,
        queries.first,
        queries.last,
        queries.data_days,
        tmids[0].removeprefix("tmid="),
    )

    # Interleaved (each run measures every operation at both sizes in turn), so that the
    # load of a shared machine falls on both sizes alike rather than on one of them.
    results = {(name, n): Measured() for name, _kind, _attr in ROWS for n in sizes}
    for run in range(1, args.runs + 1):
        print(
            f"measuring, run {run}/{args.runs} (load average {os.getloadavg()[0]:.1f})", flush=True
        )
        for name, kind, attr in ROWS:
            query = getattr(queries, attr)() if attr else ""
            for n in sizes:
                measure(results[(name, n)], kind, whs[n], keys[n], query)
    report(args, queries, whs, results, (load_at_start, os.getloadavg()[0]))


def report(args, queries: Queries, whs: dict, results: dict, loads: tuple) -> None:
    small, large = args.days_small, args.days_large
    meta = json.loads((whs[large].parent / "built.json").read_text())

    def cell(m: Measured) -> str:
        return f"{m.median:.3f} ({min(m.seconds):.3f})" if m.available else "n/a"

    def growth(name: str) -> tuple[str, bool | None]:
        a, b = results[(name, small)], results[(name, large)]
        if not (a.available and b.available):
            return "n/a", None
        if name == FULL_SCAN:  # its time grows with the rows, by design; its memory may not
            x = statistics.median(b.peak_mib) / statistics.median(a.peak_mib)
        else:
            x = b.median / a.median
        return f"{x:.2f}x", x <= TARGET_GROWTH

    def peak(m: Measured) -> str:
        return f"{statistics.median(m.peak_mib):.0f}" if m.available and m.peak_mib else ""

    print(
        f"\nAnalyst bench: {CONTRACTS} contracts x {args.terminals // CONTRACTS} terminals, "
        f"{UPLOADS_PER_DAY} uploads x {RECORDS_PER_UPLOAD} records per terminal-day, landed "
        f"day by day and compacted; {large} days: {meta['uploads']:,} uploads, "
        f"{meta['records']:,} records. Seconds inside a fresh process (the operation alone), "
        f"median of {args.runs}. Machine: {machine()}; load average {loads[0]:.1f} at the "
        f"start, {loads[1]:.1f} at the end.\n"
        f"b/d: {SUPPORT_ID} on {queries.day} (d: TMID {queries.tmid}); c: {queries.first} .. "
        f"{queries.last} ({len(queries.data_days)} of the 7 days hold data, at both sizes).\n"
    )
    print(
        f"| query | files read ({small} d / {large} d) | {small} days s (min) "
        f"| {large} days s (min) | {large} d / {small} d | of which rewrite ({large} d) s "
        f"| process peak MiB ({small} d / {large} d) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, kind, _attr in ROWS:
        a, b = results[(name, small)], results[(name, large)]
        named = f"{a.files:,} / {b.files:,}" if a.files is not None and b.files else ""
        x, ok = growth(name)
        verdict = "" if ok is None or kind == "plain" else (" PASS" if ok else " FAIL")
        rewrite = f"{statistics.median(b.rewrite):.3f}" if b.rewrite else ""
        mib = f"{peak(a)} / {peak(b)}"
        print(f"| {name} | {named} | {cell(a)} | {cell(b)} | {x}{verdict} | {rewrite} | {mib} |")

    print("\nTargets:")
    for name, kind, _attr in ROWS:
        if kind == "plain":
            continue
        x, ok = growth(name)
        if ok is not None:
            print(f"- {name}: {large} d / {small} d = {x} (<= {TARGET_GROWTH}x) {_pf(ok)}")
        else:
            print(f"- {name}: n/a (the macro is not there yet)")
    for view, hand in (
        (ROWS[1][0], ROWS[2][0]),
        (ROWS[4][0], ROWS[5][0]),
        (ROWS[6][0], ROWS[7][0]),
    ):
        for n in (small, large):
            v, h = results[(view, n)], results[(hand, n)]
            if not (v.available and h.available):
                continue
            x = v.median / h.median
            target = (
                f"(<= {TARGET_VIEW_X:.0f}x) {_pf(x <= TARGET_VIEW_X)}"
                if view == ROWS[1][0]
                else "(no target)"
            )
            print(f"- {view.split(',')[0]} at {n} d: view / hand-named = {x:.2f}x {target}")
    terminal, folder = ROWS[11][0], ROWS[7][0]
    for n in (small, large):
        x = results[(terminal, n)].median / results[(folder, n)].median
        print(
            f"- h. one terminal-day at {n} d: / hand-named TMID folder = {x:.2f}x "
            f"(<= {TARGET_VIEW_X:.0f}x) {_pf(x <= TARGET_VIEW_X)}"
        )
    rows = {n: results[(FULL_SCAN, n)].rows[0][0] for n in (small, large)}
    print(
        f"- z. full scan: {rows[small]:,} / {rows[large]:,} records read, peak "
        f"{peak(results[(FULL_SCAN, small)])} / {peak(results[(FULL_SCAN, large)])} MiB"
    )

    print_answers(args, results)
    extrapolate(args, queries, results)


def print_answers(args, results: dict) -> None:
    """What each query returned, asserted equal across paths and sizes."""
    small, large = args.days_small, args.days_large
    print("\nAnswers (asserted: pruned == hand-named == plain view, and equal at both sizes):")
    answers = {}
    for name, _kind, _attr in ROWS[1:]:
        if name == FULL_SCAN:  # every record: more at the larger size
            continue
        got = [results[(name, n)].rows for n in (small, large) if results[(name, n)].available]
        if not got:
            continue
        assert all(g == got[0] for g in got), f"{name}: answers differ between sizes: {got}"
        answers[name] = got[0]
    b_rows = [answers[ROWS[i][0]] for i in (1, 2, 3, 8)]  # e: b's day as an expression
    assert all(r == b_rows[0] for r in b_rows), f"b answers differ: {b_rows}"
    assert answers[ROWS[4][0]] == answers[ROWS[5][0]], "c answers differ"
    print(f"- b: {b_rows[0][0][0]:,} records")
    top = ", ".join(f"{p or repr(p)} {n:,}" for p, n in answers[ROWS[4][0]])
    print(f"- c: {top}")
    if ROWS[6][0] in answers:
        assert answers[ROWS[6][0]] == answers[ROWS[7][0]], (
            f"d answers differ: drill {answers[ROWS[6][0]]}, folder {answers[ROWS[7][0]]}"
        )
        print(f"- d: {answers[ROWS[6][0]][0][0]:,} records (the TMID folder holds the same)")
    else:
        print(
            f"- d: n/a (drill_terminal_activity absent); the TMID folder holds "
            f"{answers[ROWS[7][0]][0][0]:,} records"
        )

    assert answers[ROWS[11][0]] == answers[ROWS[7][0]], "h answers differ from the TMID folder"
    assert answers[ROWS[9][0]][0][0] > answers[ROWS[1][0]][0][0], "f reads two days"
    for row in (ROWS[1][0], ROWS[4][0], ROWS[10][0], ROWS[11][0]):
        print(f"- {row.split(',')[0]}, as run by connect(): {results[(row, large)].rewritten}")


def extrapolate(args, queries: Queries, results: dict) -> None:
    """A year of 10,000 terminals (2 contracts, as here), from the large size's medians."""
    large, small = args.days_large, args.days_small
    year_per_contract = YEAR_TERMINALS // CONTRACTS
    per_terminal = year_per_contract / (args.terminals // CONTRACTS)
    per_terminal_day = YEAR_DAYS * YEAR_TERMINALS / (large * args.terminals)
    week = WINDOW_DAYS / len(queries.data_days)

    def t(name: str) -> Measured:
        return results[(name, large)]

    fixed = t(ROWS[7][0]).median  # one query over one file: what does not grow with files
    print(
        f"\nExtrapolation to {YEAR_DAYS} days x {YEAR_TERMINALS:,} terminals ({CONTRACTS} "
        f"contracts of {year_per_contract:,}). Model: time = fixed + per-file x files opened, "
        f"fixed = the one-TMID-folder query ({fixed:.3f} s), the rest scaled by the files the "
        f"query opens in a year / here (a pruned query or the drill-down: x{per_terminal:g} "
        f"terminals per contract-day, x{week:.1f} more for c's 7 full days, not growing with "
        f"the days held; the plain view: x{per_terminal_day:.0f} terminal-days); connect as "
        "measured if it met its growth target, else also x terminal-days."
    )

    def scaled(seconds: float, factor: float) -> float:
        return fixed + max(seconds - fixed, 0.0) * factor

    connect = t(ROWS[0][0]).median
    grew = connect / results[(ROWS[0][0], small)].median > TARGET_GROWTH
    lines = [
        ("connect", connect * (per_terminal_day if grew else 1)),
        ("b through the view", scaled(t(ROWS[1][0]).median, per_terminal)),
        ("b hand-named", scaled(t(ROWS[2][0]).median, per_terminal)),
        ("b plain view (no pruning)", scaled(t(ROWS[3][0]).median, per_terminal_day)),
        ("c through the view", scaled(t(ROWS[4][0]).median, per_terminal * week)),
        ("c hand-named", scaled(t(ROWS[5][0]).median, per_terminal * week)),
        ("d hand-named (one TMID folder)", fixed),
    ]
    lines.insert(-1, ("h one terminal-day by `tmid =`", scaled(t(ROWS[11][0]).median, 1)))
    if t(ROWS[6][0]).available:  # one TMID folder (see its files read)
        drill = scaled(t(ROWS[6][0]).median, 1)
        lines.insert(-1, ("d drill-down (one terminal-day)", drill))
    for name, seconds in lines:
        shown = f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.2f} s"
        print(f"- {name}: {shown}")


def _pf(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


if __name__ == "__main__":
    sys.exit(main())

"""One terminal-day, the query alone: `tmid =` through `connect` (h) and the drill-down (d)
against the hand-named TMID folder, in one process, many runs (issue 21).

    python -m bench.terminal_day [--workdir var/bench/analyst] [--size 20d-500t] [--runs 60]

Uses a warehouse that `bench.analyst` built (its key beside it). Each round runs the three
queries in turn on already open connections (connecting is not timed; an untimed round first
checks that the answers agree and warms the caches); the medians of wall and process CPU time
are printed in milliseconds, with each query's ratio to the hand-named folder. The same code
on another checkout gives the A/B (compare medians taken in the same minutes: the machine is
shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from pathlib import Path

from bench.analyst import SUPPORT_ID, Queries
from bench.measure import REPO


def queries(warehouse: Path, day: dt.date) -> dict[str, tuple[str, str]]:
    """name -> (connection kind, query): `bench.analyst`'s h and d, and d's hand-named
    folder, for the first TMID folder of the contract-day."""
    folder = warehouse / "raw" / "records" / f"support_id={SUPPORT_ID}" / f"day={day}"
    tmid = sorted(p.name for p in folder.iterdir())[0].removeprefix("tmid=")
    chosen = Queries(day=day, first=day, last=day, data_days=[day], tmid=tmid)
    return {
        "hand-named TMID folder": ("plain", chosen.d_hand()),
        "h. tmid = (connect)": ("analyst", chosen.h()),
        "d. drill_terminal_activity": ("analyst", chosen.d()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=REPO / "var" / "bench" / "analyst")
    parser.add_argument("--size", default="20d-500t", help="a folder bench.analyst built")
    parser.add_argument(
        "--day",
        type=dt.date.fromisoformat,
        default=dt.date(2024, 3, 20),
        help="the drilled day (bench.analyst's)",
    )
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    built = args.workdir / args.size
    os.environ["IT360_KEY"] = (built / "key.hex").read_text()
    os.environ.pop("IT360_KEY_FILE", None)

    from storage import duck
    from storage.roots import Root

    root = Root(str(built / "warehouse"))
    cons = {"plain": duck.view_connection(root), "analyst": duck.connect(root)}
    chosen = queries(built / "warehouse", args.day)
    answers = {name: cons[kind].sql(q).fetchall() for name, (kind, q) in chosen.items()}
    assert len(set(map(str, answers.values()))) == 1, f"answers differ: {answers}"
    wall: dict[str, list[float]] = {name: [] for name in chosen}
    cpu: dict[str, list[float]] = {name: [] for name in chosen}
    for _ in range(args.runs):
        for name, (kind, query) in chosen.items():
            w, c = time.perf_counter(), time.process_time()
            cons[kind].sql(query).fetchall()
            wall[name].append(time.perf_counter() - w)
            cpu[name].append(time.process_time() - c)
    base_wall = statistics.median(wall["hand-named TMID folder"])
    base_cpu = statistics.median(cpu["hand-named TMID folder"])
    print(
        f"{args.size}, {args.runs} runs, load average {os.getloadavg()[0]:.1f}; "
        f"{answers['hand-named TMID folder'][0][0]} records"
    )
    for name in chosen:
        mw, mc = statistics.median(wall[name]), statistics.median(cpu[name])
        print(
            f"{name:28s} wall {mw * 1000:6.2f} ms ({mw / base_wall:.2f}x)  "
            f"cpu {mc * 1000:6.2f} ms ({mc / base_cpu:.2f}x)"
        )


if __name__ == "__main__":
    main()

"""A portal stand-in for the concurrency test: reads one day's aggregates in a loop, through
the SQL views and through `read_aggregate`, until told to stop; writes what it saw as JSON.

    python -m tests.assets.dashboard_reader <warehouse> <support_id> <day> <stop file> <out>

Every read must see the whole day exactly once: the known totals, never 0 nor twice them.
"""

import datetime as dt
import json
import sys
import time
from pathlib import Path

from storage import duck
from storage.aggregates import read_aggregate
from storage.roots import Root


def main() -> None:
    warehouse, support_id, day_text, stop, out = sys.argv[1:6]
    wh, day = Root(warehouse), dt.date.fromisoformat(day_text)
    con = duck.connect(wh)
    seen: dict[str, object] = {"reads": 0, "errors": [], "results": [], "builds": []}
    results, builds = set(), set()
    Path(out + ".ready").write_text("ready")
    slowest = 0.0
    while not Path(stop).exists():
        started = time.monotonic()
        try:
            event_types = con.execute(
                "select count(*), sum(records), min(build_id), max(build_id) "
                "from agg_event_types where support_id = ? and day = ?",
                [support_id, day],
            ).fetchone()
            status = con.execute(
                "select count(*), sum(lost_records) from agg_terminal_status "
                "where support_id = ? and day = ?",
                [support_id, day],
            ).fetchone()
            portal = read_aggregate(wh, "user_activity", support_id, day, day)
            results.add(
                json.dumps(
                    [
                        event_types[0],
                        int(event_types[1]),
                        *status,
                        portal.num_rows,
                        sum(portal["records"].to_pylist()),
                    ]
                )
            )
            if event_types[2] != event_types[3]:
                seen["errors"].append(f"two builds in one read: {event_types[2:]}")
            builds.add(event_types[2])
        except Exception as exc:  # the test asserts there are none
            seen["errors"].append(repr(exc))
        slowest = max(slowest, time.monotonic() - started)
        seen["reads"] += 1
    seen["results"] = sorted(results)
    seen["builds"] = sorted(builds)
    seen["slowest_read_seconds"] = slowest
    Path(out).write_text(json.dumps(seen))


if __name__ == "__main__":
    main()

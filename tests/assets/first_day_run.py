"""Run in a fresh process by tests/assets/test_partitions.py, with IT360_FIRST_SERVICE_DAY set:
the partitions are read once at import, so only a new process sees another first day.

    python -m tests.assets.first_day_run <landed fixture folder> <day to build>

Prints JSON: the partitions each asset is declared with, what the analyst views read of every
landed day, and whether building `<day to build>`'s dashboard succeeded.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import dagster as dg


def main(base: Path, day: str) -> dict:
    from assets.dashboard.aggregates import dashboard_day
    from assets.partitions import FIRST_SERVICE_DAY
    from pipelines.definitions import build_definitions
    from storage import duck
    from storage.roots import Root
    from tests.conftest import storage_for

    graph = build_definitions().resolve_asset_graph()
    partitioned = [graph.get(k).partitions_def for k in graph.get_all_asset_keys()]
    shared = [p for p in partitioned if p is not None]
    con = duck.connect(Root(str(base / "warehouse")))
    uploads = con.execute("select day::varchar, count(*) from uploads group by all").fetchall()
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [dashboard_day],
            partition_key=day,
            instance=instance,
            resources={"storage": storage_for(base)},
        )
    return {
        "first_service_day": FIRST_SERVICE_DAY,
        "first_keys": sorted({p.get_first_partition_key() for p in shared}),
        "one_definition": len({id(p) for p in shared}) == 1,
        "partitioned_assets": len(shared),
        "uploads_by_day": dict(sorted(uploads)),
        "built": result.success,
    }


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]), sys.argv[2])))

"""Raw compaction killed with SIGKILL at points spread over all its storage operations: right
after the kill every Python reader sees each row once, and a re-run leaves the rows of the
uncompacted day in one part per terminal-day, with no manifest left."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from storage import schemas, warehouse
from storage.contracts import load_contracts
from storage.roots import Root
from tests.assets.landing_helpers import land_in_runs, parts_per_folder, raw_rows, sample_days
from tests.faults import harness, stages
from tests.faults.conftest import workspace

POINTS = 8


@pytest.fixture(scope="module")
def landed_in_runs(sample_template, tmp_path_factory):
    """The sample landed in three runs per day, and what readers see of it."""
    base, manifest = sample_template
    state = tmp_path_factory.mktemp("compaction") / "state"
    shutil.copytree(base, state)
    land_in_runs(state, manifest)
    days = tuple(d.isoformat() for d in sample_days(manifest))
    return state, days, python_readers(state, days), raw_rows(state)


def python_readers(base, days) -> dict:
    """Every raw row as the pipeline's own readers (`visible_parts`) see it, sorted."""
    wh = Root(str(base / "warehouse"))
    ids = [c.support_id for c in load_contracts(str(base / "contracts.yaml"))]
    seen = {}
    for table in schemas.TABLES:
        for sid in ids:
            for day in days:
                rows = warehouse.read_raw_day(wh, table, sid, dt.date.fromisoformat(day))
                seen[(table, sid, day)] = sorted(map(repr, rows.to_pylist()))
    return seen


def test_a_killed_compaction_hides_nothing_and_a_rerun_finishes_it(landed_in_runs, tmp_path):
    state, days, readers, views = landed_in_runs
    assert max(parts_per_folder(state).values()) >= 2
    scratch = tmp_path / "count"
    shutil.copytree(state, scratch)
    operations = harness.count_operations(stages.COMPACT, workspace(scratch, days).kwargs())
    assert operations > POINTS
    interrupted = 0  # kills that left a folder mid-merge (a manifest)
    for point in (harness.spread(i, POINTS, operations) for i in range(POINTS)):
        run = tmp_path / f"kill-{point}"
        shutil.copytree(state, run)
        ws = workspace(run, days)
        assert harness.kill_at(stages.COMPACT, ws.kwargs(), point) == -9
        interrupted += bool(list((run / "warehouse" / "raw").rglob("compact-*.json")))
        assert python_readers(run, days) == readers, point
        stages.run(stages.COMPACT, ws)
        assert python_readers(run, days) == readers, point
        assert raw_rows(run) == views, point
        assert set(parts_per_folder(run).values()) == {1}, point
        assert not list((run / "warehouse" / "raw").rglob("compact-*.json")), point
        assert not list((run / "warehouse" / "raw").rglob(".*.tmp-*")), point
    assert interrupted >= 2  # the points reach inside merges, not only between them

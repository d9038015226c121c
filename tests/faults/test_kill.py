"""Every stage of the pipeline killed with SIGKILL at many points, then re-run: on local
folders and on S3 (moto's server), the result is the clean run's.

For each stage of `stages.PIPELINE` (landing, daily export, and the dashboard build when it
exists) the storage starts as a clean run left it before that stage; the stage runs in a child
killed just before its Nth storage operation, at points spread over all its operations (22
per stage locally, the landing's 22 being in tests/assets/test_crash.py and 6 more here; 20 on
S3; see `LOCAL` and `S3`, and `harness.py` for what counts); then:

- right after the kill, every file a reader can see is whole (Parquet parses to its end,
  deliverables and notices are byte for byte the finished ones);
- the stage runs again, and everything a reader sees equals the clean run after that stage:
  every row of every table (no record lost or duplicated), the current aggregates, the
  deliverables and notices byte for byte, an empty inbox;
- after a killed landing the daily export runs, and its files are byte for byte the clean
  run's;
- nothing half done is left: no journal entry, no lease, no temporary in the warehouse except
  beside aggregates and publication records (swept by later runs once they are old enough).

Local landing kills are also covered, at other points, by tests/assets/test_crash.py.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from storage import layout, locks
from tests.faults import harness, stages
from tests.faults.conftest import end_state, workspace

# Kill points per stage. Local landing: 6 here, which add the deliverable and visible-file
# checks to the 22 of tests/assets/test_crash.py; every local point runs in the suite. On S3
# every stage has 20 points; moto on loopback serves a few hundred requests a second at best
# and a killed-then-rerun landing makes ~400, so all 60 would add about 10 minutes to CI. The
# suite runs them in rotation instead (`s3_points_of_day`): each day every 7th point of each
# stage, so a week of daily CI runs covers all 60; `pytest -m long` runs the rest of the day's.
LOCAL = {"land": 6, "publish": 22, "dashboard": 22}
S3 = {"land": 20, "publish": 20, "dashboard": 20}
ROTATION_DAYS = 7


def s3_points_of_day(points: int, day: dt.date) -> set[int]:
    """The S3 kill points of a stage that the suite runs on `day` (the others are `long`)."""
    return {p for p in range(points) if p % ROTATION_DAYS == day.toordinal() % ROTATION_DAYS}


S3_IN_SUITE = {name: s3_points_of_day(n, dt.date.today()) for name, n in S3.items()}
RECORDS = tuple(f"{t}/" for t in layout.RECORD_TABLES)
STAGES = {stage.partition(":")[2]: i for i, stage in enumerate(stages.PIPELINE)}
_operations: dict[tuple[str, bool], int] = {}


def operations(clean_run, index: int, tmp_path, s3: str | None) -> int:
    """How many storage operations the stage makes (counted once per stage and root kind)."""
    key = (stages.PIPELINE[index], s3 is not None)
    if key not in _operations:
        scratch = tmp_path / "count"
        shutil.copytree(clean_run.states[index], scratch)
        ws = workspace(scratch, clean_run.days, f"{s3}-count" if s3 else None)
        _operations[key] = harness.count_operations(stages.PIPELINE[index], ws.kwargs())
    return _operations[key]


def kill_rerun_and_compare(
    clean_run, name: str, point: int, points: int, tmp_path, s3: str | None
) -> None:
    index = STAGES[name]
    stage = stages.PIPELINE[index]
    total = operations(clean_run, index, tmp_path, s3)
    assert total >= points, f"{stage} makes only {total} storage operations"
    folder = tmp_path / "work"
    shutil.copytree(clean_run.states[index], folder)
    ws = workspace(folder, clean_run.days, s3)
    n = harness.spread(point, points, total)
    assert harness.kill_at(stage, ws.kwargs(), n) == -9, f"{stage} finished before op {n}"
    roots = ws.roots()
    end = clean_run.seen[-1]
    for root_name, root in roots.items():
        finished = end.get(root_name) if root_name in ("delivery", "outbox") else None
        harness.assert_every_visible_file_is_whole(root, finished)

    stages.run(stage, ws)
    got = end_state(ws)
    for part, want in clean_run.seen[index].items():
        assert got[part] == want, f"{part} differs after a kill at operation {n} of {total}"
    publish = stages.PIPELINE.index(stages.PUBLISH)
    if index < publish:
        for later in stages.PIPELINE[index + 1 : publish + 1]:
            stages.run(later, ws)
        got = end_state(ws)
        for part in ("delivery", "outbox", "rows"):
            assert got[part] == clean_run.seen[publish][part], part

    wh = roots["warehouse"]
    assert wh.list_files(layout.JOURNAL) == []
    if not wh.is_local:
        assert wh.list_files(locks.LOCKS) == []  # every lease released or taken over
    # A killed writer's hidden temporary stays only where a later run sweeps it once it is a
    # day old: beside aggregates (the dashboard) and publication records (the daily export).
    left = [r for r in harness.hidden_files(wh) if not r.startswith(("agg/", *RECORDS))]
    assert left == [], "a temporary was left in the warehouse"


def cases(counts: dict[str, int], in_suite: dict[str, set[int]]) -> list:
    return [
        pytest.param(
            name,
            point,
            counts[name],
            id=f"{name}-{point}",
            marks=[] if point in in_suite.get(name, {point}) else [pytest.mark.long],
        )
        for name in STAGES
        for point in range(counts[name])
    ]


@pytest.mark.parametrize(("stage", "point", "points"), cases(LOCAL, {}))
def test_a_stage_killed_on_local_folders_then_rerun_equals_a_clean_run(
    clean_run, stage, point, points, tmp_path
):
    kill_rerun_and_compare(clean_run, stage, point, points, tmp_path, None)


@pytest.mark.s3
@pytest.mark.parametrize(("stage", "point", "points"), cases(S3, S3_IN_SUITE))
def test_a_stage_killed_on_s3_then_rerun_equals_a_clean_run(
    clean_run, stage, point, points, tmp_path, s3_env
):
    kill_rerun_and_compare(clean_run, stage, point, points, tmp_path, f"{s3_env}/svc")


def test_a_week_of_rotation_runs_every_s3_kill_point_and_each_day_some_of_every_stage():
    week = [dt.date(2026, 12, 7) + dt.timedelta(n) for n in range(ROTATION_DAYS)]
    for name, points in S3.items():
        daily = [s3_points_of_day(points, day) for day in week]
        assert all(daily), name
        assert set().union(*daily) == set(range(points)), name

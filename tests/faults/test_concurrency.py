"""Two runs of the same work started together never corrupt or duplicate it: two processes
landing the same day at once, and two daily exports of the same day at once, end as one run
would, on local folders and on S3. The landing is serialised by the warehouse's `landing`
lock and the export by a lock per contract and day (storage/locks.py).

To make the two runs meet at the lock for sure, this test holds the lock first, starts both
runs (both wait: each says so), then lets go: they race for it, one does the work, and the
other finds nothing left to do.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import time

import pytest

from storage import locks
from tests.faults import stages
from tests.faults.conftest import end_state, workspace
from tests.faults.harness import REPO

LAND, PUBLISH = 0, 1


def start(stage: str, ws: stages.Workspace) -> subprocess.Popen:
    spec = json.dumps(dataclasses.asdict(ws))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.stages", stage, spec],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "ready"
    return proc


def twice_at_once(stage: str, ws: stages.Workspace, lock_name: str) -> list[str]:
    wh = ws.roots()["warehouse"]
    with locks.hold(wh, lock_name):
        runs = [start(stage, ws), start(stage, ws)]
        waited = [run.stdout.readline() for run in runs]  # each blocks until it waits
        time.sleep(0.2)
    done = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in done]
    outputs = [w + out for w, (out, _) in zip(waited, done, strict=True)]
    assert all(out.startswith("waiting for lock") for out in waited), waited
    return outputs


def check(clean_run, ws, index: int) -> None:
    got = end_state(ws)
    for part, want in clean_run.seen[index].items():
        assert got[part] == want, part  # rows: none twice; files: byte for byte


@pytest.mark.parametrize("where", ["local", pytest.param("s3", marks=pytest.mark.s3)])
def test_two_landings_of_the_same_day_at_once_land_it_once(clean_run, tmp_path, where, request):
    folder = tmp_path / "work"
    shutil.copytree(clean_run.states[LAND], folder)
    s3 = f"{request.getfixturevalue('s3_env')}/svc" if where == "s3" else None
    ws = workspace(folder, clean_run.days, s3)
    twice_at_once(stages.LAND, ws, "landing")
    check(clean_run, ws, LAND)


@pytest.mark.parametrize("where", ["local", pytest.param("s3", marks=pytest.mark.s3)])
def test_two_daily_exports_of_the_same_day_at_once_publish_one_file(
    clean_run, tmp_path, where, request
):
    folder = tmp_path / "work"
    shutil.copytree(clean_run.states[PUBLISH], folder)
    s3 = f"{request.getfixturevalue('s3_env')}/svc" if where == "s3" else None
    ws = workspace(folder, clean_run.days, s3)
    day = clean_run.days[0]
    twice_at_once(stages.PUBLISH, ws, f"daily/S0001/{day}")
    check(clean_run, ws, PUBLISH)  # one file and one record per contract, one notice each

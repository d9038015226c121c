"""Which STARTED runs a landing may mark failed: only a run whose own worker is certainly a
dead process of this machine, never one that inherited its parent's worker tag."""

from __future__ import annotations

import json
import subprocess
import sys

import dagster as dg

from assets.landing.dead_runs import WORKER_TAG, _worker_of
from storage import locks


def a_run(run_id: str, worker: dict | None) -> dg.DagsterRun:
    tags = {WORKER_TAG: json.dumps(worker)} if worker is not None else {}
    return dg.DagsterRun(job_name="land_uploads", run_id=run_id, tags=tags)


def test_a_worker_tag_inherited_from_the_parent_run_names_no_worker():
    worker = {**locks.this_process(), "run_id": "parent"}
    assert _worker_of(a_run("parent", worker)) == worker
    assert _worker_of(a_run("retry-of-parent", worker)) is None  # Dagster copied the tags
    assert _worker_of(a_run("old", locks.this_process())) is None  # a tag without its run
    assert _worker_of(a_run("none", None)) is None


def test_a_holder_is_gone_only_when_no_process_has_its_pid_or_another_one_does():
    assert not locks.holder_is_gone(locks.this_process())
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    assert locks.holder_is_gone(locks.this_process(int(ended.stdout)))
    reused = {**locks.this_process(), "pid_start": "another start"}  # our pid, reused
    assert locks.holder_is_gone(reused)
    elsewhere = {**locks.this_process(), "boot_id": "another machine", "pid": 999_999}
    assert not locks.holder_is_gone(elsewhere)

"""The one-host executor runs a plan of exactly one step in the run worker (no step process
importing the code location again) and a plan of several steps in step processes, as
Dagster's default does; either way the run's worker tag names the run worker, also when the
run worker is itself a child of `multiprocessing` (as the code server starts it)."""

from __future__ import annotations

import json
import multiprocessing
import os

import dagster as dg
import pytest

from assets.landing.dead_runs import WORKER_TAG
from tests.pipelines import executor_jobs


@pytest.fixture
def home(tmp_path, monkeypatch) -> str:
    monkeypatch.delenv("IT360_EXECUTOR", raising=False)
    return str(tmp_path)


def step_pids(home: str, run_id: str) -> dict[str, int]:
    """{asset: the process its step ran in}."""
    with dg.DagsterInstance.from_config(home) as instance:
        records = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    return {
        r.asset_materialization.asset_key.to_user_string(): int(
            r.asset_materialization.metadata["pid"].value
        )
        for r in records
    }


def worker_pid(home: str, run_id: str) -> int:
    with dg.DagsterInstance.from_config(home) as instance:
        tags = instance.get_run_by_id(run_id).tags
    return json.loads(tags[WORKER_TAG])["pid"]


def test_a_one_step_plan_runs_in_the_run_worker(home):
    run_id = executor_jobs.run("one_step", home)
    assert step_pids(home, run_id) == {"first": os.getpid()}
    assert worker_pid(home, run_id) == os.getpid()


def test_a_plan_of_several_steps_runs_each_in_its_own_process(home):
    run_id = executor_jobs.run("two_steps", home)
    pids = step_pids(home, run_id)
    assert set(pids) == {"first", "second"}
    assert os.getpid() not in pids.values() and pids["first"] != pids["second"]
    assert worker_pid(home, run_id) == os.getpid()  # the steps named their parent


def test_a_run_worker_started_by_multiprocessing_names_itself_for_its_in_process_step(home):
    """The code server starts each run worker as a `multiprocessing` child: the one step that
    runs in that worker must name the worker, not the server (which outlives a killed run)."""
    queue = multiprocessing.get_context("spawn").SimpleQueue()
    worker = multiprocessing.get_context("spawn").Process(
        target=_run_and_tell, args=("one_step", home, queue)
    )
    worker.start()
    worker.join(120)
    assert worker.exitcode == 0
    run_id = queue.get()
    assert step_pids(home, run_id) == {"first": worker.pid}
    assert worker_pid(home, run_id) == worker.pid


def _run_and_tell(name: str, home: str, queue) -> None:
    queue.put(executor_jobs.run(name, home))

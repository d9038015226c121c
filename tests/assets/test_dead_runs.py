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


def started_run(instance: dg.DagsterInstance, run_id: str, worker: dict) -> None:
    """A STARTED run that named `worker` (as the executor names it), started now."""
    from dagster._core.events import DagsterEvent, DagsterEventType

    tags = {WORKER_TAG: json.dumps(worker)}
    instance.add_run(dg.DagsterRun(job_name="land_uploads", run_id=run_id, tags=tags))
    start = DagsterEvent(DagsterEventType.RUN_START.value, job_name="land_uploads")
    instance.report_dagster_event(start, run_id=run_id)
    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.STARTED


def dead_worker() -> dict:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return locks.this_process(int(ended.stdout))


def test_the_sweep_fails_only_runs_whose_own_worker_is_gone_and_the_inbox_sensor_runs_it(
    sample, monkeypatch
):
    from assets.landing import dead_runs
    from pipelines.definitions import build_definitions
    from pipelines.sensors import build_inbox_sensor
    from tests.conftest import storage_for

    base, _ = sample
    with dg.instance_for_test() as instance:
        started_run(instance, "killed", {**dead_worker(), "run_id": "killed"})
        started_run(instance, "alive", {**locks.this_process(), "run_id": "alive"})
        started_run(instance, "retry", {**dead_worker(), "run_id": "killed"})  # inherited
        rebooted = {**locks.this_process(), "boot_id": "before the reboot", "pid": 1}
        started_run(instance, "rebooted", {**rebooted, "run_id": "rebooted"})
        monkeypatch.setattr(dead_runs, "_boot_time", lambda: 1e12)  # booted after they started
        context = dg.build_sensor_context(
            resources={"storage": storage_for(base)},
            definitions=build_definitions(),
            instance=instance,
        )
        build_inbox_sensor(120).evaluate_tick(context)
        status = {r: instance.get_run_by_id(r).status for r in ("killed", "alive", "retry")}
        assert status == {
            "killed": dg.DagsterRunStatus.FAILURE,
            "alive": dg.DagsterRunStatus.STARTED,
            "retry": dg.DagsterRunStatus.STARTED,
        }
        assert instance.get_run_by_id("rebooted").status == dg.DagsterRunStatus.FAILURE
        monkeypatch.setattr(dead_runs, "_boot_time", lambda: 0.0)  # started after the boot
        started_run(instance, "other boot", {**rebooted, "run_id": "other boot"})
        assert dead_runs.fail_dead_runs(instance) == {}

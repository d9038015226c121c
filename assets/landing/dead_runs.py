"""Runs killed outright (SIGKILL, OOM, a lost host, a reboot) are marked failed by the next
landing and by the inbox sensor's next tick.

A run killed that way never reports its end: the instance shows it STARTED for ever, and under
the daemon's run queue it keeps one of `max_concurrent_runs` (with all of them kept, no queued
run, landings included, would start again). Dagster's run monitoring cannot tell for the
default run launcher or a CLI run, and no daemon watches a CLI run at all. So each run names
its run worker in a run tag (host, boot, PID namespace, process and its start time, and the
run's own id): the one-host executor as the run starts (`pipelines/executors.py`), and each
landing step again (for runs of another executor that run the step in their own process). A
STARTED run is marked failed when its named worker is certainly gone: a process of this same
machine that no longer runs (`storage.locks`, the rule that frees a dead holder's S3 lease),
or a process of this host name from before the machine's last boot. A run on another host, or
a worker nobody could name (Celery, Kubernetes), is left to Dagster's run monitoring.

Nothing else depends on it: the warehouse lock and the journal already make the next landing
safe. This keeps the instance truthful and the run queue free.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable

import dagster as dg

from storage import locks

WORKER_TAG = "it360/run_worker"
# Run engines whose step runs in the run worker or in its direct child.
_LOCAL_ENGINES = ("", "multiprocess")
# The runs whose run worker is this process, as the one-host executor said when it started
# them: their steps may run here too (a one-step plan), or in a child process.
_RUNS_OF_THIS_WORKER: set[str] = set()


def run_worker(run_id: str) -> dict[str, object] | None:
    """The run worker of run `run_id`, asked from a step of it running in this process:
    this process if the one-host executor started the run here (a one-step plan, in-process
    execution) or if it has no `multiprocessing` parent; else that parent (this is a step
    process of Dagster's multiprocess executor). None on another engine. The first rule comes
    first because a run worker that the code server started is itself the server's
    `multiprocessing` child: its in-process step must not name the server."""
    if (os.environ.get("IT360_EXECUTOR") or "").strip().lower() not in _LOCAL_ENGINES:
        return None
    parent = multiprocessing.parent_process()
    if run_id in _RUNS_OF_THIS_WORKER or parent is None:
        return locks.this_process()
    return locks.this_process(parent.pid)


def name_worker(context: dg.AssetExecutionContext) -> None:
    """Tag this run with its worker, so a later landing can tell when it died."""
    worker = run_worker(context.run.run_id)
    if worker is not None:
        name_run_worker(context.instance, context.run.run_id, worker)


def name_this_run_worker(instance: dg.DagsterInstance, run_id: str) -> None:
    """Tag run `run_id` with this process as its worker, and remember it for the run's steps
    that run in this process."""
    _RUNS_OF_THIS_WORKER.add(run_id)
    name_run_worker(instance, run_id, locks.this_process())


def name_run_worker(instance: dg.DagsterInstance, run_id: str, worker: dict) -> None:
    """Tag run `run_id` with `worker` (`storage.locks.this_process`)."""
    # The run's own id with it: Dagster copies a run's tags to its retries and re-executions,
    # which must not be taken for the dead parent until they tag themselves.
    named = {**worker, "run_id": run_id}
    instance.add_run_tags(run_id, {WORKER_TAG: json.dumps(named)})


def fail_dead_runs(instance: dg.DagsterInstance, current_run_id: str = "") -> dict[str, str]:
    """Mark failed every STARTED run (but `current_run_id`) whose named worker is certainly
    gone; {run id: one line saying so}, for the caller's log."""
    told = {}
    started = dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
    for run in instance.get_runs(filters=started, limit=200):
        worker = _worker_of(run)
        if run.run_id == current_run_id or worker is None or not _is_gone(instance, run, worker):
            continue
        what = run.tags.get("dagster/partition") or run.job_name
        line = (
            f"run {run.run_id} ({what}) was killed (its worker, pid {worker.get('pid')} on "
            f"{worker.get('host')}, is gone): marked it failed; the next landing recovers its "
            "unfinished work"
        )
        latest = instance.get_run_by_id(run.run_id)
        if latest is None or latest.status != dg.DagsterRunStatus.STARTED:
            continue  # another landing marked it just now
        instance.report_run_failed(latest, message=line)
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        told[run.run_id] = line
    return told


def _is_gone(instance: dg.DagsterInstance, run: dg.DagsterRun, worker: dict) -> bool:
    if locks.holder_is_gone(worker):
        return True
    # A reboot ends every process: a worker of this host name and another boot, whose run
    # started before this boot, is gone (its boot id differs, so `holder_is_gone` cannot say).
    me = locks.this_process()
    if worker.get("host") != me["host"] or worker.get("boot_id") in ("", me["boot_id"]):
        return False
    record = instance.get_run_record_by_id(run.run_id)
    started = record.start_time if record is not None else None
    booted = _boot_time()
    return started is not None and booted is not None and started < booted


def _boot_time() -> float | None:
    """When this machine booted (seconds since the epoch), from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            for line in stat:
                if line.startswith("btime "):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


def _worker_of(run: dg.DagsterRun) -> dict | None:
    """The worker this run named for itself; None when it named none, or when the tag was
    inherited from the run it retries or re-executes."""
    try:
        worker = json.loads(run.tags.get(WORKER_TAG) or "null")
    except ValueError:
        return None
    if not isinstance(worker, dict) or worker.get("run_id") != run.run_id:
        return None
    return worker


def untold(told: dict[str, str], log: Callable[[str], None]) -> Callable[[str], None]:
    """`log`, less the landing lock's line about a killed holder that `told` already named:
    one line per killed run."""

    def progress(message: str) -> None:
        if not (message.startswith("lock ") and any(run_id in message for run_id in told)):
            log(message)

    return progress

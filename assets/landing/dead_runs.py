"""Landing runs killed outright (SIGKILL, OOM, a lost host) are marked failed by the next one.

A run killed that way never reports its end: the instance shows it STARTED for ever (and under
the daemon's run queue it keeps one of `max_concurrent_runs`). Dagster's run monitoring cannot
tell for the default run launcher or a CLI run, and no daemon watches a CLI run at all. So each
landing step names its run worker in a run tag (host, boot, PID namespace, process and its
start time), and each landing first marks failed every STARTED run whose named worker is
certainly gone: a process of this same machine that no longer runs (`storage.locks`, the rule
that frees a dead holder's S3 lease). A run on another host, or a worker this step cannot name
(Celery, Kubernetes), is left to Dagster's run monitoring.

Nothing else depends on it: the warehouse lock and the journal already make the next landing
safe. This only keeps the instance truthful.
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


def run_worker() -> dict[str, object] | None:
    """The process that runs this step's run: the parent of a step process (Dagster's
    multiprocess executor), or this process (in-process execution); None on another engine."""
    if (os.environ.get("IT360_EXECUTOR") or "").strip().lower() not in _LOCAL_ENGINES:
        return None
    parent = multiprocessing.parent_process()
    return locks.this_process(parent.pid if parent is not None else None)


def name_worker(context: dg.AssetExecutionContext) -> None:
    """Tag this run with its worker, so a later landing can tell when it died."""
    worker = run_worker()
    if worker is not None:
        # The run's own id with it: Dagster copies a run's tags to its retries and
        # re-executions, which must not be taken for the dead parent until they tag themselves.
        named = {**worker, "run_id": context.run.run_id}
        context.instance.add_run_tags(context.run.run_id, {WORKER_TAG: json.dumps(named)})


def fail_dead_runs(context: dg.AssetExecutionContext) -> dict[str, str]:
    """Mark failed every STARTED run whose named worker is a dead process of this machine;
    {run id: one line saying so}, for the step's log."""
    instance = context.instance
    told = {}
    started = dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])
    for run in instance.get_runs(filters=started, limit=200):
        worker = _worker_of(run)
        if run.run_id == context.run.run_id or worker is None or not locks.holder_is_gone(worker):
            continue
        what = run.tags.get("dagster/partition") or run.job_name
        line = (
            f"run {run.run_id} ({what}) was killed (its worker, pid {worker.get('pid')} on "
            f"{worker.get('host')}, is gone): marked it failed; this landing recovers its "
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

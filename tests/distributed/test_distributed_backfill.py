"""The production configuration, distributed: every root on S3, the instance on PostgreSQL,
steps on two Celery workers (Redis broker), a backfill run by `dagster-daemon`; the result is
the same as the embedded single-process run of the same input.

Services are real processes on 127.0.0.1: PostgreSQL and Redis from the Debian packages,
moto's S3 server (tests/conftest.py), two `dagster-celery worker start` workers and
`dagster-daemon run`, all configured by deploy/ and the environment only (the code is the
code the demo runs). The backfill covers every service day of a generated sample (several
contracts, bad files included) and every asset of the Definitions, so asset groups added
later join it without a change here.

"Identical" means (docs/scale.md):
- raw store and aggregates: every view of sql/views.sql (uploads with their original ZIP
  bytes, records, rejects, quarantine, landing log, publications, late uploads, every
  dashboard aggregate) holds the same rows, compared as sorted tuples of every column except
  those naming a batch, a build or a wall-clock instant (VOLATILE);
- deliverables and exports: the same relative paths with the same sha256 of their bytes.

Which contract owns a TMID seen under two contracts is decided by which landing ran first
(docs/decisions.md), so the embedded run replays the steps in the order the distributed run
started them; landings never overlap (the warehouse's `landing` lock), which the test checks
too, by their materializations (a landing step may start while another holds the lock).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import time
from collections import Counter
from pathlib import Path

import dagster as dg
import pytest
from dagster._cli.workspace.cli_target import get_workspace_from_cli_opts
from dagster._core.events import DagsterEventType
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill
from dagster._core.storage.tags import BACKFILL_ID_TAG, PARTITION_NAME_TAG
from dagster._core.utils import make_new_backfill_id
from dagster_shared.cli import WorkspaceOpts

from samples.generator import generate_sample
from storage import duck
from storage.roots import Root
from tests.assets.landing_helpers import sample_days
from tests.conftest import FIRST_DAY, upload_tree
from tests.distributed import services

pytestmark = [pytest.mark.distributed, pytest.mark.s3, pytest.mark.slow]

NOW = "2024-03-23T06:00:00+09:00"  # the pipeline's clock in both runs (deliverable bytes)
TEST_KEY = "0f" * 32  # a warehouse key for this test only, when none is configured
VOLATILE = frozenset(
    {"batch_id", "build_id", "landed_at", "logged_at", "quarantined_at", "quarantined_day"}
)
WORKERS = ["w1", "w2"]
BACKFILL_TIMEOUT = 600  # seconds; the backfill took 88-246 s on 2 busy cores (load 5-20)


class Phases:
    """Wall time of each phase, written to logs/phases.txt (the test's runtime breakdown)."""

    def __init__(self, path: Path) -> None:
        self.path, self.last = path, time.monotonic()

    def done(self, what: str) -> None:
        now = time.monotonic()
        with open(self.path, "a") as out:
            out.write(f"{now - self.last:7.1f}s  {what}\n")
        self.last = now


def test_a_backfill_on_celery_workers_matches_the_embedded_run(s3_env, tmp_path, monkeypatch):
    bucket = s3_env
    logs = tmp_path / "logs"
    logs.mkdir()
    phases = Phases(logs / "phases.txt")
    source = tmp_path / "input"
    manifest = generate_sample(
        source / "inbox",
        source / "config" / "contracts.yaml",
        contracts=2,
        terminals=6,
        first_day=FIRST_DAY,
        days=3,
        uploads_per_day=3,
        records_per_upload=20,
        seed=23,
    )
    days = [d.isoformat() for d in sample_days(manifest)]
    assert len(days) >= 3
    _common_environment(monkeypatch)
    upload_tree(source / "inbox", bucket, "inbox")
    upload_tree(source / "config", bucket, "config")
    roots = {
        "IT360_INBOX": f"s3://{bucket}/inbox",
        "IT360_WAREHOUSE": f"s3://{bucket}/warehouse",
        "IT360_DELIVERY": f"s3://{bucket}/delivery",
        "IT360_CONTRACTS": f"s3://{bucket}/config/contracts.yaml",
    }
    phases.done("sample generated and uploaded to S3")

    steps = _distributed_backfill(bucket, roots, days, tmp_path, logs, monkeypatch, phases)

    local = tmp_path / "embedded"
    shutil.copytree(source, local)
    _embedded_replay(local, steps, tmp_path, monkeypatch)
    phases.done("embedded replay")

    # The distributed run's bytes, fetched from S3 once (concurrently) and read locally: the
    # same files, without a DuckDB range request per Parquet footer over the loopback.
    fetched = tmp_path / "from_s3"
    for name in ("warehouse", "delivery"):
        s3 = Root(roots[f"IT360_{name.upper()}"])
        s3.fs.get(s3.full("") + "/", str(fetched / name) + "/", recursive=True)
    s3_wh, local_wh = Root(str(fetched / "warehouse")), Root(str(local / "warehouse"))
    distributed_views, embedded_views = _views(s3_wh), _views(local_wh)
    assert {"uploads", "records", "quarantine", "publications"} <= set(embedded_views)
    assert set(distributed_views) == set(embedded_views)
    differing = {
        view: _difference(distributed_views[view], rows)
        for view, rows in embedded_views.items()
        if distributed_views[view] != rows
    }
    assert not differing, f"views differ (distributed vs embedded): {differing}"
    assert all(embedded_views[v] for v in ("uploads", "records", "publications"))
    delivered = _digests(Root(str(fetched / "delivery")))
    assert delivered, "no deliverable was published"
    same_files = delivered == _digests(Root(str(local / "delivery")))
    assert same_files, _difference(delivered, _digests(Root(str(local / "delivery"))))
    exported = _digests(s3_wh, "exports")
    assert exported == _digests(local_wh, "exports"), "exports differ"
    assert Root(roots["IT360_INBOX"]).list_files() == []
    phases.done("compared")


# -- the distributed run ---------------------------------------------------------------------


def _distributed_backfill(bucket, roots, days, tmp_path, logs, monkeypatch, phases) -> list[dict]:
    """Run the backfill on PostgreSQL + Redis + Celery + the daemon; return its steps in the
    order they started: {"step", "partition", "assets", "worker", "start", "end"}."""
    with services.postgres(logs) as pg, services.redis(logs) as redis_url:
        for name, value in {
            **pg.env,
            "DAGSTER_COMPUTE_LOGS_BUCKET": bucket,
            "DAGSTER_COMPUTE_LOGS_PREFIX": "dagster/compute-logs",
        }.items():
            monkeypatch.setenv(name, value)  # this process reads the instance too
        home = tmp_path / "dagster_home_prod"
        home.mkdir()
        shutil.copy(services.REPO / "deploy" / "dagster.prod.yaml", home / "dagster.yaml")
        broker = f"{redis_url}/0"
        env = {
            **os.environ,
            **roots,
            "DAGSTER_HOME": str(home),
            "IT360_EXECUTOR": "celery",
            "IT360_CELERY_BROKER": broker,
            "IT360_CELERY_BACKEND": f"{redis_url}/1",
            "PATH": f"{services.VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        phases.done("postgres and redis started")
        workers = [services.celery_worker(name, env, logs) for name in WORKERS]
        try:
            with dg.DagsterInstance.from_config(str(home)) as instance:
                backfill_id, targets = _submit_backfill(instance, days)
                phases.done("instigators paused, backfill added")
                services.wait_for_workers(broker, WORKERS, workers)
                phases.done("celery workers answer")
                daemon = services.dagster_daemon(env, logs)
                try:
                    _wait_for_backfill(instance, backfill_id, targets, daemon)
                finally:
                    daemon.stop()
                phases.done("backfill done (daemon)")
                steps = _steps_of(instance, backfill_id, days, logs)
        finally:
            for worker in workers:
                worker.stop()
    _check_distribution(steps, days)
    assert Root(f"s3://{bucket}/dagster/compute-logs").list_files(), "no compute log in S3"
    return steps


def _submit_backfill(instance: dg.DagsterInstance, days: list[str]) -> tuple[str, dict]:
    """Pause every schedule and sensor (only the backfill may start runs here), then add an
    asset backfill of every asset for `days`, as the UI's "Materialize" does. The daemon,
    started afterwards, runs it."""
    opts = WorkspaceOpts(
        module_name=("pipelines.definitions",), working_directory=str(services.REPO)
    )
    with get_workspace_from_cli_opts(instance, dg.__version__, opts) as workspace:
        for location in workspace.code_locations:
            for repo in location.get_repositories().values():
                for schedule in repo.get_schedules():
                    instance.stop_schedule(
                        schedule.get_remote_origin_id(), schedule.selector_id, schedule
                    )
                for sensor in repo.get_sensors():
                    instance.stop_sensor(sensor.get_remote_origin_id(), sensor.selector_id, sensor)
        asset_graph = workspace.asset_graph
        keys = sorted(asset_graph.materializable_asset_keys)
        backfill = PartitionBackfill.from_asset_partitions(
            backfill_id=make_new_backfill_id(),
            asset_graph=asset_graph,
            partition_names=days,
            asset_selection=keys,
            backfill_timestamp=time.time(),
            tags={},
            dynamic_partitions_store=instance,
            all_partitions=False,
            title="distributed test",
            description=None,
            run_config=None,
        )
        instance.add_backfill(backfill)
        targets = {key: days if asset_graph.get(key).partitions_def else None for key in keys}
    return backfill.backfill_id, targets


def _wait_for_backfill(instance, backfill_id: str, targets: dict, daemon) -> None:
    """Until the backfill has ended, or every target is materialized and none of its runs is
    still queued or going (the daemon marks the backfill done on its next 30-second tick;
    `_steps_of` then checks that every run succeeded)."""
    deadline = time.monotonic() + BACKFILL_TIMEOUT
    while True:
        backfill = instance.get_backfill(backfill_id)
        if backfill.status not in (BulkActionStatus.REQUESTED, BulkActionStatus.CANCELING):
            assert backfill.status == BulkActionStatus.COMPLETED_SUCCESS, backfill.error
            return
        if _all_materialized(instance, targets) and _runs_finished(instance, backfill_id):
            return
        if daemon.proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(
                f"backfill {backfill.status} after {BACKFILL_TIMEOUT}s; daemon log:\n"
                + daemon.log.read_text(errors="replace")[-6000:]
            )
        time.sleep(2)


def _all_materialized(instance, targets: dict) -> bool:
    for key, partitions in targets.items():
        if partitions is None:
            if instance.get_latest_materialization_event(key) is None:
                return False
        elif not set(partitions) <= set(instance.get_materialized_partitions(key)):
            return False
    return True


def _runs_finished(instance, backfill_id: str) -> bool:
    runs = instance.get_runs(dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}))
    return bool(runs) and all(run.is_finished for run in runs)


def _steps_of(instance, backfill_id: str, days: list[str], logs: Path) -> list[dict]:
    runs = instance.get_runs(dg.RunsFilter(tags={BACKFILL_ID_TAG: backfill_id}))
    others = [r.run_id for r in instance.get_runs() if r.tags.get(BACKFILL_ID_TAG) != backfill_id]
    assert not others, f"runs outside the backfill: {others}"
    failed = [r.run_id for r in runs if r.status != dg.DagsterRunStatus.SUCCESS]
    assert not failed, f"failed runs: {failed}"
    steps: dict[tuple[str, str], dict] = {}
    for run in runs:
        partition = run.tags.get(PARTITION_NAME_TAG)
        for record in instance.get_records_for_run(run.run_id).records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None or event.step_key is None:
                continue
            step = steps.setdefault(
                (run.run_id, event.step_key),
                {"step": event.step_key, "partition": partition, "assets": set(), "worker": None},
            )
            if event.event_type == DagsterEventType.STEP_START:
                step["start"] = entry.timestamp
            elif event.event_type == DagsterEventType.STEP_SUCCESS:
                step["end"] = entry.timestamp
            elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                step["assets"].add(event.asset_key)
                # A landing materializes as it releases the lock: the order landings ran in.
                step.setdefault("landed", entry.timestamp)
            elif event.event_type == DagsterEventType.ENGINE_EVENT and "celery worker" in (
                event.message or ""
            ):
                step["worker"] = event.engine_event_data.metadata["Celery worker"].value
    # Landings in the order they held the lock (a landing step may start, then wait for it).
    ordered = sorted(
        steps.values(), key=lambda s: s["landed"] if s["step"] == "raw_uploads" else s["start"]
    )
    with open(logs / "steps.txt", "w") as out:
        for s in ordered:
            out.write(
                f"{s['start']:.3f} {s['end'] - s['start']:7.2f}s {s['partition']} "
                f"{s['step']} on {s['worker']}\n"
            )
    return ordered


def _check_distribution(steps: list[dict], days: list[str]) -> None:
    """Every step ran in a Celery worker, both workers took steps, every day was landed once
    and no two landings overlapped."""
    assert all(s["worker"] for s in steps), [s["step"] for s in steps if not s["worker"]]
    used = Counter(s["worker"].split("@")[0] for s in steps)
    assert set(used) == set(WORKERS), f"steps per worker: {dict(used)}"
    landings = [s for s in steps if s["step"] == "raw_uploads"]
    assert sorted(s["partition"] for s in landings) == sorted(days)
    for earlier, later in itertools.pairwise(landings):
        assert earlier["landed"] < later["landed"], "two landings ended at once"


# -- the embedded single-process run ---------------------------------------------------------


def _embedded_replay(local: Path, steps: list[dict], tmp_path: Path, monkeypatch) -> None:
    """The same steps, in the same order, in this process, on the embedded instance (the
    repository's deploy/dagster.local.yaml, SQLite) with local folders as roots."""
    from pipelines.definitions import build_definitions

    for name, value in {
        "IT360_INBOX": str(local / "inbox"),
        "IT360_WAREHOUSE": str(local / "warehouse"),
        "IT360_DELIVERY": str(local / "delivery"),
        "IT360_CONTRACTS": str(local / "config" / "contracts.yaml"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("IT360_EXECUTOR", raising=False)
    home = tmp_path / "dagster_home_embedded"
    home.mkdir()
    shutil.copy(services.REPO / "deploy" / "dagster.local.yaml", home / "dagster.yaml")
    definitions = build_definitions()
    assets = list(definitions.assets or [])
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for step in steps:
            result = dg.materialize(
                assets,
                selection=sorted(step["assets"]),
                partition_key=step["partition"],
                instance=instance,
                resources=definitions.resources,
            )
            assert result.success, step


# -- comparisons ------------------------------------------------------------------------------


def _views(wh: Root) -> dict[str, list[tuple]]:
    """Every view of sql/views.sql: its rows without the volatile columns, sorted."""
    con = duck.connect(wh)
    names = [
        r[0]
        for r in con.execute(
            "select view_name from duckdb_views() where not internal order by view_name"
        ).fetchall()
    ]
    out = {}
    for name in names:
        columns = [c[0] for c in con.execute(f'describe "{name}"').fetchall()]
        kept = ", ".join(f'"{c}"' for c in columns if c not in VOLATILE)
        rows = con.execute(f'select {kept} from "{name}"').fetchall()
        out[name] = sorted(rows, key=repr)
    return out


def _difference(distributed, embedded) -> str:
    """A short account of how two row lists (or path -> digest maps) differ."""

    def reprs(rows) -> set[str]:
        return {repr(x) for x in (rows.items() if isinstance(rows, dict) else rows)}

    a, b = reprs(distributed), reprs(embedded)
    only_a = [r[:300] for r in sorted(a - b)[:3]]
    only_b = [r[:300] for r in sorted(b - a)[:3]]
    return (
        f"{len(distributed)} vs {len(embedded)} rows; "
        f"only distributed: {only_a}; only embedded: {only_b}"
    )


def _digests(root: Root, under: str = "") -> dict[str, str]:
    """Relative path -> sha256 of the bytes, for every file below `under`."""
    return {
        rel: hashlib.sha256(root.read_bytes(rel)).hexdigest()
        for rel in root.list_files(under)
        if not rel.startswith(".staging/")
    }


def _common_environment(monkeypatch) -> None:
    """What both runs share: the pinned clock and the warehouse key; notices to the outbox."""
    monkeypatch.setenv("IT360_NOW", NOW)
    if not (os.environ.get("IT360_KEY") or os.environ.get("IT360_KEY_FILE")):
        monkeypatch.setenv("IT360_KEY", TEST_KEY)
    for name in ("IT360_OUTBOX", "IT360_SMTP", "IT360_EXECUTOR"):
        monkeypatch.delenv(name, raising=False)

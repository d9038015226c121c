"""A real CLI landing (the README's "land one service day" command) whose process group is
SIGKILLed at several moments does not block the next one: the next landing finishes on its own,
says in one line which run it found killed, and the warehouse equals a clean landing's. A
landing that finds the lock held says for whom it waits, and waits without spinning a core.

The kill: tests/pipelines/kill_hook/sitecustomize.py, loaded by the CLI and its step process
through PYTHONPATH, SIGKILLs the whole process group at a chosen storage operation; "before
the step" is a kill from here as soon as the instance shows the run started.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import pytest

from assets.landing.dead_runs import WORKER_TAG
from storage import locks
from storage.roots import Root
from tests.assets.landing_helpers import land_all, sample_days, table_rows
from tests.pipelines.cli_helpers import REPO, ROOT_SETTINGS

HOOK = Path(__file__).with_name("kill_hook")
IGNORE = ("batch_id", "landed_at", "quarantined_at", "logged_at", "quarantined_day")
VIEWS = ("uploads", "records", "rejects", "quarantine")


# The README's land row (the operator's command) and its Dagster CLI alternative.
OPERATOR, DAGSTER_CLI = "operator", "dagster-cli"


def _command(
    base: Path, home: Path, day: str, kill: str = "", via: str = DAGSTER_CLI
) -> tuple[list[str], dict]:
    home.mkdir(exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copy(REPO / "deploy" / "dagster.local.yaml", home / "dagster.yaml")
    env = {
        **os.environ,
        **{name: str(base / rel) for name, rel in ROOT_SETTINGS.items()},
        "DAGSTER_HOME": str(home),
        "PYTHONPATH": f"{HOOK}{os.pathsep}{REPO}",
        "IT360_TEST_KILL": kill,
    }
    if via == OPERATOR:
        return [sys.executable, "-m", "pipelines.run", "land_uploads", "--day", day], env
    dagster = str(Path(sys.executable).parent / "dagster")
    return [
        dagster,
        *("asset", "materialize", "-m", "pipelines.definitions", "--select", "group:raw"),
        *("--partition", day, "-c", "examples/console.yaml"),
    ], env


def land(
    base: Path, home: Path, day: str, kill: str = "", via: str = DAGSTER_CLI
) -> subprocess.CompletedProcess:
    """The README's land row, in its own process group (the group is what a kill hits)."""
    command, env = _command(base, home, day, kill, via)
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
        start_new_session=True,
    )  # fmt: skip


def kill_once_started(base: Path, home: Path, day: str) -> int:
    """Start the land row and SIGKILL its process group as soon as its run is STARTED."""
    command, env = _command(base, home, day)
    proc = subprocess.Popen(
        command, cwd=REPO, env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if (home / "history" / "runs.db").exists():
            with dg.DagsterInstance.from_config(str(home)) as instance:
                if instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
        time.sleep(0.05)
    return proc.wait(timeout=60)


@pytest.fixture
def clean(sample, tmp_path):
    """The sample, the day every kill lands, and the rows a clean landing of it gives."""
    base, manifest = sample
    day = sample_days(manifest)[0]
    reference = tmp_path / "clean"
    shutil.copytree(base, reference)
    ids = str(reference / "contracts.yaml")
    land_all(Root(str(reference / "inbox")), Root(str(reference / "warehouse")), ids, manifest)
    wh = Root(str(reference / "warehouse"))
    return base, day, {v: _day_rows(wh, v, day) for v in VIEWS}


def _day_rows(wh: Root, view: str, day) -> list[tuple]:
    return [r for r in table_rows(wh, view, IGNORE) if str(day) in map(str, r)]


def _killed_then_landed(
    base: Path, tmp_path: Path, day, kill: str, via: str = DAGSTER_CLI
) -> tuple[str, Path]:
    work = tmp_path / "work"
    shutil.copytree(base, work)
    home = tmp_path / "home"
    if kill == "before-step":
        assert kill_once_started(work, home, day.isoformat()) == -signal.SIGKILL
    else:
        killed = land(work, home, day.isoformat(), kill, via)
        assert killed.returncode == -signal.SIGKILL, (kill, killed.stderr[-2000:])
    started = time.monotonic()
    again = land(work, home, day.isoformat(), via=via)
    assert again.returncode == 0, again.stderr[-3000:]
    assert time.monotonic() - started < 120
    return again.stderr, work


def _check_equal_to_clean(work: Path, day, want: dict) -> None:
    wh = Root(str(work / "warehouse"))
    for view, rows in want.items():
        assert _day_rows(wh, view, day) == rows, view


KILLS = [
    pytest.param("inbox-delete:1", DAGSTER_CLI, id="between-commit-and-inbox-delete"),
    pytest.param("op:90", OPERATOR, id="operator-command-inside-a-batch"),
    pytest.param("op:90", DAGSTER_CLI, id="inside-a-batch", marks=pytest.mark.long),
]


@pytest.mark.parametrize(("kill", "via"), KILLS)
def test_a_landing_killed_in_its_step_does_not_block_the_next(clean, tmp_path, kill, via):
    base, day, want = clean
    console, work = _killed_then_landed(base, tmp_path, day, kill, via)
    with dg.DagsterInstance.from_config(str(tmp_path / "home")) as instance:
        runs = instance.get_runs()
    dead, done = runs[1], runs[0]
    # The killed run was found dead and marked failed, in one line naming it and why.
    assert dead.status == dg.DagsterRunStatus.FAILURE and WORKER_TAG in dead.tags
    assert done.status == dg.DagsterRunStatus.SUCCESS
    told = [line for line in console.splitlines() if dead.run_id in line]
    assert len(told) == 1 and "was killed" in told[0] and "is gone" in told[0], console
    assert "waiting" not in console
    _check_equal_to_clean(work, day, want)


@pytest.mark.long
def test_a_landing_killed_before_its_step_does_not_block_the_next(clean, tmp_path):
    base, day, want = clean
    console, work = _killed_then_landed(base, tmp_path, day, "before-step")
    assert "waiting" not in console
    _check_equal_to_clean(work, day, want)


def test_a_landing_that_finds_the_lock_held_says_for_whom_and_waits_without_spinning(
    sample, tmp_path
):
    base, manifest = sample
    day = sample_days(manifest)[0].isoformat()
    held, hold_seconds = threading.Event(), 12.0

    def hold() -> None:
        with locks.hold(Root(str(base / "warehouse")), locks.LANDING, purpose="landing (test)"):
            held.set()
            time.sleep(hold_seconds)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(10)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = land(base, tmp_path / "home", day)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    holder.join()
    assert done.returncode == 0, done.stderr[-3000:]
    waits = [line for line in done.stderr.splitlines() if "waiting for lock 'landing'" in line]
    assert len(waits) == 1 and "held by landing (test) on" in waits[0], done.stderr
    assert f"(pid {os.getpid()})" in waits[0]
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # Spinning would cost a core for the whole wait; polling costs a fraction of a second.
    assert cpu < wall - hold_seconds / 2, (cpu, wall)

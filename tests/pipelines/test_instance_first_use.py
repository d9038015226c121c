"""Dagster commands started at once on a new, empty DAGSTER_HOME (deploy/dagster.local.yaml)
leave a working instance: each SQLite database stamped once (two stamps made every later
command fail with "more than one head"), and the next command works."""

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipelines.cli_helpers import REPO

DATABASES = ("history/runs.db", "history/runs/index.db", "schedules/schedules.db")
DAGSTER = str(Path(sys.executable).parent / "dagster")


def run_list(home: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [DAGSTER, "run", "list"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "DAGSTER_HOME": str(home), "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("attempt", range(3))
def test_three_first_commands_at_once_leave_a_working_instance(tmp_path, attempt):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.local.yaml", home / "dagster.yaml")
    commands = [run_list(home) for _ in range(3)]
    for command in commands:
        assert command.wait(timeout=120) == 0, command.stderr.read()[-2000:]
    for name in DATABASES:
        with sqlite3.connect(home / name) as db:
            assert db.execute("select count(*) from alembic_version").fetchone() == (1,), name
    after = run_list(home)
    assert after.wait(timeout=120) == 0, after.stderr.read()[-2000:]

"""The Dagster CLI as the tests of this folder run it."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ROOT_SETTINGS = {
    "IT360_INBOX": "inbox",
    "IT360_WAREHOUSE": "warehouse",
    "IT360_DELIVERY": "delivery",
    "IT360_CONTRACTS": "contracts.yaml",
}


def cli_materialize(
    base: Path,
    home: Path,
    day: str | None,
    *extra: str,
    env: dict[str, str] | None = None,
    select: str = "group:raw",
) -> subprocess.CompletedProcess:
    """`dagster asset materialize` of `select` (group raw) for `day` (None: no --partition), on
    this worktree's code, with the roots of the sample folder `base` (`env` over them) and a new
    instance at `home` made with deploy/dagster.local.yaml; `extra`: more arguments of the
    command."""
    home.mkdir(exist_ok=True)
    (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.local.yaml").read_text())
    roots = {name: str(base / rel) for name, rel in ROOT_SETTINGS.items()}
    command = ["asset", "materialize", "-m", "pipelines.definitions", "--select", select]
    partition = ["--partition", day] if day else []
    return subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), *command, *partition, *extra],
        cwd=REPO,
        env={
            **os.environ,
            **roots,
            **(env or {}),
            "DAGSTER_HOME": str(home),
            "PYTHONPATH": str(REPO),
        },
        capture_output=True,
        text=True,
        timeout=300,
    )

"""A landing's worker processes do not run the command that started the landing again:
`spawn` re-runs the parent's main module in each child, and under `dagster` or `python -m
pipelines.run` that module imports Dagster, which a worker never needs."""

import os
import subprocess
import sys
import textwrap

from tests.pipelines.cli_helpers import REPO

COMMAND = textwrap.dedent(
    """
    import dagster  # as the `dagster` command and `python -m pipelines.run` do

    from assets.landing.work import Workers
    from tests.assets.worker_probe import has_imported

    if __name__ == "__main__":
        with Workers(2) as workers:
            answers = [workers.submit(has_imported, "dagster") for _ in range(4)]
            print(sorted({a.result() for a in answers}))
    """
)


def test_workers_started_under_a_command_that_imports_dagster_do_not_import_it(tmp_path):
    script = tmp_path / "command.py"
    script.write_text(COMMAND)
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[False]"

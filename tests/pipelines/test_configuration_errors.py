"""A configuration error (a wrong warehouse key, a missing contracts file, an unreadable root)
fails the step once with its message, whatever its retry policy; the CLI's output stays
short. Storage errors keep their retries (assets/retries.py)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from assets.landing.raw import raw_uploads
from assets.resources import ServiceStorage
from assets.retries import fails_once_on_configuration_error
from storage.crypto import WarehouseKeyError
from tests.assets.landing_helpers import sample_days
from tests.conftest import storage_for

REPO = Path(__file__).resolve().parents[2]
# Measured: 72 lines (Dagster's run and step events; the Failure's one line and its Dagster
# frames, in the step failure and again in the run failure). Issue 15 counted about 250 before
# (three attempts, each with the chained storage and pyarrow tracebacks). The bound leaves
# room for Dagster's own lines, not for a second attempt (about 35 more).
MAX_OUTPUT_LINES = 90


def cli_materialize(home: Path, env: dict[str, str], day: str) -> subprocess.CompletedProcess:
    """`dagster asset materialize` of group raw, run on this worktree's code."""
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "asset",
            "materialize",
            "-m",
            "pipelines.definitions",
            "--select",
            "group:raw",
            "--partition",
            day,
        ],
        cwd=REPO,
        env={**os.environ, **env, "DAGSTER_HOME": str(home), "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_cli_with_a_wrong_key_fails_once_in_one_clear_line(sample, tmp_path):
    base, manifest = sample
    day = sample_days(manifest)[1].isoformat()
    with dg.instance_for_test() as instance:  # the day landed under this session's key
        dg.materialize(
            [raw_uploads],
            partition_key=day,
            instance=instance,
            resources={"storage": storage_for(base)},
        )
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.local.yaml").read_text())
    roots = {
        "IT360_INBOX": str(base / "inbox"),
        "IT360_WAREHOUSE": str(base / "warehouse"),
        "IT360_DELIVERY": str(base / "delivery"),
        "IT360_CONTRACTS": str(base / "contracts.yaml"),
    }
    done = cli_materialize(home, {**roots, "IT360_KEY": secrets.token_hex(32)}, day)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert "configuration error (WarehouseKeyError): cannot decrypt" in output
    assert len(output.splitlines()) <= MAX_OUTPUT_LINES, output[-3000:]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()
        assert run.is_failure
        records = instance.all_logs(run.run_id)
        kinds = [r.dagster_event.event_type_value for r in records if r.dagster_event]
        assert kinds.count("STEP_START") == 1 and "STEP_UP_FOR_RETRY" not in kinds
        assert (
            instance.run_retries_enabled and not instance.run_retries_retry_on_asset_or_op_failure
        )


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "contracts",
            "none.yaml",
            "configuration error (ContractsError): contracts file not found",
        ),
        ("warehouse", "contracts.yaml", "configuration error (NotADirectoryError)"),
    ],
)
def test_a_missing_contracts_file_or_a_root_that_is_a_file_fails_without_retry(
    sample, setting, value, message
):
    base, manifest = sample
    day = sample_days(manifest)[1].isoformat()
    roots = storage_for(base).model_dump()
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [raw_uploads],
            partition_key=day,
            instance=instance,
            resources={"storage": ServiceStorage(**{**roots, setting: str(base / value)})},
            raise_on_error=False,
        )
        assert not result.success
        (failure,) = result.get_step_failure_events()
        assert message in failure.step_failure_data.error.message
        kinds = [e.event_type_value for e in result.all_events]
        assert "STEP_UP_FOR_RETRY" not in kinds


def test_a_storage_error_keeps_its_retries_and_a_generator_stays_one():
    @fails_once_on_configuration_error
    def storage_error():
        raise OSError(5, "I/O error")

    @fails_once_on_configuration_error
    def key_error():
        yield 1
        raise WarehouseKeyError("no warehouse key: set IT360_KEY_FILE\nsecond line")

    with pytest.raises(OSError):
        storage_error()
    with pytest.raises(dg.Failure) as failed:
        list(key_error())
    assert failed.value.allow_retries is False
    assert failed.value.description == (
        "configuration error (WarehouseKeyError): no warehouse key: set IT360_KEY_FILE"
    )


def test_an_unknown_executor_stops_the_cli_before_any_run(tmp_path):
    """Read when the Definitions are built: the code location does not load, so no run is
    made (nothing to retry) and the output ends with the one line that names the setting."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "deploy" / "dagster.local.yaml").read_text())
    done = cli_materialize(home, {"IT360_EXECUTOR": "bogus"}, "2024-03-18")
    assert done.returncode != 0
    last = (done.stdout + done.stderr).strip().splitlines()[-1]
    assert last == "ValueError: IT360_EXECUTOR='bogus': expected one of multiprocess, celery, k8s"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs() == []

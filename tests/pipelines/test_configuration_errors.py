"""A configuration error (a wrong warehouse key, a missing contracts file, an unreadable root,
an unknown executor) fails the run once with its message, whatever the step's retry policy, and
the CLI prints it in one line. Storage errors keep their retries (assets/retries.py)."""

import json
import secrets
from pathlib import Path

import dagster as dg
import pytest

from assets.landing.raw import raw_uploads
from assets.resources import ServiceStorage
from assets.retries import fails_once_on_configuration_error
from pipelines.demo import CLI_NOTICES
from storage.crypto import WarehouseKeyError
from tests.assets.landing_helpers import sample_days
from tests.conftest import storage_for
from tests.pipelines.cli_helpers import REPO, ROOT_SETTINGS, cli_materialize

CONSOLE = REPO / "examples" / "console.yaml"
WRONG_KEY = secrets.token_hex(32)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            {"IT360_KEY": WRONG_KEY},
            "configuration error (WarehouseKeyError): cannot decrypt",
        ),
        (
            {"IT360_CONTRACTS": "none.yaml"},
            "configuration error (ContractsError): contracts file not found",
        ),
        (
            {"IT360_WAREHOUSE": "contracts.yaml"},
            "configuration error (NotADirectoryError): the warehouse root",
        ),
        (
            {"IT360_EXECUTOR": "bogus"},
            "configuration error (ValueError): IT360_EXECUTOR='bogus': expected one of",
        ),
    ],
    ids=["wrong key", "no contracts file", "root is a file", "unknown executor"],
)
def test_the_cli_fails_once_in_one_line_on_a_configuration_error(
    sample, tmp_path, setting, message
):
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
    given = {k: str(base / v) if k in ROOT_SETTINGS else v for k, v in setting.items()}
    # As the README runs it: the one-line console and var/env.sh's warning filter.
    done = cli_materialize(
        base, home, day, "-c", str(CONSOLE), env={**given, "PYTHONWARNINGS": CLI_NOTICES}
    )
    lines = (done.stdout + done.stderr).splitlines()
    assert done.returncode != 0
    # The one line of the step (or of the run, for the executor) and click's own last line.
    assert len(lines) == 2, "\n".join(lines)
    assert message in lines[0] and " ERROR " in lines[0], lines[0]
    assert lines[1] == "Error: Materialization failed."
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()
        assert run.is_failure
        assert run.tags.get("dagster/will_retry") == "false"  # no run retry either
        assert run.run_id in lines[0]  # where the whole error is
        records = instance.all_logs(run.run_id)
        kinds = [r.dagster_event.event_type_value for r in records if r.dagster_event]
        # The step starts once; the refusing executor starts none.
        assert kinds.count("STEP_START") == (0 if "IT360_EXECUTOR" in setting else 1)
        assert "STEP_UP_FOR_RETRY" not in kinds
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


KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
"""


def _engine_settings(engine: str, folder: Path) -> tuple[dict[str, str], list[str]]:
    """The environment and extra arguments of `IT360_EXECUTOR=engine`, with a broker or
    cluster that answers nothing: a refused run never reaches them."""
    if engine == "celery":
        nowhere = "redis://127.0.0.1:9/0"
        settings = {"IT360_CELERY_BROKER": nowhere, "IT360_CELERY_BACKEND": nowhere}
        return {"IT360_EXECUTOR": engine, **settings}, []
    if engine == "k8s":
        (folder / "kubeconfig").write_text(KUBECONFIG)
        run_config = folder / "k8s.yaml"
        execution = {"load_incluster_config": False, "kubeconfig_file": str(folder / "kubeconfig")}
        run_config.write_text(json.dumps({"execution": {"config": execution}}))
        return {"IT360_EXECUTOR": engine}, ["-c", str(run_config)]
    return {}, []


@pytest.mark.parametrize("engine", ["multiprocess", "celery", "k8s"])
def test_a_cli_selection_that_matches_no_asset_runs_nothing(sample, tmp_path, engine):
    """`--select 'group:rwa'` (a typo) without --partition: Dagster makes a run of its implicit
    job with no selection, which it reads as every asset; every engine refuses it before any
    step, in one line."""
    base, _ = sample
    home = tmp_path / "dagster_home"
    settings, arguments = _engine_settings(engine, tmp_path)
    done = cli_materialize(
        base,
        home,
        None,
        "-c",
        str(CONSOLE),
        *arguments,
        select="group:rwa",
        env={"PYTHONWARNINGS": CLI_NOTICES, **settings},
    )
    lines = (done.stdout + done.stderr).splitlines()
    assert done.returncode != 0
    assert len(lines) == 2, "\n".join(lines)
    assert "the asset selection matches no asset" in lines[0] and " ERROR " in lines[0]
    assert lines[1] == "Error: Materialization failed."
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()
        assert run.job_name == "__ASSET_JOB" and run.is_failure
        kinds = [
            r.dagster_event.event_type_value
            for r in instance.all_logs(run.run_id)
            if r.dagster_event
        ]
        assert "STEP_START" not in kinds and "ASSET_MATERIALIZATION" not in kinds
    assert not (base / "warehouse" / "raw").exists() or not any(
        (base / "warehouse" / "raw").rglob("part-*.parquet")
    )

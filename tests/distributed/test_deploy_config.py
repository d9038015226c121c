"""The production configuration files are valid for the installed Dagster and agree with each
other; the engine is chosen by IT360_EXECUTOR alone. (Fast: no service is started; the
distributed test runs the same files against real services.)"""

import shutil
import tomllib

import pytest
import yaml
from dagster._config import process_config
from dagster._core.instance.ref import InstanceRef
from dagster._serdes.config_class import class_from_code_pointer

from pipelines.definitions import build_definitions
from pipelines.executors import executor_choice
from tests.distributed.services import REPO

DEPLOY = REPO / "deploy"
PROD_ENV = {
    "DAGSTER_PG_HOST": "db.internal",
    "DAGSTER_PG_PORT": "5432",
    "DAGSTER_PG_USER": "dagster",
    "DAGSTER_PG_PASSWORD": "secret",
    "DAGSTER_PG_DB": "dagster",
    "DAGSTER_COMPUTE_LOGS_BUCKET": "it360-prod",
    "DAGSTER_COMPUTE_LOGS_PREFIX": "dagster/compute-logs",
    "IT360_CELERY_BROKER": "redis://redis.internal:6379/0",
    "IT360_CELERY_BACKEND": "redis://redis.internal:6379/1",
}


@pytest.fixture
def prod_env(monkeypatch):
    for name, value in PROD_ENV.items():
        monkeypatch.setenv(name, value)


def _resolve(data) -> dict:
    """A configurable class of the instance file: its config validated and env-resolved."""
    klass = class_from_code_pointer(data.module_name, data.class_name)
    result = process_config(klass.config_type(), data.config_dict)
    assert result.success, result.errors
    return result.value


def test_the_production_instance_file_is_valid(prod_env, tmp_path):
    shutil.copy(DEPLOY / "dagster.prod.yaml", tmp_path / "dagster.yaml")
    ref = InstanceRef.from_dir(str(tmp_path))
    storage = _resolve(ref.storage_data)
    assert storage["postgres_db"]["hostname"] == "db.internal"
    assert storage["postgres_db"]["port"] == 5432
    assert storage["postgres_db"]["scheme"] == "postgresql+psycopg2"
    assert ref.compute_logs_data.class_name == "S3ComputeLogManager"
    assert _resolve(ref.compute_logs_data)["bucket"] == "it360-prod"
    assert ref.run_coordinator_data.class_name == "QueuedRunCoordinator"
    settings = ref.settings
    assert settings["concurrency"]["pools"] == {
        "default_limit": 1,
        "granularity": "op",
        "op_granularity_run_buffer": 1,
    }
    assert settings["run_retries"]["enabled"] is True


def test_the_helm_values_set_what_the_instance_file_sets():
    prod = yaml.safe_load((DEPLOY / "dagster.prod.yaml").read_text())
    helm = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    pools, runs = helm["concurrency"]["pools"], helm["concurrency"]["runs"]
    assert helm["concurrency"]["enabled"] is True
    assert pools["defaultLimit"] == prod["concurrency"]["pools"]["default_limit"]
    assert pools["granularity"] == prod["concurrency"]["pools"]["granularity"]
    assert (
        pools["opGranularityRunBuffer"] == prod["concurrency"]["pools"]["op_granularity_run_buffer"]
    )
    assert runs["maxConcurrentRuns"] == prod["concurrency"]["runs"]["max_concurrent_runs"]
    assert runs["tagConcurrencyLimits"] == prod["concurrency"]["runs"]["tag_concurrency_limits"]
    retries = helm["dagsterDaemon"]["runRetries"]
    assert retries["maxRetries"] == prod["run_retries"]["max_retries"]
    assert retries["retryOnAssetOrOpFailure"] == prod["run_retries"]["retry_on_asset_or_op_failure"]
    assert helm["runLauncher"]["type"] == "K8sRunLauncher"
    assert helm["computeLogManager"]["type"] == "S3ComputeLogManager"
    assert helm["postgresql"]["postgresqlScheme"] == "postgresql+psycopg2"
    (code,) = helm["dagster-user-deployments"]["deployments"]
    assert code["dagsterApiGrpcArgs"] == ["-m", "pipelines.definitions"]
    assert code["env"]["IT360_EXECUTOR"] == "k8s"


def test_the_celery_worker_file_names_the_runs_broker(prod_env):
    from dagster_celery.cli import get_validated_config

    config = get_validated_config(str(DEPLOY / "celery.yaml"))
    assert config["broker"] == PROD_ENV["IT360_CELERY_BROKER"]
    assert config["backend"] == PROD_ENV["IT360_CELERY_BACKEND"]
    assert config["config_source"]["worker_redirect_stdouts"] is False


def test_the_image_holds_every_package_the_project_installs():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = [p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]]
    for folder in [*packages, "sql", "deploy"]:
        assert f"COPY {folder}/ {folder}/" in dockerfile, folder
    assert '".[scale]"' in dockerfile and "constraints.txt" in dockerfile


@pytest.mark.parametrize(
    ("setting", "executor"),
    [
        (None, "multi_or_in_process_executor"),
        ("multiprocess", "multi_or_in_process_executor"),
        ("celery", "celery"),
        ("k8s", "k8s"),
    ],
)
def test_the_engine_is_chosen_by_the_environment(monkeypatch, prod_env, setting, executor):
    if setting is None:
        monkeypatch.delenv("IT360_EXECUTOR", raising=False)
    else:
        monkeypatch.setenv("IT360_EXECUTOR", setting)
    definitions = build_definitions()
    jobs = [j for j in definitions.resolve_all_job_defs() if not j.name.startswith("__")]
    assert jobs
    assert {j.executor_def.name for j in jobs} == {executor}


def test_an_unknown_engine_is_refused(monkeypatch):
    monkeypatch.setenv("IT360_EXECUTOR", "spark")
    with pytest.raises(ValueError, match="IT360_EXECUTOR"):
        executor_choice()

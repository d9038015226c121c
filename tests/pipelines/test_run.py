"""The operator's command (`python -m pipelines.run`): what it refuses before a run starts,
and that it runs the named job, for its day, through the instance. The README's rows and
refusals run it on the demo (tests/test_readme.py)."""

import dagster as dg
import pytest

from pipelines import run as operator
from pipelines.definitions import build_definitions
from tests.assets.landing_helpers import sample_days
from tests.conftest import storage_for

REPO_ROOT_SETTINGS = ("inbox", "warehouse", "delivery", "contracts")


@pytest.fixture(scope="module")
def repo() -> dg.RepositoryDefinition:
    return build_definitions().get_repository_def()


def refusal(fn, *args) -> str:
    with pytest.raises(operator.Refused) as refused:
        fn(*args)
    return str(refused.value)


def test_an_unknown_job_is_refused_naming_the_jobs_and_their_groups(repo):
    said = refusal(operator.choose_job, repo, "group:rwa")
    assert said.startswith("no job 'group:rwa'; the jobs: build_dashboard (group dashboard, --day)")
    assert "land_uploads (group raw, --day)" in said and "retention_raw," in said
    assert "__ASSET_JOB" not in said
    assert "__ASSET_JOB" in [j.name for j in repo.get_all_jobs()]  # there, but not a choice
    assert refusal(operator.choose_job, repo, "__ASSET_JOB").startswith("no job '__ASSET_JOB'")


def test_a_day_is_needed_known_and_inside_the_partitions(repo):
    land, expire = repo.get_job("land_uploads"), repo.get_job("expire_deliverables")
    keys = land.partitions_def.get_partition_keys()
    span = f"a service day from {keys[0]} to {keys[-1]}"
    assert operator.checked_day(land, keys[-1]) == keys[-1]
    assert refusal(operator.checked_day, land, None) == (
        f"land_uploads runs one service day: give --day YYYY-MM-DD, {span}"
    )
    assert refusal(operator.checked_day, land, "1999-12-31") == (
        f"--day 1999-12-31 is outside the service-day partitions: {span}"
    )
    for not_a_day in ("18.3.2024", keys[0].replace("-", ""), "2024-W12-1"):
        assert refusal(operator.checked_day, land, not_a_day) == (
            f"--day {not_a_day!r} is not a day YYYY-MM-DD ({span})"
        )
    assert operator.checked_day(expire, None) is None
    assert refusal(operator.checked_day, expire, keys[0]) == (
        "expire_deliverables runs no service day: run it without --day"
    )


def test_a_run_config_is_checked_against_the_job_and_merged_file_by_file(repo, tmp_path):
    spot = repo.get_job("spot_30_days")
    said = refusal(operator.run_config_for, spot, [], "INFO")
    assert said.startswith("the run config does not fit job spot_30_days: Missing required")
    assert said.endswith("(example: -c examples/spot_30_days.yaml)")
    misspelt = tmp_path / "misspelt.yaml"
    misspelt.write_text("ops: {spot_30_days: {config: {support_id: S1, first_day: x}}}\n")
    said = refusal(operator.run_config_for, spot, [str(misspelt)], "INFO")
    assert "last_day" in said and "\n" not in said
    config = operator.run_config_for(
        spot, ["examples/console.yaml", "examples/spot_30_days.yaml"], "INFO"
    )
    assert config["ops"]["spot_30_days"]["config"]["support_id"] == "S0001"
    assert config["execution"] == {"config": {"in_process": {}}}
    broken = tmp_path / "broken.yaml"
    broken.write_text("ops: [\n")
    assert refusal(operator.load_run_config, [str(broken)]).startswith(f"-c {broken} is not YAML")
    assert refusal(operator.load_run_config, [str(tmp_path / "none.yaml")]) == (
        f"-c {tmp_path / 'none.yaml'}: No such file or directory"
    )


def test_the_command_runs_the_named_job_for_its_day(sample, tmp_path, monkeypatch, capsys):
    base, manifest = sample
    day = sample_days(manifest)[1].isoformat()
    storage = storage_for(base)
    for name in REPO_ROOT_SETTINGS:
        monkeypatch.setenv(f"IT360_{name.upper()}", getattr(storage, name))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    (tmp_path / "dagster.yaml").write_text("telemetry: {enabled: false}\n")
    assert operator.main(["land_uploads", "--day", day]) == 0
    assert operator.main(["retention_diag"]) == 0
    assert operator.main(["land_uploads", "--day", "1999-01-01"]) == operator.REFUSED_EXIT
    lines = capsys.readouterr().err.splitlines()
    monkeypatch.delenv("DAGSTER_HOME")
    assert operator.main(["retention_diag"]) == operator.REFUSED_EXIT
    assert capsys.readouterr().err.startswith("refused: DAGSTER_HOME is not set")
    assert any(f"raw_uploads {day} materialized (day_uploads " in line for line in lines)
    assert any("retention_diag nothing to delete: no diagnostic bundle is" in x for x in lines)
    assert lines[-1].startswith("refused: --day 1999-01-01 is outside the service-day partitions")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        runs = [(r.job_name, r.tags.get("dagster/partition")) for r in instance.get_runs()]
    assert runs == [("retention_diag", None), ("land_uploads", day)]

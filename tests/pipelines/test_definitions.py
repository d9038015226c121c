"""The whole code location loads, with every asset group, job, schedule and sensor by name."""

import dagster as dg

from pipelines.definitions import build_definitions


def test_the_code_location_loads_with_its_names():
    definitions = build_definitions()
    dg.Definitions.validate_loadable(definitions)
    graph = definitions.resolve_asset_graph()
    groups = {}
    for key in graph.get_all_asset_keys():
        groups.setdefault(graph.get(key).group_name, set()).add(key.to_user_string())
    assert groups == {
        "raw": {"raw_uploads"},
        "delivery": {"daily_deliverable"},
        "dashboard": {
            "agg_terminal_activity",
            "agg_user_activity",
            "agg_event_types",
            "agg_risk_operations",
            "agg_off_hours",
            "agg_applications",
            "agg_web_domains",
            "agg_usb_devices",
            "agg_terminal_status",
            "agg_inventory",
        },
        "clients": {"asset_ledger_export"},
    }
    jobs = {j.name for j in definitions.resolve_all_job_defs() if not j.name.startswith("__")}
    assert jobs == {
        "land_uploads",
        "publish_daily",
        "spot_30_days",
        "spot_1_year",
        "expire_deliverables",
        "build_dashboard",
        "export_ledgers",
        "retention_aggregates",
        "retention_raw",
        "retention_diag",
        "retention_quarantine",
        "collect_diag_bundles",
        "compact_raw",
    }
    assert {s.name for s in definitions.schedules} == {
        "daily_publication_schedule",
        "deliverable_retention_schedule",
        "dashboard_schedule",
        "ledger_export_schedule",
        "retention_aggregates_schedule",
        "retention_raw_schedule",
        "retention_diag_schedule",
        "retention_quarantine_schedule",
        "compact_raw_schedule",
    }
    assert {s.name for s in definitions.sensors} == {
        "inbox_sensor",
        "late_landing_sensor",
        "run_failure_notice",
        "daily_deliverable_deadline",
    }
    checks = {k.name for k in graph.asset_check_keys}
    assert checks == {
        "inbox_files_accounted",
        "day_rows_consistent",
        "no_late_uploads",
        "dashboard_matches_raw",
        "dashboard_tenant_isolated",
        "organisation_info_used",
    }


def test_the_module_pyproject_names_loads_as_the_whole_code_location():
    """`dagster dev` and the CLI find the code location through pyproject's module name and
    Dagster's own discovery: that path must give every job, schedule and sensor."""
    import tomllib
    from pathlib import Path

    from dagster._core.definitions.reconstruct import repository_def_from_target_def
    from dagster._core.workspace.autodiscovery import loadable_targets_from_python_module

    repo = Path(__file__).resolve().parents[2]
    module = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["dagster"]["module_name"]
    (target,) = loadable_targets_from_python_module(module, working_directory=str(repo))
    loaded = repository_def_from_target_def(target.target_definition)
    built = build_definitions()
    assert {j.name for j in loaded.get_all_jobs()} >= {
        j.name for j in built.resolve_all_job_defs() if not j.name.startswith("__")
    }
    assert {s.name for s in loaded.schedule_defs} == {s.name for s in built.schedules}
    assert {s.name for s in loaded.sensor_defs} == {s.name for s in built.sensors}
    assert (
        loaded.asset_graph.get_all_asset_keys() == built.resolve_asset_graph().get_all_asset_keys()
    )


def test_the_service_day_partitions_are_shared():
    definitions = build_definitions()
    graph = definitions.resolve_asset_graph()
    raw = graph.get(dg.AssetKey("raw_uploads")).partitions_def
    daily = graph.get(dg.AssetKey("daily_deliverable")).partitions_def
    dashboard = graph.get(dg.AssetKey("agg_terminal_activity")).partitions_def
    assert raw is daily is dashboard
    assert raw.timezone == "Asia/Tokyo"


def test_the_sensor_interval_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("IT360_SENSOR_INTERVAL_SECONDS", "30")
    sensor = next(iter(build_definitions().sensors))
    assert sensor.minimum_interval_seconds == 30
    monkeypatch.delenv("IT360_SENSOR_INTERVAL_SECONDS")
    assert next(iter(build_definitions().sensors)).minimum_interval_seconds == 120


def test_every_step_that_touches_storage_has_a_retry_policy():
    from pipelines.jobs import (
        collect_diag_bundles,
        compact_raw,
        retention_aggregates,
        retention_diag,
        retention_quarantine,
        retention_raw,
    )

    jobs = (retention_aggregates, retention_raw, retention_diag, retention_quarantine)
    for job in (*jobs, collect_diag_bundles, compact_raw):
        for node in job.graph.node_defs:
            assert node.retry_policy is not None and node.retry_policy.max_retries >= 1, node.name


def test_one_embedded_instance_file_and_not_at_the_root(tmp_path, monkeypatch):
    """`dagster dev` warns about a root dagster.yaml it does not read; the embedded instance
    file lives in deploy/ and the demo installs it as $DAGSTER_HOME/dagster.yaml."""
    from pathlib import Path

    from pipelines import demo

    repo = Path(__file__).resolve().parents[2]
    assert not (repo / "dagster.yaml").exists()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    home = demo._dagster_home()
    assert (home / "dagster.yaml").read_bytes() == (repo / "deploy/dagster.local.yaml").read_bytes()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.run_retries_enabled and instance.run_retries_max_retries == 1

"""The landing asset through Dagster: materialize(), checks, metadata, and the real CLI."""

import dagster as dg

from assets.landing.raw import raw_uploads
from tests.assets.landing_helpers import sample_days
from tests.conftest import storage_for
from tests.pipelines.cli_helpers import cli_materialize


def test_materialize_a_day_reports_counts_and_passes_its_checks(sample):
    base, manifest = sample
    day = sample_days(manifest)[1]
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [raw_uploads],
            partition_key=day.isoformat(),
            instance=instance,
            resources={"storage": storage_for(base)},
        )
    assert result.success
    meta = result.asset_materializations_for_node("raw_uploads")[0].metadata
    want = manifest.expected_counts(service_day=day)
    assert meta["run_landed"].value == want["outcomes"].get("landed", 0)
    assert meta["run_records"].value == want["records"]
    assert meta["run_rejected_records"].value == sum(want["rejects"].values())
    assert meta["day_uploads"].value == want["outcomes"].get("landed", 0)
    assert meta["day_records"].value == want["records"]
    assert meta["day_rejects"].value == sum(want["rejects"].values())
    assert meta["day_landed"].value == want["outcomes"].get("landed", 0)
    assert meta["day_duplicates"].value == 0
    day_quarantine = meta["day_quarantined_by_reason"].value
    for reason, n in want["quarantined"].items():
        assert day_quarantine[reason] >= n  # plus the dayless files this first run settled
    evaluations = result.get_asset_check_evaluations()
    assert {e.check_name for e in evaluations} == {"inbox_files_accounted", "day_rows_consistent"}
    assert all(e.passed for e in evaluations)


def test_the_metadata_reads_the_days_totals_first_then_the_runs_delta(sample):
    """As stored in the instance (the UI shows metadata in this order): a re-send run leads
    with the day's totals, and its own zero records are named as the run's."""
    base, manifest = sample
    day = sample_days(manifest)[1].isoformat()
    with dg.instance_for_test() as instance:
        for _ in range(2):  # the second run finds every file already landed
            dg.materialize(
                [raw_uploads],
                partition_key=day,
                instance=instance,
                resources={"storage": storage_for(base)},
            )
        event = instance.get_latest_materialization_event(dg.AssetKey("raw_uploads"))
        meta = event.asset_materialization.metadata
    names = list(meta)
    assert names[:5] == [
        "day_uploads",
        "day_records",
        "day_rejects",
        "day_quarantined",
        "day_duplicates",
    ]
    first_run_key = next(i for i, n in enumerate(names) if n.startswith("run_"))
    assert all(n.startswith("day_") for n in names[:first_run_key])
    assert all(n.startswith("run_") for n in names[first_run_key:])
    want = manifest.expected_counts(service_day=sample_days(manifest)[1])
    assert meta["day_records"].value == want["records"] and meta["run_records"].value == 0
    assert meta["run_landed"].value == 0


def test_the_dagster_cli_lands_a_partition(sample, tmp_path):
    base, manifest = sample
    day = sample_days(manifest)[1]
    home = tmp_path / "dagster_home"
    done = cli_materialize(base, home, day.isoformat())
    assert done.returncode == 0, done.stderr[-3000:]
    landed = list((base / "warehouse" / "raw" / "uploads").glob(f"support_id=S*/day={day}/*/*"))
    assert len(landed) > 0
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert len(runs) == 1 and runs[0].is_success

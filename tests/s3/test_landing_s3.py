"""The whole landing with every root on s3:// against moto's server on loopback."""

import shutil

import dagster as dg

from assets.landing.raw import raw_uploads
from assets.resources import ServiceStorage
from storage.roots import Root
from tests.assets.landing_helpers import fates, land_all, sample_days, table_rows
from tests.conftest import upload_tree

IGNORE = ("batch_id", "landed_at", "quarantined_at", "logged_at", "quarantined_day")


def test_landing_on_s3_gives_the_same_rows_as_on_local_folders(sample, s3_env, tmp_path):
    base, manifest = sample
    bucket = s3_env
    local = tmp_path / "local"
    shutil.copytree(base, local)
    upload_tree(base / "inbox", bucket, "inbox")
    upload_tree(base, bucket, "config")  # contracts.yaml with its org/ and ledger/ CSVs
    inbox, wh = Root(f"s3://{bucket}/inbox"), Root(f"s3://{bucket}/warehouse")
    contracts = f"s3://{bucket}/config/contracts.yaml"
    reports = land_all(inbox, wh, contracts, manifest)
    assert all(r.accounted == r.files_seen for r in reports)
    assert inbox.list_files() == []
    land_all(
        Root(str(local / "inbox")),
        Root(str(local / "warehouse")),
        str(local / "contracts.yaml"),
        manifest,
    )
    local_wh = Root(str(local / "warehouse"))
    for view in ("uploads", "records", "rejects", "quarantine"):
        assert table_rows(wh, view, IGNORE) == table_rows(local_wh, view, IGNORE), view
    assert fates(wh) == {e.path: [(e.outcome, e.reason)] for e in manifest.entries}
    bundles = manifest.select(outcome="diag")
    assert len(wh.list_files("restricted/diag")) == len(bundles)


def test_materialize_with_s3_roots(sample, s3_env):
    base, manifest = sample
    bucket = s3_env
    upload_tree(base, bucket, "svc")
    storage = ServiceStorage(
        inbox=f"s3://{bucket}/svc/inbox",
        warehouse=f"s3://{bucket}/wh",
        delivery=f"s3://{bucket}/delivery",
        contracts=f"s3://{bucket}/svc/contracts.yaml",
    )
    day = sample_days(manifest)[0]
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [raw_uploads],
            partition_key=day.isoformat(),
            instance=instance,
            resources={"storage": storage},
        )
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    meta = result.asset_materializations_for_node("raw_uploads")[0].metadata
    assert meta["run_landed"].value == manifest.expected_counts(service_day=day)["uploads_landed"]

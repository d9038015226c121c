"""The whole landing with every root on s3:// against moto's server on loopback."""

import os
import shutil

import dagster as dg

from assets.landing.land import land_day
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


def test_s3_folder_markers_are_settled_as_empty_local_folders_are(s3_env, tmp_path):
    """S3 has no links; its analogue of a folder is a zero-byte key ending in `/`. A marker
    named as an upload with nothing below it is quarantined by name and deleted, exactly as
    an empty local folder named so; a contract's own marker, or one with keys below it, is
    left alone (as a local folder that holds files)."""
    import boto3

    from tests.assets.test_landing_not_files import (
        CONTRACTS,
        DAY,
        NOW,
        quarantine,
        upload_bytes,
        upload_name,
    )
    from transforms.reasons import Quarantine

    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    good, sent15 = upload_name(1)
    empty, full = upload_name(2)[0], upload_name(3)[0]
    objects = {
        "S0001/": b"",
        "S0001/diag/": b"",
        f"S0001/{good}": upload_bytes(sent15, "regular"),
        f"S0001/{empty}/": b"",
        f"S0001/{full}/": b"",
        f"S0001/{full}/inner.log": b"an uploader's file",
    }
    local = tmp_path / "local"
    for key, body in objects.items():
        client.put_object(Bucket=s3_env, Key=f"inbox/{key}", Body=body)
        place = local / "inbox" / key
        if key.endswith("/"):
            place.mkdir(parents=True, exist_ok=True)
        else:
            place.parent.mkdir(parents=True, exist_ok=True)
            place.write_bytes(body)
    client.put_object(Bucket=s3_env, Key="inbox/", Body=b"")  # the inbox's own marker
    remote = Root(f"s3://{s3_env}/inbox")
    assert remote.list_entries().not_files == {
        "S0001/diag/": "an empty folder",  # a folder where files go: classified as left alone
        f"S0001/{empty}/": "an empty folder",
    }
    for inbox, wh in (
        (remote, Root(f"s3://{s3_env}/warehouse")),
        (Root(str(local / "inbox")), Root(str(local / "warehouse"))),
    ):
        first = land_day(inbox, wh, CONTRACTS, DAY, now=lambda: NOW)
        assert first.quarantined_by_reason == {
            Quarantine.NOT_A_FILE.value: 1,
            Quarantine.UNEXPECTED_PATH.value: 1,
        }
        assert first.outcomes["landed"] == 1
        second = land_day(inbox, wh, CONTRACTS, DAY, now=lambda: NOW)  # the emptied folder
        assert second.quarantined_by_reason == {Quarantine.NOT_A_FILE.value: 1}
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=s3_env, Prefix="inbox/")["Contents"]]
    assert sorted(keys) == ["inbox/", "inbox/S0001/", "inbox/S0001/diag/"]
    assert sorted(p.relative_to(local).as_posix() for p in (local / "inbox").rglob("*")) == [
        "inbox/S0001",
        "inbox/S0001/diag",
    ]
    assert table_rows(Root(f"s3://{s3_env}/warehouse"), "quarantine", IGNORE) == table_rows(
        Root(str(local / "warehouse")), "quarantine", IGNORE
    )
    assert quarantine(local)[f"S0001/{empty}/"][:2] == [
        Quarantine.NOT_A_FILE.value,
        "an empty folder, not a regular file: quarantined by name, never opened or followed",
    ]


def test_s3_keys_deleted_after_the_listing_are_quarantined_by_name(s3_env):
    """A key deleted between the listing and its read (an upload, by the workers) or its copy
    (a bundle, at the commit) fails no batch: it is quarantined by name, as locally."""
    import boto3

    from assets.landing.land import LandingLimits
    from tests.assets.test_landing_not_files import (
        CONTRACTS,
        DAY,
        NOW,
        SWAPPED_DETAIL,
        quarantine_rows,
        upload_bytes,
        upload_name,
    )
    from transforms.reasons import Quarantine

    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    uploads = [upload_name(n) for n in (1, 2, 3)]
    bundle = f"S0001/diag/{upload_name(9)[0]}"
    objects = {"S0001/a.txt": b"x", "S0001/b.txt": b"x", bundle: b"a bundle's bytes"}
    objects |= {f"S0001/{name}": upload_bytes(sent15, "up") for name, sent15 in uploads}
    for key, body in objects.items():
        client.put_object(Bucket=s3_env, Key=f"inbox/{key}", Body=body)
    gone = [bundle, f"S0001/{uploads[1][0]}"]  # batch 2 is copied, batch 3 read after batch 1

    def delete(message: str) -> None:
        if message.startswith("batch 1:"):
            for key in gone:
                client.delete_object(Bucket=s3_env, Key=f"inbox/{key}")

    inbox, wh = Root(f"s3://{s3_env}/inbox"), Root(f"s3://{s3_env}/warehouse")
    limits = LandingLimits(batch_files=2, workers=1)
    report = land_day(inbox, wh, CONTRACTS, DAY, now=lambda: NOW, limits=limits, progress=delete)

    assert report.outcomes == {"landed": 2, "quarantined": 4}
    rows = quarantine_rows(wh)
    for key in gone:
        assert tuple(rows[key]) == (Quarantine.NOT_A_FILE.value, SWAPPED_DETAIL["deleted"], None, 0)
    assert inbox.list_files() == []

"""ZIP64 from the raw store, and a deliverable writer killed midway on local and S3 roots."""

import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from assets.delivery import build as dl
from samples import synthetic
from storage import layout
from storage.contracts import Contract
from storage.notices import OutboxSender
from storage.roots import Root
from tests.assets.zip_checks import readers_accept

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("kill_delivery.py")
NOW = dt.datetime(2024, 3, 21, 21, 0, tzinfo=dt.UTC)
CONTRACT = Contract("S0009", True, None, None, None)


@pytest.mark.slow
def test_a_one_year_file_with_more_than_65535_uploads_is_zip64(tmp_path):
    wh = Root(str(tmp_path / "wh"))
    total = synthetic.fill(wh, "S0009", dt.date(2024, 3, 1), days=3, per_day=22_000)
    roots = dl.Roots(wh, Root(str(tmp_path / "delivery")))
    built = dl.spot_1_year(roots, CONTRACT, synthetic.TMID, "big-pc", None, NOW, OutboxSender(wh))
    path = tmp_path / "delivery" / built.publication.path
    data = path.read_bytes()
    assert data.rfind(b"PK\x06\x06") > 0  # ZIP64 end of central directory record
    archive = zipfile.ZipFile(path)
    infos = archive.infolist()
    assert len(infos) == total + 3 > 65_535
    assert [i.filename for i in infos if i.is_dir()] == [
        "2024-03-01/",
        "2024-03-02/",
        "2024-03-03/",
    ]
    assert archive.read(infos[-1]) == synthetic.tiny_upload(
        infos[-1].filename.split("_")[1][:15], 21_999
    )
    readers_accept(path)


def kill_build(wh: str, delivery: str, kill_after: int) -> int:
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            wh,
            delivery,
            "S0009",
            synthetic.TMID,
            "BIG-PC",
            NOW.isoformat(),
            str(kill_after),
        ],
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    return done.returncode


@pytest.mark.parametrize("kill_after", [0, 1, 900, 2999])
def test_a_killed_writer_leaves_no_file_in_the_customer_folder(tmp_path, kill_after):
    wh = Root(str(tmp_path / "wh"))
    synthetic.fill(wh, "S0009", dt.date(2024, 3, 1), days=2, per_day=1500)
    assert kill_build(str(tmp_path / "wh"), str(tmp_path / "delivery"), kill_after) == -9
    folder = tmp_path / "delivery" / "it360-log" / "S0009"
    assert not folder.exists() or list(folder.iterdir()) == []
    assert list((tmp_path / "wh").glob("publications/support_id=S0009/**/*.parquet")) == []
    # the stale temporary (outside the customer folder) is cleaned once it is old enough
    staging = tmp_path / "delivery" / layout.DELIVERY_STAGING
    left = len(list(staging.iterdir()))
    assert left == 1  # the killed writer's temporary, outside the customer folder
    delivery = Root(str(tmp_path / "delivery"))
    assert delivery.delete_stale_temporaries(layout.DELIVERY_STAGING, -1) == left
    roots = dl.Roots(wh, Root(str(tmp_path / "delivery")))
    built = dl.spot_1_year(roots, CONTRACT, synthetic.TMID, "BIG-PC", None, NOW, OutboxSender(wh))
    assert [p.name for p in folder.iterdir()] == [built.publication.file_name]
    assert list(staging.iterdir()) == []


def test_a_killed_writer_on_s3_publishes_nothing(tmp_path, s3_env):
    wh = Root(str(tmp_path / "wh"))
    synthetic.fill(wh, "S0009", dt.date(2024, 3, 1), days=2, per_day=1500)
    delivery = f"s3://{s3_env}/customer"
    assert kill_build(str(tmp_path / "wh"), delivery, 2000) == -9
    assert Root(delivery).list_files() == []
    roots = dl.Roots(wh, Root(delivery))
    dl.spot_1_year(roots, CONTRACT, synthetic.TMID, "BIG-PC", None, NOW, OutboxSender(wh))
    assert len(Root(delivery).list_files()) == 1

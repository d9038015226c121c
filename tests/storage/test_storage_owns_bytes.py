"""The storage functions that took over I/O from the assets: the temporary-name rule, the
layout's new paths, the deliverables' files, the bundle hand-over and the batch write waves."""

import datetime as dt
import io
import os
import threading
import time

import pytest

from storage import blobs, deliverable_files, diag_hand_over, landing_batch, layout, locks
from storage.roots import Root, is_temporary, temporary_name

DAY = dt.date(2024, 3, 18)


def test_the_names_writers_make_are_the_names_sweeps_match(tmp_path):
    root = Root(str(tmp_path))
    with root.open_write("a/part-1.parquet") as out:
        out.write(b"x")
        (hidden,) = os.listdir(tmp_path / "a")
        assert is_temporary(hidden) and is_temporary(f"a/{hidden}")
    assert os.listdir(tmp_path / "a") == ["part-1.parquet"]
    assert is_temporary(temporary_name("part-1.parquet"))
    # Stored names, hidden files that are no writer's and a mark inside a folder name are not.
    for name in ("part-1.parquet", ".DS_Store", "x.tmp-1", ".x/part-1.parquet", "a.tmp-b/c"):
        assert not is_temporary(name), name


def test_the_record_and_lock_paths_are_the_ones_stored_before():
    assert layout.publication_part("S0001", DAY, "p1") == (
        "publications/support_id=S0001/day=2024-03-18/part-p1.parquet"
    )
    assert layout.expiration_part("S0001", "p1") == "expirations/support_id=S0001/part-p1.parquet"
    assert layout.late_uploads_part("S0001", DAY, "d1") == (
        "late_uploads/support_id=S0001/day=2024-03-18/part-d1.parquet"
    )
    assert layout.publications_folder() == "publications"
    assert layout.deliverable("S0001", "2024-03-18.zip") == "it360-log/S0001/2024-03-18.zip"
    assert locks.lock_path(locks.daily_file("S0001", DAY)) == (
        "_state/locks/daily/S0001/2024-03-18.lock"
    )
    assert layout.beside("raw/x/part-1.parquet", "../../part-2.parquet") == "raw/x/part-2.parquet"


def test_a_deliverable_appears_whole_and_the_sweep_takes_only_stale_temporaries(tmp_path):
    delivery = Root(str(tmp_path))
    staging = tmp_path / layout.DELIVERY_STAGING
    with deliverable_files.open_deliverable(delivery, "it360-log/S0001/a.zip") as out:
        out.write(b"zip")
        assert not (tmp_path / "it360-log" / "S0001" / "a.zip").exists()
        assert len(os.listdir(staging)) == 1
    assert (tmp_path / "it360-log" / "S0001" / "a.zip").read_bytes() == b"zip"
    stale, fresh = staging / temporary_name("b.zip"), staging / temporary_name("c.zip")
    stale.write_bytes(b"")
    fresh.write_bytes(b"")
    two_days_ago = time.time() - 2 * 86_400
    os.utime(stale, (two_days_ago, two_days_ago))
    assert deliverable_files.clean_staging(delivery) == 1
    assert os.listdir(staging) == [fresh.name]
    deliverable_files.delete_deliverable(delivery, "it360-log/S0001/a.zip")
    deliverable_files.delete_deliverable(delivery, "it360-log/S0001/a.zip")  # gone is fine
    assert not (tmp_path / "it360-log" / "S0001" / "a.zip").exists()


def test_a_handed_over_bundle_is_plain_in_supports_root_and_gone_from_the_warehouse(tmp_path):
    wh, to = Root(str(tmp_path / "wh")), Root(str(tmp_path / "support"))
    rel = layout.diag_bundle("S0001", "T1_20240318120000-1.zip")
    blobs.write_blob(wh, rel, io.BytesIO(b"bundle bytes"))
    handed = diag_hand_over.hand_over(wh, rel, to, "S0001", "T1_20240318120000-1.zip")
    assert handed == diag_hand_over.HandedOver(
        to.url("S0001/T1_20240318120000-1.zip"), len(b"bundle bytes")
    )
    assert (tmp_path / "support" / "S0001" / "T1_20240318120000-1.zip").read_bytes() == (
        b"bundle bytes"
    )
    assert not wh.exists(rel)
    assert diag_hand_over.overlaps(Root(str(tmp_path / "wh" / "x")), wh)
    assert diag_hand_over.overlaps(Root(str(tmp_path)), wh)
    assert not diag_hand_over.overlaps(Root(str(tmp_path / "whx")), wh)


def test_a_write_of_the_next_wave_starts_after_every_earlier_write():
    order: list[str] = []
    first_done = threading.Event()

    def slow() -> None:
        time.sleep(0.2)
        order.append("first")
        first_done.set()

    with landing_batch.WriteWaves() as waves:
        start_first = waves.in_background(slow)
        waves.next_wave()
        start_second = waves.in_background(lambda: order.append("second"))
        start_first()
        start_second()  # waits for the first wave
        assert first_done.is_set()
        waves.after_all(lambda: order.append("last"))()
    assert order == ["first", "second", "last"]


def test_a_failed_write_fails_the_wave():
    def broken() -> None:
        raise OSError("disk full")

    with landing_batch.WriteWaves() as waves:
        waves.in_background(broken)()
        with pytest.raises(OSError, match="disk full"):
            waves.after_all(lambda: None)()

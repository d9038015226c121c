"""The deliverables' reads of the uploads table: planning columns, and bytes as views."""

from __future__ import annotations

import datetime as dt
import secrets
import threading

import pyarrow as pa
import pytest

from storage import crypto, layout, parquet, upload_bytes
from storage.roots import Root

DAY = dt.date(2024, 3, 18)
SID = "S0001"


def _write_partition(wh: Root, tmid: str, batches: list[dict[str, bytes]]) -> None:
    """One part file per batch ({upload_key: zip bytes}) in the TMID-day partition."""
    for n, batch in enumerate(batches):
        table = pa.table(
            {
                "day": pa.array([DAY] * len(batch), pa.date32()),
                "tmid": [tmid] * len(batch),
                "upload_key": list(batch),
                "sent15": ["202403181200000"] * len(batch),
                "upload_id": [key[-4:] for key in batch],
                "computer": ["PC-" + tmid] * len(batch),
                "zip_bytes": pa.array(list(batch.values()), pa.large_binary()),
            }
        )
        parquet.write_table(wh, layout.raw_part("uploads", SID, DAY, tmid, f"b{n}"), table)


@pytest.fixture
def warehouse(tmp_path) -> tuple[Root, dict[str, bytes]]:
    wh = Root(str(tmp_path / "wh"))
    blobs: dict[str, bytes] = {}
    for t in range(6):
        tmid = f"TMID{t}"
        batches = [
            {f"{tmid}_{n}-{i:04d}": secrets.token_bytes(50 + i) for i in range(5)} for n in range(2)
        ]
        batches.append({f"{tmid}_empty-0000": b""})
        for batch in batches:
            blobs.update(batch)
        _write_partition(wh, tmid, batches)
    return wh, blobs


def test_meta_of_a_day_reads_every_part(warehouse) -> None:
    wh, blobs = warehouse
    meta = upload_bytes.upload_meta(wh, SID, DAY, columns=["tmid", "upload_key", "computer"])
    assert sorted(meta["upload_key"].to_pylist()) == sorted(blobs)
    one = upload_bytes.upload_meta(wh, SID, DAY, "TMID3", ["upload_key"])
    assert sorted(one["upload_key"].to_pylist()) == sorted(k for k in blobs if "TMID3" in k)


def test_meta_of_a_day_without_uploads_is_empty_with_the_columns(warehouse) -> None:
    wh, _ = warehouse
    meta = upload_bytes.upload_meta(wh, SID, DAY + dt.timedelta(days=1), columns=["computer"])
    assert meta.num_rows == 0 and meta.column_names == ["computer"]


@pytest.mark.parametrize("read_ahead", [False, True])
def test_upload_bytes_in_any_order_with_and_without_reading_ahead(warehouse, read_ahead) -> None:
    wh, blobs = warehouse
    refs = [(DAY, key.split("_")[0], key) for key in blobs]
    # Partitions interleaved and revisited after they left the cache (keep=2).
    refs = refs[::2] + refs[1::2]
    order = [(day, tmid) for day, tmid, _key in refs] if read_ahead else []
    fetch = upload_bytes.UploadBytes(wh, SID, keep=2, order=order)
    try:
        got = {key: bytes(fetch((day, tmid, key))) for day, tmid, key in refs}
    finally:
        fetch.close()
    assert got == blobs
    assert not [t for t in threading.enumerate() if t.name.startswith("upload-bytes")]


def test_a_read_ahead_order_that_is_not_followed_still_gives_the_right_bytes(warehouse) -> None:
    wh, blobs = warehouse
    refs = [(DAY, key.split("_")[0], key) for key in sorted(blobs)]
    fetch = upload_bytes.UploadBytes(wh, SID, order=[(DAY, f"TMID{t}") for t in (5, 0, 3, 9)])
    try:
        assert {r[2]: bytes(fetch(r)) for r in refs} == blobs
    finally:
        fetch.close()


def test_binary_views_match_the_values_for_every_layout() -> None:
    values = [b"a", b"", b"bcd", b"\x00" * 70, b"e"]
    for kind in (pa.binary(), pa.large_binary()):
        chunked = pa.chunked_array([pa.array(values, kind), pa.array(values[:2], kind)])
        sliced = pa.chunked_array([pa.array(values, kind).slice(2, 2), pa.array([], kind)])
        for column in (chunked, sliced):
            views = upload_bytes.binary_views(column)
            assert [bytes(v) for v in views] == column.to_pylist()


def test_binary_views_refuse_a_missing_upload() -> None:
    with pytest.raises(ValueError, match="without bytes"):
        upload_bytes.binary_views(pa.chunked_array([pa.array([b"x", None], pa.large_binary())]))


def test_a_wrong_key_says_so(warehouse, monkeypatch) -> None:
    wh, _ = warehouse
    monkeypatch.setenv("IT360_KEY", secrets.token_hex(32))
    with pytest.raises(crypto.WarehouseKeyError, match="cannot decrypt"):
        upload_bytes.upload_meta(wh, SID, DAY, columns=["upload_key"])

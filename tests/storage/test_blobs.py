"""Encrypted blobs: diagnostic bundles and files too large for a quarantine row."""

import hashlib
import io

import pytest

import assets.landing.land
from storage import blobs, crypto, duck, layout
from storage.roots import Root
from tests.assets.landing_helpers import land_all


def test_a_blob_round_trips_in_chunks_and_is_not_readable_without_the_key(tmp_path, monkeypatch):
    monkeypatch.setattr(blobs, "CHUNK", 1000)
    root = Root(str(tmp_path))
    data = b"KEIRI-PC01 confidential " * 300  # 7,200 bytes: eight chunks
    assert blobs.write_blob(root, "restricted/x.zip", io.BytesIO(data)) == len(data)
    stored = (tmp_path / "restricted" / "x.zip").read_bytes()
    assert b"KEIRI-PC01" not in stored
    assert b"".join(blobs.read_blob(root, "restricted/x.zip")) == data
    monkeypatch.setenv("IT360_KEY", "11" * 32)
    with pytest.raises(crypto.WarehouseKeyError, match="cannot decrypt"):
        list(blobs.read_blob(root, "restricted/x.zip"))


def test_the_blob_command_writes_the_plain_bytes(tmp_path):
    root = Root(str(tmp_path))
    blobs.write_blob(root, "b/one", io.BytesIO(b"plain bytes"))
    blobs.main([str(tmp_path), "b/one", str(tmp_path / "out")])
    assert (tmp_path / "out").read_bytes() == b"plain bytes"


def test_a_file_too_large_for_a_row_is_kept_whole_as_a_blob_named_by_a_digest(sample, monkeypatch):
    """The size limit lowered so that every upload of the sample is 'too large'."""
    base, manifest = sample
    monkeypatch.setattr(assets.landing.land, "MAX_ZIP_BYTES", 200)
    inbox, wh = Root(str(base / "inbox")), Root(str(base / "warehouse"))
    originals = {rel: inbox.read_bytes(rel) for rel in inbox.list_files("")}
    land_all(inbox, wh, str(base / "contracts.yaml"), manifest)
    con = duck.connect(wh)
    rows = con.execute(
        "select support_id, quarantined_day, batch_id, name, size from quarantine"
        " where reason = 'too_large'"
    ).fetchall()
    assert len(rows) > 20
    for support_id, q_day, batch_id, name, size in rows:
        rel = layout.quarantine_blob(support_id, q_day, batch_id, name)
        assert name not in rel and rel.endswith(".blob")
        kept = b"".join(blobs.read_blob(wh, rel))
        assert len(kept) == size
        assert hashlib.sha256(kept).digest() == hashlib.sha256(originals[name]).digest()

"""Fuzzing the whole triage of a landing batch (transforms/landing.py): whatever the files,
each ends exactly once as landed, duplicate or quarantined, and the rows agree with the fates."""

import datetime as dt
from types import SimpleNamespace

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.profile import fuzz
from tests.fuzz.strategies import UPLOAD_NAMES, log_bytes, mutated, upload_zip
from transforms.inbox import Kind, classify
from transforms.landing import InboxFile, LandingContext, sha256_hex, triage_batch
from transforms.reasons import Quarantine

CONTRACTS = frozenset({"S0001", "S0002"})
AT = dt.datetime(2024, 3, 22, tzinfo=dt.UTC)


@st.composite
def batches(draw):
    """Inbox uploads (two contracts, keys repeated on purpose) and what landed before."""
    names = draw(st.lists(UPLOAD_NAMES, min_size=1, max_size=4))
    files: dict[str, bytes] = {}
    for _ in range(draw(st.integers(1, 6))):
        name = draw(st.sampled_from(names))
        sid = draw(st.sampled_from(sorted(CONTRACTS)))
        log, _charset = draw(log_bytes(name.tmid))
        data = upload_zip(name, log)
        data = draw(st.one_of(st.just(data), mutated(data), st.binary(max_size=64)))
        files[f"{sid}/{name.file_name}"] = data
    landed = {}
    for path, data in files.items():  # some keys already landed, same bytes or not
        if draw(st.integers(0, 3)) == 0:
            landed[classify(path, CONTRACTS).name.key] = draw(
                st.sampled_from([sha256_hex(data), "0" * 64])
            )
    owners = {
        n.tmid: draw(st.sampled_from(sorted(CONTRACTS))) for n in names if draw(st.booleans())
    }
    return files, LandingContext(landed_sha=landed, owners=owners)


@fuzz(0.5)
@given(batches())
def test_every_file_of_a_batch_ends_once_and_the_rows_agree(case):
    files, context = case
    entries = [classify(path, CONTRACTS) for path in files]
    assert all(e.kind is Kind.UPLOAD for e in entries)
    before = (dict(context.landed_sha), dict(context.owners))
    result = triage_batch([InboxFile(e, files[e.path]) for e in entries], context, AT)
    assert (context.landed_sha, context.owners) == before  # pure: the caller's state is kept
    fates = [SimpleNamespace(**row) for row in result.fates.to_pylist()]
    assert sorted(f.path for f in fates) == sorted(files)
    outcomes = {f.path: f.outcome for f in fates}
    assert set(outcomes.values()) <= {"landed", "duplicate", "quarantined"}
    quarantined = {q.path: q for q in result.quarantined}
    assert set(quarantined) == {p for p, o in outcomes.items() if o == "quarantined"}
    assert all(
        isinstance(q.reason, Quarantine) and q.data == files[q.path] for q in quarantined.values()
    )
    landed = [f for f in fates if f.outcome == "landed"]
    assert sorted(result.uploads["upload_key"]) == sorted(f.upload_key for f in landed)
    assert result.uploads["upload_key"].n_unique() == result.uploads.height
    for f in fates:
        if f.outcome == "duplicate":
            assert context.landed_sha.get(f.upload_key) == f.sha256 or f.upload_key in set(
                result.uploads["upload_key"]
            )
    counted = result.uploads.select("upload_key", "records", "rejects")
    per_key = {k: (r, j) for k, r, j in counted.iter_rows()}
    got_records = result.records.group_by("upload_key").len()
    got_rejects = result.rejects.group_by("upload_key").len()
    for key, n in got_records.iter_rows():
        assert per_key[key][0] == n
    for key, n in got_rejects.iter_rows():
        assert per_key[key][1] == n
    assert result.records.filter(~pl.col("upload_key").is_in(list(per_key))).height == 0

"""The generator's output pinned byte for byte: digests of whole samples against a fixture.

Guards refactors of `samples.generator`: the same seed and parameters must keep producing
the same bytes (inbox files, contracts YAML, org and ledger CSVs, manifests, re-sends).
The fixture `golden_sample.json` was recorded from the generator before it was split into a
package. Regenerate it only for an intended output change:
`GOLDEN_UPDATE=1 python -m pytest tests/samples/test_generator_golden.py -p no:xdist`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from samples.generator import generate_resends, generate_sample

FIXTURE = Path(__file__).with_name("golden_sample.json")

# "full": every bad-file case (3 contracts for the second and third contract's cases), an
# agent upgrade (> 6 terminals, > 1 day), cp932 terminals, diagnostic bundles, a no-header
# upload, seq gap, rename, rejects, and re-sends of both conflict variants.
# "one_day": the one-day branches (boundary uploads, cross-contract TMID an hour later) and
# the worker-process path, which must give the same bytes as one process.
CASES: dict[str, dict] = {
    "full": dict(
        contracts=3,
        terminals=10,
        first_day=dt.date(2024, 3, 18),
        days=2,
        uploads_per_day=4,
        records_per_upload=40,
        seed=3,
        workers=1,
    ),
    "one_day": dict(
        contracts=2,
        terminals=5,
        first_day=dt.date(2024, 12, 31),
        days=1,
        uploads_per_day=3,
        records_per_upload=25,
        seed=11,
        workers=2,
    ),
}
RESENDS = dict(seed=1, duplicates=3, conflicts=4)


def _tree_digest(root: Path) -> tuple[int, str]:
    """(file count, sha256 over the sorted relative paths and each file's bytes)."""
    h = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for p in files:
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return len(files), h.hexdigest()


def _digests(base: Path, params: dict) -> dict:
    manifest = generate_sample(base / "inbox", base / "etc" / "contracts.yaml", **params)
    inbox_files, inbox = _tree_digest(base / "inbox")
    etc_files, etc = _tree_digest(base / "etc")
    shutil.rmtree(base / "inbox")  # as if the landing consumed it
    resent = generate_resends(base / "inbox", manifest, **RESENDS)
    resend_files, resend_inbox = _tree_digest(base / "inbox")
    return {
        "inbox_files": inbox_files,
        "inbox": inbox,
        "operator_files": etc_files,
        "operator": etc,
        "manifest": hashlib.sha256(manifest.to_json().encode()).hexdigest(),
        "resend_files": resend_files,
        "resend_inbox": resend_inbox,
        "resend_manifest": hashlib.sha256(resent.to_json().encode()).hexdigest(),
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_output_matches_recorded_digests(case, tmp_path):
    got = _digests(tmp_path, CASES[case])
    if os.environ.get("GOLDEN_UPDATE"):
        recorded = json.loads(FIXTURE.read_text()) if FIXTURE.exists() else {}
        recorded[case] = got
        FIXTURE.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
        pytest.skip("fixture updated")
    assert got == json.loads(FIXTURE.read_text())[case]

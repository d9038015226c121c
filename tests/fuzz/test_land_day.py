"""Fuzzing the whole landing on a real (local) warehouse: whatever lands in an inbox, every
file ends in exactly one place, the landing never fails, and nothing is written outside the
inbox and the warehouse."""

import datetime as dt
import os
import tempfile
from pathlib import Path

from hypothesis import assume, given
from hypothesis import strategies as st

from assets.landing.land import LandingLimits, land_day
from storage import warehouse
from storage.roots import Root
from tests.fuzz.profile import fuzz
from tests.fuzz.strategies import UPLOAD_NAMES, file_names, log_bytes, mutated, upload_zip
from transforms.inbox import Kind, classify

CONTRACTS = frozenset({"S0001", "S0002"})
FOLDERS = ["S0001", "S0002", "S0001/diag", "S9999", "S0001/sub", "", "bad folder"]
OTHER_DAY = dt.date(2024, 3, 18)  # a landing run for dayless files when no upload has a day


@st.composite
def inboxes(draw) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for _ in range(draw(st.integers(1, 8))):
        folder = draw(st.sampled_from(FOLDERS))
        if draw(st.booleans()):
            name = draw(UPLOAD_NAMES)
            data = upload_zip(name, draw(log_bytes(name.tmid))[0])
            data = draw(st.one_of(st.just(data), mutated(data)))
            file_name = name.file_name
        else:
            file_name = draw(file_names())
            data = draw(st.binary(max_size=80))
        if not _storable(file_name):
            continue
        files[f"{folder}/{file_name}" if folder else file_name] = data
    assume(files)
    return files


def _storable(name: str) -> bool:
    try:
        size = len(name.encode())
    except UnicodeEncodeError:  # lone surrogates cannot be a file name
        return False
    return 0 < size <= 200 and name not in (".", "..") and "/" not in name and "\0" not in name


@fuzz(0.1)
@given(inboxes())
def test_every_inbox_file_ends_in_one_place_and_nothing_is_written_elsewhere(files):
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp)
        for path, data in files.items():
            (top / "inbox" / path).parent.mkdir(parents=True, exist_ok=True)
            (top / "inbox" / path).write_bytes(data)
        inbox, wh = Root(str(top / "inbox")), Root(str(top / "warehouse"))
        entries = {p: classify(p, CONTRACTS) for p in files}
        days = {e.service_day for e in entries.values() if e.kind is Kind.UPLOAD} or {OTHER_DAY}
        reports = [land_day(inbox, wh, CONTRACTS, d, limits=LandingLimits(3)) for d in sorted(days)]
        assert all(r.accounted == r.files_seen for r in reports)
        left = set(inbox.list_files())
        assert left == {p for p, e in entries.items() if e.kind is Kind.IGNORED}
        fates = {}
        for d in days:
            for row in warehouse.landing_log_day(wh, d).to_pylist():
                assert row["path"] not in fates, f"{row['path']} settled twice"
                fates[row["path"]] = row["outcome"]
        assert set(fates) == set(files) - left
        assert set(fates.values()) <= {"landed", "duplicate", "quarantined", "diag"}
        written = {
            os.path.relpath(os.path.join(d, f), tmp).split(os.sep)[0]
            for d, _, names in os.walk(tmp)
            for f in names
        }
        assert written <= {"inbox", "warehouse"}

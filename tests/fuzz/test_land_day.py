"""Fuzzing the whole landing on a real (local) warehouse: whatever lands in an inbox, every
file ends in exactly one place, the landing never fails, and nothing is written outside the
inbox and the warehouse. Hostile entries among them: links (to a file outside the inbox, to a
folder, dangling), FIFOs and empty folders named as uploads are quarantined by name and never
read; uploads whose member is a link, folder or device never land."""

import datetime as dt
import os
import tempfile
from pathlib import Path

from hypothesis import assume, given
from hypothesis import strategies as st

from assets.landing.land import LandingLimits, land_day
from storage import warehouse
from storage.roots import Root
from tests.assets.test_landing_not_files import stored_values
from tests.fuzz.profile import fuzz
from tests.fuzz.strategies import (
    UPLOAD_NAMES,
    file_names,
    log_bytes,
    member_zip,
    mutated,
    not_regular_member_attributes,
    upload_zip,
)
from transforms.inbox import Kind, classify

CONTRACTS = frozenset({"S0001", "S0002"})
FOLDERS = ["S0001", "S0002", "S0001/diag", "S9999", "S0001/sub", "", "bad folder"]
OTHER_DAY = dt.date(2024, 3, 18)  # a landing run for dayless files when no upload has a day
SECRET = b"SECRET-outside-the-inbox-7d1f"  # what the links point to: never stored
# Inbox entries that are no regular file, by what the listing calls them.
LINK_TO_FILE, LINK_TO_FOLDER, DANGLING = "link to file", "link to folder", "dangling link"
FIFO, FOLDER = "FIFO", "folder"
NOT_FILES = {
    LINK_TO_FILE: "a symbolic link",
    LINK_TO_FOLDER: "a symbolic link",
    DANGLING: "a symbolic link",
    FIFO: "a FIFO",
    FOLDER: "an empty folder",
}


@st.composite
def inboxes(draw) -> tuple[dict[str, bytes | str], set[str]]:
    """(inbox path -> its bytes, or one of NOT_FILES (a folder's path ends in `/`); the paths
    of uploads whose member is no regular file)."""
    files: dict[str, bytes | str] = {}
    hostile: set[str] = set()
    for _ in range(draw(st.integers(1, 8))):
        folder = draw(st.sampled_from(FOLDERS))
        kind = draw(st.sampled_from(["upload", "hostile member", "other", "not a file"]))
        data: bytes | str
        if kind in ("upload", "hostile member"):
            name = draw(UPLOAD_NAMES)
            log = draw(log_bytes(name.tmid))[0]
            if kind == "upload":
                data = upload_zip(name, log)
                data = draw(st.one_of(st.just(data), mutated(data)))
            else:
                data = member_zip(name.member_name, log, *draw(not_regular_member_attributes()))
            file_name = name.file_name
        elif kind == "other":
            file_name = draw(file_names())
            data = draw(st.binary(max_size=80))
        else:
            file_name = draw(st.one_of(UPLOAD_NAMES.map(lambda n: n.file_name), file_names()))
            data = draw(st.sampled_from(sorted(NOT_FILES)))
        if not _storable(file_name):
            continue
        path = f"{folder}/{file_name}" if folder else file_name
        files[path + "/" if data == FOLDER else path] = data
        if kind == "hostile member":
            hostile.add(path)
    # A path cannot be both a file and a folder holding others.
    files = {p: d for p, d in files.items() if not any(q.startswith(p.rstrip("/") + "/")
                                                      for q in files if q != p)}  # fmt: skip
    assume(files)
    return files, hostile & set(files)


def _make(top: Path, path: str, data: bytes | str) -> None:
    place = top / "inbox" / path.rstrip("/")
    place.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        place.write_bytes(data)
    elif data == LINK_TO_FILE:
        place.symlink_to(top / "outside" / "secret.zip")
    elif data == LINK_TO_FOLDER:
        place.symlink_to(top / "outside")
    elif data == DANGLING:
        place.symlink_to(top / "outside" / "gone")
    elif data == FIFO:
        os.mkfifo(place)
    else:
        place.mkdir()


def _classify(path: str, data: bytes | str):
    not_a_file = None if isinstance(data, bytes) else NOT_FILES[data]
    return classify(path, CONTRACTS, not_a_file=not_a_file)


def _storable(name: str) -> bool:
    try:
        size = len(name.encode())
    except UnicodeEncodeError:  # lone surrogates cannot be a file name
        return False
    return 0 < size <= 200 and name not in (".", "..") and "/" not in name and "\0" not in name


@fuzz(0.1)
@given(inboxes())
def test_every_inbox_file_ends_in_one_place_and_nothing_is_written_elsewhere(inbox_files):
    files, hostile = inbox_files
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp)
        (top / "outside").mkdir()
        (top / "outside" / "secret.zip").write_bytes(SECRET)
        for path, data in files.items():
            _make(top, path, data)
        inbox, wh = Root(str(top / "inbox")), Root(str(top / "warehouse"))
        entries = {p: _classify(p, d) for p, d in files.items()}
        days = {e.service_day for e in entries.values() if e.kind is Kind.UPLOAD} or {OTHER_DAY}
        reports = [land_day(inbox, wh, CONTRACTS, d, limits=LandingLimits(3)) for d in sorted(days)]
        assert all(r.accounted == r.files_seen for r in reports)
        listing = inbox.list_entries()
        left = set(listing.sizes) | (set(listing.not_files) & set(files))
        assert left == {p for p, e in entries.items() if e.kind is Kind.IGNORED}
        assert (top / "outside" / "secret.zip").read_bytes() == SECRET
        fates = {}
        for d in days:
            for row in warehouse.landing_log_day(wh, d).to_pylist():
                assert row["path"] not in fates, f"{row['path']} settled twice"
                fates[row["path"]] = row["outcome"]
        assert set(fates) == set(files) - left
        assert set(fates.values()) <= {"landed", "duplicate", "quarantined", "diag"}
        for path, data in files.items():  # no link, FIFO, folder is read, no hostile upload lands
            if not isinstance(data, bytes):
                assert fates.get(path, "quarantined") == "quarantined", path
            if path in hostile:  # a bundle in diag/ is never parsed: stored as it came
                assert fates[path] in ("quarantined", "diag"), path
        assert not any(SECRET in value for value in stored_values(top / "warehouse"))
        written = {
            os.path.relpath(os.path.join(d, f), tmp).split(os.sep)[0]
            for d, _, names in os.walk(tmp)
            for f in names
        }
        assert written <= {"inbox", "warehouse", "outside"}

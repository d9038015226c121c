"""Inbox entries that are not regular files, and upload ZIPs whose member is not one, through the
real landing on a real local inbox: each is quarantined by name with its own reason, nothing of
what a link points to is read or stored, the link's target stays, and the entry leaves the inbox.
"""

import datetime as dt
import os
import socket
import stat
import uuid
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from assets.landing.land import MAX_ZIP_BYTES, LandingLimits, land_day
from samples import logs
from storage import crypto, duck, layout
from storage.roots import Root
from transforms.reasons import Quarantine

TMID = "0123ABCD-4567-89EF-ABCD-0123456789AB"
OTHER_TMID = "89ABCDEF-0123-4567-89AB-CDEF01234567"
DAY = dt.date(2024, 3, 18)
NOW = dt.datetime(2024, 3, 20, 6, 0, tzinfo=dt.UTC)
CONTRACTS = frozenset({"S0001", "S0002"})


def upload_name(n: int, tmid: str = TMID) -> tuple[str, str]:
    """(file name, SENT15) of the n-th upload of the day (n < 60)."""
    sent15 = f"2024031809{n:02d}000"
    return f"{tmid}_{sent15}-{str(n % 10) * 32}.zip", sent15


def upload_bytes(sent15: str, marker: str, tmid: str = TMID) -> bytes:
    header = logs.build_header(tmid, "PC01")
    record = logs.build_record(
        "2024-03-18T09:00:00.000+09:00", 1, "POWER_ON", "", "", {"note": marker}
    )
    return logs.build_upload_zip(logs.encode_log(header, [record]), f"{sent15}.log")


def land(base: Path, **kwargs) -> object:
    inbox, wh = Root(str(base / "inbox")), Root(str(base / "warehouse"))
    return land_day(inbox, wh, CONTRACTS, DAY, now=lambda: NOW, **kwargs)


def quarantine(base: Path) -> dict[str, tuple]:
    return quarantine_rows(Root(str(base / "warehouse")))


def quarantine_rows(wh: Root) -> dict[str, tuple]:
    con = duck.connect(wh)
    rows = con.execute("select name, reason, detail, sha256, size from quarantine").fetchall()
    return {name: rest for name, *rest in rows}


def stored_values(wh: Path) -> list[bytes]:
    """Every value of every file in the warehouse, decrypted (Parquet) or as it is (else)."""
    found: list[bytes] = []
    for path in sorted(p for p in wh.rglob("*") if p.is_file()):
        if path.suffix != ".parquet":
            found.append(path.read_bytes())
            continue
        table = pq.read_table(path, decryption_properties=crypto.decryption_properties())
        for column in table.columns:
            for value in column.to_pylist():
                if isinstance(value, bytes):
                    found.append(value)
                elif value is not None:
                    found.append(str(value).encode())
    return found


def stores(wh: Path, marker: str) -> bool:
    return any(marker.encode() in value for value in stored_values(wh))


@pytest.fixture
def outside(tmp_path) -> tuple[Path, str]:
    """A folder beside the inbox holding a key file and a valid upload, each with a marker
    found nowhere else."""
    marker = f"SECRET-{uuid.uuid4().hex}"
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "server.key").write_bytes(f"-----BEGIN KEY-----\n{marker}\n".encode())
    name, sent15 = upload_name(30)
    (folder / name).write_bytes(upload_bytes(sent15, marker))
    (folder / "sub").mkdir()
    return folder, marker


def test_links_fifos_sockets_and_zip_folders_are_quarantined_by_name_and_never_followed(
    tmp_path, outside, monkeypatch
):
    target, marker = outside
    key, valid = target / "server.key", target / upload_name(30)[0]
    before = {p: p.read_bytes() for p in (key, valid)}
    inbox = tmp_path / "inbox"
    (inbox / "S0001" / "diag").mkdir(parents=True)
    good_name, good_sent15 = upload_name(1)
    (inbox / "S0001" / good_name).write_bytes(upload_bytes(good_sent15, "regular upload"))
    kinds = {
        f"S0001/{upload_name(2)[0]}": ("a symbolic link", key),
        f"S0001/{upload_name(30)[0]}": ("a symbolic link", valid),  # a valid upload elsewhere
        f"S0001/{upload_name(4)[0]}": ("a symbolic link", target / "sub"),  # to a folder
        f"S0001/{upload_name(5)[0]}": ("a symbolic link", target / "gone.zip"),  # dangling
        f"S0001/diag/{upload_name(6)[0]}": ("a symbolic link", key),  # a bundle's place
        "server.key": ("a symbolic link", key),  # at the inbox's top
        "S0002": ("a symbolic link", target),  # a contract folder that is a link
        f"S0001/{upload_name(7)[0]}": ("a FIFO", None),
        f"S0001/{upload_name(8)[0]}": ("a socket", None),
        f"S0001/{upload_name(9)[0]}/": ("an empty folder", None),
    }
    for path, (kind, to) in kinds.items():
        place = inbox / path.rstrip("/")
        if to is not None:
            place.symlink_to(to)
        elif kind == "a FIFO":
            os.mkfifo(place)
        elif kind == "a socket":
            monkeypatch.chdir(place.parent)  # a socket's path must be short: bind by name
            with socket.socket(socket.AF_UNIX) as sock:
                sock.bind(place.name)
        else:
            place.mkdir()
    assert stat.S_ISSOCK((inbox / f"S0001/{upload_name(8)[0]}").lstat().st_mode)

    report = land(tmp_path)

    assert report.outcomes == {"landed": 1, "quarantined": len(kinds)}
    assert report.quarantined_by_reason == {Quarantine.NOT_A_FILE.value: len(kinds)}
    got = quarantine(tmp_path)
    assert set(got) == set(kinds)
    for path, (kind, _to) in kinds.items():
        reason, detail, sha256, size = got[path]
        assert (reason, sha256, size) == (Quarantine.NOT_A_FILE.value, None, 0), path
        assert detail.startswith(f"{kind}, not a regular file"), (path, detail)
    assert not stores(tmp_path / "warehouse", marker)
    assert stores(tmp_path / "warehouse", "regular upload")  # the checker can see a value
    assert {p: p.read_bytes() for p in before} == before  # every target is untouched
    assert (target / "sub").is_dir()
    left = sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*"))
    assert left == ["S0001", "S0001/diag"]  # the contract's own folders stay, empty


def test_a_folder_named_as_an_upload_goes_once_its_files_are_settled(tmp_path):
    """A non-empty `*.zip` folder is not followed into as an upload: its files are misplaced
    files, and the folder itself, empty by then, is quarantined and removed by the next run."""
    folder = tmp_path / "inbox" / "S0001" / upload_name(3)[0]
    folder.mkdir(parents=True)
    (folder / "inner.log").write_bytes(b"an uploader's file")

    first = land(tmp_path)
    assert first.quarantined_by_reason == {Quarantine.UNEXPECTED_PATH.value: 1}
    assert folder.is_dir() and not list(folder.iterdir())

    second = land(tmp_path)
    assert second.quarantined_by_reason == {Quarantine.NOT_A_FILE.value: 1}
    assert not folder.exists()
    reasons = {name: row[0] for name, row in quarantine(tmp_path).items()}
    rel = f"S0001/{upload_name(3)[0]}"
    assert reasons == {
        f"{rel}/inner.log": Quarantine.UNEXPECTED_PATH.value,
        f"{rel}/": Quarantine.NOT_A_FILE.value,
    }
    assert land(tmp_path).files_seen == 0  # nothing left to settle


def test_a_folder_that_fills_after_the_listing_is_not_removed(tmp_path):
    """Removing a folder removes it only if empty: a file written into it meanwhile stays."""
    inbox = Root(str(tmp_path / "inbox"))
    folder = tmp_path / "inbox" / "S0001" / "x.zip"
    folder.mkdir(parents=True)
    assert inbox.list_entries().not_files == {"S0001/x.zip/": "an empty folder"}
    (folder / "late").write_bytes(b"written after the listing")
    inbox.delete_many(["S0001/x.zip/"])
    assert (folder / "late").read_bytes() == b"written after the listing"


def test_a_file_swapped_for_a_link_after_the_listing_is_never_read(tmp_path, outside):
    """The landing lists, then reads batch by batch: a regular upload replaced by a link to a
    key file between the two is refused when opened (O_NOFOLLOW), and so is an upload whose
    contract folder was replaced by a link to a folder elsewhere."""
    target, marker = outside
    inbox = tmp_path / "inbox"
    names = [upload_name(n)[0] for n in (1, 2, 3)]
    (inbox / "S0001").mkdir(parents=True)
    for n, name in zip((1, 2, 3), names, strict=True):
        (inbox / "S0001" / name).write_bytes(upload_bytes(upload_name(n)[1], "first"))
    other = [upload_name(n, OTHER_TMID) for n in (4, 5)]
    (inbox / "S0002").mkdir()
    for name, sent15 in other:
        (inbox / "S0002" / name).write_bytes(upload_bytes(sent15, "second", OTHER_TMID))
    # What the folder link will point to: the same names, holding the marker.
    elsewhere = target / "S0002"
    elsewhere.mkdir()
    for name, sent15 in other:
        (elsewhere / name).write_bytes(upload_bytes(sent15, marker, OTHER_TMID))

    # One file per batch; batch k+1 is read before batch k commits, so batch 3 (and the
    # files after it) are read only after the first commit: swap them then.
    swapped = []

    def swap(_message: str) -> None:
        if swapped:
            return
        (inbox / "S0001" / names[2]).unlink()
        (inbox / "S0001" / names[2]).symlink_to(target / "server.key")
        (inbox / "S0002").rename(tmp_path / "S0002-moved")
        (inbox / "S0002").symlink_to(elsewhere)
        swapped.append(True)

    report = land(tmp_path, limits=LandingLimits(batch_files=1, workers=1), progress=swap)

    assert swapped
    assert report.outcomes == {"landed": 2, "quarantined": 3}
    got = quarantine(tmp_path)
    assert tuple(got[f"S0001/{names[2]}"][:2]) == (
        Quarantine.NOT_A_FILE.value,
        "a symbolic link, not a regular file: quarantined by name, never opened or followed",
    )
    for name, _sent15 in other:
        reason, detail, _sha, size = got[f"S0002/{name}"]
        assert (reason, size) == (Quarantine.NOT_A_FILE.value, 0)
        assert detail.startswith("below a symbolic link ('S0002')")
    assert not stores(tmp_path / "warehouse", marker)
    # Deleting never follows the folder link: the files it points to stay.
    assert sorted(p.name for p in elsewhere.iterdir()) == sorted(n for n, _ in other)
    assert (target / "server.key").exists()
    # The links themselves go by the next landing, by name.
    again = land(tmp_path)
    assert again.quarantined_by_reason == {Quarantine.NOT_A_FILE.value: 1}  # only S0002 left
    assert sorted(p.name for p in inbox.iterdir()) == ["S0001"]
    assert list((inbox / "S0001").iterdir()) == []


def the_swap(how: str, place: Path, secret: Path) -> None:
    """Replace the listed regular file `place` as a writer racing the landing would."""
    place.unlink()
    if how == "link":
        place.symlink_to(secret)
    elif how == "fifo":
        os.mkfifo(place)


SWAPPED_DETAIL = {
    "link": "a symbolic link, not a regular file: quarantined by name, never opened or followed",
    "fifo": "a FIFO, not a regular file: quarantined by name, never opened or followed",
    "deleted": (
        "gone (deleted or moved since the listing), not a regular file: quarantined by name,"
        " never opened or followed"
    ),
}


@pytest.mark.parametrize("how", ["link", "fifo", "deleted"])
@pytest.mark.parametrize("copied", ["bundle", "oversized"])
def test_a_file_copied_at_the_commit_and_swapped_after_the_listing_fails_no_batch(
    tmp_path, outside, copied, how
):
    """A diagnostic bundle and a file too large to be an upload are not read by the workers:
    their bytes are copied at the batch's commit. Swapped for a link to a key file, for a
    FIFO, or deleted after the listing, such an entry is quarantined by name (no content) and
    the rest of its batch (a good upload with it) commits; nothing of the key is stored."""
    target, marker = outside
    secret = target / "server.key"
    before = secret.read_bytes()
    inbox = tmp_path / "inbox" / "S0001"
    (inbox / "diag").mkdir(parents=True)
    # Two files the landing settles first make the first batch (two files a batch): the
    # swap is made once it is committed, so after the second batch was listed and triaged.
    for name in ("a-misplaced.txt", "b-misplaced.txt"):
        (inbox / name).write_bytes(b"not an upload")
    uploads = {n: upload_name(n) for n in (1, 2, 3)}
    for n, (name, sent15) in uploads.items():
        if copied == "oversized" and n == 2:
            continue
        (inbox / name).write_bytes(upload_bytes(sent15, f"good upload {n}"))
    if copied == "bundle":  # batch 2: the bundle and upload 1
        rel = f"S0001/diag/{upload_name(9)[0]}"
        (inbox / "diag" / upload_name(9)[0]).write_bytes(b"a bundle's bytes")
    else:  # batch 2: upload 1 and the oversized file in upload 2's name
        rel = f"S0001/{uploads[2][0]}"
        with open(inbox / uploads[2][0], "wb") as big:  # sparse: its size is what counts
            big.truncate(MAX_ZIP_BYTES + 1)
    place = tmp_path / "inbox" / rel

    swapped = []

    def swap(_message: str) -> None:
        if not swapped:
            the_swap(how, place, secret)
            swapped.append(True)

    limits = LandingLimits(batch_files=2, batch_bytes=1 << 30, workers=1)
    report = land(tmp_path, limits=limits, progress=swap)

    assert swapped
    landed = 3 if copied == "bundle" else 2
    assert report.outcomes == {"landed": landed, "quarantined": 3}
    assert report.quarantined_by_reason == {
        Quarantine.BAD_NAME.value: 2,
        Quarantine.NOT_A_FILE.value: 1,
    }
    got = quarantine(tmp_path)
    assert tuple(got[rel]) == (Quarantine.NOT_A_FILE.value, SWAPPED_DETAIL[how], None, 0)
    con = duck.connect(Root(str(tmp_path / "warehouse")))
    log = con.execute("select path, outcome, reason from landing_log order by path").fetchall()
    assert len(log) == report.files_seen == landed + 3  # one row per inbox entry
    assert (rel, "quarantined", Quarantine.NOT_A_FILE.value) in log
    bundles = tmp_path / "warehouse" / layout.DIAG_ROOT
    assert not bundles.exists() or not [p for p in bundles.rglob("*") if p.is_file()]
    assert list((tmp_path / "warehouse").rglob("*.blob")) == []  # nor the oversized file
    for n in (1, 3):
        assert stores(tmp_path / "warehouse", f"good upload {n}")
    assert not stores(tmp_path / "warehouse", marker)
    assert secret.read_bytes() == before  # the link's target is untouched
    assert not os.path.lexists(place)  # the link or FIFO is gone with its batch
    again = land(tmp_path)
    assert (again.files_seen, again.batches) == (0, 0)


def test_an_upload_deleted_after_the_listing_is_quarantined_by_name(tmp_path):
    """The workers read a batch long after the listing: an upload deleted (or moved) in
    between fails nothing; its name is quarantined, so the landing log still has its row."""
    inbox = tmp_path / "inbox" / "S0001"
    inbox.mkdir(parents=True)
    names = [upload_name(n) for n in (1, 2, 3)]
    for name, sent15 in names:
        (inbox / name).write_bytes(upload_bytes(sent15, "an upload"))
    swapped = []

    def delete(_message: str) -> None:
        if not swapped:
            (inbox / names[2][0]).unlink()
            swapped.append(True)

    report = land(tmp_path, limits=LandingLimits(batch_files=1, workers=1), progress=delete)

    assert report.outcomes == {"landed": 2, "quarantined": 1}
    rel = f"S0001/{names[2][0]}"
    assert tuple(quarantine(tmp_path)[rel]) == (
        Quarantine.NOT_A_FILE.value,
        SWAPPED_DETAIL["deleted"],
        None,
        0,
    )
    assert land(tmp_path).files_seen == 0


def symlink_member_zip(sent15: str, target: bytes) -> bytes:
    """A well-formed upload whose one member, named as it should be, is a Unix symbolic
    link to `target` (as `zip --symlinks` makes it)."""
    info = zipfile.ZipInfo(f"{sent15}.log", date_time=(2024, 3, 18, 9, 0, 0))
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return logs_zip([(info, target)])


def logs_zip(members: list[tuple[zipfile.ZipInfo, bytes]]) -> bytes:
    import io

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue()


def test_an_upload_whose_member_is_a_link_is_quarantined_and_never_delivered(tmp_path):
    inbox = tmp_path / "inbox" / "S0001"
    inbox.mkdir(parents=True)
    name, sent15 = upload_name(1)
    (inbox / name).write_bytes(symlink_member_zip(sent15, b"/etc/passwd"))

    report = land(tmp_path)

    assert report.quarantined_by_reason == {Quarantine.MEMBER_NOT_A_FILE.value: 1}
    assert report.outcomes == {"quarantined": 1}
    reason, detail, _sha, _size = quarantine(tmp_path)[f"S0001/{name}"]
    assert reason == Quarantine.MEMBER_NOT_A_FILE.value
    assert detail == f"member '{sent15}.log' is a symbolic link, not a regular file"
    con = duck.connect(Root(str(tmp_path / "warehouse")))
    assert con.execute("select count(*) from uploads").fetchone() == (0,)


def test_a_batch_holds_at_most_batch_copies_files_copied_at_its_commit(tmp_path):
    """Each bundle is held open from before its batch's commit to its copy: a batch takes at
    most `batch_copies` of them, and more bundles make more batches."""
    folder = tmp_path / "inbox" / "S0001" / "diag"
    folder.mkdir(parents=True)
    for n in (1, 2, 3):
        (folder / upload_name(n)[0]).write_bytes(b"a bundle")
    name, sent15 = upload_name(4)
    (folder.parent / name).write_bytes(upload_bytes(sent15, "an upload"))

    report = land(tmp_path, limits=LandingLimits(batch_copies=2, workers=1))

    assert report.outcomes == {"diag": 3, "landed": 1}
    assert report.batches == 2  # [bundle 1, bundle 2], [bundle 3, the upload]

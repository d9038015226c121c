"""Reading deliverables back from their bytes, and with the real ZIP readers."""

import hashlib
import io
import subprocess
import zipfile
from pathlib import Path

from transforms.names import parse_sent15


def readers_accept(path: Path) -> None:
    """`unzip -t`, `7z t` and `bsdtar -tf` all accept the file (they must be installed)."""
    for cmd in (["unzip", "-t", str(path)], ["7z", "t", str(path)], ["bsdtar", "-tf", str(path)]):
        done = subprocess.run(cmd, capture_output=True, timeout=300)
        assert done.returncode == 0, (cmd, done.stdout[-2000:], done.stderr[-2000:])


def entries(data: bytes) -> list[zipfile.ZipInfo]:
    return zipfile.ZipFile(io.BytesIO(data)).infolist()


def inner_sha256(data: bytes) -> dict[str, str]:
    """Entry name -> sha256 of each inner file."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {
        i.filename: hashlib.sha256(archive.read(i)).hexdigest()
        for i in archive.infolist()
        if not i.is_dir()
    }


def dos_time_of(sent15: str) -> tuple[int, ...]:
    t = parse_sent15(sent15)
    return (t.year, t.month, t.day, t.hour, t.minute, t.second - t.second % 2)


def check_structure(data: bytes) -> None:
    """The rules every deliverable follows: STORED, UTF-8 flag exactly on non-ASCII names,
    an explicit folder entry before anything inside it, entry times from SENT15."""
    seen_folders: set[str] = set()
    for info in entries(data):
        assert info.compress_type == zipfile.ZIP_STORED, info.filename
        assert bool(info.flag_bits & 0x800) == (not info.filename.isascii()), info.filename
        assert not info.flag_bits & 0x8  # no data descriptors
        parent = info.filename.rstrip("/").rpartition("/")[0]
        assert parent == "" or parent + "/" in seen_folders, info.filename
        if info.is_dir():
            seen_folders.add(info.filename)
        else:
            sent15 = info.filename.rsplit("/", 1)[-1].split("_")[1][:15]
            assert info.date_time == dos_time_of(sent15), info.filename

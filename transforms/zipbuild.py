"""Streaming, deterministic assembly of the outer deliverable ZIPs.

Every deliverable (daily `<D>.zip`, 30-day `<D>_SP.zip`, 1-year `<TMID>_AllData_<P>.zip`) is
an outer ZIP that holds the customers' upload ZIPs byte for byte. This module writes it:

* `plan_entries` puts folders and files in the spec's order and dates the folders;
* `StoredZipWriter` writes the entries to any object with `.write(bytes)`;
* `build_zip` ties the two together and reports size and sha256.

Format decisions (all fixed, so the same input always gives the same bytes, on any machine):

* Method STORED (the inner files are ZIPs already). CRC-32 and sizes are known before the
  local header is written, so there is no data descriptor and flag bit 3 is never set; a
  streaming reader (`bsdtar -tf - < x.zip`) can read every entry from its local header.
* `version made by` = 20 (45 on ZIP64 entries) with host system 11 (NTFS); `version
  needed` = 20, or 45 on an entry whose central-directory record carries a ZIP64 extra
  field (local header and central record say the same, so readers that compare the two are
  satisfied). The ZIP64 end records say 45/45.
* Flag bit 11 (0x800, UTF-8 name) is set exactly on entries whose name is not pure ASCII
  (ASCII names read the same in CP437 and UTF-8, so the flag changes nothing there).
* Timestamps: the naive Japan local datetime goes into the MS-DOS date/time fields, which
  have 2-second resolution: odd seconds and fractions are floored (12:34:57.9 -> 12:34:56).
  No extended-timestamp extra field (it would need a time zone and is not in the spec).
* No extra fields except the ZIP64 one (0x0001), which holds only the local-header offset
  and is present only where that offset is >= 0xFFFFFFFF.
* External attributes: 0x10 (MS-DOS directory) on folder entries, 0 on files; internal
  attributes 0; no comments.
* ZIP64 end of central directory record + locator are written when there are 0xFFFF or
  more entries (0xFFFF itself is the "see ZIP64" marker, so it cannot be a real count), or
  when the central directory's offset or size reaches 0xFFFFFFFF. The classic end record then
  holds 0xFFFF / 0xFFFFFFFF in all its count, size and offset fields.
* An inner file of 0xFFFFFFFF bytes or more would need ZIP64 sizes; it is refused with a
  ValueError (uploads are far smaller).

Memory: the writer keeps only the central directory (46 bytes + name, + 12 for ZIP64, per
entry, in one bytearray: about 15 MB per 100,000 deliverable entries) and the set of names
(for the duplicate check), never file data once written. It grows with the entry count,
not with the bytes. It never seeks or asks the sink for its position; it counts offsets
itself, so the sink can be a pipe or an object-store multipart upload.

Why host system 11: Info-ZIP UnZip 6.0, the `unzip` of Linux distributions and macOS,
converts names of MS-DOS-host (0) entries from CP437 even when the UTF-8 flag is set, so it
would show and extract non-ASCII names garbled. Host 11 (NTFS) avoids that, and every reader
(7-Zip, libarchive/bsdtar, Python's zipfile, Windows) still takes the external attributes as
DOS ones (see `_HOST_SYSTEM`, docs/decisions.md).
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
_END_RECORD = struct.Struct("<IHHHHIIH")
_ZIP64_END_RECORD = struct.Struct("<IQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<IIQI")
_ZIP64_OFFSET_EXTRA = struct.Struct("<HHQ")

_LOCAL_SIG = 0x04034B50
_CENTRAL_SIG = 0x02014B50
_END_SIG = 0x06054B50
_ZIP64_END_SIG = 0x06064B50
_ZIP64_LOCATOR_SIG = 0x07064B50
_ZIP64_EXTRA_ID = 0x0001

# Host system (high byte of `version made by`) fixed, so the output never depends on the
# machine that built it. 11 = NTFS: readers take the external attributes as DOS ones, as for
# 0 = MS-DOS, but Info-ZIP UnZip (Linux, macOS) then honours the UTF-8 flag instead of
# re-reading non-ASCII names as CP437 (it does that for host 0, garbling Japanese folders).
_HOST_SYSTEM = 11
_VERSION = 20
_VERSION_ZIP64 = 45
_METHOD_STORED = 0
_FLAG_UTF8 = 0x0800
_DOS_DIRECTORY = 0x10

_U16_MAX = 0xFFFF
_U32_MAX = 0xFFFFFFFF
# Central directory handed to the sink in pieces of this size: bounded copies, and part
# sizes that suit a multipart upload.
_CENTRAL_CHUNK = 1 << 20


class ByteSink(Protocol):
    """Anything the archive can be written to: only `.write` is used (no seek, no tell)."""

    def write(self, data: bytes | memoryview, /) -> object: ...


def dos_date_time(when: datetime) -> tuple[int, int]:
    """(date, time) MS-DOS fields of a naive local datetime; seconds floored to even."""
    if when.tzinfo is not None:
        # The fields have no zone: an aware value would be written as whatever zone it is
        # in, which is how Japan times silently become UTC ones. The caller converts.
        raise ValueError(f"expected a naive Japan local datetime, got an aware one: {when}")
    if not 1980 <= when.year <= 2107:
        raise ValueError(f"MS-DOS timestamps cover 1980-2107 only: {when}")
    date = (when.year - 1980) << 9 | when.month << 5 | when.day
    time = when.hour << 11 | when.minute << 5 | when.second // 2
    return date, time


def _encode_name(name: str, is_folder: bool) -> bytes:
    if is_folder != name.endswith("/"):
        kind = "folder" if is_folder else "file"
        rule = "must" if is_folder else "must not"
        raise ValueError(f"a {kind} entry name {rule} end with '/': {name!r}")
    body = name[:-1] if is_folder else name
    # Zip-slip and Windows guards: entry names come from our own plan, so a bad one is a bug.
    if "\\" in name or any(part in ("", ".", "..") for part in body.split("/")):
        raise ValueError(f"entry name needs non-empty relative '/'-separated parts: {name!r}")
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"entry name is not encodable as UTF-8: {name!r}") from exc
    if len(encoded) > _U16_MAX:
        raise ValueError(f"entry name longer than 65,535 bytes: {name[:80]!r}...")
    return encoded


class StoredZipWriter:
    """Writes a ZIP (method STORED) to `sink` front to back, one entry at a time.

    `start_offset` is the number of bytes the sink already holds in front of the archive
    (a self-extractor stub, say); offsets in the archive count from the start of the sink.
    `bytes_written` and `sha256` cover only what this writer wrote.
    """

    def __init__(self, sink: ByteSink, *, start_offset: int = 0) -> None:
        if start_offset < 0:
            raise ValueError(f"start_offset must be >= 0: {start_offset}")
        self._sink = sink
        self._start = start_offset
        self._offset = start_offset
        self._central = bytearray()
        self._names: set[str] = set()
        self._count = 0
        self._sha256 = hashlib.sha256()
        self._closed = False
        # Set when the sink raised mid-write: the bytes out there no longer match our
        # bookkeeping, so writing a central directory would describe a different file.
        self._failed = False

    @property
    def entry_count(self) -> int:
        return self._count

    @property
    def bytes_written(self) -> int:
        return self._offset - self._start

    @property
    def sha256(self) -> str:
        """Hex sha256 of the bytes written so far (the whole archive once closed)."""
        return self._sha256.hexdigest()

    def add_folder(self, name: str, when: datetime) -> None:
        """A folder entry: `name` ends with '/', size 0, CRC 0, MS-DOS directory attribute."""
        self._add(name, b"", when, is_folder=True)

    def add_file(self, name: str, data: bytes | memoryview, when: datetime) -> None:
        """A file entry holding `data` unchanged (STORED); `data` is not kept afterwards."""
        self._add(name, data, when, is_folder=False)

    def close(self) -> None:
        """Write the central directory and the end records. Does not close the sink."""
        self._check_open()
        self._closed = True
        count = self._count
        central_offset = self._offset
        central_size = len(self._central)
        for start in range(0, central_size, _CENTRAL_CHUNK):
            self._write(bytes(self._central[start : start + _CENTRAL_CHUNK]))
        self._central = bytearray()

        if count >= _U16_MAX or central_offset >= _U32_MAX or central_size >= _U32_MAX:
            zip64_end_offset = self._offset
            self._write(
                _ZIP64_END_RECORD.pack(
                    _ZIP64_END_SIG,
                    _ZIP64_END_RECORD.size - 12,  # size of the record after this field
                    _HOST_SYSTEM << 8 | _VERSION_ZIP64,
                    _VERSION_ZIP64,
                    0,  # number of this disk
                    0,  # disk where the central directory starts
                    count,
                    count,
                    central_size,
                    central_offset,
                )
            )
            self._write(_ZIP64_LOCATOR.pack(_ZIP64_LOCATOR_SIG, 0, zip64_end_offset, 1))
            # Every classic field says "look in the ZIP64 record" (as Go's archive/zip does);
            # a reader never has to combine values from the two records.
            count16, size32, offset32 = _U16_MAX, _U32_MAX, _U32_MAX
        else:
            count16, size32, offset32 = count, central_size, central_offset
        self._write(_END_RECORD.pack(_END_SIG, 0, 0, count16, count16, size32, offset32, 0))

    def _add(self, name: str, data: bytes | memoryview, when: datetime, *, is_folder: bool) -> None:
        # Everything that can fail is checked before the first byte goes out, so a refused
        # entry leaves the archive as it was.
        self._check_open()
        encoded = _encode_name(name, is_folder)
        if name in self._names:
            raise ValueError(f"duplicate entry name: {name!r}")
        size = len(data)
        if size >= _U32_MAX:
            raise ValueError(
                f"{name!r} is {size:,} bytes: inner files of 4 GiB or more need ZIP64 sizes, "
                "which this writer does not write"
            )
        date, time = dos_date_time(when)
        crc = zlib.crc32(data)
        flags = 0 if name.isascii() else _FLAG_UTF8
        offset = self._offset
        zip64 = offset >= _U32_MAX
        version = _VERSION_ZIP64 if zip64 else _VERSION

        header = _LOCAL_HEADER.pack(
            _LOCAL_SIG,
            version,
            flags,
            _METHOD_STORED,
            time,
            date,
            crc,
            size,
            size,
            len(encoded),
            0,
        )
        self._write(header + encoded)
        if size:
            self._write(data)

        extra = _ZIP64_OFFSET_EXTRA.pack(_ZIP64_EXTRA_ID, 8, offset) if zip64 else b""
        self._central += _CENTRAL_HEADER.pack(
            _CENTRAL_SIG,
            _HOST_SYSTEM << 8 | version,  # version made by
            version,  # version needed to extract
            flags,
            _METHOD_STORED,
            time,
            date,
            crc,
            size,
            size,
            len(encoded),
            len(extra),
            0,
            0,
            0,
            _DOS_DIRECTORY if is_folder else 0,
            _U32_MAX if zip64 else offset,
        )
        self._central += encoded
        self._central += extra
        self._names.add(name)
        self._count += 1

    def _check_open(self) -> None:
        if self._failed:
            raise RuntimeError("an earlier write to the sink failed; the archive is unusable")
        if self._closed:
            raise RuntimeError("the ZIP writer is already closed")

    def _write(self, chunk: bytes | memoryview) -> None:
        try:
            remaining: bytes | memoryview = chunk
            while remaining:
                written = self._sink.write(remaining)
                # Buffered files and most upload objects take everything and return the
                # length (or None); a raw file or pipe may take less, and then gets the rest
                # (as a view: no copy of a large upload).
                if not isinstance(written, int) or written >= len(remaining):
                    break
                if written <= 0:
                    raise OSError(f"the sink accepted no bytes ({written!r})")
                remaining = memoryview(remaining)[written:]
        except BaseException:
            self._failed = True
            raise
        self._sha256.update(chunk)
        self._offset += len(chunk)


@dataclass(frozen=True)
class PlannedFile:
    """One upload to put in a deliverable: under `folders`, named `name`.

    `ref` is the caller's handle for fetching the bytes later (`build_zip`'s `fetch`);
    `when` is the naive Japan local time of SENT15.
    """

    folders: tuple[str, ...]
    name: str
    sent15: str
    upload_id: str
    when: datetime
    ref: object = field(compare=False)


@dataclass(frozen=True)
class PlannedEntry:
    """One entry of the outer ZIP, in order. Folders: name ends with '/', `ref` is None."""

    name: str
    when: datetime
    is_folder: bool
    ref: object = field(default=None, compare=False)


@dataclass(frozen=True)
class ZipSummary:
    entry_count: int
    file_count: int
    bytes_written: int
    sha256: str


class _Folder:
    __slots__ = ("children", "earliest", "files")

    def __init__(self, when: datetime) -> None:
        self.files: list[PlannedFile] = []
        self.children: dict[str, _Folder] = {}
        self.earliest = when


def _check_part(part: str, what: str, planned: PlannedFile) -> None:
    if part in ("", ".", "..") or "/" in part or "\\" in part:
        raise ValueError(f"bad {what} {part!r} in {planned!r}")


def plan_entries(files: Iterable[PlannedFile]) -> list[PlannedEntry]:
    """Folder and file entries in the spec's order.

    Folders are ordered by their own names, one path level at a time (plain `str` order,
    i.e. by code point): `EIGYO-PC/` comes before `EIGYO-PC-2/`, although the full paths
    `EIGYO-PC/x` and `EIGYO-PC-2/x` sort the other way ('-' < '/'). Each folder entry is
    directly followed by its contents: first its files by (SENT15, UPLOADID) (then by name,
    only so that the order is total), then its sub-folders. A folder entry's time is the
    earliest `when` of any file below it. Two files with the same path, or a file named like
    a sibling folder, raise ValueError.
    """
    root = _Folder(datetime.max)
    for planned in files:
        _check_part(planned.name, "file name", planned)
        node = root
        for part in planned.folders:
            child = node.children.get(part)
            if child is None:
                _check_part(part, "folder name", planned)  # once per folder
                child = node.children[part] = _Folder(planned.when)
            elif planned.when < child.earliest:
                child.earliest = planned.when
            node = child
        node.files.append(planned)

    entries: list[PlannedEntry] = []
    _emit(root, "", entries)
    return entries


def _emit(node: _Folder, prefix: str, entries: list[PlannedEntry]) -> None:
    # Recursion depth is the folder depth (two levels in the deliverables).
    seen: set[str] = set()
    for planned in sorted(node.files, key=lambda f: (f.sent15, f.upload_id, f.name)):
        if planned.name in seen or planned.name in node.children:
            raise ValueError(f"two entries would be named {prefix + planned.name!r}")
        seen.add(planned.name)
        entries.append(PlannedEntry(prefix + planned.name, planned.when, False, planned.ref))
    for name in sorted(node.children):
        child = node.children[name]
        path = f"{prefix}{name}/"
        entries.append(PlannedEntry(path, child.earliest, True))
        _emit(child, path, entries)


def build_zip(
    sink: ByteSink,
    entries: Iterable[PlannedEntry],
    fetch: Callable[[object], bytes | memoryview],
) -> ZipSummary:
    """Write `entries` as one ZIP to `sink`, fetching each file's bytes when its turn comes.

    Only one inner file is held at a time. The sink is not closed or flushed: making the
    deliverable visible (atomically) is the caller's job.
    """
    writer = StoredZipWriter(sink)
    file_count = 0
    for entry in entries:
        if entry.is_folder:
            writer.add_folder(entry.name, entry.when)
        else:
            writer.add_file(entry.name, fetch(entry.ref), entry.when)
            file_count += 1
    writer.close()
    return ZipSummary(writer.entry_count, file_count, writer.bytes_written, writer.sha256)

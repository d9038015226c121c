"""The outer deliverable ZIP: entry order, exact header bytes, ZIP64, and real tools.

Python's zipfile checks the structure field by field; `unzip`, `7z` and `bsdtar` are run for
real (they must be installed: a missing tool fails the test, it is not skipped).
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import shutil
import struct
import subprocess
import zipfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from transforms.folder_names import safe_folder_name
from transforms.names import parse_sent15
from transforms.zipbuild import (
    PlannedEntry,
    PlannedFile,
    StoredZipWriter,
    ZipSummary,
    build_zip,
    dos_date_time,
    plan_entries,
)

DAY = "2024-05-01"
TM1 = "0A1B2C3D-0000-1111-2222-333344445555"
TM2 = "ZZZZ0000-AAAA-BBBB-CCCC-DDDDEEEEFFFF"
TOOL_ENV = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}


# --- helpers ------------------------------------------------------------------------------


def run_tool(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which(str(args[0]))
    assert exe, f"{args[0]} must be installed for this test (unzip, p7zip-full, libarchive-tools)"
    return subprocess.run(
        [exe, *map(str, args[1:])],
        input=stdin,
        capture_output=True,
        env=TOOL_ENV,
        timeout=300,
        check=False,
    )


def assert_tools_accept(path: Path, names: list[str]) -> None:
    """`unzip -t`, `7z t` and `bsdtar -tf` all pass; bsdtar lists exactly `names`, in order."""
    result = run_tool("unzip", "-t", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert b"No errors detected" in result.stdout

    result = run_tool("7z", "t", path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert b"Everything is Ok" in result.stdout
    assert b"Warning" not in result.stdout + result.stderr

    result = run_tool("bsdtar", "-tf", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode("utf-8").splitlines() == names


def inner_zip(seed: str) -> bytes:
    """A real upload-like ZIP (deflated, one log member) whose bytes depend only on `seed`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as inner:
        info = zipfile.ZipInfo(f"{seed[-19:-4]}.log", date_time=(2024, 5, 1, 6, 0, 0))
        inner.writestr(info, (f"log of {seed}\n" * 50).encode(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def upload(folders: tuple[str, ...], tmid: str, sent15: str, upload_id: str) -> PlannedFile:
    name = f"{tmid}_{sent15}-{upload_id}.zip"
    return PlannedFile(folders, name, sent15, upload_id, parse_sent15(sent15), ref=name)


def sample_files() -> list[PlannedFile]:
    """One daily deliverable: Japanese, sanitised and look-alike computer folders."""
    return [
        upload((DAY, "EIGYO-PC-2"), TM1, "202405010600000", "A" * 32),
        upload((DAY, "EIGYO-PC"), TM1, "202405010700000", "b" * 32),
        upload((DAY, "EIGYO-PC"), TM1, "202405010700000", "B" * 32),
        upload((DAY, "EIGYO-PC"), TM2, "202405010559591", "C" * 32),
        upload((DAY, "営業部PC"), TM2, "202405020455007", "D" * 32),
        upload((DAY, safe_folder_name(None)), TM2, "202405011200003", "E" * 32),
        upload((DAY, safe_folder_name("CON")), TM1, "202405011300000", "F" * 32),
        upload((DAY, safe_folder_name(" 経理:PC.")), TM1, "202405011400000", "G" * 32),
    ]


# The spec's order, written out by hand (not derived from the code under test).
SAMPLE_ORDER = [
    f"{DAY}/",
    f"{DAY}/EIGYO-PC/",
    f"{DAY}/EIGYO-PC/{TM2}_202405010559591-{'C' * 32}.zip",
    f"{DAY}/EIGYO-PC/{TM1}_202405010700000-{'B' * 32}.zip",
    f"{DAY}/EIGYO-PC/{TM1}_202405010700000-{'b' * 32}.zip",
    f"{DAY}/EIGYO-PC-2/",
    f"{DAY}/EIGYO-PC-2/{TM1}_202405010600000-{'A' * 32}.zip",
    f"{DAY}/_CON/",
    f"{DAY}/_CON/{TM1}_202405011300000-{'F' * 32}.zip",
    f"{DAY}/_unknown/",
    f"{DAY}/_unknown/{TM2}_202405011200003-{'E' * 32}.zip",
    f"{DAY}/_経理_PC_/",
    f"{DAY}/_経理_PC_/{TM1}_202405011400000-{'G' * 32}.zip",
    f"{DAY}/営業部PC/",
    f"{DAY}/営業部PC/{TM2}_202405020455007-{'D' * 32}.zip",
]


def fetcher(files: Iterable[PlannedFile]) -> tuple[dict[str, bytes], Callable[[object], bytes]]:
    blobs = {str(f.ref): inner_zip(str(f.ref)) for f in files}
    return blobs, lambda ref: blobs[str(ref)]


def build_sample(path: Path | None = None) -> tuple[bytes, ZipSummary, dict[str, bytes]]:
    files = sample_files()
    blobs, fetch = fetcher(files)
    sink = io.BytesIO()
    summary = build_zip(sink, plan_entries(files), fetch)
    data = sink.getvalue()
    if path is not None:
        path.write_bytes(data)
    return data, summary, blobs


class WriteOnlySink:
    """Only `.write`: no seek, tell, flush or close, like a pipe or a multipart upload."""

    __slots__ = ("chunks",)

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.chunks.append(bytes(data))


class ShortWriteSink(WriteOnlySink):
    """Takes at most 7 bytes per call and says so, like a raw pipe under pressure."""

    __slots__ = ()

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.chunks.append(bytes(data[:7]))
        return min(len(data), 7)


# --- plan_entries ------------------------------------------------------------------------


def test_plan_puts_entries_in_the_spec_order() -> None:
    entries = plan_entries(sample_files())
    assert [e.name for e in entries] == SAMPLE_ORDER
    assert [e.is_folder for e in entries] == [n.endswith("/") for n in SAMPLE_ORDER]
    assert all((e.ref is None) == e.is_folder for e in entries)


def test_plan_compares_folders_one_level_at_a_time() -> None:
    files = [
        upload(("EIGYO-PC-2",), TM1, "202405010600000", "A" * 32),
        upload(("EIGYO-PC",), TM1, "202405010700000", "B" * 32),
    ]
    names = [e.name for e in plan_entries(files)]
    assert names == [
        "EIGYO-PC/",
        f"EIGYO-PC/{TM1}_202405010700000-{'B' * 32}.zip",
        "EIGYO-PC-2/",
        f"EIGYO-PC-2/{TM1}_202405010600000-{'A' * 32}.zip",
    ]
    # Plain full-path order gets it wrong ('-' < '/'): that is what this test guards.
    assert sorted(names) != names


def test_plan_orders_files_by_sent15_then_upload_id_in_code_point_order() -> None:
    ids = ["a" + "0" * 31, "B" + "0" * 31, "A" + "1" * 31, "A" + "0" * 31, "0" * 32]
    files = [upload(("PC",), TM1, "202405010600000", uid) for uid in ids]
    files.append(upload(("PC",), TM2, "202405010559599", "z" * 32))
    expected_ids = ["z" * 32, "0" * 32, "A" + "0" * 31, "A" + "1" * 31, "B" + "0" * 31]
    expected_ids.append("a" + "0" * 31)
    for seed in range(5):
        random.Random(seed).shuffle(files)
        got = [e.name.split("-")[-1][:-4] for e in plan_entries(files) if not e.is_folder]
        assert got == expected_ids


def test_plan_orders_by_sent15_not_by_tmid() -> None:
    # TM2 > TM1 but its upload is earlier: SENT15 decides, not the file name.
    files = [
        upload(("PC",), TM1, "202405010600001", "A" * 32),
        upload(("PC",), TM2, "202405010600000", "A" * 32),
    ]
    assert [e.name for e in plan_entries(files)][1:] == [
        f"PC/{TM2}_202405010600000-{'A' * 32}.zip",
        f"PC/{TM1}_202405010600001-{'A' * 32}.zip",
    ]


def test_plan_dates_each_folder_by_its_earliest_upload_below() -> None:
    entries = {e.name: e for e in plan_entries(sample_files())}
    assert entries[f"{DAY}/"].when == parse_sent15("202405010559591")
    assert entries[f"{DAY}/EIGYO-PC/"].when == parse_sent15("202405010559591")
    assert entries[f"{DAY}/EIGYO-PC-2/"].when == parse_sent15("202405010600000")
    assert entries[f"{DAY}/営業部PC/"].when == parse_sent15("202405020455007")
    for name, entry in entries.items():
        if not entry.is_folder:
            sent15 = name.rsplit("_", 1)[1][:15]
            assert entry.when == parse_sent15(sent15)


def test_plan_puts_files_before_sub_folders() -> None:
    files = [
        upload(("A", "sub"), TM1, "202405010500000", "A" * 32),
        upload(("A",), TM1, "202405010600000", "B" * 32),
        upload((), TM1, "202405010700000", "C" * 32),
    ]
    assert [e.name for e in plan_entries(files)] == [
        f"{TM1}_202405010700000-{'C' * 32}.zip",
        "A/",
        f"A/{TM1}_202405010600000-{'B' * 32}.zip",
        "A/sub/",
        f"A/sub/{TM1}_202405010500000-{'A' * 32}.zip",
    ]
    assert plan_entries(files)[1].when == parse_sent15("202405010500000")


def test_plan_of_nothing_is_empty() -> None:
    assert plan_entries([]) == []


@pytest.mark.parametrize("folders", [("",), (".",), ("..",), ("a/b",), ("a\\b",), ("ok", "")])
def test_plan_rejects_folder_names_that_are_not_one_path_part(folders: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="bad folder name"):
        plan_entries([upload(folders, TM1, "202405010600000", "A" * 32)])


def test_plan_rejects_duplicates_and_file_folder_clashes() -> None:
    one = upload(("PC",), TM1, "202405010600000", "A" * 32)
    with pytest.raises(ValueError, match="two entries"):
        plan_entries([one, one])
    clash = PlannedFile((), "PC", "202405010600000", "A" * 32, one.when, ref="x")
    with pytest.raises(ValueError, match="two entries"):
        plan_entries([one, clash])
    with pytest.raises(ValueError, match="bad file name"):
        plan_entries([PlannedFile(("PC",), "a/b.zip", "1", "1", one.when, ref="x")])


# --- exact structure, read back with zipfile ---------------------------------------------


def test_structure_read_back_with_zipfile() -> None:
    data, summary, blobs = build_sample()
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    assert [i.filename for i in infos] == SAMPLE_ORDER
    assert archive.testzip() is None
    for info in infos:
        assert info.compress_type == zipfile.ZIP_STORED
        assert info.flag_bits == (0 if info.filename.isascii() else 0x800), info.filename
        assert (info.create_system, info.create_version, info.extract_version) == (11, 20, 20)
        assert info.extra == b"" and info.comment == b"" and info.internal_attr == 0
        if info.is_dir():
            assert info.filename.endswith("/")
            assert (info.file_size, info.compress_size, info.CRC) == (0, 0, 0)
            assert info.external_attr == 0x10
        else:
            inner = blobs[info.filename.rsplit("/", 1)[1]]
            assert info.external_attr == 0
            assert info.file_size == info.compress_size == len(inner)
            assert archive.read(info) == inner
            sent15 = info.filename.rsplit("_", 1)[1][:15]
            when = parse_sent15(sent15)
            assert info.date_time == (*when.timetuple()[:5], when.second // 2 * 2)
    assert summary == ZipSummary(len(SAMPLE_ORDER), 8, len(data), hashlib.sha256(data).hexdigest())


def test_local_headers_match_central_directory_and_need_no_descriptor() -> None:
    data, _, _ = build_sample()
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        fields = struct.unpack_from("<IHHHHHIIIHH", data, info.header_offset)
        sig, version, flags, method, time, date, crc, csize, usize, name_len, extra_len = fields
        assert sig == 0x04034B50
        assert flags & 0x08 == 0  # no data descriptor
        assert (version, flags, method) == (20, info.flag_bits, 0)
        assert (crc, csize, usize) == (info.CRC, info.compress_size, info.file_size)
        assert extra_len == 0
        name = data[info.header_offset + 30 : info.header_offset + 30 + name_len]
        assert name == info.filename.encode("utf-8")
        assert date >> 9 == info.date_time[0] - 1980 and time & 0x1F == info.date_time[5] // 2


def test_end_record_without_zip64() -> None:
    data, _, _ = build_sample()
    sig, disk, cd_disk, count_disk, count, cd_size, cd_offset, comment = struct.unpack(
        "<IHHHHIIH", data[-22:]
    )
    assert (sig, disk, cd_disk, comment) == (0x06054B50, 0, 0, 0)
    assert count_disk == count == len(SAMPLE_ORDER)
    assert cd_offset + cd_size == len(data) - 22
    assert b"PK\x06\x06" not in data and b"PK\x06\x07" not in data


def test_utf8_flag_exactly_on_non_ascii_names() -> None:
    sink = io.BytesIO()
    writer = StoredZipWriter(sink)
    when = datetime(2024, 5, 1)
    names = ["plain/", "plain/a.zip", "café/", "日本/", "日本/x.zip", "~!#$%&'()+,;=@[]^`{}/"]
    for name in names:
        if name.endswith("/"):
            writer.add_folder(name, when)
        else:
            writer.add_file(name, b"x", when)
    writer.close()
    infos = zipfile.ZipFile(sink).infolist()
    assert [i.filename for i in infos] == names
    assert [i.flag_bits for i in infos] == [0, 0, 0x800, 0x800, 0x800, 0]


@pytest.mark.parametrize(
    ("when", "fields"),
    [
        (datetime(2024, 5, 1, 12, 34, 56), (2024, 5, 1, 12, 34, 56)),
        (datetime(2024, 5, 1, 12, 34, 57, 900_000), (2024, 5, 1, 12, 34, 56)),  # floored
        (datetime(2024, 5, 1, 23, 59, 59, 999_999), (2024, 5, 1, 23, 59, 58)),
        (datetime(1980, 1, 1), (1980, 1, 1, 0, 0, 0)),
        (datetime(2107, 12, 31, 23, 59, 59), (2107, 12, 31, 23, 59, 58)),
        (parse_sent15("202402291505017"), (2024, 2, 29, 15, 5, 0)),
    ],
)
def test_timestamps_are_dos_fields_with_seconds_floored(
    when: datetime, fields: tuple[int, ...]
) -> None:
    sink = io.BytesIO()
    writer = StoredZipWriter(sink)
    writer.add_file("x.zip", b"x", when)
    writer.close()
    assert zipfile.ZipFile(sink).infolist()[0].date_time == fields


@pytest.mark.parametrize(
    "when",
    [datetime(1979, 12, 31, 23, 59), datetime(2108, 1, 1), datetime(2024, 5, 1, tzinfo=UTC)],
)
def test_timestamps_outside_dos_range_or_with_a_zone_are_refused(when: datetime) -> None:
    with pytest.raises(ValueError):
        dos_date_time(when)


# --- the real tools ----------------------------------------------------------------------


def test_real_tools_accept_it_and_extract_identical_bytes(tmp_path: Path) -> None:
    path = tmp_path / "daily.zip"
    _, _, blobs = build_sample(path)
    assert_tools_accept(path, SAMPLE_ORDER)

    expected = {name: blobs[name.rsplit("/", 1)[1]] for name in SAMPLE_ORDER if name[-1] != "/"}
    for tool, args in {
        "7z": ("7z", "x", "-bd", "-y", f"-o{tmp_path / '7z'}", path),
        "bsdtar": ("bsdtar", "-xf", path, "-C", tmp_path / "bsdtar"),
    }.items():
        (tmp_path / tool).mkdir(exist_ok=True)
        result = run_tool(*args)
        assert result.returncode == 0, result.stdout + result.stderr
        root = tmp_path / tool
        for name in SAMPLE_ORDER:
            assert (root / name).is_dir() == name.endswith("/"), (tool, name)
        got = {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*.zip")}
        assert got == expected, tool

    target = tmp_path / "unzip"
    result = run_tool("unzip", "-q", path, "-d", target)
    assert result.returncode == 0, result.stdout + result.stderr
    got = {p.relative_to(target).as_posix(): p.read_bytes() for p in target.rglob("*.zip")}
    assert got == expected


def test_info_zip_unzip_extracts_non_ascii_names(tmp_path: Path) -> None:
    path = tmp_path / "daily.zip"
    build_sample(path)
    run_tool("unzip", "-q", path, "-d", tmp_path / "out")
    assert (tmp_path / "out" / DAY / "営業部PC").is_dir()


def test_inner_zips_survive_byte_for_byte_and_still_open(tmp_path: Path) -> None:
    path = tmp_path / "daily.zip"
    _, _, blobs = build_sample(path)
    outer = zipfile.ZipFile(path)
    for info in outer.infolist():
        if not info.is_dir():
            inner_bytes = outer.read(info)
            assert inner_bytes == blobs[info.filename.rsplit("/", 1)[1]]
            assert zipfile.ZipFile(io.BytesIO(inner_bytes)).testzip() is None


# --- determinism and streaming -----------------------------------------------------------


def test_same_input_gives_the_same_bytes() -> None:
    first, summary1, _ = build_sample()
    second, summary2, _ = build_sample()
    assert first == second and summary1 == summary2
    # Input order does not matter either: the plan fixes the order.
    files = sample_files()
    random.Random(7).shuffle(files)
    _, fetch = fetcher(files)
    sink = io.BytesIO()
    assert build_zip(sink, plan_entries(files), fetch).sha256 == summary1.sha256
    assert sink.getvalue() == first


def test_streams_to_a_sink_without_seek_or_tell() -> None:
    reference, summary, _ = build_sample()
    files = sample_files()
    _, fetch = fetcher(files)
    for sink in (WriteOnlySink(), ShortWriteSink()):
        assert not hasattr(sink, "seek") and not hasattr(sink, "tell")
        assert build_zip(sink, plan_entries(files), fetch) == summary
        assert b"".join(sink.chunks) == reference
    # A streaming reader (stdin, local headers only) lists every entry.
    result = run_tool("bsdtar", "-tf", "-", stdin=reference)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines() == SAMPLE_ORDER


def test_files_given_as_memoryviews_give_the_same_bytes() -> None:
    # The warehouse hands uploads over as views of its column buffers, not as bytes.
    reference, summary, _ = build_sample()
    files = sample_files()
    blobs, _ = fetcher(files)
    sink = ShortWriteSink()
    assert build_zip(sink, plan_entries(files), lambda ref: memoryview(blobs[str(ref)])) == summary
    assert b"".join(sink.chunks) == reference
    assert summary.sha256 == hashlib.sha256(reference).hexdigest()


def test_fetch_is_called_once_per_file_in_entry_order() -> None:
    files = sample_files()
    _, fetch = fetcher(files)
    calls: list[object] = []

    def recording_fetch(ref: object) -> bytes:
        calls.append(ref)
        return fetch(ref)

    build_zip(io.BytesIO(), plan_entries(files), recording_fetch)
    assert calls == [name.rsplit("/", 1)[1] for name in SAMPLE_ORDER if name[-1] != "/"]


# --- refusals ----------------------------------------------------------------------------


class _Huge:
    """Claims 4 GiB without holding it: the size check must come before anything else."""

    def __len__(self) -> int:
        return 0xFFFFFFFF


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda w, t: w.add_file("big.zip", _Huge(), t), "4 GiB"),
        (lambda w, t: w.add_file("dir/", b"", t), "must not end with '/'"),
        (lambda w, t: w.add_folder("dir", t), "must end with '/'"),
        (lambda w, t: w.add_file("/abs.zip", b"", t), "relative"),
        (lambda w, t: w.add_file("a//b.zip", b"", t), "relative"),
        (lambda w, t: w.add_file("../up.zip", b"", t), "relative"),
        (lambda w, t: w.add_file("a\\b.zip", b"", t), "relative"),
        (lambda w, t: w.add_file("\udcff.zip", b"", t), "UTF-8"),
        (lambda w, t: w.add_file("x" * 70_000, b"", t), "65,535"),
        (lambda w, t: w.add_file("first.zip", b"", t), "duplicate"),
        (lambda w, t: w.add_file("new.zip", b"", t.replace(tzinfo=UTC)), "naive"),
    ],
)
def test_refused_entries_leave_the_archive_untouched(
    call: Callable[[StoredZipWriter, datetime], None], message: str
) -> None:
    sink = io.BytesIO()
    writer = StoredZipWriter(sink)
    when = datetime(2024, 5, 1, 6)
    writer.add_file("first.zip", b"data", when)
    before = sink.getvalue()
    with pytest.raises(ValueError, match=message):
        call(writer, when)
    assert sink.getvalue() == before and writer.entry_count == 1
    writer.close()
    assert [i.filename for i in zipfile.ZipFile(sink).infolist()] == ["first.zip"]


def test_closed_writer_refuses_more() -> None:
    writer = StoredZipWriter(io.BytesIO())
    writer.close()
    with pytest.raises(RuntimeError, match="closed"):
        writer.add_folder("a/", datetime(2024, 5, 1))
    with pytest.raises(RuntimeError, match="closed"):
        writer.close()


def test_a_failed_sink_write_makes_the_writer_refuse_to_finish() -> None:
    class FailingSink:
        def write(self, data: bytes) -> None:
            raise OSError("upload part rejected")

    writer = StoredZipWriter(FailingSink())
    with pytest.raises(OSError):
        writer.add_file("a.zip", b"x", datetime(2024, 5, 1))
    with pytest.raises(RuntimeError, match="failed"):
        writer.close()


def test_empty_archive_is_a_valid_zip() -> None:
    sink = io.BytesIO()
    writer = StoredZipWriter(sink)
    writer.close()
    assert sink.getvalue() == b"PK\x05\x06" + bytes(18)
    assert zipfile.ZipFile(sink).infolist() == []


# --- ZIP64 -------------------------------------------------------------------------------


def zip64_end_records(data: bytes) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    eocd = struct.unpack("<IHHHHIIH", data[-22:])
    locator = struct.unpack("<IIQI", data[-42:-22])
    record = struct.unpack("<IQHHIIQQQQ", data[locator[2] : locator[2] + 56])
    return eocd, locator, record


def test_zip64_with_70000_entries(tmp_path: Path) -> None:
    # 100 computer folders x 700 uploads: 70,000 files + 101 folders, more than 65,535.
    files = [
        # i-th upload of the PC: 06:mm:ss from i, tenths from the PC, 32-digit upload ID.
        upload(
            (DAY, f"PC-{pc:03d}"),
            TM1,
            f"2024050106{i // 60:02d}{i % 60:02d}{pc % 10}",
            f"{pc:016d}{i:016d}",
        )
        for pc in range(100)
        for i in range(700)
    ]
    entries = plan_entries(files)
    assert len(entries) == 70_101  # + the day folder

    path = tmp_path / "many.zip"
    with path.open("wb") as sink:
        summary = build_zip(sink, entries, lambda ref: str(ref).encode())
    data = path.read_bytes()
    assert summary == ZipSummary(70_101, 70_000, len(data), hashlib.sha256(data).hexdigest())

    eocd, locator, record = zip64_end_records(data)
    assert eocd == (0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    assert locator[0] == 0x07064B50 and locator[1] == 0 and locator[3] == 1
    sig, size, made_by, needed, disk, cd_disk, count_disk, count, cd_size, cd_offset = record
    assert (sig, size, made_by, needed, disk, cd_disk) == (0x06064B50, 44, 11 << 8 | 45, 45, 0, 0)
    assert count_disk == count == 70_101
    assert cd_offset + cd_size == locator[2]

    archive = zipfile.ZipFile(path)
    infos = archive.infolist()
    assert [i.filename for i in infos] == [e.name for e in entries]
    for info in infos:
        if not info.is_dir():
            assert archive.read(info) == info.filename.rsplit("/", 1)[1].encode()
        # Offsets are small: no per-entry ZIP64 extra field, version needed stays 20.
        assert info.extra == b"" and info.extract_version == 20

    assert_tools_accept(path, [e.name for e in entries])


@pytest.mark.parametrize("count", [0xFFFE, 0xFFFF])
def test_zip64_from_65535_entries_on(tmp_path: Path, count: int) -> None:
    # 65,535 fits the classic 16-bit field but is its "see ZIP64" marker, so a reader would
    # look for a ZIP64 record: one is written from that count on.
    path = tmp_path / "edge.zip"
    with path.open("wb") as sink:
        writer = StoredZipWriter(sink)
        for i in range(count):
            writer.add_file(f"{i:05d}.zip", b"", datetime(2024, 5, 1))
        writer.close()
    data = path.read_bytes()
    if count == 0xFFFF:
        eocd, _, record = zip64_end_records(data)
        assert eocd[3:5] == (0xFFFF, 0xFFFF) and record[6:8] == (count, count)
    else:
        assert struct.unpack("<HH", data[-14:-10]) == (count, count)
        assert b"PK\x06\x06" not in data[-100:]
    assert len(zipfile.ZipFile(path).infolist()) == count
    for args in (("unzip", "-tq", path), ("7z", "t", path)):
        result = run_tool(*args)
        assert result.returncode == 0, result.stdout + result.stderr


class HoleSink:
    """A real file where writes of `hole` become sparse holes: 4 GiB on disk for free."""

    def __init__(self, file: io.BufferedWriter, hole: bytes) -> None:
        self.file, self.hole = file, hole

    def write(self, data: bytes) -> None:
        if data is self.hole:
            self.file.seek(len(data), os.SEEK_CUR)
        else:
            self.file.write(data)


def check_offset_zip64(path: Path, start: int, small: dict[str, bytes]) -> None:
    """Entries at or after 0xFFFFFFFF carry the ZIP64 offset extra and version 45."""
    raw = path.open("rb")
    archive = zipfile.ZipFile(raw)
    for info in archive.infolist():
        zip64 = info.header_offset >= 0xFFFFFFFF
        extra = struct.pack("<HHQ", 1, 8, info.header_offset) if zip64 else b""
        assert info.extra == extra, info.filename
        assert (info.create_version, info.extract_version) == ((45, 45) if zip64 else (20, 20))
        assert info.header_offset >= start
        if info.filename in small:
            assert archive.read(info) == small[info.filename]
            raw.seek(info.header_offset)
            local = struct.unpack("<IHHHHHIIIHH", raw.read(30))
            assert local[1] == info.extract_version and local[10] == 0  # no local extra
    archive.close()
    raw.seek(-98, os.SEEK_END)
    tail = raw.read()
    raw.close()
    eocd = struct.unpack("<IHHHHIIH", tail[-22:])
    assert eocd[3:7] == (0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    assert tail[:4] == b"PK\x06\x06" and tail[56:60] == b"PK\x06\x07"


@pytest.mark.parametrize("second", [0xFFFFFFFE, 0xFFFFFFFF])
def test_zip64_offsets_at_the_4_gib_boundary(tmp_path: Path, second: int) -> None:
    # start_offset puts the archive behind a sparse prefix of almost 4 GiB, so the boundary
    # is crossed without writing 4 GiB. The second entry starts at 0xFFFFFFFE (the largest
    # classic offset) or 0xFFFFFFFF (the "see ZIP64" marker, so ZIP64 already). 7-Zip does
    # not look that far for an archive start: the slow test below covers it.
    start = second - 40  # "below.zip" takes 30 + 9 + 1 bytes
    small = {"below.zip": b"x", "second.zip": b"yy", "above.zip": b"zzz", "d/": b""}
    path = tmp_path / "offsets.zip"
    with path.open("wb") as file:
        file.truncate(start)
        file.seek(start)
        writer = StoredZipWriter(file, start_offset=start)
        when = datetime(2024, 5, 1, 6)
        for name, data in small.items():
            if name.endswith("/"):
                writer.add_folder(name, when)
            else:
                writer.add_file(name, data, when)
        writer.close()
    offsets = [i.header_offset for i in zipfile.ZipFile(path).infolist()]
    assert offsets == [start, second, second + 42, second + 84]  # 30-byte header + name + data
    check_offset_zip64(path, start, small)

    result = run_tool("unzip", "-t", path)
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_tool("bsdtar", "-tf", path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().splitlines() == list(small)


@pytest.mark.slow
def test_zip64_offsets_in_a_real_4_gib_archive(tmp_path: Path) -> None:
    # The gigabyte members are written as sparse holes (zeros, like the data they stand for),
    # so this costs CRC and sha256 time, not disk. ~10 s.
    blob = bytes(1 << 30)
    small = {"d/": b"", "d/after.zip": b"after", "d/日本語.zip": b"non-ascii"}
    path = tmp_path / "big.zip"
    when = datetime(2024, 5, 1, 6)
    with path.open("wb") as file:
        writer = StoredZipWriter(HoleSink(file, blob))
        writer.add_folder("d/", when)
        for i in range(4):
            writer.add_file(f"d/big{i}.zip", blob, when)
        writer.add_file("d/after.zip", small["d/after.zip"], when)
        writer.add_file("d/日本語.zip", small["d/日本語.zip"], when)
        writer.close()
    assert path.stat().st_size == writer.bytes_written > 0xFFFFFFFF
    check_offset_zip64(path, 0, small)

    result = run_tool("7z", "t", path, "d/after.zip", "d/日本語.zip")
    assert result.returncode == 0, result.stdout + result.stderr
    assert b"Everything is Ok" in result.stdout and b"Files: 2" in result.stdout
    result = run_tool("unzip", "-t", path, "d/after.zip", "d/日本語.zip")
    assert result.returncode == 0, result.stdout + result.stderr
    result = run_tool("bsdtar", "-tf", path)
    assert result.returncode == 0, result.stderr
    big = [f"d/big{i}.zip" for i in range(4)]
    assert result.stdout.decode().splitlines() == ["d/", *big, "d/after.zip", "d/日本語.zip"]
    for name in ("d/after.zip", "d/日本語.zip"):
        result = run_tool("bsdtar", "-xOf", path, name)
        assert result.returncode == 0 and result.stdout == small[name], result.stderr


def test_planned_entry_is_what_build_zip_consumes() -> None:
    # A hand-made plan works too (build_zip does not re-sort): order is the caller's.
    entries = [
        PlannedEntry("b/", datetime(2024, 5, 1), True),
        PlannedEntry("b/x.zip", datetime(2024, 5, 1), False, ref="x"),
        PlannedEntry("a/", datetime(2024, 5, 1), True),
    ]
    sink = io.BytesIO()
    build_zip(sink, entries, lambda ref: b"1")
    assert zipfile.ZipFile(sink).namelist() == ["b/", "b/x.zip", "a/"]

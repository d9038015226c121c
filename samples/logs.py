"""Low-level builders for agent uploads: header and record lines, `.log` bytes and ZIPs.

Tests use these to craft one precise case at a time (a single bad record, a ZIP with a
patched CRC, a decompression bomb, ...); `samples.generator` uses them to build whole
inboxes. Everything here is deterministic: the same call gives the same bytes, because
ZIP timestamps come from SENT15 rather than the clock and no randomness is drawn here
except from an explicitly seeded `random.Random`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import struct
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence

MAGIC = "#ITLOG/2"
HEADER_KEYS = ("tmid", "computer", "agent", "charset")
UTF8_BOM = b"\xef\xbb\xbf"
MIB = 1 << 20
BOMB_SIZE_LIMIT = 256 * MIB
BOMB_RATIO_LIMIT = 1000

_LOCAL_SIG = b"PK\x03\x04"
_CENTRAL_SIG = b"PK\x01\x02"
_EOCD_SIG = b"PK\x05\x06"
# A fallback ZIP time for members whose name carries no SENT15 (wrong-name cases).
_DEFAULT_DATE_TIME = (2024, 1, 1, 0, 0, 0)


# --- text --------------------------------------------------------------------------------


def format_sent15(local: dt.datetime) -> str:
    """A naive Japan wall-clock time as SENT15 (`YYYYMMDDhhmmssd`, tenths truncated)."""
    return local.strftime("%Y%m%d%H%M%S") + str(local.microsecond // 100_000)


def build_header(
    tmid: str | None,
    computer: str | None,
    agent: str | None = "5.2.1",
    charset: str | None = "utf-8",
    extra: Mapping[str, str] | None = None,
    order: Sequence[str] | None = None,
) -> str:
    """`#ITLOG/2<TAB>tmid=..<TAB>computer=..<TAB>agent=..<TAB>charset=..` (no newline).

    A value of None leaves that key out, which is how tests build malformed headers (no
    `tmid=` key, no `charset=` key). `extra` adds unknown keys after the standard ones;
    `order` lists keys to put first, in that order (the rest follow in their usual order),
    because the contract allows any key order after the magic.
    """
    fields: dict[str, str] = {}
    for key, value in (("tmid", tmid), ("computer", computer), ("agent", agent)):
        if value is not None:
            fields[key] = value
    if charset is not None:
        fields["charset"] = charset
    if extra:
        fields.update(extra)
    keys = [k for k in (order or ()) if k in fields]
    keys += [k for k in fields if k not in keys]
    return "\t".join([MAGIC, *(f"{k}={fields[k]}" for k in keys)])


def detail_json(detail: Mapping[str, object]) -> str:
    """The compact JSON form agents write for a record's detail."""
    return json.dumps(detail, ensure_ascii=False, separators=(",", ":"))


def build_record(
    time: str,
    seq: int | str,
    type: str,
    user: str,
    process: str,
    detail: Mapping[str, object] | str,
) -> str:
    """One record line (no newline); a str detail is inserted as is, to craft bad JSON."""
    text = detail if isinstance(detail, str) else detail_json(detail)
    return f"{time}\t{seq}\t{type}\t{user}\t{process}\t{text}"


def encode_log(
    header: str | None,
    lines: Iterable[str | bytes],
    charset: str = "utf-8",
    bom: bool = False,
    newline: str = "\r\n",
) -> bytes:
    """The `.log` bytes: optional BOM, header (None = no header line), lines, final newline.

    Lines given as bytes are inserted raw (to make lines undecodable in `charset`).
    """
    nl = newline.encode("ascii")
    parts: list[bytes] = []
    if header is not None:
        parts.append(header.encode(charset))
    pending: list[str] = []
    for line in lines:
        if isinstance(line, bytes):
            if pending:
                parts.append(newline.join(pending).encode(charset))
                pending = []
            parts.append(line)
        else:
            pending.append(line)
    if pending:
        parts.append(newline.join(pending).encode(charset))
    body = nl.join(parts) + nl if parts else b""
    return (UTF8_BOM if bom else b"") + body


# --- ZIPs --------------------------------------------------------------------------------


def zip_date_time(sent15: str | None) -> tuple[int, int, int, int, int, int]:
    """The ZIP member time for a SENT15 (the agent zips at sending time)."""
    if sent15 is None or len(sent15) < 14 or not sent15[:14].isdigit():
        return _DEFAULT_DATE_TIME
    s = sent15
    parts = (int(s[0:4]), int(s[4:6]), int(s[6:8]), int(s[8:10]), int(s[10:12]), int(s[12:14]))
    try:
        dt.datetime(*parts)  # cheaper than strptime, and this runs once per upload
    except ValueError:
        return _DEFAULT_DATE_TIME
    if parts[0] < 1980:
        return _DEFAULT_DATE_TIME
    return parts


def _zip_info(name: str, date_time: tuple[int, int, int, int, int, int], method: int):
    info = zipfile.ZipInfo(name, date_time=date_time)
    info.compress_type = method
    # Fixed "made on Windows, archive bit" so the bytes do not depend on the host OS.
    info.create_system = 0
    info.external_attr = 0x20
    return info


def build_upload_zip(
    log_bytes: bytes,
    member_name: str,
    method: int = zipfile.ZIP_DEFLATED,
    extra_members: Sequence[tuple[str, bytes]] = (),
    *,
    sent15: str | None = None,
    compresslevel: int | None = None,
) -> bytes:
    """A deterministic upload ZIP: `member_name` holding `log_bytes`, then `extra_members`.

    The member time is SENT15's (taken from `sent15`, else from the member name's leading
    digits), so the same call gives the same bytes. Duplicate member names are allowed on
    purpose (a 'several members' case).
    """
    date_time = zip_date_time(sent15 if sent15 is not None else member_name[:15])
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns on duplicate names; we want them
        with zipfile.ZipFile(buf, "w") as zf:
            for name, data in ((member_name, log_bytes), *extra_members):
                zf.writestr(
                    _zip_info(name, date_time, method),
                    data,
                    compress_type=method,
                    compresslevel=compresslevel,
                )
    return buf.getvalue()


def _dos_date_time(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    y, mo, d, h, mi, s = date_time
    return (y - 1980) << 9 | mo << 5 | d, h << 11 | mi << 5 | s // 2


def raw_single_member_zip(
    name: str,
    compressed: bytes,
    *,
    crc: int,
    file_size: int,
    method: int = zipfile.ZIP_DEFLATED,
    flags: int = 0,
    sent15: str | None = None,
) -> bytes:
    """A one-member ZIP assembled by hand around already-compressed data.

    Used for bombs, whose declared size must be honest without ever holding the inflated
    bytes in memory.
    """
    dosdate, dostime = _dos_date_time(zip_date_time(sent15 or name[:15]))
    fname = name.encode("utf-8")
    local = struct.pack(
        "<4s5H3L2H",
        _LOCAL_SIG,
        20,
        flags,
        method,
        dostime,
        dosdate,
        crc,
        len(compressed),
        file_size,
        len(fname),
        0,
    )
    central = struct.pack(
        "<4s6H3L5H2L",
        _CENTRAL_SIG,
        20,
        20,
        flags,
        method,
        dostime,
        dosdate,
        crc,
        len(compressed),
        file_size,
        len(fname),
        0,
        0,
        0,
        0,
        0x20,
        0,
    )
    cd_offset = len(local) + len(fname) + len(compressed)
    cd = central + fname
    eocd = struct.pack("<4s4H2LH", _EOCD_SIG, 0, 0, 1, 1, len(cd), cd_offset, 0)
    return local + fname + compressed + cd + eocd


def _member_header_offsets(data: bytes) -> list[tuple[int, int]]:
    """(central header offset, local header offset) of every member."""
    eocd = data.rfind(_EOCD_SIG)
    if eocd < 0:
        raise ValueError("no end of central directory record")
    count, _cd_size, cd_offset = struct.unpack_from("<H2L", data, eocd + 10)
    out = []
    pos = cd_offset
    for _ in range(count):
        if data[pos : pos + 4] != _CENTRAL_SIG:
            raise ValueError("bad central directory")
        n, m, k = struct.unpack_from("<3H", data, pos + 28)
        (local,) = struct.unpack_from("<L", data, pos + 42)
        out.append((pos, local))
        pos += 46 + n + m + k
    return out


def _patch_members(data: bytes, *, flags_or: int = 0, crc_xor: int = 0) -> bytes:
    """Patch flag bits and/or CRC in both the local and central headers of every member.

    Both copies are patched so the archive stays self-consistent and fails only for the
    intended reason (an inconsistency between them would read as a corrupt ZIP instead).
    """
    out = bytearray(data)
    for central, local in _member_header_offsets(data):
        for flag_at, crc_at in ((central + 8, central + 16), (local + 6, local + 14)):
            (flag,) = struct.unpack_from("<H", out, flag_at)
            struct.pack_into("<H", out, flag_at, flag | flags_or)
            (crc,) = struct.unpack_from("<L", out, crc_at)
            struct.pack_into("<L", out, crc_at, crc ^ crc_xor)
    return bytes(out)


def zip_encrypted(log_bytes: bytes, member_name: str, *, sent15: str | None = None) -> bytes:
    """A ZIP whose member is flagged encrypted (bit 0); the data itself is plain."""
    return _patch_members(build_upload_zip(log_bytes, member_name, sent15=sent15), flags_or=0x1)


def zip_bad_crc(
    log_bytes: bytes,
    member_name: str,
    method: int = zipfile.ZIP_DEFLATED,
    *,
    sent15: str | None = None,
) -> bytes:
    """A well-formed ZIP whose recorded CRC-32 does not match the member's data."""
    good = build_upload_zip(log_bytes, member_name, method, sent15=sent15)
    return _patch_members(good, crc_xor=0x5A5A5A5A)


def zip_truncated(zip_bytes: bytes, keep: float = 0.6) -> bytes:
    """The first `keep` of a ZIP, always cut before the end record (which is then missing)."""
    cut = min(int(len(zip_bytes) * keep), zip_bytes.find(_EOCD_SIG))
    out = zip_bytes[: max(cut, 4)]
    if _EOCD_SIG in out:  # only if compressed data happens to hold the signature
        out = out[: out.find(_EOCD_SIG)]
    return out


def zip_corrupt(zip_bytes: bytes, how: str = "central") -> bytes:
    """A ZIP that still has its end record but whose structure is broken.

    `central`: the central directory header signature is clobbered.
    `size`: the end record misstates the central directory's size.
    `offset`: the end record points the central directory into the member data. Lenient
    readers (Python's zipfile) locate the directory from the end record's position and
    size instead, then fail only when reading the member; the generator therefore uses
    `central` and `size`, which fail as soon as the archive is opened.
    """
    out = bytearray(zip_bytes)
    eocd = zip_bytes.rfind(_EOCD_SIG)
    cd_size, cd_offset = struct.unpack_from("<2L", out, eocd + 12)
    if how == "central":
        out[cd_offset : cd_offset + 4] = b"PK\x09\x09"
    elif how == "size":
        struct.pack_into("<L", out, eocd + 12, cd_size + 13)
    elif how == "offset":
        struct.pack_into("<L", out, eocd + 16, max(cd_offset // 2, 1))
    else:
        raise ValueError(f"unknown corruption {how!r}")
    return bytes(out)


def zip_empty() -> bytes:
    """A valid ZIP with no member at all (just the end record)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w"):
        pass
    return buf.getvalue()


def zip_unsupported_method(
    log_bytes: bytes,
    member_name: str,
    method: int = zipfile.ZIP_BZIP2,
    *,
    sent15: str | None = None,
) -> bytes:
    """A well-formed ZIP compressed with a method the contract does not allow (bzip2, LZMA)."""
    return build_upload_zip(log_bytes, member_name, method, sent15=sent15)


def not_a_zip(kind: str = "pdf") -> bytes:
    """Bytes with no ZIP signature anywhere: a PDF stub, or a gzip of a log."""
    if kind == "pdf":
        return (
            b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
            b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
        )
    if kind == "gzip":
        # Fixed header (mtime 0) so the bytes are deterministic; gzip.compress would stamp time.
        body = "#ITLOG/2\tcomputer=経理-PC01\r\n".encode()
        comp = zlib.compressobj(6, zlib.DEFLATED, -15)
        data = comp.compress(body) + comp.flush()
        trailer = struct.pack("<2L", zlib.crc32(body), len(body))
        return b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x0b" + data + trailer
    if kind == "text":
        return "このファイルはZIPではありません。\r\n".encode("cp932")
    raise ValueError(f"unknown kind {kind!r}")


def _deflate_stream(chunks: Iterable[bytes], level: int) -> tuple[bytes, int, int]:
    """Raw-deflate a stream of chunks: (compressed, crc32, uncompressed size)."""
    comp = zlib.compressobj(level, zlib.DEFLATED, -15)
    out: list[bytes] = []
    crc = 0
    size = 0
    for chunk in chunks:
        crc = zlib.crc32(chunk, crc)
        size += len(chunk)
        out.append(comp.compress(chunk))
    out.append(comp.flush())
    return b"".join(out), crc, size


def zip_bomb_size(
    member_name: str,
    *,
    size: int = BOMB_SIZE_LIMIT + MIB,
    noise: int = 64 * 1024,
    sent15: str | None = None,
) -> bytes:
    """A one-member ZIP that inflates to `size` bytes (default 257 MiB), built by streaming.

    `noise` incompressible bytes lead the zeros so that the ratio stays well under 1000:1:
    the file is then a bomb by size only, whichever check a reader makes first. Zeros are
    fed 1 MiB at a time, so the inflated data is never held in memory.
    """
    zero = bytes(MIB)
    rnd = random.Random(f"bomb:{size}:{noise}")

    def chunks() -> Iterable[bytes]:
        if noise:
            yield rnd.randbytes(noise)
        left = size - noise
        while left > 0:
            n = min(left, MIB)
            yield zero if n == MIB else bytes(n)
            left -= n

    data, crc, total = _deflate_stream(chunks(), 6)
    return raw_single_member_zip(member_name, data, crc=crc, file_size=total, sent15=sent15)


def zip_bomb_ratio(member_name: str, *, size: int = 32 * MIB, sent15: str | None = None) -> bytes:
    """A one-member ZIP of `size` zeros: ratio ~1028:1 (> 1000) but far under 256 MiB.

    32 MiB rather than less so that the ratio stays above 1000 even when measured against
    the whole file (headers included), not only the member's compressed size.
    """
    zero = bytes(MIB)
    whole, rest = divmod(size, MIB)
    data, crc, total = _deflate_stream([zero] * whole + [bytes(rest)], 9)
    return raw_single_member_zip(member_name, data, crc=crc, file_size=total, sent15=sent15)

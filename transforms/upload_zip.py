"""Open an upload ZIP safely: the contract's ZIP rules, with bounded inflation.

Nothing here follows a path from the archive or writes anything; the member is inflated in
chunks and abandoned as soon as it passes the size or ratio limit.

Almost every upload is the plain case: one member with the expected name, no comment, no
extra fields. `_plain_member` reads that case straight from the bytes (a landing batch opens
thousands of small ZIPs, and `zipfile`'s per-archive work costs as much as the inflating);
anything else, and anything that does not check out to the last byte, takes the `zipfile`
path, which decides what exactly is wrong.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib

from transforms.file_types import file_type
from transforms.names import UploadName
from transforms.reasons import Quarantine

# The plain case's inflate and CRC: zlib-ng when installed (a dependency; about half the CPU of
# the stdlib zlib on a landing's members, docs/performance.md), the stdlib zlib otherwise. Both
# implement zlib's format and checks, and the plain case only ever takes a member that inflates
# exactly to its declared size with its CRC: anything else goes to the `zipfile` path (stdlib),
# which gives the reason, so the outcome is the same with either (tests/transforms/
# test_inflate_libraries.py).
try:
    from zlib_ng import zlib_ng as _fast_zlib
except ImportError:  # pragma: no cover - zlib-ng is a dependency
    _fast_zlib = zlib

MAX_LOG_BYTES = 256 * 1024 * 1024
MAX_RATIO = 1000
_CHUNK = 1024 * 1024
_EOCD = b"PK\x05\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_ZIP64_LOCATOR = b"PK\x06\x07"
_EOCD_FORM = struct.Struct("<4s4H2LH")  # signature, disks, entries x2, CD size/offset, comment
_CENTRAL_FORM = struct.Struct("<4s4B4HL2L5H2L")
_LOCAL_FORM = struct.Struct("<4s2B4HL2L2H")
# Flag bits the plain case may carry: deflate options (1, 2), data descriptor (3), UTF-8 (11).
_PLAIN_FLAGS = 0x0002 | 0x0004 | 0x0008 | 0x0800
_MAX_EXTRACT_VERSION = 63  # as zipfile: a higher "version needed" is refused there
# A member's file type: the high 16 bits of its external attributes hold a Unix mode. They are
# read whatever system the archive says made it: Info-ZIP's unzip makes a link from them for
# several made-by systems besides Unix (3), e.g. 2, 5, 16 and 30. MS-DOS attributes (the low
# byte) mark a folder.
_DOS_DIRECTORY = 0x10


class BadUpload(Exception):
    """An inbox file that cannot land; `reason` is a `Quarantine` code."""

    def __init__(self, reason: Quarantine, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def extract_log(zip_bytes: bytes, name: UploadName) -> bytes:
    """The `.log` member's bytes, or BadUpload with the specific reason."""
    plain = _plain_member(zip_bytes, name)
    if plain is not None:
        return plain
    if not zip_bytes.startswith(b"PK"):
        raise BadUpload(Quarantine.NOT_A_ZIP, "no ZIP signature at the start of the file")
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, NotImplementedError) as exc:
        if _EOCD not in zip_bytes[-(65536 + 22) :]:
            raise BadUpload(
                Quarantine.TRUNCATED_ZIP, f"end of central directory missing: {exc}"
            ) from exc
        raise BadUpload(Quarantine.CORRUPT_ZIP, str(exc)) from exc
    info = _the_member(infos, name)
    _check_declared_sizes(info)
    return _inflate_bounded(archive, info)


def _plain_member(data: bytes, name: UploadName) -> bytes | None:
    """The member's bytes when the archive is the plain, valid case; None to take the
    `zipfile` path. Returns only what `zipfile` would return for the same bytes: every field
    it reads is checked, the deflate stream must end exactly at the declared size, and the
    CRC must match."""
    eocd_at = len(data) - _EOCD_FORM.size
    if eocd_at < _CENTRAL_FORM.size or data[eocd_at - 20 : eocd_at - 16] == _ZIP64_LOCATOR:
        return None
    sig, disk, cd_disk, n_disk, n_total, cd_size, cd_at, comment = _EOCD_FORM.unpack_from(
        data, eocd_at
    )
    if sig != _EOCD or (disk, cd_disk, n_disk, n_total, comment) != (0, 0, 1, 1, 0):
        return None
    if cd_at + cd_size != eocd_at or cd_size < _CENTRAL_FORM.size:  # (fuzzing: no struct.error)
        return None
    (
        sig,
        _made_by,
        _made_os,
        needed,
        _needed_os,
        flags,
        method,
        _time,
        _date,
        crc,
        csize,
        usize,
        name_len,
        extra_len,
        comment_len,
        _disk_start,
        _internal,
        external,
        header_at,
    ) = _CENTRAL_FORM.unpack_from(data, cd_at)
    member = name.member_name.encode("ascii")
    if (
        sig != _CENTRAL
        or (name_len, extra_len, comment_len) != (len(member), 0, 0)
        or _CENTRAL_FORM.size + name_len != cd_size
        or data[cd_at + _CENTRAL_FORM.size : eocd_at] != member
        or flags & ~_PLAIN_FLAGS
        or needed > _MAX_EXTRACT_VERSION
        or method not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        or usize > MAX_LOG_BYTES
        or usize > MAX_RATIO * max(csize, 1)
        or header_at != 0
        or member_type(external, name.member_name) is not None
    ):
        return None
    sig, *_, local_name_len, local_extra_len = _LOCAL_FORM.unpack_from(data, 0)
    start = _LOCAL_FORM.size + local_name_len + local_extra_len
    if (
        sig != _LOCAL
        or data[_LOCAL_FORM.size : _LOCAL_FORM.size + local_name_len] != member
        or start + csize > cd_at
    ):
        return None
    return _inflate_exact(data[start : start + csize], method, usize, crc)


def _inflate_exact(stream: bytes, method: int, usize: int, crc: int) -> bytes | None:
    if method == zipfile.ZIP_STORED:
        out = stream
    else:
        inflater = _fast_zlib.decompressobj(-15)
        try:
            out = inflater.decompress(stream, usize + 1)  # bounded by the declared size
        except _fast_zlib.error:
            return None
        if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
            return None
    if len(out) != usize or _fast_zlib.crc32(out) != crc:
        return None
    return out


def _the_member(infos: list[zipfile.ZipInfo], name: UploadName) -> zipfile.ZipInfo:
    if not infos:
        raise BadUpload(Quarantine.NO_MEMBER, "the archive has no member")
    if len(infos) > 1:
        names = ", ".join(repr(i.orig_filename) for i in infos[:5])
        raise BadUpload(Quarantine.SEVERAL_MEMBERS, f"{len(infos)} members: {names}")
    info = infos[0]
    member = info.orig_filename
    kind = member_type(info.external_attr, member)
    if kind is not None:
        raise BadUpload(
            Quarantine.MEMBER_NOT_A_FILE, f"member {member!r} is {kind}, not a regular file"
        )
    if "/" in member or "\\" in member or ".." in member:
        raise BadUpload(Quarantine.MEMBER_PATH, f"member name holds a path: {member!r}")
    if member != name.member_name:
        raise BadUpload(
            Quarantine.WRONG_MEMBER_NAME, f"member {member!r}, expected {name.member_name!r}"
        )
    if info.flag_bits & 0x1:
        raise BadUpload(Quarantine.ENCRYPTED_MEMBER, f"member {member!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise BadUpload(Quarantine.UNSUPPORTED_METHOD, f"compression method {info.compress_type}")
    return info


def member_type(external_attr: int, member: str) -> str | None:
    """What a ZIP member is when it is not a regular file ("a symbolic link", ...), from
    its name and external attributes; None for a regular file. A Unix mode without a file
    type (0, as Windows writers and many others leave it) counts as a regular file."""
    if member.endswith("/") or external_attr & _DOS_DIRECTORY:
        return "a folder"
    mode = external_attr >> 16
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        return file_type(mode)
    return None


def _check_declared_sizes(info: zipfile.ZipInfo) -> None:
    if info.file_size > MAX_LOG_BYTES:
        raise BadUpload(Quarantine.BOMB_SIZE, f"declares {info.file_size} bytes uncompressed")
    if info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise BadUpload(
            Quarantine.BOMB_RATIO,
            f"declares {info.file_size} bytes from {info.compress_size} compressed",
        )


def _inflate_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    # The declared sizes were checked, but they can lie: count what actually comes out.
    limit = min(MAX_LOG_BYTES, MAX_RATIO * max(info.compress_size, 1))
    out = bytearray()
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                out += chunk
                if len(out) > limit:
                    reason = (
                        Quarantine.BOMB_SIZE if len(out) > MAX_LOG_BYTES else Quarantine.BOMB_RATIO
                    )
                    raise BadUpload(reason, f"inflates past {limit} bytes")
    except BadUpload:
        raise
    except zipfile.BadZipFile as exc:
        if "CRC" in str(exc):
            raise BadUpload(Quarantine.BAD_CRC, str(exc)) from exc
        raise BadUpload(Quarantine.CORRUPT_ZIP, str(exc)) from exc
    except (zlib.error, EOFError, ValueError, OSError, NotImplementedError) as exc:
        raise BadUpload(Quarantine.CORRUPT_ZIP, f"{type(exc).__name__}: {exc}") from exc
    return bytes(out)

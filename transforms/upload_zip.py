"""Open an upload ZIP safely: the contract's ZIP rules, with bounded inflation.

Nothing here follows a path from the archive or writes anything; the member is inflated in
chunks and abandoned as soon as it passes the size or ratio limit.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from transforms.names import UploadName
from transforms.reasons import Quarantine

MAX_LOG_BYTES = 256 * 1024 * 1024
MAX_RATIO = 1000
_CHUNK = 1024 * 1024
_EOCD = b"PK\x05\x06"


class BadUpload(Exception):
    """An inbox file that cannot land; `reason` is a `Quarantine` code."""

    def __init__(self, reason: Quarantine, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def extract_log(zip_bytes: bytes, name: UploadName) -> bytes:
    """The `.log` member's bytes, or BadUpload with the specific reason."""
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


def _the_member(infos: list[zipfile.ZipInfo], name: UploadName) -> zipfile.ZipInfo:
    if not infos:
        raise BadUpload(Quarantine.NO_MEMBER, "the archive has no member")
    if len(infos) > 1:
        names = ", ".join(repr(i.orig_filename) for i in infos[:5])
        raise BadUpload(Quarantine.SEVERAL_MEMBERS, f"{len(infos)} members: {names}")
    info = infos[0]
    member = info.orig_filename
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

"""Hypothesis strategies for what agents (and anyone else) can put into an inbox.

Names: real, almost real and arbitrary. ZIPs: well-formed uploads, the same with bytes flipped,
cut, inserted or header fields overwritten, and arbitrary bytes. Logs: headers with keys in any
order, BOM or not, either charset, missing/duplicate/foreign keys; records well-formed or not,
CRLF or LF, Japanese text, bytes invalid in the charset.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import stat
import struct
import zipfile

from hypothesis import strategies as st

from transforms.names import TMID_PATTERN, UploadName

TMIDS = st.from_regex(TMID_PATTERN, fullmatch=True)
UPLOAD_IDS = st.from_regex(r"[0-9A-Za-z]{32}", fullmatch=True)
# Any calendar time a SENT15 can spell (years 0001..9999), and any 15 digits.
TIMES = st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59))
DAYS_NEAR = st.datetimes(min_value=dt.datetime(2023, 1, 1), max_value=dt.datetime(2024, 12, 31))


def sent15_of(t: dt.datetime) -> str:
    return (
        f"{t.year:04d}{t.month:02d}{t.day:02d}{t.hour:02d}{t.minute:02d}{t.second:02d}"
        f"{t.microsecond // 100_000}"
    )


# The edges of the calendar: the service day or the UTC instant of the first ones do not exist.
EDGE_SENT15S = st.sampled_from(
    ["000101010000000", "000101010459599", "000101010500000", "000101010859599",
     "000101010900000", "999912312359599", "000000000000000", "202402300000000"]
)  # fmt: skip
SENT15S = st.one_of(EDGE_SENT15S, TIMES.map(sent15_of), st.from_regex(r"[0-9]{15}", fullmatch=True))
UPLOAD_NAMES = st.builds(UploadName, TMIDS, DAYS_NEAR.map(sent15_of), UPLOAD_IDS)

# Characters that matter to paths and names: separators, dots, NUL, controls, wide text.
_TRICKY = st.sampled_from([*list("/\\.._-: \t\x00\x7f%~*?\"'<>|"), "..", "経理", "\u202e", "Ａ"])
NAME_TEXT = st.lists(st.one_of(_TRICKY, st.text(max_size=6)), max_size=8).map("".join)


@st.composite
def file_names(draw) -> str:
    """Upload-like file names: real ones, real ones with one part bent, and arbitrary text."""
    tmid, sent15, upload_id = draw(TMIDS), draw(SENT15S), draw(UPLOAD_IDS)
    real = f"{tmid}_{sent15}-{upload_id}.zip"
    bent = draw(
        st.sampled_from(
            [
                real,
                real.lower(),
                real.upper(),
                real.replace("_", "-", 1),
                real[:-4] + ".ZIP",
                real + ".tmp",
                "." + real,
                real[:-5] + ".zip",
                real.replace(".zip", "\n.zip"),
                f"{tmid}_{sent15}0-{upload_id}.zip",
            ]
        )
    )
    return draw(st.one_of(st.just(real), st.just(bent), NAME_TEXT))


# -- ZIPs -----------------------------------------------------------------------------------


def zip_of(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as archive:
        for name, data in members:  # ZipInfo: any name, even "" or "a/" (writestr refuses "")
            info = zipfile.ZipInfo(name, date_time=(2024, 3, 18, 9, 0, 0))
            info.compress_type = method
            archive.writestr(info, data)
    return out.getvalue()


def upload_zip(name: UploadName, log: bytes, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    return zip_of([(name.member_name, log)], method)


def member_zip(
    name: str,
    data: bytes,
    create_system: int,
    external_attr: int,
    method: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A one-member ZIP whose member says it was made on `create_system` with these external
    attributes (a Unix mode in the high 16 bits, MS-DOS attributes in the low byte)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=method) as archive:
        info = zipfile.ZipInfo(name, date_time=(2024, 3, 18, 9, 0, 0))
        info.compress_type = method
        info.create_system = create_system
        info.external_attr = external_attr
        archive.writestr(info, data)
    return out.getvalue()


# Hostile members: a well-formed upload whose member is no regular file. Unzipped on the
# customer's machine it would be a link (to `/etc/passwd`, say), a folder, a device...
_UNIX, _DOS = 3, 0
NOT_REGULAR_TYPES = [stat.S_IFLNK, stat.S_IFDIR, stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO,
                     stat.S_IFSOCK, 0o030000, 0o050000, 0o070000, 0o110000, 0o170000]  # fmt: skip


@st.composite
def not_regular_member_attributes(draw) -> tuple[int, int]:
    """(create_system, external_attr) of a member that is not a regular file."""
    permissions = draw(st.integers(0, 0o7777))
    low = draw(st.integers(0, 0xFFFF))
    # Info-ZIP's unzip makes a link from the Unix mode for these made-by systems, not Unix alone
    made_by = draw(st.sampled_from([_UNIX, _DOS, 2, 5, 11, 16, 19, 30]))
    unix = (made_by, (draw(st.sampled_from(NOT_REGULAR_TYPES)) | permissions) << 16 | low)
    folder_bit = (draw(st.sampled_from([_UNIX, _DOS, 11])), draw(st.integers(0, 0xFFFF)) | 0x10)
    return draw(st.sampled_from([unix, folder_bit]))


@st.composite
def regular_member_attributes(draw) -> tuple[int, int]:
    """(create_system, external_attr) of a regular file member, as writers leave them."""
    permissions = draw(st.integers(0, 0o7777))
    dos = draw(st.integers(0, 0xFF)) & ~0x10
    unix_mode = draw(st.sampled_from([stat.S_IFREG | permissions, 0, permissions]))
    return draw(
        st.sampled_from([(_UNIX, unix_mode << 16 | dos), (_DOS, dos), (11, dos), (_DOS, 0x20)])
    )


# Offsets of fields worth overwriting in a one-member ZIP's local header (LH) and central
# directory (CD, found by its signature): flags, method, sizes, name length, extra length.
_LH_FIELDS = [(6, "<H"), (8, "<H"), (14, "<I"), (18, "<I"), (22, "<I"), (26, "<H"), (28, "<H")]
_CD_FIELDS = [(8, "<H"), (10, "<H"), (16, "<I"), (20, "<I"), (24, "<I"), (28, "<H"), (42, "<I")]
_EOCD_FIELDS = [(8, "<H"), (10, "<H"), (12, "<I"), (16, "<I"), (20, "<H")]


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """`data` with a few bytes flipped, cut, inserted, or ZIP header fields overwritten."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "field", "field", "tail"]))
        if kind == "flip" and buf:
            i = draw(st.integers(0, len(buf) - 1))
            buf[i] = draw(st.integers(0, 255))
        elif kind == "cut" and buf:
            i = draw(st.integers(0, len(buf) - 1))
            j = draw(st.integers(i, min(len(buf), i + 64)))
            del buf[i:j]
        elif kind == "insert":
            i = draw(st.integers(0, len(buf)))
            buf[i:i] = draw(st.binary(max_size=32))
        elif kind == "tail":
            buf = buf[: draw(st.integers(0, len(buf)))]
        elif kind == "field":
            sig = draw(st.sampled_from([b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06"]))
            at = bytes(buf).find(sig)
            fields = {b"PK\x03\x04": _LH_FIELDS, b"PK\x01\x02": _CD_FIELDS}.get(sig, _EOCD_FIELDS)
            offset, fmt = draw(st.sampled_from(fields))
            if at >= 0 and at + offset + struct.calcsize(fmt) <= len(buf):
                limit = 0xFFFF if fmt == "<H" else 0xFFFFFFFF
                value = draw(
                    st.one_of(st.sampled_from([0, 1, 8, 9, 12, 99, limit]), st.integers(0, limit))
                )
                struct.pack_into(fmt, buf, at + offset, value)
    return bytes(buf)


@st.composite
def eocd_tailed(draw) -> bytes:
    """Bytes ending in an end-of-central-directory record whose directory size and offset
    agree with where it sits: the shape a reader that trusts the end record starts from."""
    body = draw(st.sampled_from([b"", b"PK\x03\x04"])) + draw(st.binary(max_size=120))
    size = draw(st.integers(0, len(body)))
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, size, len(body) - size, 0)
    return body + eocd


# -- logs -----------------------------------------------------------------------------------

_JP = st.sampled_from(["経理-PC01", "営業部", "ﾃｽﾄ", "見積書.xlsx", "①②", "髙橋", "～", "𠮷"])
FIELD_TEXT = st.one_of(st.text(max_size=12), _JP).map(
    lambda s: s.replace("\t", " ").replace("\r", " ").replace("\n", " ")
)
EVENT_TYPES = st.sampled_from(
    ["POWER_ON", "LOGON", "APP_START", "WINDOW", "FILE_COPY", "PRINT", "WEB_ACCESS", "MAIL_SEND",
     "USB_BLOCKED", "INVENTORY", "AGENT", "CUSTOM_TYPE"]
)  # fmt: skip
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | FIELD_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELD_TEXT, inner, max_size=3),
    max_leaves=8,
)
DETAILS = st.dictionaries(FIELD_TEXT, JSON_VALUES, max_size=4).map(
    lambda d: json.dumps(d, ensure_ascii=False)
)
OFFSETS = st.integers(-14 * 60, 14 * 60).map(
    lambda m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
)
RECORD_TIMES = st.builds(
    lambda t, off: t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}" + off,
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)),
    OFFSETS,
)


@st.composite
def good_record(draw) -> str:
    """A record line as the contract describes it (six TAB-separated fields)."""
    return "\t".join(
        [
            draw(RECORD_TIMES),
            str(draw(st.integers(0, 2**64 - 1))),
            draw(EVENT_TYPES),
            draw(FIELD_TEXT),
            draw(FIELD_TEXT),
            draw(DETAILS),
        ]
    )


@st.composite
def bad_record(draw) -> str:
    """A line that is wrong in one way (fields, time, seq, type or detail), or anything."""
    fields = draw(good_record()).split("\t")
    how = draw(st.sampled_from(["fields", "time", "seq", "type", "detail", "text"]))
    if how == "fields":
        fields = fields[: draw(st.integers(0, 5))] + draw(st.lists(FIELD_TEXT, max_size=2))
    elif how == "time":
        fields[0] = draw(st.sampled_from(["2024-02-30T00:00:00.000+09:00", "", "yesterday"]))
    elif how == "seq":
        fields[1] = draw(st.sampled_from(["-1", "1.5", "x", "1" * 21, str(2**64), "", "１２"]))
    elif how == "type":
        fields[2] = ""
    elif how == "detail":
        fields[5] = draw(st.sampled_from(["[]", "1", '"x"', "{", "{'a': 1}", "null", ""]))
    else:
        return draw(st.text(max_size=40)).replace("\n", " ")
    return "\t".join(fields)


@st.composite
def log_bytes(draw, tmid: str) -> tuple[bytes, str | None]:
    """A whole `.log` (header and records) and the charset it was written in (None: the text
    is not meant to be in any charset)."""
    charset = draw(st.sampled_from(["utf-8", "cp932"]))
    header = {"tmid": tmid, "computer": draw(FIELD_TEXT), "agent": "5.1.0", "charset": charset}
    extra = draw(
        st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), FIELD_TEXT, max_size=2)
    )
    header.update({k: v for k, v in extra.items() if k not in header})
    bend = draw(st.sampled_from(["none", "none", "drop", "tmid", "charset", "dup", "magic"]))
    if bend == "drop":
        header.pop(draw(st.sampled_from(sorted(header))))
    elif bend == "tmid":
        header["tmid"] = draw(TMIDS)
    elif bend == "charset":
        header["charset"] = draw(st.sampled_from(["UTF-8", "shift_jis", "", "latin-1"]))
    keys = draw(st.permutations(sorted(header)))
    items = [f"{k}={header[k]}" for k in keys]
    if bend == "dup" and items:
        items.append(items[0])
    magic = "#ITLOG/2" if bend != "magic" else draw(st.sampled_from(["#ITLOG/1", "ITLOG/2", ""]))
    lines = ["\t".join([magic, *items])]
    lines += draw(st.lists(st.one_of(good_record(), bad_record(), st.just("")), max_size=8))
    eol = draw(st.sampled_from(["\r\n", "\n"]))
    text = eol.join(lines) + draw(st.sampled_from(["", eol]))
    data = text.encode(charset, errors="replace") if charset == "cp932" else text.encode()
    if charset == "utf-8" and draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 5)) == 0:  # a few bytes invalid in the charset
        at = draw(st.integers(0, len(data)))
        data = (
            data[:at]
            + draw(st.sampled_from([b"\xff", b"\x81", b"\xe3\x81", b"\x80\x80"]))
            + data[at:]
        )
    return data, charset

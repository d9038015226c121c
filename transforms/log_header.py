"""The `.log` header line: `#ITLOG/2<TAB>key=value...` and the charset it declares."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field

from transforms.names import UploadName
from transforms.reasons import Quarantine
from transforms.upload_zip import BadUpload

MAGIC = b"#ITLOG/2"
BOM = b"\xef\xbb\xbf"
CHARSETS = {"utf-8": "utf-8", "cp932": "cp932"}
REQUIRED_KEYS = ("tmid", "computer", "agent", "charset")


@dataclass(frozen=True)
class LogHeader:
    """A readable header; `fields` keeps every key in order, unknown ones included."""

    tmid: str
    computer: str
    agent: str
    charset: str  # the Python codec name: "utf-8" or "cp932"
    fields: dict[str, str] = field(default_factory=dict)

    @functools.cached_property
    def fields_json(self) -> str:
        """`fields` as the JSON object stored with the upload (key order kept)."""
        return json.dumps(self.fields, ensure_ascii=False)


@dataclass(frozen=True)
class SplitLog:
    """A log split at its header: `body` starts at line `first_line_no`."""

    header: LogHeader | None  # None: the first line is no header (every line is rejected)
    body: bytes
    first_line_no: int


def split_log(log: bytes, name: UploadName) -> SplitLog:
    """Read the header of a log; BadUpload if it claims to be a header but is not usable."""
    has_bom = log.startswith(BOM)
    data = log[len(BOM) :] if has_bom else log
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    rest = b"" if end < 0 else data[end + 1 :]
    first = first.removesuffix(b"\r")
    if first.split(b"\t", 1)[0] != MAGIC:
        return SplitLog(header=None, body=data, first_line_no=1)
    return SplitLog(header=_parse_header(first, name.tmid, has_bom), body=rest, first_line_no=2)


# A terminal sends the same header line in every upload, so a landing batch parses each line
# once (BadUpload is raised again on every call: exceptions are not cached).
@functools.lru_cache(maxsize=4096)
def _parse_header(line: bytes, tmid: str, has_bom: bool) -> LogHeader:
    raw_fields = line.split(b"\t")[1:]
    charset = _declared_charset(raw_fields)
    if has_bom and charset != "utf-8":
        raise BadUpload(Quarantine.BAD_CHARSET, f"UTF-8 BOM before a {charset} header")
    try:
        text_fields = [f.decode(charset) for f in raw_fields]
    except UnicodeDecodeError as exc:
        raise BadUpload(Quarantine.BAD_HEADER, f"header is not valid {charset}: {exc}") from exc
    fields: dict[str, str] = {}
    for item in text_fields:
        key, sep, value = item.partition("=")
        if not sep or not key or not key.isascii():
            raise BadUpload(Quarantine.BAD_HEADER, f"header field is not key=value: {item!r}")
        if key in fields:
            raise BadUpload(Quarantine.BAD_HEADER, f"header key {key!r} appears twice")
        fields[key] = value
    missing = [k for k in REQUIRED_KEYS if k not in fields]
    if missing:
        raise BadUpload(Quarantine.BAD_HEADER, f"header lacks {', '.join(missing)}")
    if fields["tmid"] != tmid:
        raise BadUpload(
            Quarantine.TMID_MISMATCH,
            f"header tmid {fields['tmid']!r} differs from the file name's {tmid!r}",
        )
    return LogHeader(
        tmid=fields["tmid"],
        computer=fields["computer"],
        agent=fields["agent"],
        charset=charset,
        fields=fields,
    )


def _declared_charset(raw_fields: list[bytes]) -> str:
    for raw in raw_fields:
        if raw.startswith(b"charset="):
            value = raw[len(b"charset=") :].decode("ascii", "replace").strip().lower()
            if value in CHARSETS:
                return CHARSETS[value]
            raise BadUpload(Quarantine.BAD_CHARSET, f"unsupported charset {value!r}")
    raise BadUpload(Quarantine.BAD_CHARSET, "header declares no charset")

"""Upload file names: `<TMID>_<SENT15>-<UPLOADID>.zip` and what they mean."""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from transforms.service_day import JST, service_day_of_japan_time

SUPPORT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
TMID_PATTERN = r"[0-9A-Z]{8}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{12}"
TMID_RE = re.compile(TMID_PATTERN)
UPLOAD_NAME_RE = re.compile(rf"({TMID_PATTERN})_([0-9]{{15}})-([0-9A-Za-z]{{32}})\.zip")


class UploadName(NamedTuple):
    """The parts of a valid upload file name; `key` is the name without `.zip`.

    A named tuple (immutable, ordered by its fields), not a dataclass: a landing makes one
    per inbox path, twice, and sends them to its workers; a frozen dataclass costs about
    three times as much to make."""

    tmid: str
    sent15: str
    upload_id: str

    @property
    def key(self) -> str:
        return f"{self.tmid}_{self.sent15}-{self.upload_id}"

    @property
    def file_name(self) -> str:
        return f"{self.key}.zip"

    @property
    def member_name(self) -> str:
        return f"{self.sent15}.log"

    @property
    def sent_local(self) -> dt.datetime:
        """SENT15 as a naive Japan wall-clock time (tenths kept as microseconds)."""
        return parse_sent15(self.sent15)

    @property
    def service_day(self) -> dt.date:
        return service_day_of_japan_time(self.sent_local)


def parse_sent15(sent15: str) -> dt.datetime:
    """`YYYYMMDDhhmmssd` as a naive Japan time; raises ValueError if not a real time."""
    if len(sent15) != 15 or not sent15.isascii() or not sent15.isdigit():
        raise ValueError(f"SENT15 must be 15 digits: {sent15!r}")
    # The datetime constructor validates the calendar (30 February, hour 24) and is ~50x
    # cheaper than strptime, which matters at tens of thousands of names per batch.
    s = sent15
    return dt.datetime(
        int(s[0:4]),
        int(s[4:6]),
        int(s[6:8]),
        int(s[8:10]),
        int(s[10:12]),
        int(s[12:14]),
        int(s[14]) * 100_000,
    )


def parse_upload_name(name: str) -> UploadName | None:
    """The parts of an upload file name, or None when it is not one (incl. unreal times)."""
    match = UPLOAD_NAME_RE.fullmatch(name)
    if match is None:
        return None
    tmid, sent15, upload_id = match.groups()
    try:
        local = parse_sent15(sent15)
        # Its service day and UTC instant must exist too: 0001-01-01 before 09:00 JST has
        # neither, and would crash every landing run that lists the file.
        service_day_of_japan_time(local)
        local.replace(tzinfo=JST).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None
    return UploadName(tmid, sent15, upload_id)


def is_support_id(name: str) -> bool:
    return SUPPORT_ID_RE.fullmatch(name) is not None


# Partitions the service writes for itself (`_empty` schema anchors, `_invalid` quarantine of
# inbox folders that are no support ID) start with this: no contract's ID may, or its data
# would share them (and retention, which skips them, would never delete it).
RESERVED_PREFIX = "_"


def is_contract_id(name: str) -> bool:
    """A support ID a contract may have: the spec's pattern, minus the reserved prefix."""
    return is_support_id(name) and not name.startswith(RESERVED_PREFIX)

"""What an inbox path is: an upload of some service day, a diagnostic bundle, or not an upload.

`<support_id>/<upload name>` is an upload, `<support_id>/diag/<upload name>` a diagnostic
bundle; anything else is quarantined with the reason that says why, never parsed. Dot-files (an
uploader's in-flight temporaries) are ignored until renamed. An entry that is not a regular file
(a link, a FIFO, a device, a socket, an empty folder named `*.zip`; the listing says which) is
quarantined by name whatever its name, and never opened.
"""

from __future__ import annotations

import datetime as dt
import functools
from enum import StrEnum
from typing import NamedTuple

from transforms.names import UPLOAD_NAME_RE, UploadName, is_contract_id, parse_upload_name
from transforms.reasons import Quarantine

DIAG = "diag"


class Kind(StrEnum):
    UPLOAD = "upload"
    DIAG = "diag"
    REFUSED = "refused"  # quarantined without reading the content
    IGNORED = "ignored"  # an uploader's in-flight temporary file (dot-file): left alone


class InboxEntry(NamedTuple):
    """An inbox path as classified. A named tuple (immutable), not a dataclass: a landing
    classifies every path twice (docs/decisions.md) and sends the uploads' entries to its
    workers; a frozen dataclass costs about three times as much to make."""

    path: str  # inbox-relative, `/`-separated
    kind: Kind
    support_id: str | None  # the folder, when it is a valid support ID
    name: UploadName | None
    reason: Quarantine | None = None
    detail: str = ""
    service_day: dt.date | None = None  # the name's, computed once (see `classify`)


def classify(
    path: str,
    contracts: frozenset[str],
    days: tuple[dt.date, dt.date] | None = None,
    not_a_file: str | None = None,
) -> InboxEntry:
    """Classify one inbox-relative path against the known contracts. With `days` (first,
    last), an upload whose service day is outside them is refused: no landing run of its own
    day will ever come (before the service began), or not for a long time (a PC clock far
    ahead), and it must not wait in the inbox unaccounted. `not_a_file`: what the entry is
    when the listing found no regular file there ("a symbolic link", ...)."""
    if not_a_file is not None:
        return _not_a_file(path, not_a_file)
    parts = path.split("/")
    if parts[-1].startswith("."):
        return InboxEntry(path, Kind.IGNORED, None, None)
    folder = parts[0] if len(parts) > 1 else None
    support_id = folder if folder is not None and _is_contract_id(folder) else None
    if len(parts) == 1 or len(parts) > 3 or (len(parts) == 3 and parts[1] != DIAG):
        return InboxEntry(
            path,
            Kind.REFUSED,
            support_id,
            None,
            Quarantine.UNEXPECTED_PATH,
            "uploads go to <support_id>/ and bundles to <support_id>/diag/",
        )
    if support_id is None or support_id not in contracts:
        return InboxEntry(
            path,
            Kind.REFUSED,
            support_id,
            None,
            Quarantine.UNKNOWN_CONTRACT,
            f"inbox folder {folder!r} is not a contract of the contracts file",
        )
    name, day = _upload_name(parts[-1])
    if name is None:
        return InboxEntry(
            path,
            Kind.REFUSED,
            support_id,
            None,
            Quarantine.BAD_NAME,
            "name is not <TMID>_<SENT15>-<UPLOADID>.zip with a real SENT15 time",
        )
    kind = Kind.DIAG if len(parts) == 3 else Kind.UPLOAD
    if kind is Kind.UPLOAD and days is not None and not days[0] <= day <= days[1]:
        return InboxEntry(
            path,
            Kind.REFUSED,
            support_id,
            name,
            Quarantine.DAY_OUT_OF_RANGE,
            f"SENT15 {name.sent15} is in service day {day}, outside the days the service lands"
            f" ({days[0]} to {days[1]}): the PC's clock was wrong",
        )
    return InboxEntry(path, kind, support_id, name, service_day=day)


def not_a_file_detail(what: str) -> str:
    """The quarantine detail of an inbox entry that is no regular file."""
    return f"{what}, not a regular file: quarantined by name, never opened or followed"


def _not_a_file(path: str, what: str) -> InboxEntry:
    parts = path.rstrip("/").split("/")
    if parts[-1].startswith("."):
        return InboxEntry(path, Kind.IGNORED, None, None)
    # An empty folder is where files are yet to come (or were: a misplaced file's folder),
    # unless it is named as an upload is: then an uploader made a folder in place of a file.
    if path.endswith("/") and not parts[-1].lower().endswith(".zip"):
        return InboxEntry(path, Kind.IGNORED, None, None)
    folder = parts[0] if len(parts) > 1 else None
    support_id = folder if folder is not None and _is_contract_id(folder) else None
    return InboxEntry(
        path, Kind.REFUSED, support_id, None, Quarantine.NOT_A_FILE, not_a_file_detail(what)
    )


# A landing classifies every inbox path (tens of thousands) before its first batch, so the two
# costly steps are shared: a folder is checked once, and a name's time once per hour.
# A folder with the reserved prefix is no contract's (see `is_contract_id`): its files are
# quarantined under `_invalid`, never in a partition the service keeps for itself.
_is_contract_id = functools.lru_cache(maxsize=1024)(is_contract_id)


def _upload_name(name: str) -> tuple[UploadName | None, dt.date | None]:
    """`parse_upload_name(name)` and its service day, exactly (tested against it)."""
    match = UPLOAD_NAME_RE.fullmatch(name)
    if match is None:
        return None, None
    tmid, sent15, upload_id = match.groups()
    # Whether SENT15 is a real time, and its service day, depend only on its date and hour
    # once its minute and second are below 60 (the tenth is any digit).
    if sent15[10:12] >= "60" or sent15[12:14] >= "60":
        return None, None
    day = _service_day_of_hour(sent15[:10])
    if day is None:
        return None, None
    return UploadName(tmid, sent15, upload_id), day


@functools.lru_cache(maxsize=4096)
def _service_day_of_hour(date_hour: str) -> dt.date | None:
    parsed = parse_upload_name(f"{_SOME_TMID}_{date_hour}00000-{_SOME_UPLOAD_ID}.zip")
    return None if parsed is None else parsed.service_day


_SOME_TMID = "00000000-0000-0000-0000-000000000000"
_SOME_UPLOAD_ID = "0" * 32

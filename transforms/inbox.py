"""What an inbox path is: an upload of some service day, a diagnostic bundle, or not an upload.

`<support_id>/<upload name>` is an upload, `<support_id>/diag/<upload name>` a diagnostic
bundle; anything else is quarantined with the reason that says why, never parsed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from transforms.names import UploadName, is_support_id, parse_upload_name
from transforms.reasons import Quarantine

DIAG = "diag"


class Kind(StrEnum):
    UPLOAD = "upload"
    DIAG = "diag"
    REFUSED = "refused"  # quarantined without reading the content
    IGNORED = "ignored"  # an uploader's in-flight temporary file (dot-file): left alone


@dataclass(frozen=True)
class InboxEntry:
    path: str  # inbox-relative, `/`-separated
    kind: Kind
    support_id: str | None  # the folder, when it is a valid support ID
    name: UploadName | None
    reason: Quarantine | None = None
    detail: str = ""

    @property
    def service_day(self) -> dt.date | None:
        return self.name.service_day if self.name else None


def classify(path: str, contracts: frozenset[str]) -> InboxEntry:
    """Classify one inbox-relative path against the known contracts."""
    parts = path.split("/")
    if parts[-1].startswith("."):
        return InboxEntry(path, Kind.IGNORED, None, None)
    folder = parts[0] if len(parts) > 1 else None
    support_id = folder if folder is not None and is_support_id(folder) else None
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
    name = parse_upload_name(parts[-1])
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
    return InboxEntry(path, kind, support_id, name)

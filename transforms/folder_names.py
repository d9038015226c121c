"""Make a terminal's computer name safe as a folder name inside a deliverable ZIP.

Customers extract the deliverables on Windows, so the `computer=` value of an upload header
becomes a folder name only after the rule of the deliverables spec:

1. Character replacement. Every character in ``\\ / : * ? " < > |``, every control character
   (Unicode's: U+0000-U+001F, U+007F and the C1 controls U+0080-U+009F, which a UTF-8
   header can carry) and every leading or trailing dot or space becomes one ``_``
   (each one: `` trailing.`` -> ``_trailing_``, ``..x..`` -> ``__x__``). Lone surrogates
   (U+D800-U+DFFF, what a header decoded with ``errors="surrogateescape"`` can hold) also
   become ``_``: they cannot be encoded as UTF-8, so the ZIP entry name could not be written.
2. Then, on the *result* of step 1: a name that is empty, ``.``/``..`` or a Windows reserved
   device name becomes ``_`` + name.

Replacement comes first on purpose. Checking first would turn ``.`` into ``_.``, which still
ends in a dot (Windows strips it, so the folder would be extracted as ``_``); replacing first
gives ``_`` for ``.`` and ``__`` for ``..``, so the ``.``/``..`` check of step 2 can never
match any more and is kept only as a guard. It also means the reserved check sees the name
Windows will see: ``CON.`` becomes ``CON_`` (not a device name), ``CON:x`` becomes ``CON_x``.

Reserved device names are CON, PRN, AUX, NUL, COM1-COM9, LPT1-LPT9 in any case, with or
without an extension (``con.txt``, ``Com1.log``, ``NUL.tar.gz``). Windows decides on the part
before the first dot with trailing spaces removed, and also treats the superscript digits
``¹ ² ³`` as digits of COM/LPT, so ``CON .txt`` and ``COM¹`` are prefixed too.

An upload whose header could not be read (``None``) goes under ``_unknown``.
"""

from __future__ import annotations

import re

UNKNOWN_FOLDER = "_unknown"

# Characters Windows forbids in a path component, control characters, and lone surrogates.
_FORBIDDEN_RE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\ud800-\udfff]')
# Each leading and each trailing dot or space: Windows drops trailing ones silently and
# Explorer mishandles leading ones, so each is replaced by one "_" (the count is kept).
_EDGE_RE = re.compile(r"\A[. ]+|[. ]+\Z")

_DEVICE_RE = re.compile(r"(?:CON|PRN|AUX|NUL|COM[1-9¹²³]|LPT[1-9¹²³])", re.IGNORECASE)


def _is_reserved(name: str) -> bool:
    # Windows maps "CON", "con.txt", "CON .txt" and "con.tar.gz" all to the CON device:
    # it looks at the part before the first dot, trailing spaces ignored.
    stem = name.split(".", 1)[0].rstrip(" ")
    return _DEVICE_RE.fullmatch(stem) is not None


def safe_folder_name(name: str | None) -> str:
    """The folder name for a computer name; `None` (header unreadable) gives `_unknown`."""
    if name is None:
        return UNKNOWN_FOLDER
    safe = _FORBIDDEN_RE.sub("_", name)
    safe = _EDGE_RE.sub(lambda match: "_" * len(match.group()), safe)
    if safe in ("", ".", "..") or _is_reserved(safe):
        return "_" + safe
    return safe

"""What a file that is not a regular one is, in words: for an inbox entry (its `st_mode`) and
for an upload's ZIP member (the Unix mode in its external attributes), so a quarantine reason
names the kind of thing the same way for both."""

from __future__ import annotations

import stat

_NAMES = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFDIR: "a folder",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


def file_type(mode: int) -> str:
    """What a file of this mode is ("a symbolic link", ...); the type's octal for another."""
    kind = stat.S_IFMT(mode)
    return _NAMES.get(kind, f"of file type {kind:#o}")

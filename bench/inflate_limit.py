"""The inflate limit: list the inbox and inflate every member with the standard library.

    python -m bench.inflate_limit INBOX

Nothing else: no name or header checks, no parsing, no writes. Members that declare more than
the contract's decompression-bomb limits are skipped, as landing rejects them uninflated
(the reference day holds a 257 MiB one, which would otherwise dominate the figure).
"""

from __future__ import annotations

import os
import sys
import zipfile

MAX_LOG_BYTES = 256 << 20
MAX_RATIO = 1000
_BAD = (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError, RuntimeError)


def inflate_all(inbox: str) -> tuple[int, int]:
    """(files opened, bytes inflated) over every `.zip` below `inbox`."""
    files = total = 0
    for folder, _dirs, names in os.walk(inbox):
        for name in names:
            if not name.endswith(".zip"):
                continue
            files += 1
            try:
                with zipfile.ZipFile(os.path.join(folder, name)) as archive:
                    for info in archive.infolist():
                        if info.file_size > min(MAX_LOG_BYTES, MAX_RATIO * info.compress_size):
                            continue
                        total += len(archive.read(info))
            except _BAD:
                continue  # the inbox's deliberately bad files
    return files, total


if __name__ == "__main__":
    n, size = inflate_all(sys.argv[1])
    print(f"inflated {n} files, {size / 2**20:.0f} MiB of logs")

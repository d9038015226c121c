"""The warehouse key: 32 random bytes written as 64 hex characters, never in the repository.

Read from the file named by `IT360_KEY_FILE`, else from `IT360_KEY`. Every Parquet file of the
warehouse is encrypted with it (Parquet modular encryption, AES-GCM, uniform: footer and every
column under the one key), which pyarrow writes and DuckDB reads natively.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
from pathlib import Path

import pyarrow.parquet as pq
import pyarrow.parquet.encryption as pe

_HEX64 = re.compile(r"[0-9a-fA-F]{64}")
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


class WarehouseKeyError(RuntimeError):
    """The warehouse key is missing, malformed or wrong; the message says which."""


def parse_key(text: str, source: str) -> bytes:
    value = text.strip()
    if not _HEX64.fullmatch(value):
        raise WarehouseKeyError(
            f"{source} must hold exactly 64 hex characters (32 random bytes); "
            + _what_is_wrong(value)
        )
    return bytes.fromhex(value)


def _what_is_wrong(value: str) -> str:
    """What a key that is not 64 hex characters holds instead (never the characters
    themselves: they may be most of a real key)."""
    wrong = [n for n, char in enumerate(value, start=1) if char not in _HEX_DIGITS]
    if not wrong:
        return f"it holds {len(value)} characters"
    return (
        f"it holds {len(value)} characters, {len(wrong)} of them not hex digits (0-9, a-f), "
        f"the first at position {wrong[0]}"
    )


def key_from_env() -> bytes:
    """The warehouse key from IT360_KEY_FILE or IT360_KEY; a clear error if neither is set."""
    path = os.environ.get("IT360_KEY_FILE")
    if path:
        try:
            return parse_key(Path(path).read_text(encoding="ascii"), f"key file {path}")
        except FileNotFoundError as exc:
            raise WarehouseKeyError(f"IT360_KEY_FILE names {path}, which does not exist") from exc
    value = os.environ.get("IT360_KEY")
    if value:
        return parse_key(value, "IT360_KEY")
    raise WarehouseKeyError(
        "no warehouse key: set IT360_KEY_FILE (a file with 64 hex characters) or "
        "IT360_KEY; `python -m storage.crypto new FILE` creates one"
    )


def new_key_file(path: Path) -> Path:
    """Create a key file readable by its owner only (the demo's local key)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_bytes(32).hex() + "\n")
    return path


def encryption_properties(key: bytes | None = None) -> pq.FileEncryptionProperties:
    """pyarrow write properties: uniform AES-GCM under the warehouse key (DuckDB reads these
    with `encryption_config = {footer_key: ...}`; it does not read CTR or per-column keys)."""
    return _encryption(key or key_from_env())


def decryption_properties(key: bytes | None = None) -> pq.FileDecryptionProperties:
    return _decryption(key or key_from_env())


# The key is read from the environment on every call (a test or an operator may change it),
# the properties built from it only once per key.
@functools.lru_cache(maxsize=4)
def _encryption(key: bytes) -> pq.FileEncryptionProperties:
    return pe.create_encryption_properties(key, encryption_algorithm="AES_GCM_V1")


@functools.lru_cache(maxsize=4)
def _decryption(key: bytes) -> pq.FileDecryptionProperties:
    return pe.create_decryption_properties(key)


def explain_read_error(exc: Exception, what: str) -> Exception:
    """A clear error for a file that cannot be decrypted (wrong key, or not encrypted)."""
    text = str(exc)
    if "decrypt" in text.lower() or "plaintext" in text.lower() or "AES" in text:
        return WarehouseKeyError(
            f"cannot decrypt {what}: the warehouse key (IT360_KEY_FILE / IT360_KEY) is not the "
            f"one it was written with, or the file is not an encrypted warehouse file ({text})"
        )
    return exc


if __name__ == "__main__":
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "new":
        print(new_key_file(Path(sys.argv[2])))
    else:
        sys.exit("usage: python -m storage.crypto new FILE")

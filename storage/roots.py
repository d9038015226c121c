"""A storage root: a local folder or an `s3://bucket/prefix`, read and written the same way.

Every byte the pipeline stores goes through a `Root`. Writes are atomic: a local file is
written beside its target under a hidden temporary name and renamed into place; an S3 object
only becomes visible when its PUT (or multipart upload) completes. Readers therefore see the
whole file or nothing.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import time
import uuid
from collections.abc import Iterator
from typing import IO

import fsspec
from fsspec.implementations.local import LocalFileSystem


def _s3_filesystem() -> fsspec.AbstractFileSystem:
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    client_kwargs = {"endpoint_url": endpoint} if endpoint else {}
    # No instance or listing cache: several roots and processes write the same bucket, and a
    # stale listing would make landing miss a new upload or a committed part.
    return fsspec.filesystem(
        "s3",
        client_kwargs=client_kwargs,
        use_listings_cache=False,
        skip_instance_cache=True,
    )


class Root:
    """One storage root; every path argument is relative to it, with `/` separators."""

    def __init__(self, uri: str) -> None:
        self.uri = uri.rstrip("/")
        if self.uri.startswith("s3://"):
            self.fs = _s3_filesystem()
            self.base = self.uri.removeprefix("s3://")
            self.is_local = False
        else:
            self.fs = LocalFileSystem()
            self.base = os.path.abspath(self.uri)
            self.is_local = True

    def __repr__(self) -> str:
        return f"Root({self.uri!r})"

    def full(self, rel: str) -> str:
        """The filesystem path of a relative path."""
        return posixpath.join(self.base, rel) if rel else self.base

    def url(self, rel: str = "") -> str:
        """A URL other tools (DuckDB, pyarrow) can open."""
        full = self.full(rel)
        return full if self.is_local else f"s3://{full}"

    def rel(self, full: str) -> str:
        """The relative path of a filesystem path below this root."""
        full = full.removeprefix("s3://")
        return posixpath.relpath(full, self.base)

    # -- reading -------------------------------------------------------------------------
    def exists(self, rel: str) -> bool:
        return self.fs.exists(self.full(rel))

    def read_bytes(self, rel: str) -> bytes:
        return self.fs.cat_file(self.full(rel))

    def read_many(self, rels: list[str]) -> dict[str, bytes]:
        """Several files at once; on S3 the requests run concurrently."""
        if not rels:
            return {}
        if self.is_local:
            return {rel: self.read_bytes(rel) for rel in rels}
        got = self.fs.cat([self.full(r) for r in rels], on_error="raise")
        return {self.rel(k): v for k, v in got.items()}

    def size(self, rel: str) -> int:
        return int(self.fs.size(self.full(rel)))

    def list_files(self, rel: str = "") -> list[str]:
        """Every file below `rel` (recursive), as sorted relative paths; [] if none."""
        top = self.full(rel)
        try:
            found = self.fs.find(top, withdirs=False)
        except FileNotFoundError:
            return []
        return sorted(self.rel(p) for p in found)

    def list_dirs(self, rel: str = "") -> list[str]:
        """Immediate sub-folder names of `rel`."""
        try:
            entries = self.fs.ls(self.full(rel), detail=True)
        except FileNotFoundError:
            return []
        return sorted(
            posixpath.basename(e["name"].rstrip("/")) for e in entries if e["type"] == "directory"
        )

    def open_read(self, rel: str) -> IO[bytes]:
        return self.fs.open(self.full(rel), "rb")

    # -- writing -------------------------------------------------------------------------
    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write a whole file atomically (replace if present)."""
        with self.open_write(rel) as out:
            out.write(data)

    @contextlib.contextmanager
    def open_write(self, rel: str, staging: str | None = None) -> Iterator[IO[bytes]]:
        """A streaming writer whose file appears, whole, only when the block exits cleanly.

        Locally the bytes go to a hidden temporary file, by default beside the target;
        `staging` (a folder relative to the root, on the same filesystem) keeps even that
        out of the target's folder, for folders that must hold nothing but finished files.
        """
        full = self.full(rel)
        if not self.is_local:
            # s3fs uploads in parts and completes the multipart upload on close; an exception
            # inside the block must abort it, not publish a prefix of the file.
            out = self.fs.open(full, "wb")
            try:
                yield out
            except BaseException:
                with contextlib.suppress(Exception):
                    out.discard()
                raise
            out.close()
            return
        folder = os.path.dirname(full)
        os.makedirs(folder, exist_ok=True)
        tmp_folder = self.full(staging) if staging else folder
        os.makedirs(tmp_folder, exist_ok=True)
        tmp = os.path.join(tmp_folder, f".{os.path.basename(full)}.tmp-{uuid.uuid4().hex}")
        try:
            with open(tmp, "wb") as out:
                yield out
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, full)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def delete(self, rel: str) -> None:
        """Delete a file; a missing file is fine (deletes are retried after crashes)."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self.full(rel))

    def delete_many(self, rels: list[str]) -> None:
        if not rels:
            return
        if self.is_local:
            for rel in rels:
                self.delete(rel)
            return
        self.fs.rm([self.full(r) for r in rels])

    def delete_partial(self, rel: str, staging: str | None = None) -> None:
        """Remove what a killed writer of `rel` left: its hidden temporary files (local only;
        an unfinished S3 upload is never visible)."""
        if not self.is_local:
            return
        folder = self.full(staging) if staging else os.path.dirname(self.full(rel))
        prefix = f".{os.path.basename(self.full(rel))}.tmp-"
        with contextlib.suppress(FileNotFoundError):
            for name in os.listdir(folder):
                if name.startswith(prefix):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(os.path.join(folder, name))

    def delete_stale_temporaries(self, staging: str, older_than_seconds: float) -> int:
        """Remove temporary files a killed writer left in a staging folder, once they are
        old enough that no running writer can still own them. Returns how many."""
        if not self.is_local:
            return 0
        folder = self.full(staging)
        cutoff = time.time() - older_than_seconds
        removed = 0
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(folder):
                if ".tmp-" in entry.name and entry.stat().st_mtime < cutoff:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
                        removed += 1
        return removed

    def delete_tree(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self.full(rel), recursive=True)

    def copy(self, src_rel: str, dst: Root, dst_rel: str) -> None:
        """Copy one file to another root (possibly another filesystem), atomically."""
        dst.write_bytes(dst_rel, self.read_bytes(src_rel))

    def modified(self, rel: str) -> float:
        """Modification time as a POSIX timestamp."""
        info = self.fs.info(self.full(rel))
        mtime = info.get("mtime") or info.get("LastModified") or info.get("created")
        if hasattr(mtime, "timestamp"):
            return float(mtime.timestamp())
        return float(mtime)


def copy_stream(src: Root, src_rel: str, dst: Root, dst_rel: str, chunk: int = 8 << 20) -> None:
    """Copy a file between roots in bounded memory; the target appears whole or not at all."""
    with src.open_read(src_rel) as reader, dst.open_write(dst_rel) as writer:
        while block := reader.read(chunk):
            writer.write(block)

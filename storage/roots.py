"""A storage root: a local folder or an `s3://bucket/prefix`, read and written the same way.

Every byte the pipeline stores goes through a `Root`. Writes are atomic: a local file is
written beside its target under a hidden temporary name and renamed into place; an S3 object
only becomes visible when its PUT (or multipart upload) completes. Readers therefore see the
whole file or nothing.

Transient storage errors are retried here (up to 4 attempts), in one place for every caller:
see `retrying` below.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import logging
import os
import posixpath
import stat
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, TypeVar

from transforms.file_types import file_type

if TYPE_CHECKING:
    import fsspec

log = logging.getLogger(__name__)
T = TypeVar("T")

# -- retries -----------------------------------------------------------------------------
# Three layers retry, each what it can see:
#   1. botocore retries each S3 request (5xx, throttling, timeouts, dropped connections), as
#      AWS configures it (AWS_RETRY_MODE, AWS_MAX_ATTEMPTS); a timeout needs a deadline, so
#      IT360_S3_TIMEOUT_SECONDS sets botocore's connect and read timeouts (default 60 s).
#   2. `retrying` retries one whole Root operation (read, write, delete, list) when the error
#      that escaped layer 1 is transient; a missing file, a refused permission or a bad request
#      is raised at once. RETRY_ATTEMPTS tries, the wait doubling from RETRY_FIRST_WAIT.
#      Streams (`open_read`, `open_write`) cannot be replayed here: s3fs retries their part
#      requests, and a stream that still fails fails the step.
#   3. Dagster retries the failed step (RetryPolicy) and the failed run (dagster.yaml), and
#      every step is safe to re-run (journalled landing, atomic deliverables).
RETRY_ATTEMPTS = 4
RETRY_FIRST_WAIT = 0.25  # seconds: 0.25, 0.5, 1 (at most RETRY_MAX_WAIT)
RETRY_MAX_WAIT = 4.0

# errno values of errors that can go away by themselves. s3fs maps S3's InternalError (500)
# to EREMOTEIO and SlowDown/ServiceUnavailable (503) to EBUSY.
_TRANSIENT_ERRNOS = frozenset(
    getattr(errno, name)
    for name in (
        "EIO",
        "EREMOTEIO",
        "EBUSY",
        "EAGAIN",
        "ETIMEDOUT",
        "ECONNRESET",
        "ECONNABORTED",
        "ECONNREFUSED",
        "EPIPE",
    )
    if hasattr(errno, name)
)
_PERMANENT = (
    FileNotFoundError,
    FileExistsError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
)


def is_transient(exc: BaseException) -> bool:
    """Whether an error from a storage call may succeed if the call is simply made again."""
    if isinstance(exc, _PERMANENT):
        return False
    if isinstance(exc, TimeoutError | ConnectionError):  # incl. asyncio and fsspec timeouts
        return True
    if isinstance(exc, OSError):
        return exc.errno in _TRANSIENT_ERRNOS
    # botocore's own connection-level errors (not OSError) when they escape s3fs
    try:
        from botocore.exceptions import ConnectionError as BotoConnectionError
        from botocore.exceptions import HTTPClientError
    except ImportError:  # pragma: no cover - botocore comes with s3fs
        return False
    return isinstance(exc, BotoConnectionError | HTTPClientError)


def retrying(call: Callable[[], T], what: str) -> T:
    """`call()`, made again after a transient error: at most RETRY_ATTEMPTS times in all."""
    wait = RETRY_FIRST_WAIT
    for attempt in range(1, RETRY_ATTEMPTS + 1):
        try:
            return call()
        except Exception as exc:
            if attempt == RETRY_ATTEMPTS or not is_transient(exc):
                raise
            log.warning(
                "%s failed (%s: %s); attempt %d of %d in %.2f s",
                what,
                type(exc).__name__,
                exc,
                attempt + 1,
                RETRY_ATTEMPTS,
                wait,
            )
            time.sleep(wait)
            wait = min(wait * 2, RETRY_MAX_WAIT)
    raise AssertionError("unreachable")  # pragma: no cover


def _retried(method: Callable[..., T]) -> Callable[..., T]:
    """A Root method whose whole operation is retried (see `retrying`)."""

    @functools.wraps(method)
    def wrapper(self: Root, *args, **kwargs) -> T:
        first = args[0] if args else ""
        return retrying(lambda: method(self, *args, **kwargs), f"{method.__name__} {first!r}")

    return wrapper


# -- temporary names ---------------------------------------------------------------------
# A local write goes to a hidden `.<name>.tmp-<random>` beside (or in a staging folder for)
# its target and is renamed into place; these three functions are the one place that naming
# rule lives, so every sweep of killed writers' leftovers matches exactly what writers make.


def temporary_prefix(name: str) -> str:
    """The start of every temporary name a writer of file `name` uses."""
    return f".{name}.tmp-"


def temporary_name(name: str) -> str:
    """A fresh temporary name for one write of file `name` (unique per write)."""
    return f"{temporary_prefix(name)}{uuid.uuid4().hex}"


def is_temporary(name: str) -> bool:
    """Whether a file name, or the last part of a `/`-separated path, is a writer's
    temporary (see `temporary_name`): an unfinished write, never a stored file."""
    base = posixpath.basename(name)
    return base.startswith(".") and ".tmp-" in base


# Threads for many small local operations at once (deletes, and landing's part writes):
# each mostly waits on the filesystem, so they overlap well even on two cores.
IO_THREADS = 16


def _s3_filesystem() -> fsspec.AbstractFileSystem:
    import fsspec

    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    client_kwargs = {"endpoint_url": endpoint} if endpoint else {}
    timeout = float(os.environ.get("IT360_S3_TIMEOUT_SECONDS") or 60)
    # No instance or listing cache: several roots and processes write the same bucket, and a
    # stale listing would make landing miss a new upload or a committed part.
    return fsspec.filesystem(
        "s3",
        client_kwargs=client_kwargs,
        config_kwargs={"connect_timeout": timeout, "read_timeout": timeout},
        use_listings_cache=False,
        skip_instance_cache=True,
    )


# -- entries that are not regular files ----------------------------------------------------
# Nothing below a root is followed: a listing reports a symbolic link, a FIFO, a device, a
# socket or an empty folder (an S3 folder marker with nothing below it) as what it is, and a
# local read opens no link, anywhere in the path, even one put in place after the listing.
# A folder's relative path ends with `/` (as an S3 folder marker's key does), on both roots.

EMPTY_FOLDER = "an empty folder"  # also an S3 folder marker with nothing below it
# A listed entry with nothing at its path when it was to be read: deleted or moved since the
# listing. Reported as what it is, as a link swapped in is, so the caller settles it by name.
GONE = "gone (deleted or moved since the listing)"


class NotAFile(OSError):
    """A path that was to be read is not a regular file (or lies below a symbolic link)."""

    def __init__(self, rel: str, kind: str) -> None:
        super().__init__(f"{rel!r} is {kind}, not a regular file: not opened")
        self.rel, self.kind = rel, kind


# What a local inbox entry was when it was listed: (st_dev, st_ino, size, st_mtime_ns,
# st_ctime_ns) of its lstat. A file renamed over it has another inode; one rewritten in place
# another size or mtime; one rewritten with its old size and mtime put back (`cp -p`,
# `touch -d`) still another ctime, which no writer can set. Opaque to callers: they only hand
# it back to `delete_many`, and it travels through the journal as a JSON list.
Identity = tuple[int, int, int, int, int]


# What a caller hands `delete_many` for an entry it settled by name as no regular file (a
# link, a FIFO..., or gone when read, maybe not what was listed): deleted only if it still is
# no regular file nor folder, so a file put at its name since is left, with its content.
NO_FILE: Identity = (-1, -1, -1, -1, -1)


def _identity(info: os.stat_result) -> Identity:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


@dataclass(frozen=True)
class Listing:
    """Everything below a folder of a root: its regular files, and what is not one."""

    sizes: dict[str, int]  # regular file -> its size in bytes
    not_files: dict[str, str]  # anything else (never followed) -> what it is, in words
    # Local roots: every entry but a folder -> what it was when listed (`Identity`), for
    # `delete_many` to leave an entry replaced since. {} on S3 (see docs/reliability.md).
    identities: dict[str, Identity] = field(default_factory=dict)

    def every_entry(self) -> dict[str, int]:
        """Every entry -> its size; one that is not a regular file counts as a file of no
        bytes (it is settled by name, never opened)."""
        return self.sizes | dict.fromkeys(self.not_files, 0)


class Root:
    """One storage root; every path argument is relative to it, with `/` separators."""

    def __init__(self, uri: str) -> None:
        self.uri = uri.rstrip("/")
        if self.uri.startswith("s3://"):
            self.fs = _s3_filesystem()
            self.base = self.uri.removeprefix("s3://")
            self.is_local = False
        else:
            self.base = os.path.abspath(self.uri)
            self.is_local = True

    @functools.cached_property
    def fs(self) -> fsspec.AbstractFileSystem:
        """A local root's fsspec filesystem, made on first use: importing fsspec costs ~85 ms
        of CPU, and a landing worker (which only reads files with `open`) never needs it."""
        from fsspec.implementations.local import LocalFileSystem

        return LocalFileSystem()

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
        if not self.is_local:
            # An S3 key is a name, not a path: `..`, `.` and `//` in it are plain characters.
            # Normalising it (relpath) would name another object and leave the real one
            # unreadable (fuzzing: one such inbox key failed every landing run).
            return full.removeprefix(f"{self.base}/") if full != self.base else ""
        return posixpath.relpath(full, self.base)

    # -- reading -------------------------------------------------------------------------
    @_retried
    def exists(self, rel: str) -> bool:
        return self.fs.exists(self.full(rel))

    @_retried
    def read_bytes(self, rel: str) -> bytes:
        return self.fs.cat_file(self.full(rel))

    def read_many(self, rels: list[str]) -> dict[str, bytes]:
        """Several files at once; on S3 the requests run concurrently. A local path that is
        not a regular file raises `NotAFile` (see `read_files`)."""
        read, not_files = self.read_files(rels)
        if not_files:
            rel, kind = next(iter(not_files.items()))
            raise NotAFile(rel, kind)
        return read

    @_retried
    def read_files(self, rels: list[str]) -> tuple[dict[str, bytes], dict[str, str]]:
        """Several regular files at once: (path -> bytes, path -> what it is for each path
        that turned out not to be a regular file when opened, and so was not read). A
        listing already sets those apart; this catches one swapped in since (a link put in
        place of a listed file) and one that is gone since (`GONE`)."""
        if not rels:
            return {}, {}
        if self.is_local:
            # Plain `open` per file: fsspec's path handling costs more than reading a small
            # inbox file, and landing reads tens of thousands of them.
            return _read_local(self.base, rels)
        got = self.fs.cat([self.full(r) for r in rels], on_error="return")
        read: dict[str, bytes] = {}
        gone: dict[str, str] = {}
        for key, value in got.items():
            if isinstance(value, FileNotFoundError):
                gone[self.rel(key)] = GONE
            elif isinstance(value, BaseException):
                raise value  # transient ones are retried (`_retried`)
            else:
                read[self.rel(key)] = value
        return read, gone

    @contextlib.contextmanager
    def open_files(self, rels: list[str]) -> Iterator[tuple[dict[str, IO[bytes]], dict[str, str]]]:
        """Readers of several regular files, open until the block exits: (path -> reader,
        path -> what it is for each path that is no regular file now, or `GONE`). Nothing
        is followed (see `open_read`), and a reader keeps the file it opened: a link put in
        its place, or its removal, after this call changes nothing of what is read."""
        with contextlib.ExitStack() as stack:
            opened: dict[str, IO[bytes]] = {}
            refused: dict[str, str] = {}
            if self.is_local:
                for rel, fd in _open_local_files(self.base, rels, refused):
                    opened[rel] = stack.enter_context(os.fdopen(fd, "rb"))
            else:
                for rel in rels:
                    try:
                        opened[rel] = stack.enter_context(self.fs.open(self.full(rel), "rb"))
                    except FileNotFoundError:
                        refused[rel] = GONE
            yield opened, refused

    @_retried
    def size(self, rel: str) -> int:
        return int(self.fs.size(self.full(rel)))

    def list_sizes(self, rel: str = "") -> dict[str, int]:
        """Every regular file below `rel` (recursive) -> its size in bytes; {} if none."""
        return self.list_entries(rel).sizes

    @_retried
    def list_entries(self, rel: str = "") -> Listing:
        """Every entry below `rel` (recursive): its regular files with their sizes, and
        whatever else is there (symbolic links, FIFOs, devices, sockets, empty folders and
        S3 folder markers with nothing below them), none of them followed."""
        top = self.full(rel)
        if self.is_local:
            cut = len(self.base.rstrip("/")) + 1  # paths below the base; no relpath per file
            sizes: dict[str, int] = {}
            not_files: dict[str, str] = {}
            identities: dict[str, Identity] = {}
            for path, info, kind in _walk_local(top):
                rel = path[cut:]
                if kind is None:
                    sizes[rel] = info.st_size
                else:
                    not_files[rel] = kind
                if info is not None:
                    identities[rel] = _identity(info)
            return Listing(sizes, not_files, identities)
        try:
            found = self.fs.find(top, withdirs=False, detail=True)
        except FileNotFoundError:
            return Listing({}, {})
        # A key ending in `/` is a folder marker (zero bytes), not a file; the listed folder's
        # own marker (`rel` + `/`) is no entry below it.
        sizes = {
            self.rel(path): int(info.get("size") or 0)
            for path, info in found.items()
            if not path.endswith("/")
        }
        markers = [self.rel(p) for p in found if p.endswith("/") and p.rstrip("/") != top]
        # A marker with keys below it is a folder in use, as a local folder with files is.
        below = [*sizes, *markers]
        used = {posixpath.dirname(r.rstrip("/")) + "/" for r in below}
        return Listing(sizes, {m: EMPTY_FOLDER for m in markers if m not in used})

    @_retried
    def list_files(self, rel: str = "") -> list[str]:
        """Every file below `rel` (recursive), as sorted relative paths; [] if none."""
        top = self.full(rel)
        try:
            found = self.fs.find(top, withdirs=False)
        except FileNotFoundError:
            return []
        return sorted(self.rel(p) for p in found if not p.endswith("/"))  # no S3 folder markers

    @_retried
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
        """A reader; locally `NotAFile` if `rel` is not a regular file (never followed)."""
        if self.is_local:
            return os.fdopen(_open_local(self.base, rel), "rb")
        return self.fs.open(self.full(rel), "rb")

    # -- writing -------------------------------------------------------------------------
    @_retried
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
        tmp = os.path.join(tmp_folder, temporary_name(os.path.basename(full)))
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

    @_retried
    def delete(self, rel: str) -> None:
        """Delete a file; a missing file is fine (deletes are retried after crashes). A link
        is removed, never its target; a folder (`rel` ending in `/`) only if it is empty."""
        with contextlib.suppress(FileNotFoundError):
            if self.is_local:
                _delete_local(self.base, [rel])  # no fsspec path handling: landing deletes many
            else:
                self.fs.rm_file(self.full(rel))

    @_retried
    def delete_many(self, rels: list[str], listed: Mapping[str, Identity] | None = None) -> None:
        """Delete files (as `delete` does each). `listed`: path -> its `Listing.identities`
        value; a local path listed there is deleted only if it is still that entry, so that
        content put at its name since the listing (renamed over it, rewritten in place) is
        left for the next landing instead of deleted unread. Ignored on S3 (not covered:
        docs/reliability.md)."""
        if not rels:
            return
        if self.is_local:
            # Many at once: a local delete waits on the filesystem journal (milliseconds each
            # while other processes fsync), and concurrent deletes share those waits.
            # One chunk per thread: a future per file would cost more CPU than its delete.
            chunks = [rels[i::IO_THREADS] for i in range(min(IO_THREADS, len(rels)))]
            with ThreadPoolExecutor(len(chunks)) as pool:
                list(pool.map(functools.partial(self._delete_each, listed=listed), chunks))
            return
        files = [self.full(r) for r in rels if not r.endswith("/")]
        if files:
            self.fs.rm(files)
        for rel in rels:
            if rel.endswith("/"):
                # `rm` skips a key ending in `/`; `rm_file` deletes exactly the marker, never
                # a key below it.
                self.fs.rm_file(self.full(rel))

    def _delete_each(self, rels: list[str], listed: Mapping[str, Identity] | None) -> None:
        # A plain loop, not `delete` per file: its retry wrapper would cost more CPU than the
        # unlink (the whole `delete_many` is retried, and a file already gone is fine).
        _delete_local(self.base, rels, listed)

    def delete_partial(self, rel: str, staging: str | None = None) -> None:
        """Remove what a killed writer of `rel` left: its hidden temporary files (local only;
        an unfinished S3 upload is never visible)."""
        if not self.is_local:
            return
        folder = self.full(staging) if staging else os.path.dirname(self.full(rel))
        prefix = temporary_prefix(os.path.basename(self.full(rel)))
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
                if is_temporary(entry.name) and entry.stat().st_mtime < cutoff:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(entry.path)
                        removed += 1
        return removed

    @_retried
    def delete_tree(self, rel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self.full(rel), recursive=True)

    def copy(self, src_rel: str, dst: Root, dst_rel: str) -> None:
        """Copy one file to another root (possibly another filesystem), atomically."""
        dst.write_bytes(dst_rel, self.read_bytes(src_rel))

    @_retried
    def modified(self, rel: str) -> float:
        """Modification time as a POSIX timestamp."""
        info = self.fs.info(self.full(rel))
        mtime = info.get("mtime") or info.get("LastModified") or info.get("created")
        if hasattr(mtime, "timestamp"):
            return float(mtime.timestamp())
        return float(mtime)


# Opening a file never follows a link nor waits: O_NOFOLLOW refuses a link as the last name,
# O_NONBLOCK returns at once for a FIFO with no writer (which would otherwise block forever),
# O_NOCTTY keeps a terminal device from becoming the process's. Folders on the way are opened
# one name at a time with O_NOFOLLOW too, so a folder swapped for a link after the listing is
# not followed either. The root's own folder (configured by the operator) may be a link.
_OPEN_ROOT = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_OPEN_FOLDER = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC
_OPEN_FILE = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def _by_folder(rels: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Relative paths grouped by their folder: folder -> [(path, name in the folder)]."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for rel in rels:
        folder, _, name = rel.rstrip("/").rpartition("/")
        grouped.setdefault(folder, []).append((rel, name))
    return grouped


def _open_folder(base: str, folder: str) -> int:
    """A descriptor of `folder` (relative; "" for `base`), reached from `base` one name at a
    time; `NotAFile` (naming `folder`) if a name on the way is a link."""
    at = os.open(base, _OPEN_ROOT)
    try:
        for name in filter(None, folder.split("/")):
            try:
                inner = _open_name(at, name, _OPEN_FOLDER)
            except NotAFile as exc:
                raise NotAFile(folder, f"below {exc.kind} ({name!r})") from None
            os.close(at)
            at = inner
    except BaseException:
        os.close(at)
        raise
    return at


def _open_name(at: int, name: str, flags: int) -> int:
    """`os.open(name, flags)` in the open folder `at`; `NotAFile` for a link (or, when
    `flags` asks for a regular file, anything else that is not one)."""
    try:
        fd = os.open(name, flags, dir_fd=at)
    except OSError as exc:
        # O_NOFOLLOW on a link: ELOOP; O_DIRECTORY on a link or a file: ENOTDIR.
        if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
            raise
        mode = os.stat(name, dir_fd=at, follow_symlinks=False).st_mode
        if not stat.S_ISLNK(mode):
            raise
        raise NotAFile(name, file_type(mode)) from None
    if flags & os.O_DIRECTORY:
        return fd
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotAFile(name, file_type(mode))
    return fd


def _open_local(base: str, rel: str) -> int:
    """A descriptor of the regular file `rel` below `base`, nothing followed (see above)."""
    folder, _, name = rel.rpartition("/")
    at = _open_folder(base, folder)
    try:
        return _open_name(at, name, _OPEN_FILE)
    except NotAFile as exc:
        raise NotAFile(rel, exc.kind) from None
    finally:
        os.close(at)


def _read_local(base: str, rels: list[str]) -> tuple[dict[str, bytes], dict[str, str]]:
    """(path -> bytes, path -> what it is when not a regular file); each folder opened once."""
    read: dict[str, bytes] = {}
    not_files: dict[str, str] = {}
    for rel, fd in _open_local_files(base, rels, not_files):
        with os.fdopen(fd, "rb") as src:
            read[rel] = src.read()
    return read, not_files


def _open_local_files(
    base: str, rels: list[str], not_files: dict[str, str]
) -> Iterator[tuple[str, int]]:
    """(path, descriptor) of each regular file of `rels`, each folder opened once; what is
    no regular file (a link, a FIFO..., or `GONE`) goes into `not_files` instead. The caller
    owns (closes) each descriptor as it gets it."""
    for folder, members in _by_folder(rels).items():
        try:
            at = _open_folder(base, folder)
        except NotAFile as exc:
            not_files.update((rel, exc.kind) for rel, _name in members)
            continue
        except FileNotFoundError:
            not_files.update((rel, GONE) for rel, _name in members)
            continue
        try:
            for rel, name in members:
                try:
                    fd = _open_name(at, name, _OPEN_FILE)
                except NotAFile as exc:
                    not_files[rel] = exc.kind
                    continue
                except FileNotFoundError:
                    not_files[rel] = GONE
                    continue
                yield rel, fd
        finally:
            os.close(at)


def _delete_local(base: str, rels: list[str], listed: Mapping[str, Identity] | None = None) -> None:
    """Remove files, or links (never their targets); a folder (a path ending in `/`) only if
    it is empty: what came into it since it was listed stays for the next landing. A path
    that is gone, or whose folder is now a link (so it is not where it was listed), is
    skipped: a delete never follows a link either. So is a path of `listed` that is no
    longer the entry listed (see `_still_listed`)."""
    listed = listed or {}
    for folder, members in _by_folder(rels).items():
        try:
            at = _open_folder(base, folder)
        except FileNotFoundError:
            continue
        except NotAFile as exc:
            log.warning(
                "%d entries of folder %r not deleted: it is %s now, never followed",
                len(members),
                folder,
                exc.kind,
            )
            continue
        try:
            for rel, name in members:
                was = listed.get(rel)
                # A folder goes only if empty: nothing in it is lost, whatever it is now.
                if was is None or rel.endswith("/") or _still_listed(at, name, rel, was):
                    _delete_name(at, name, is_folder=rel.endswith("/"))
        finally:
            os.close(at)


def _still_listed(at: int, name: str, rel: str, was: Identity) -> bool:
    """Whether `name` in folder `at` is still the entry listed as `was`; if not, it is left
    for the next landing, which reads what is there now (nothing at `name`: nothing to do).
    What is left open: a replacement in the microseconds between this lstat and the unlink
    that follows it (docs/reliability.md)."""
    try:
        info = os.stat(name, dir_fd=at, follow_symlinks=False)
    except FileNotFoundError:
        return False
    if was == NO_FILE:
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            return True
    elif _identity(info) == was:
        return True
    log.warning("inbox entry %r changed since the listing; left for the next landing", rel)
    return False


def _delete_name(at: int, name: str, *, is_folder: bool) -> None:
    try:
        if is_folder:
            os.rmdir(name, dir_fd=at)
        else:
            os.unlink(name, dir_fd=at)
    except FileNotFoundError:
        pass
    except OSError as exc:
        if not is_folder or exc.errno not in (errno.ENOTEMPTY, errno.EEXIST, errno.ENOTDIR):
            raise


def _walk_local(top: str) -> Iterator[tuple[str, os.stat_result | None, str | None]]:
    """(path, lstat, None) of every regular file below a local folder, with `/` separators,
    and (path, lstat, what it is) of every other entry that is not a folder with entries: a
    link (never followed), a FIFO, a device, a socket; (path ending in `/`, None, what it
    is) of an empty folder."""
    stack = [top]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except (FileNotFoundError, NotADirectoryError):
            continue
        if not entries and folder != top:
            yield folder.replace(os.sep, "/") + "/", None, EMPTY_FOLDER
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
                continue
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:  # gone since the listing
                continue
            path = entry.path.replace(os.sep, "/")
            if stat.S_ISREG(info.st_mode):
                yield path, info, None
            else:
                yield path, info, file_type(info.st_mode)

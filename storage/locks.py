"""Locks that keep two runs off the same work, across processes and hosts.

Dagster's `landing` pool admits one landing run at a time, but only for runs queued through
one instance: `materialize()` in a script or test, a run started by hand with the CLI, or a
second instance do not see it. So the work also takes a lock kept in the warehouse itself:

- landing: one lock per warehouse, `landing` (every day's landing shares the TMID registry
  and the journal, and a landing's recovery would roll back another live landing's batch);
- daily export: one lock per contract and day, `daily/<support_id>/<day>`.

A run that finds the lock taken waits (IT360_LOCK_WAIT_SECONDS, default 600) and then fails
with `LockTimeout`, whose message names the lock and, on S3, its holder.

Local roots: `fcntl.flock` on `<root>/_state/locks/<name>.lock`. The kernel drops the lock
when its holder's process ends, even by SIGKILL, so a crash never leaves it held. The files
stay: deleting a flock file races with a waiter that has already opened it. While held, the
file names its holder (purpose, host, process) for a waiter's message; a clean release empties
it, so a holder found in a file just taken is one that died holding it (told in one line).

S3 roots: a lease object at the same key, created by a conditional PUT (`If-None-Match: *`,
which S3 applies atomically: one creator wins, the others get 412). It names its holder (host,
process, a random token) and an expiry (IT360_LOCK_LEASE_SECONDS, default 120). The holder
renews it every third of the lease with `If-Match: <etag>` and deletes it on release with
`If-Match` too, so a lease someone else took over is never renewed or deleted by its old
holder (which then fails with `LockLost`). A waiter may take a lease over, again by `If-Match`
on the etag it read (two waiters cannot both win), when it has expired or when its holder is a
process of this same machine (same boot, same PID namespace) that no longer runs: a run killed
with SIGKILL is replaced at once on its own host, and after the lease on any other. Expiry
compares the holder's clock with the waiter's; hosts are assumed NTP-synchronised, well within
the lease. moto emulates the conditional PUT; its check-then-store is not strictly atomic, so
a creator also reads the lease back to confirm its token.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator

from storage import layout
from storage.roots import Root, retrying

log = logging.getLogger(__name__)

LOCKS = layout.LOCKS
LANDING = "landing"
DEFAULT_WAIT_SECONDS = 600.0
DEFAULT_LEASE_SECONDS = 120.0
_NAME_RE = re.compile(r"[A-Za-z0-9_.=-]+(/[A-Za-z0-9_.=-]+)*")


class LockTimeout(RuntimeError):
    """The lock stayed taken for the whole wait; nothing was done under it."""


class LockLost(RuntimeError):
    """An S3 lease was taken over while held (its renewals failed for a whole lease)."""


def lock_path(name: str) -> str:
    """The lock's file or object, relative to its root."""
    if not _NAME_RE.fullmatch(name) or ".." in name.split("/"):
        raise ValueError(f"bad lock name {name!r}")
    return layout.lock_file(name)


def daily_file(support_id: str, day: dt.date) -> str:
    """The lock of one contract's daily file of service day `day`."""
    return f"daily/{support_id}/{day.isoformat()}"


def wait_seconds_setting() -> float:
    return float(os.environ.get("IT360_LOCK_WAIT_SECONDS") or DEFAULT_WAIT_SECONDS)


def lease_seconds_setting() -> float:
    return float(os.environ.get("IT360_LOCK_LEASE_SECONDS") or DEFAULT_LEASE_SECONDS)


@contextlib.contextmanager
def hold(
    root: Root,
    name: str,
    *,
    purpose: str = "",
    wait_seconds: float | None = None,
    notify: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold lock `name` of `root` for the block; wait for it first if another run holds it."""
    wait = wait_seconds_setting() if wait_seconds is None else wait_seconds
    lock = _FileLock(root, name, purpose) if root.is_local else _Lease(root, name, purpose)
    lock.acquire(time.monotonic() + wait, wait, notify or (lambda _msg: None))
    try:
        yield
    except BaseException:
        lock.release(raise_if_lost=False)
        raise
    lock.release(raise_if_lost=True)


def _poll_pauses() -> Iterator[float]:
    pause = 0.02
    while True:
        yield pause
        pause = min(pause * 1.5, 0.5)


class _FileLock:
    def __init__(self, root: Root, name: str, purpose: str = "") -> None:
        self.name = name
        self.path = root.full(lock_path(name))
        self.purpose = purpose
        self.fd: int | None = None

    def acquire(self, deadline: float, wait: float, notify: Callable[[str], None]) -> None:
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        told = False
        for pause in _poll_pauses():
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                pass
            else:
                self.fd = fd
                self._record_holder(notify)
                return
            if time.monotonic() >= deadline:
                holder = _holder_of(fd)
                os.close(fd)
                raise LockTimeout(
                    f"lock {self.name!r} ({self.path}) is held by {holder}; gave up after "
                    f"waiting {wait:g} s. Run again once that run has finished."
                )
            if not told:
                notify(f"waiting for lock {self.name!r} ({self.path}), held by {_holder_of(fd)}")
                told = True
            time.sleep(pause)

    def _record_holder(self, notify: Callable[[str], None]) -> None:
        """Name this run in the file; tell if the last holder died holding the lock."""
        left = _read_record(self.fd)
        if left:
            notify(
                f"lock {self.name!r} was left by {describe_holder(left)}, which ended without "
                "releasing it (killed); the kernel freed it, and its unfinished work is "
                "recovered now"
            )
        record = json.dumps({"purpose": self.purpose, "holder": this_process()}).encode()
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, record, 0)

    def release(self, raise_if_lost: bool) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)  # released cleanly: no holder left to report
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def _read_record(fd: int) -> dict:
    """The holder a lock file names; {} when it names none (free, or just being written)."""
    try:
        record = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


def _holder_of(fd: int) -> str:
    return describe_holder(_read_record(fd)) or "another run"


def describe_holder(record: dict) -> str:
    """'landing 2024-03-18 (run 1a2b3c4d) on host (pid 42)'; '' for an empty record."""
    if not record:
        return ""
    holder = record.get("holder") or {}
    return f"{record.get('purpose') or 'a run'} on {holder.get('host')} (pid {holder.get('pid')})"


# -- S3 leases ---------------------------------------------------------------------------


def _read_text(path: str) -> str:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ""


def _process_start(pid: int) -> str:
    """The process's start time in clock ticks since boot; '' if it is gone or a zombie."""
    stat = _read_text(f"/proc/{pid}/stat")
    if not stat:
        return ""
    fields = stat.rsplit(")", 1)[-1].split()  # after the command name, which may hold spaces
    state, start = fields[0], fields[19]
    return "" if state in ("Z", "X") else start


def this_process(pid: int | None = None) -> dict[str, object]:
    """Who holds a lease (this process, or process `pid` of this machine): enough to tell, on
    the same machine, whether it still runs."""
    pid = os.getpid() if pid is None else pid
    try:
        pid_ns = os.readlink("/proc/self/ns/pid")
    except OSError:
        pid_ns = ""
    return {
        "host": socket.gethostname(),
        "boot_id": _read_text("/proc/sys/kernel/random/boot_id"),
        "pid_ns": pid_ns,
        "pid": pid,
        "pid_start": _process_start(pid),
    }


def _expired(lease: dict) -> bool:
    expires = lease.get("expires_at")
    return not isinstance(expires, int | float) or expires < time.time()


def holder_is_gone(holder: dict) -> bool:
    """True only when the holder is certainly a process of this machine that has ended: no
    process has its pid, or one that started at another time does (the pid was reused)."""
    me = this_process()
    same_machine = all(holder.get(k) and holder.get(k) == me[k] for k in ("boot_id", "pid_ns"))
    if not same_machine or not isinstance(holder.get("pid"), int):
        return False
    if not _pid_exists(holder["pid"]):
        return True
    # A process of another user may hide its /proc entry (hidepid): unreadable is not gone.
    started = _process_start(holder["pid"])
    return bool(started) and started != holder.get("pid_start")


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: nothing is sent, only whether the pid exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, as another user's process
    return True


def _refused(exc: BaseException) -> bool:
    """A conditional request that S3 refused: 412, or 409 ConditionalRequestConflict (AWS's
    answer to two conditional writes at once), or the key gone (If-Match on no object)."""
    if isinstance(exc, FileExistsError | FileNotFoundError):
        return True
    cause = exc.__cause__ if exc.__cause__ is not None else exc
    response = getattr(cause, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("PreconditionFailed", "412", "ConditionalRequestConflict") or status in (
        409,
        412,
    )


class _Lease:
    def __init__(self, root: Root, name: str, purpose: str) -> None:
        self.name = name
        self.url = root.url(lock_path(name))
        self.fs = root.fs
        self.bucket, _, self.key = root.full(lock_path(name)).partition("/")
        self.lease_seconds = lease_seconds_setting()
        self.token = uuid.uuid4().hex
        self.purpose = purpose
        self.etag: str | None = None
        self.lost = False
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    # Each S3 request is retried when transient. A conditional PUT whose reply was lost comes
    # back as 412 on the retry: `acquire` then finds its own token in the lease.
    def _put(self, **condition: str) -> str:
        now = time.time()
        body = {
            "lock": self.name,
            "token": self.token,
            "purpose": self.purpose,
            "holder": this_process(),
            "renewed_at": now,
            "expires_at": now + self.lease_seconds,
        }
        reply = retrying(
            lambda: self.fs.call_s3(
                "put_object",
                Bucket=self.bucket,
                Key=self.key,
                Body=json.dumps(body).encode(),
                **condition,
            ),
            f"lease PUT {self.url}",
        )
        return reply["ETag"]

    def _read(self) -> tuple[dict, str] | None:
        """The lease as it is now and its etag; None when there is none."""
        from fsspec.asyn import sync

        async def get() -> tuple[bytes, str]:
            reply = await self.fs._call_s3("get_object", Bucket=self.bucket, Key=self.key)
            async with reply["Body"] as stream:
                return await stream.read(), reply["ETag"]

        try:
            data, etag = retrying(lambda: sync(self.fs.loop, get), f"lease GET {self.url}")
        except FileNotFoundError:
            return None
        try:
            lease = json.loads(data)
        except ValueError:
            lease = {}
        return (lease if isinstance(lease, dict) else {}), etag

    def acquire(self, deadline: float, wait: float, notify: Callable[[str], None]) -> None:
        told = False
        for pause in _poll_pauses():
            try:
                self._put(IfNoneMatch="*")
                created = True
            except OSError as exc:
                if not _refused(exc):
                    raise
                created = False
            current = self._read()
            if current is None:
                continue  # released between our PUT and GET: try again at once
            lease, etag = current
            if lease.get("token") == self.token:
                self.etag = etag
                self._start_renewing()
                return
            if not created and self._may_take_over(lease):
                try:
                    self.etag = self._put(IfMatch=etag)
                except OSError as exc:
                    if not _refused(exc):
                        raise
                    continue  # another waiter was faster: look again at once
                log.warning("took over lock %s from %s", self.url, lease.get("holder"))
                notify(
                    f"lock {self.name!r} ({self.url}) was left by {describe_holder(lease)}, "
                    f"{'whose lease expired' if _expired(lease) else 'which is no longer running'}"
                    "; taken over, and its unfinished work is recovered now"
                )
                self._start_renewing()
                return
            if time.monotonic() >= deadline:
                expires = time.gmtime(float(lease.get("expires_at") or 0))
                raise LockTimeout(
                    f"lock {self.name!r} ({self.url}) is held by {describe_holder(lease)}, "
                    "its lease running to "
                    f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', expires)} unless renewed; gave up "
                    f"after waiting {wait:g} s. Run again once that run has finished."
                )
            if not told:
                notify(
                    f"waiting for lock {self.name!r} ({self.url}), held by {describe_holder(lease)}"
                )
                told = True
            time.sleep(pause)

    def _may_take_over(self, lease: dict) -> bool:
        return _expired(lease) or holder_is_gone(lease.get("holder") or {})

    def _start_renewing(self) -> None:
        self._renewer = threading.Thread(
            target=self._renew_loop, name=f"lease {self.name}", daemon=True
        )
        self._renewer.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                self.etag = self._put(IfMatch=self.etag or "")
            except Exception as exc:
                if _refused(exc):
                    log.error("lock %s was taken over while held", self.url)
                    self.lost = True
                    return
                log.warning("renewing lock %s failed (%s); next try later", self.url, exc)

    def release(self, raise_if_lost: bool) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join()
        if not self.lost:
            try:
                retrying(
                    lambda: self.fs.call_s3(
                        "delete_object", Bucket=self.bucket, Key=self.key, IfMatch=self.etag
                    ),
                    f"lease DELETE {self.url}",
                )
            except OSError as exc:
                if not _refused(exc):
                    raise
                self.lost = True
        if self.lost and raise_if_lost:
            raise LockLost(
                f"lock {self.name!r} ({self.url}) was taken over by another run while this one "
                "held it; the work is safe to run again"
            )

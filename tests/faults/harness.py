"""Kill a pipeline stage with SIGKILL just before its Nth storage operation, from outside.

A *stage* is a plain function named `"module:function"`, called with keyword arguments (see
`tests/faults/stages.py`). It runs in a child forked by a small fork server
(`python -m tests.faults.harness`) that has imported the pipeline once, so a kill costs the
stage's own work, not Python's start-up. The child wraps `storage.roots.Root` from outside (the
pipeline has no test hook); every operation that changes storage counts, so kill points fall
where the code writes:

- `Root.open_write`: opening the writer, each `write()` into it, and its commit (the block is
  done: locally the rename into place follows, on S3 the PUT or the multipart completion);
- `Root.delete`, `Root.delete_many`, `Root.delete_tree`: each call.

`count_operations` runs a stage to its end and returns how many it made; `kill_at` kills it
just before operation `n` and returns the exit code (-9). The child gets the caller's `AWS_*`
and `IT360_*` environment.
"""

from __future__ import annotations

import atexit
import contextlib
import email
import functools
import importlib
import io
import json
import os
import posixpath
import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from storage import layout, parquet
from storage.roots import Root

REPO = Path(__file__).resolve().parents[2]
PRELOAD = (
    "assets.landing.land",
    "assets.delivery.build",
    "assets.dashboard.build",
    "storage.locks",
    "polars",
    "pyarrow.parquet",
    "duckdb",
    "s3fs",
    "tests.faults.stages",
)
_ENV_PREFIXES = ("AWS_", "IT360_")


def _install_kill_switch(kill_at: int) -> Callable[[], int]:
    from storage import roots

    made = 0

    def tick() -> None:
        nonlocal made
        made += 1
        if made == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    def counted(method):
        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            tick()
            return method(*args, **kwargs)

        return wrapper

    for name in ("delete", "delete_many", "delete_tree"):
        setattr(roots.Root, name, counted(getattr(roots.Root, name)))
    original_open_write = roots.Root.open_write

    @contextlib.contextmanager
    def open_write(self, rel, staging=None):
        tick()
        with original_open_write(self, rel, staging) as out:
            yield _CountingWriter(out, tick)
            tick()

    roots.Root.open_write = open_write
    return lambda: made


class _CountingWriter:
    def __init__(self, out, tick: Callable[[], None]) -> None:
        self._out, self._tick = out, tick

    def write(self, data) -> int:
        self._tick()
        return self._out.write(data)

    def __getattr__(self, name):
        return getattr(self._out, name)


# -- the fork server (runs as `python -m tests.faults.harness`) -------------------------------


def _serve() -> None:
    """Read one JSON job per line; fork a child per job; answer one JSON line per job."""
    for name in PRELOAD:
        with contextlib.suppress(ImportError):  # a stage that does not exist yet
            importlib.import_module(name)
    for line in sys.stdin:
        job = json.loads(line)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            _child(job, write_end)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as reply:
            answer = reply.read()
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        result = json.loads(answer) if answer else {}
        sys.stdout.write(json.dumps({"exit": code, **result}) + "\n")
        sys.stdout.flush()


def _child(job: dict, write_end: int) -> None:
    code = 0
    try:
        for key in [k for k in os.environ if k.startswith(_ENV_PREFIXES)]:
            del os.environ[key]
        os.environ.update(job["env"])
        count = _install_kill_switch(job["kill_at"])
        module, _, name = job["stage"].partition(":")
        getattr(importlib.import_module(module), name)(**job["kwargs"])
        result = {"operations": count()}
    except BaseException:
        result = {"error": traceback.format_exc()}
        code = 1
    with os.fdopen(write_end, "wb") as out:
        out.write(json.dumps(result).encode())
    os._exit(code)


class _Server:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.faults.harness"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lock = threading.Lock()
        atexit.register(self.stop)

    def run(self, stage: str, kwargs: dict, kill_at: int) -> dict:
        env = {k: v for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES)}
        job = {"stage": stage, "kwargs": kwargs, "env": env, "kill_at": kill_at}
        with self.lock:
            self.proc.stdin.write(json.dumps(job) + "\n")
            self.proc.stdin.flush()
            return json.loads(self.proc.stdout.readline())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


_server: _Server | None = None


def _the_server() -> _Server:
    global _server
    if _server is None or _server.proc.poll() is not None:
        _server = _Server()
    return _server


def count_operations(stage: str, kwargs: dict) -> int:
    """Run the stage to its end in a child; how many storage operations it made."""
    result = _the_server().run(stage, kwargs, 0)
    assert result["exit"] == 0, result.get("error")
    return result["operations"]


def kill_at(stage: str, kwargs: dict, n: int) -> int:
    """Run the stage in a child, SIGKILL it just before its nth storage operation; the exit
    code (-9 when the kill happened)."""
    result = _the_server().run(stage, kwargs, n)
    assert result["exit"] in (0, -signal.SIGKILL), result.get("error")
    return result["exit"]


def spread(point: int, points: int, operations: int) -> int:
    """The `point`th of `points` kill points spread evenly over operations 1..operations."""
    return 1 + (point * (operations - 1)) // (points - 1)


# -- what a reader of the storage sees -------------------------------------------------------


def visible_files(root: Root) -> dict[str, bytes]:
    """Every file a reader lists (hidden temporaries, named `.<name>.tmp-*`, excluded)."""
    rels = [r for r in root.list_files() if not posixpath.basename(r).startswith(".")]
    return root.read_many(rels)


def hidden_files(root: Root) -> list[str]:
    return [r for r in root.list_files() if posixpath.basename(r).startswith(".")]


def assert_every_visible_file_is_whole(root: Root, finished: dict[str, bytes] | None = None):
    """No partial file: every Parquet part parses to its end, every journal entry parses,
    every notice is a whole message, and every deliverable is byte for byte a finished one
    (`finished`: what a clean run writes there)."""
    for rel, data in visible_files(root).items():
        if rel.endswith(".parquet"):
            table_of(root, rel, data)
        elif rel.endswith(".json"):
            json.loads(data)
        elif rel.endswith(".eml"):
            message = email.message_from_bytes(data)
            assert message["X-IT360-Kind"] and message.get_payload(), rel
        if finished is not None and (rel.endswith(".zip") or rel.endswith(".eml")):
            assert data == finished.get(rel), f"{rel} is not a finished file"


def table_of(root: Root, rel: str, data: bytes) -> pa.Table:
    """A Parquet file's table, whole (raises if it is cut short). Plain Parquet is decoded
    from the bytes at hand; anything else (e.g. encrypted at rest) through storage.parquet."""
    try:
        return pq.read_table(io.BytesIO(data))
    except (pa.ArrowException, OSError):
        return parquet.read_table(root, rel)


# -- comparing with a clean run --------------------------------------------------------------

TABLES = (
    "raw/uploads",
    "raw/records",
    "raw/rejects",
    "quarantine",
    "landing_log",
    "publications",
    "late_uploads",
    "expirations",
)
# Columns that name a batch or the time a row was written: they differ between any two runs.
VOLATILE = {"batch_id", "landed_at", "quarantined_at", "logged_at"}


def warehouse_rows(wh: Root, listing: list[str] | None = None) -> dict[str, list[tuple]]:
    """Every row of every table, read from every part file (not through the views, so an
    orphaned part would show), without the volatile columns, sorted."""
    listing = wh.list_files() if listing is None else listing
    tables = {
        rel: top
        for rel in listing
        for top in TABLES
        if rel.startswith(f"{top}/")
        and layout.is_parquet_part(rel)
        and "support_id=_empty" not in rel
        and not rel.endswith("part-empty.parquet")
    }
    out: dict[str, list[tuple]] = {top: [] for top in TABLES}
    for rel, data in wh.read_many(sorted(tables)).items():
        top = tables[rel]
        table = table_of(wh, rel, data)
        drop = [c for c in table.column_names if c in VOLATILE or c in table_partitions(top)]
        out[top] += [tuple(sorted(r.items())) for r in table.drop_columns(drop).to_pylist()]
    return {top: sorted(rows, key=repr) for top, rows in out.items()}


def table_partitions(top: str) -> tuple[str, ...]:
    """Columns that depend on when a run happened rather than on the data."""
    return ("day",) if top == "quarantine" else ()  # the service day the run happened in


if __name__ == "__main__":
    _serve()

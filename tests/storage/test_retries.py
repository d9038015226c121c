"""storage/roots.py retries: a transient error (timeout, dropped connection, 5xx, SlowDown)
is retried a bounded number of times with a growing wait; a permanent one (missing file,
refused permission, bad request) is raised at once. The errors are injected by wrapping the
s3fs/fsspec filesystem's methods (HTTP-level faults: tests/faults/test_s3_errors.py)."""

from __future__ import annotations

import errno

import pytest

from storage import roots
from storage.roots import Root, is_transient


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr(roots, "RETRY_FIRST_WAIT", 0.001)


class Flaky:
    """Wraps one filesystem method: the first `fail` calls raise `error`, then it works."""

    def __init__(self, method, error: BaseException, fail: int) -> None:
        self.method, self.error, self.fail, self.calls = method, error, fail, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.calls <= self.fail:
            raise self.error
        return self.method(*args, **kwargs)


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (TimeoutError("read timed out"), True),
        (ConnectionResetError(errno.ECONNRESET, "reset"), True),
        (OSError(errno.EREMOTEIO, "We encountered an internal error"), True),  # S3 500
        (OSError(errno.EBUSY, "Please reduce your request rate"), True),  # S3 503
        (FileNotFoundError(errno.ENOENT, "no such key"), False),
        (PermissionError(errno.EACCES, "access denied"), False),
        (OSError(errno.EINVAL, "invalid argument"), False),  # S3 400
        (OSError(errno.ENOSPC, "no space left"), False),
        (ValueError("not storage"), False),
    ],
)
def test_transient_errors_are_told_from_permanent_ones(error, transient):
    assert is_transient(error) is transient


def test_a_read_that_times_out_is_made_again(tmp_path, monkeypatch):
    root = Root(str(tmp_path))
    root.write_bytes("a/b.bin", b"data")
    flaky = Flaky(root.fs.cat_file, TimeoutError("read timed out"), fail=2)
    monkeypatch.setattr(root.fs, "cat_file", flaky)
    assert root.read_bytes("a/b.bin") == b"data"
    assert flaky.calls == 3


def test_a_write_that_fails_with_a_server_error_is_made_again_whole(tmp_path, monkeypatch):
    root = Root(str(tmp_path))
    flaky = Flaky(roots.os.replace, OSError(errno.EREMOTEIO, "internal error"), fail=1)
    monkeypatch.setattr(roots.os, "replace", flaky)
    root.write_bytes("x/part.parquet", b"whole")
    assert flaky.calls == 2
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["part.parquet"]  # no temp
    assert (tmp_path / "x" / "part.parquet").read_bytes() == b"whole"


def test_retries_are_bounded_and_permanent_errors_are_not_retried():
    always = Flaky(lambda: "never", TimeoutError("down"), fail=10**6)
    with pytest.raises(TimeoutError):
        roots.retrying(always, "list")
    assert always.calls == roots.RETRY_ATTEMPTS
    denied = Flaky(lambda: "never", PermissionError(errno.EACCES, "denied"), fail=10**6)
    with pytest.raises(PermissionError):
        roots.retrying(denied, "list")
    assert denied.calls == 1
    assert roots.retrying(Flaky(lambda: "ok", ConnectionResetError(), fail=3), "list") == "ok"

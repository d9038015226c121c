"""storage/locks.py: a held lock makes another run wait and then fail with a clear message;
a holder killed with SIGKILL never leaves it held; on S3 an expired lease is taken over, a
live one is not, and a holder whose lease was taken over fails instead of going on."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from storage import locks
from storage.roots import Root

REPO = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time
from storage import locks
from storage.roots import Root
with locks.hold(Root(sys.argv[1]), "landing", purpose="holder"):
    print("held", flush=True)
    time.sleep(600)
"""


def holder(uri: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, uri], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def root_uri(request, tmp_path) -> str:
    if request.param == "local":
        return str(tmp_path / "wh")
    return f"s3://{request.getfixturevalue('s3_env')}/wh"


def test_a_held_lock_times_out_with_a_clear_message_and_a_killed_holder_frees_it(root_uri):
    proc = holder(root_uri)
    try:
        started = time.monotonic()
        with (
            pytest.raises(locks.LockTimeout) as timeout,
            locks.hold(Root(root_uri), "landing", wait_seconds=0.5),
        ):
            pass
        assert time.monotonic() - started >= 0.5
        message = str(timeout.value)
        assert "'landing'" in message and "_state/locks/landing.lock" in message
        assert "gave up after waiting 0.5 s" in message
        if not root_uri.startswith("/"):
            assert f"pid {proc.pid}" in message and "holder" in message
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    started = time.monotonic()
    waits = []
    with locks.hold(Root(root_uri), "landing", wait_seconds=30, notify=waits.append):
        pass
    assert time.monotonic() - started < 5  # not the lease: the holder is gone
    assert Root(root_uri).list_files(locks.LOCKS) == (
        ["_state/locks/landing.lock"] if root_uri.startswith("/") else []
    )


def test_the_lock_is_released_when_the_block_raises(root_uri):
    with pytest.raises(ZeroDivisionError), locks.hold(Root(root_uri), "daily/S0001/2024-03-18"):
        raise ZeroDivisionError
    with locks.hold(Root(root_uri), "daily/S0001/2024-03-18", wait_seconds=0):
        pass


def test_lock_names_cannot_leave_the_locks_folder():
    for bad in ("../x", "a/../../b", "", "/abs", "a b"):
        with pytest.raises(ValueError):
            locks.lock_path(bad)


def _put_lease(bucket: str, key: str, **lease) -> None:
    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    client.put_object(Bucket=bucket, Key=key, Body=json.dumps(lease).encode())


@pytest.mark.s3
def test_an_expired_lease_is_taken_over_and_a_live_one_is_not(s3_env):
    key = "wh/_state/locks/landing.lock"
    elsewhere = {"host": "other-host", "boot_id": "x", "pid_ns": "y", "pid": 1, "pid_start": "1"}
    _put_lease(s3_env, key, token="t", holder=elsewhere, expires_at=time.time() + 60)
    with (
        pytest.raises(locks.LockTimeout, match="other-host"),
        locks.hold(Root(f"s3://{s3_env}/wh"), "landing", wait_seconds=0.3),
    ):
        pass
    _put_lease(s3_env, key, token="t", holder=elsewhere, expires_at=time.time() - 1)
    with locks.hold(Root(f"s3://{s3_env}/wh"), "landing", wait_seconds=0.3):
        pass
    assert Root(f"s3://{s3_env}/wh").list_files(locks.LOCKS) == []


@pytest.mark.s3
def test_a_holder_whose_lease_was_taken_over_fails(s3_env, monkeypatch):
    monkeypatch.setenv("IT360_LOCK_LEASE_SECONDS", "0.6")  # renewed every 0.2 s
    key = "wh/_state/locks/landing.lock"
    with pytest.raises(locks.LockLost), locks.hold(Root(f"s3://{s3_env}/wh"), "landing"):
        _put_lease(s3_env, key, token="someone else", holder={}, expires_at=time.time() + 60)
        time.sleep(0.8)  # the next renewal finds another etag

"""Shared fixtures: generated sample inboxes, and a real S3-compatible server on loopback."""

import datetime as dt
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest

from samples.generator import generate_sample

FIRST_DAY = dt.date(2024, 3, 18)

# The warehouse is encrypted: every test (and every process a test starts, which inherits the
# environment) uses this run's random key unless the test sets its own.
os.environ.setdefault("IT360_KEY", secrets.token_hex(32))
os.environ.pop("IT360_KEY_FILE", None)
# The suite's fixtures and replays use service days back to 2023 (partitions are read once, at
# import of assets.partitions, so this is set before any test module imports them).
os.environ.setdefault("IT360_FIRST_SERVICE_DAY", "2023-01-01")

# The real clock, whatever the shell says (`. var/env.sh` pins the demo's): a pinned clock also
# ends the partitions at its day (assets/partitions.py), and tests pin it where they need it.
os.environ.pop("IT360_NOW", None)

# A test instance runs no schedule or sensor unless the test asks (pipelines/automation.py).
os.environ.setdefault("IT360_AUTOMATION", "off")


def storage_for(base: Path):
    """The `storage` resource over a test folder (inbox/, warehouse/, delivery/,
    contracts.yaml)."""
    from assets.resources import ServiceStorage

    return ServiceStorage(
        inbox=str(base / "inbox"),
        warehouse=str(base / "warehouse"),
        delivery=str(base / "delivery"),
        contracts=str(base / "contracts.yaml"),
    )


@pytest.fixture(scope="session")
def sample_template(tmp_path_factory) -> tuple[Path, object]:
    """A small generated sample (2 contracts x 4 terminals x 2 days, every bad kind), made
    once; tests copy it so each gets its own inbox."""
    base = tmp_path_factory.mktemp("sample")
    manifest = generate_sample(
        base / "inbox",
        base / "contracts.yaml",
        contracts=3,
        terminals=4,
        first_day=FIRST_DAY,
        days=2,
        uploads_per_day=4,
        records_per_upload=12,
        seed=7,
    )
    return base, manifest


@pytest.fixture
def sample(sample_template, tmp_path) -> tuple[Path, object]:
    """A private copy of the sample: (folder with inbox/ and contracts.yaml, manifest)."""
    base, manifest = sample_template
    shutil.copytree(base, tmp_path / "sample")
    return tmp_path / "sample", manifest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory) -> str:
    """moto in server mode on 127.0.0.1, as a separate process, for the whole session."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"moto server did not start: {log.read_text()}") from None
            time.sleep(0.2)
    yield endpoint
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def s3_env(moto_endpoint, monkeypatch) -> str:
    """Environment pointing s3fs and boto3 at the moto server; returns a fresh bucket name."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"it360-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    return bucket


def upload_tree(local: Path, bucket: str, prefix: str) -> None:
    """Copy a local folder into s3://bucket/prefix (the agents' uploads arriving)."""
    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    for path in sorted(local.rglob("*")):
        if path.is_file():
            key = f"{prefix}/{path.relative_to(local).as_posix()}"
            client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())


@pytest.fixture(scope="session")
def landed_template(sample_template, tmp_path_factory) -> tuple[Path, object]:
    """The sample, landed (every day), made once."""
    from storage.roots import Root
    from tests.assets.landing_helpers import land_all

    base, manifest = sample_template
    landed = tmp_path_factory.mktemp("landed") / "sample"
    shutil.copytree(base, landed)
    land_all(
        Root(str(landed / "inbox")),
        Root(str(landed / "warehouse")),
        str(landed / "contracts.yaml"),
        manifest,
    )
    return landed, manifest


@pytest.fixture
def landed(landed_template, tmp_path) -> tuple[Path, object]:
    """A private copy of the landed sample: (folder, manifest)."""
    base, manifest = landed_template
    shutil.copytree(base, tmp_path / "landed")
    return tmp_path / "landed", manifest


@pytest.fixture(scope="session")
def hand_template(tmp_path_factory) -> Path:
    """The hand-written fixture (`tests/assets/dashboard_fixture.py`), landed once."""
    from tests.assets.dashboard_fixture import land_fixture

    base = tmp_path_factory.mktemp("hand") / "fixture"
    base.mkdir()
    land_fixture(base)
    return base


@pytest.fixture
def hand_base(hand_template, tmp_path) -> Path:
    """A private copy of the landed hand-written fixture."""
    shutil.copytree(hand_template, tmp_path / "fixture")
    return tmp_path / "fixture"

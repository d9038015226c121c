"""Fixtures of the fault tests: a small sample, and a clean run's state before every stage."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest

from samples.generator import generate_sample
from storage import aggregates, layout
from storage.roots import Root
from tests.faults import harness, stages
from tests.faults.s3proxy import FaultProxy

FOLDERS = ("inbox", "warehouse", "delivery", "outbox")
QUARANTINE_KINDS = 6


@dataclass(frozen=True)
class CleanRun:
    """A clean run of the pipeline on the fault sample: `states[i]` is a folder holding the
    storage before stage `stages.PIPELINE[i]` ran, `seen[i]` what a reader sees after it."""

    states: list[Path]
    seen: list[dict]
    days: tuple[str, ...]


def workspace(folder: Path, days: tuple[str, ...], s3: str | None = None) -> stages.Workspace:
    """A workspace over `folder` (a copy of a state); with `s3` (`bucket/prefix`) its
    storage roots are uploaded there and the workspace points at them."""
    if s3:
        _upload(folder, s3)
        roots = {name: f"s3://{s3}/{name}" for name in FOLDERS}
    else:
        roots = {name: str(folder / name) for name in FOLDERS}
    return stages.Workspace(contracts=str(folder / "contracts.yaml"), days=days, **roots)


def _upload(folder: Path, s3: str) -> None:
    """Copy the storage folders into s3://bucket/prefix/<folder>/ (a few PUTs at a time)."""
    bucket, _, prefix = s3.partition("/")
    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    files = [
        p
        for name in FOLDERS
        for p in sorted((folder / name).rglob("*"))
        if p.is_file() and "_state/locks" not in p.as_posix()  # local flock files, no leases
    ]

    def put(path: Path) -> None:
        key = f"{prefix}/{path.relative_to(folder).as_posix()}"
        client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, files))


def end_state(ws: stages.Workspace) -> dict:
    """Everything a reader can see: every table row, the current aggregates, deliverables and
    notices byte for byte, what is left in the inbox. One listing per root."""
    roots = ws.roots()
    wh = roots["warehouse"]
    listing = wh.list_files()
    state = {
        "rows": harness.warehouse_rows(wh, listing),
        "delivery": harness.visible_files(roots["delivery"]),
        "outbox": harness.visible_files(roots["outbox"]),
        "inbox": roots["inbox"].list_files(),
    }
    if stages.has_dashboard():
        state["aggregates"] = aggregate_rows(wh, listing)
    return state


def aggregate_rows(wh: Root, listing: list[str]) -> dict[str, list[tuple]]:
    """The current build of every aggregate of every contract-day, without build ids."""
    parts = []
    for rel in listing:
        pieces = rel.split("/")
        if len(pieces) != 5 or pieces[0] != "agg" or not layout.is_parquet_part(rel):
            continue
        sid, day = layout.hive_value(rel, "support_id"), layout.hive_value(rel, "day")
        if sid and day and layout.is_contract_partition(sid):
            build = layout.part_name_id(rel)
            parts.append(aggregates.Part(rel, pieces[1], sid, dt.date.fromisoformat(day), build, 0))
    current = aggregates.current_parts(parts)
    data = wh.read_many([p.rel for p in current])
    out: dict[str, list[tuple]] = {name: [] for name in layout.AGGREGATES}
    for part in current:
        table = harness.table_of(wh, part.rel, data[part.rel])
        table = table.drop_columns([c for c in table.column_names if c == "build_id"])
        out[part.name] += [tuple(sorted(r.items())) for r in table.to_pylist()]
    return {name: sorted(rows, key=repr) for name, rows in out.items()}


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory) -> CleanRun:
    base = tmp_path_factory.mktemp("faults")
    first = base / "state0"
    manifest = generate_sample(
        first / "inbox",
        first / "contracts.yaml",
        contracts=2,
        terminals=3,
        first_day=dt.date(2024, 3, 18),
        days=1,
        uploads_per_day=2,
        records_per_upload=6,
        seed=11,
    )
    # Every landed upload and bundle, and one bad file of each of a few kinds: each stage
    # then writes every kind of file it writes, in few enough requests for S3 kills.
    kept_reasons: set[str | None] = set()
    for entry in manifest.entries:
        if entry.outcome == "quarantined":
            if entry.reason in kept_reasons or len(kept_reasons) >= QUARANTINE_KINDS:
                (first / "inbox" / entry.path).unlink()
                continue
            kept_reasons.add(entry.reason)
    days = tuple(sorted({e.service_day for e in manifest.entries if e.outcome == "landed"}))
    states, seen = [first], []
    for i, stage in enumerate(stages.PIPELINE):
        nxt = base / f"state{i + 1}"
        shutil.copytree(states[-1], nxt)
        stages.run(stage, workspace(nxt, days))
        states.append(nxt)
        seen.append(end_state(workspace(nxt, days)))
    end = seen[-1]
    assert end["delivery"] and end["outbox"] and end["rows"]["raw/uploads"]
    return CleanRun(states, seen, days)


@pytest.fixture
def s3_proxy(moto_endpoint, monkeypatch):
    """A fault-injecting proxy in front of moto; the pipeline's S3 endpoint is the proxy.

    botocore is set to its `standard` retry mode with 2 attempts per request, so the tests
    know how many failures it absorbs before one reaches the retries in storage/roots.py."""
    proxy = FaultProxy(moto_endpoint).start()
    monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    bucket = f"it360-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(
        Bucket=bucket
    )
    proxy.bucket = bucket
    yield proxy
    proxy.stop()

"""The whole pipeline pinned on a sample: same input, same rows, same deliverable bytes.

A behaviour-preserving change (issue 16's restructuring) must leave this test green. The
scenario drives the pipeline through its public entry points only, as `pipelines/demo.py`
does: a generated sample (fixed seed: 3 contracts x 12 terminals x 2 days, every bad-file
kind), every service day landed through the job `land_uploads`, re-sends (duplicates and
conflicts) landed again, `publish_daily` for every day, the spot orders `spot_30_days` and
`spot_1_year`, `build_dashboard` for every day and `export_ledgers`, with the clock pinned
(`IT360_NOW`) and a fixed warehouse key (`IT360_KEY`). Each job runs with
`execute_in_process` on the real Definitions (`pipelines.definitions.build_definitions`),
whose resources read the environment.

It then compares with `sample_day.json`: per analyst view (read through `storage.duck`) a row
count and the sha256 of its rows in order, without the columns that differ between two runs
of the same scenario (`VOLATILE`); per file under the delivery root and in the notices'
outbox, its size and sha256 by relative path. The imports are kept to
`pipelines.definitions`, `samples.generator`, `storage.duck` and `storage.roots`, so that
module moves elsewhere do not break the test.

The fixture was recorded from the code before the restructuring. Rewrite it only when a
change is meant to change behaviour (and say so in that commit):

    GOLDEN_UPDATE=1 python -m pytest tests/golden/test_sample_day_golden.py -p no:xdist
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import dagster as dg
import pytest

from pipelines.definitions import build_definitions
from samples.generator import generate_resends, generate_sample
from storage import duck
from storage.roots import Root

FIXTURE = Path(__file__).with_name("sample_day.json")
NOW = "2024-03-23T06:00:00+09:00"  # the demo's clock: the sample's days are in the retained year
KEY = "5a" * 32
FIRST_DAY = dt.date(2024, 3, 18)
DAYS = 2
SAMPLE = dict(
    contracts=3,
    terminals=12,  # over all contracts: 4 each
    first_day=FIRST_DAY,
    days=DAYS,
    uploads_per_day=4,
    records_per_upload=12,
    seed=5,
    workers=1,
)
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}

# Columns whose values legitimately differ between two runs of the same scenario (found by
# running it twice and diffing the views): ids minted at random per landing batch, dashboard
# build or publication, and the real clock's time of a write. Everything else is compared.
# `landed_at`, `quarantined_at`, `quarantined_day` (the quarantine's partition: the real service
# day it was quarantined) and `logged_at` come from the real clock, not `IT360_NOW`;
# batch ids and build ids start with the real time and end with random hex.
# No file under the delivery root or the outbox differed between two runs: all are compared.
VOLATILE: dict[str, tuple[str, ...]] = {
    "uploads": ("batch_id", "landed_at"),
    "quarantine": ("batch_id", "quarantined_at", "quarantined_day"),
    "landing_log": ("batch_id", "logged_at"),
    **{
        f"agg_{name}": ("build_id",)
        for name in (
            "applications",
            "event_types",
            "inventory",
            "off_hours",
            "risk_operations",
            "terminal_activity",
            "terminal_status",
            "usb_devices",
            "user_activity",
            "web_domains",
        )
    },
}


def _run(job: dg.JobDefinition, instance, partition_key=None, run_config=None):
    result = job.execute_in_process(
        instance=instance,
        partition_key=partition_key,
        run_config={**(run_config or {}), **QUIET},
    )
    assert result.success, f"{job.name} {partition_key or run_config} failed"
    return result


def run_scenario(base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sample, through every job the demo runs; everything under `base`."""
    for name, sub in {
        "IT360_INBOX": "inbox",
        "IT360_WAREHOUSE": "warehouse",
        "IT360_DELIVERY": "delivery",
        "IT360_CONTRACTS": "etc/contracts.yaml",
        "IT360_OUTBOX": "outbox",
    }.items():
        monkeypatch.setenv(name, str(base / sub))
    monkeypatch.setenv("IT360_NOW", NOW)
    monkeypatch.setenv("IT360_KEY", KEY)
    for name in ("IT360_KEY_FILE", "IT360_EXECUTOR", "IT360_SMTP", "IT360_DAILY_PUBLISH_CRON"):
        monkeypatch.delenv(name, raising=False)
    manifest = generate_sample(base / "inbox", base / "etc" / "contracts.yaml", **SAMPLE)
    definitions = build_definitions()
    days = [FIRST_DAY + dt.timedelta(days=i) for i in range(-1, DAYS)]
    with dg.instance_for_test() as instance:
        land = definitions.resolve_job_def("land_uploads")
        for day in days:
            _run(land, instance, partition_key=day.isoformat())
        generate_resends(base / "inbox", manifest, seed=1, duplicates=3, conflicts=2)
        for day in days:
            _run(land, instance, partition_key=day.isoformat())
        publish = definitions.resolve_job_def("publish_daily")
        for day in days:
            _run(publish, instance, partition_key=day.isoformat())
        with duck.connect(Root(str(base / "warehouse"))) as con:
            tmid, computer = con.execute(
                "select tmid, computer from uploads where support_id = 'S0001' "
                "and computer is not null order by tmid, sent15 limit 1"
            ).fetchone()
        orders = {
            "spot_30_days": {
                "support_id": "S0001",
                "first_day": days[0].isoformat(),
                "last_day": (days[-1] + dt.timedelta(days=1)).isoformat(),
            },
            "spot_1_year": {"support_id": "S0001", "tmid": tmid, "computer": computer},
        }
        for job_name, config in orders.items():
            job = definitions.resolve_job_def(job_name)
            _run(job, instance, run_config={"ops": {job_name: {"config": config}}})
        build = definitions.resolve_job_def("build_dashboard")
        for day in days[1:]:
            _run(build, instance, partition_key=day.isoformat())
        _run(definitions.resolve_job_def("export_ledgers"), instance)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def view_rows(base: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every analyst view's (column names, rows), volatile columns left out, in a total
    order."""
    out = {}
    with duck.connect(Root(str(base / "warehouse"))) as con:
        names = [
            r[0]
            for r in con.duckdb.execute(
                "select view_name from duckdb_views() where not internal order by view_name"
            ).fetchall()
        ]
        for name in names:
            volatile = VOLATILE.get(name, ())
            exclude = f" exclude ({', '.join(volatile)})" if volatile else ""
            cursor = con.execute(f"select *{exclude} from {name} order by all")
            columns = [d[0] for d in cursor.description]
            out[name] = (columns, cursor.fetchall())
    return out


def file_bytes(root: Path) -> dict[str, bytes]:
    if not root.exists():
        return {}
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def digests(base: Path) -> dict:
    views = {
        name: {"columns": columns, "rows": len(rows), "sha256": _sha(repr(rows).encode())}
        for name, (columns, rows) in view_rows(base).items()
    }
    files = {
        folder: {
            path: {"size": len(data), "sha256": _sha(data)}
            for path, data in file_bytes(base / folder).items()
        }
        for folder in ("delivery", "outbox")
    }
    return {"views": views, **files}


def _difference(want: dict | None, got: dict | None) -> object:
    if want is None or got is None:
        return "not recorded" if want is None else "missing"
    return {k: (want[k], got.get(k)) for k in want if want[k] != got.get(k)}


@pytest.mark.slow
def test_sample_day_matches_recorded_rows_and_bytes(tmp_path, monkeypatch):
    run_scenario(tmp_path, monkeypatch)
    got = digests(tmp_path)
    if os.environ.get("GOLDEN_UPDATE"):
        FIXTURE.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        pytest.skip("fixture updated")
    recorded = json.loads(FIXTURE.read_text())
    differing = [
        f"{part}/{name}: {_difference(recorded[part].get(name), got[part].get(name))}"
        for part in ("views", "delivery", "outbox")
        for name in sorted(set(recorded[part]) | set(got[part]))
        if recorded[part].get(name) != got[part].get(name)
    ]
    assert not differing, "differs from the recording:\n" + "\n".join(differing)

"""The demo: sample uploads for 3 contracts x 20 terminals x 3 days, landed through the real
Dagster instance (SQLite under var/dagster_home), then a short summary.

    python -m pipelines.demo [--fresh]
"""

import argparse
import datetime as dt
import os
import shutil
from pathlib import Path

import dagster as dg
from samples.generator import generate_resends, generate_sample

from pipelines.definitions import build_definitions
from pipelines.resources import build_storage
from storage import duck

REPO = Path(__file__).resolve().parent.parent
VAR = Path("var")
FIRST_DAY = dt.date(2024, 3, 18)
DAYS = 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fresh", action="store_true", help="wipe var/ first")
    args = parser.parse_args()
    if args.fresh and VAR.exists():
        shutil.rmtree(VAR)
    home = _dagster_home()
    storage = build_storage()
    print(f"generating sample uploads into {storage.inbox} ...")
    manifest = generate_sample(
        Path(storage.inbox),
        Path(storage.contracts),
        contracts=3,
        terminals=20,
        first_day=FIRST_DAY,
        days=DAYS,
    )
    days = [FIRST_DAY + dt.timedelta(days=i) for i in range(-1, DAYS)]
    instance = dg.DagsterInstance.get()
    job = build_definitions().get_job_def("land_uploads")
    for day in days:
        _land(job, instance, day)
    print("agents re-send a few uploads (duplicates and conflicts) ...")
    generate_resends(Path(storage.inbox), manifest)
    for day in days:
        _land(job, instance, day)
    _summary(storage)
    print(
        f"\nOpen the Dagster UI:  DAGSTER_HOME={home} .venv/bin/dagster dev   (then http://127.0.0.1:3000)"
    )


def _dagster_home() -> Path:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str((VAR / "dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    return home


def _land(job: dg.JobDefinition, instance: dg.DagsterInstance, day: dt.date) -> None:
    result = job.execute_in_process(instance=instance, partition_key=day.isoformat())
    meta = {}
    for event in result.get_asset_materialization_events():
        meta = {k: v.value for k, v in event.materialization.metadata.items()}
    print(
        f"  {day}: run {result.run_id[:8]} {'ok' if result.success else 'FAILED'}  "
        f"landed {meta.get('landed')}, duplicates {meta.get('duplicates')}, "
        f"quarantined {meta.get('quarantined')}, records {meta.get('records')}, "
        f"rejected {meta.get('rejected_records')}"
    )


def _summary(storage) -> None:
    con = duck.connect(storage.warehouse_root())
    print("\nraw store per contract and service day:")
    rows = con.execute(
        "select support_id, day, count(*) as uploads, count(distinct tmid) as terminals, "
        "sum(records) as records, sum(rejects) as rejects from uploads "
        "group by all order by all"
    ).fetchall()
    for support_id, day, uploads, terminals, records, rejects in rows:
        print(
            f"  {support_id} {day}  {uploads:5} uploads  {terminals:3} terminals  "
            f"{records:7} records  {rejects:3} rejected"
        )
    print("\nquarantine by reason:")
    for reason, n in con.execute(
        "select reason, count(*) from quarantine group by all order by all"
    ).fetchall():
        print(f"  {reason:22} {n}")
    print(
        f"\nwarehouse: {storage.warehouse}   (DuckDB: set variable warehouse = "
        f"'{storage.warehouse_root().url()}'; .read sql/views.sql)"
    )


if __name__ == "__main__":
    main()

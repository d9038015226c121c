"""The demo: sample uploads for 3 contracts x 20 terminals x 3 days, landed, published and
ordered through the real Dagster instance (SQLite under var/dagster_home), then a summary.

    python -m pipelines.demo [--fresh]

The sample covers 2024-03-18..20, so the demo runs with the pipeline's clock set to
2024-03-23 06:00 Japan time (IT360_NOW): the days are then inside the retained year, and every
run of the demo writes the same deliverable bytes.
"""

import argparse
import datetime as dt
import os
import shlex
import shutil
from pathlib import Path

import dagster as dg

from samples.generator import generate_resends, generate_sample
from storage import crypto, layout
from storage.roots import Root

REPO = Path(__file__).resolve().parent.parent
VAR = Path("var")
FIRST_DAY = dt.date(2024, 3, 18)
DAYS = 3
DEMO_NOW = "2024-03-23T06:00:00+09:00"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fresh", action="store_true", help="wipe var/ first")
    args = parser.parse_args()
    if args.fresh:
        # var/ holds the demo's service roots (and its key and Dagster home): all go.
        Root(str(VAR)).delete_tree("")
    os.environ.setdefault("IT360_NOW", DEMO_NOW)
    # The partitions start at the sample's first day (its landing runs start a day early).
    os.environ.setdefault("IT360_FIRST_SERVICE_DAY", str(FIRST_DAY - dt.timedelta(days=1)))
    _pin_roots()
    _demo_key()
    _dagster_home()
    env_file = _write_env_file()
    from pipelines.definitions import build_definitions
    from pipelines.resources import build_storage, env_setting

    storage = build_storage(env_setting)
    definitions = build_definitions()
    instance = dg.DagsterInstance.get()
    print(f"1. sample uploads -> {storage.inbox}")
    manifest = generate_sample(
        Path(storage.inbox),
        Path(storage.contracts),
        contracts=3,
        terminals=60,  # the generator counts terminals over all contracts: 20 each
        first_day=FIRST_DAY,
        days=DAYS,
    )
    print(
        f"   {len(manifest.entries)} inbox files for {manifest.params.get('contracts', 3)} "
        "contracts, bad ones included"
    )
    days = [FIRST_DAY + dt.timedelta(days=i) for i in range(-1, DAYS)]
    print("2. landing (job land_uploads, one run per service day)")
    land = definitions.resolve_job_def("land_uploads")
    for day in days:
        _report(_run(land, instance, partition_key=day.isoformat()), day)
    print("   agents re-send a few uploads (duplicates and conflicts) ...")
    generate_resends(Path(storage.inbox), manifest)
    for day in days:
        _report(_run(land, instance, partition_key=day.isoformat()), day)
    print("3. daily files (job publish_daily)")
    publish = definitions.resolve_job_def("publish_daily")
    for day in days:
        result = _run(publish, instance, partition_key=day.isoformat())
        print(f"   {day}: {'ok' if result.success else 'FAILED'}")
    print("4. spot orders (jobs spot_30_days and spot_1_year)")
    _spots(definitions, instance, storage)
    print("5. dashboard (job build_dashboard, one run per service day; job export_ledgers)")
    _dashboard(definitions, instance, storage, days[1:])
    _summary(storage)
    print(
        f"\nThe demo's settings: {env_file} (every README command starts with `. {env_file}`)"
        f"\nOpen the Dagster UI:  . {env_file} && .venv/bin/dagster dev"
        "   (then http://127.0.0.1:3000)"
    )


# Settings the env file never holds: secrets stay where the operator keeps them.
_SECRETS = {"IT360_KEY", "IT360_SMTP_PASSWORD"}
ENV_FILE = VAR / "env.sh"
# The two notices Dagster's CLI prints about itself on every call of a README row: `dagster
# asset materialize` and `dagster job execute` are "superseded" by `dg launch` (not in the
# stack; docs/decisions.md), and its parser of `group:` selections uses a beta parameter. Only
# warnings raised from those two modules are silenced.
CLI_NOTICES = ",".join(
    (
        "ignore::FutureWarning:click.core",
        "ignore::Warning:dagster._core.definitions.antlr_asset_selection.antlr_asset_selection",
    )
)


def _pin_roots() -> None:
    """The roots the demo uses, as absolute paths in the environment (its defaults otherwise),
    so that the env file names them whatever folder a command runs from."""
    from pipelines.resources import DEFAULTS

    for name, default in DEFAULTS.items():
        value = os.environ.get(name) or default
        os.environ[name] = value if "://" in value else str(Path(value).resolve())


def _write_env_file() -> Path:
    """`var/env.sh`: every setting this demo ran with (instance, roots, key file, clock, ...),
    for a shell to source before any command of the README."""
    names = sorted(n for n in os.environ if n.startswith("IT360_") and n not in _SECRETS)
    lines = [
        "# The settings of the last `scripts/demo.sh` (written by pipelines/demo.py).",
        "# `. var/env.sh` before a README command runs it on the demo's instance and data.",
        f"export DAGSTER_HOME={shlex.quote(os.environ['DAGSTER_HOME'])}",
        f"export PYTHONWARNINGS={shlex.quote(CLI_NOTICES)}",
        *(f"export {name}={shlex.quote(os.environ[name])}" for name in names),
    ]
    ENV_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ENV_FILE


def _demo_key() -> str:
    """The warehouse key: the operator's if set, else a local one the demo creates once."""
    if not (os.environ.get("IT360_KEY_FILE") or os.environ.get("IT360_KEY")):
        key_file = VAR / "warehouse.key"
        if not key_file.exists():
            crypto.new_key_file(key_file)
        os.environ["IT360_KEY_FILE"] = str(key_file.resolve())
    return os.environ.get("IT360_KEY_FILE", "<your key file>")


def _dagster_home() -> Path:
    home = Path(os.environ.setdefault("DAGSTER_HOME", str((VAR / "dagster_home").resolve())))
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "deploy" / "dagster.local.yaml", home / "dagster.yaml")
    return home


def _run(
    job: dg.JobDefinition,
    instance: dg.DagsterInstance,
    partition_key: str | None = None,
    run_config: dict | None = None,
) -> dg.ExecuteInProcessResult:
    """One run through the instance (it shows in the UI), with the console kept quiet."""
    return job.execute_in_process(
        instance=instance, partition_key=partition_key, run_config={**(run_config or {}), **QUIET}
    )


def _report(result: dg.ExecuteInProcessResult, day: dt.date) -> None:
    meta = {}
    for event in result.get_asset_materialization_events():
        meta = {k: v.value for k, v in event.materialization.metadata.items()}
    print(
        f"   {day}: {'ok' if result.success else 'FAILED'}  landed {meta.get('run_landed')}, "
        f"duplicates {meta.get('run_duplicates')}, quarantined {meta.get('run_quarantined')}, "
        f"records {meta.get('run_records')}, rejected {meta.get('run_rejected_records')}"
    )


def _spots(definitions: dg.Definitions, instance: dg.DagsterInstance, storage) -> None:
    from storage import duck

    con = duck.connect(storage.warehouse_root())
    tmid, computer = con.execute(
        "select tmid, computer from uploads where support_id = 'S0001' and computer is not null "
        "order by tmid, sent15 limit 1"
    ).fetchone()
    orders = {
        "spot_30_days": {
            "support_id": "S0001",
            "first_day": "2024-03-17",
            "last_day": "2024-03-21",
        },
        "spot_1_year": {"support_id": "S0001", "tmid": tmid, "computer": computer},
    }
    for job_name, config in orders.items():
        job = definitions.resolve_job_def(job_name)
        result = _run(job, instance, run_config={"ops": {job_name: {"config": config}}})
        print(f"   {job_name} {config}: {'ok' if result.success else 'FAILED'}")


def _dashboard(
    definitions: dg.Definitions, instance: dg.DagsterInstance, storage, days: list[dt.date]
) -> None:
    """Build each day's aggregates and the ledger exports, then show what the portal shows."""
    from storage import aggregates

    build = definitions.resolve_job_def("build_dashboard")
    for day in days:
        result = _run(build, instance, partition_key=day.isoformat())
        print(f"   {day}: {'ok' if result.success else 'FAILED'}")
    exports = _run(definitions.resolve_job_def("export_ledgers"), instance)
    print(f"   ledger exports: {'ok' if exports.success else 'FAILED'}")
    day = days[-1]
    print(f"   top risk operations on {day} (the portal's read_aggregate):")
    for contract in storage.load_contracts():
        sid = contract.support_id
        risks = aggregates.read_aggregate(
            storage.warehouse_root(), "risk_operations", sid, day, day
        )
        top = sorted(risks.to_pylist(), key=lambda r: (-r["risk_records"], r["tmid"]))[:2]
        for row in top:
            print(
                f"     {sid} {row['tmid'][:14]}... user {row['user'] or '-':12} "
                f"{row['risk_records']:3} risk records (USB copies {row['copies_to_removable']}, "
                f"web uploads {row['web_uploads']}, mails outside {row['mails_outside']})"
            )
        print(f"     {sid} ledger: {storage.delivery}/{layout.ledger_export(sid)}")


def _summary(storage) -> None:
    from storage import duck

    con = duck.connect(storage.warehouse_root())
    print("\nraw store per contract and service day:")
    rows = con.execute(
        "select support_id, day, count(*), count(distinct tmid), sum(records), sum(rejects) "
        "from uploads group by all order by all"
    ).fetchall()
    for support_id, day, uploads, terminals, records, rejects in rows:
        print(
            f"  {support_id} {day}  {uploads:4} uploads  {terminals:3} terminals  "
            f"{records:6} records  {rejects:3} rejected"
        )
    print("\nquarantine by reason:")
    for reason, n in con.execute(
        "select reason, count(*) from quarantine group by all order by all"
    ).fetchall():
        print(f"  {reason:22} {n}")
    print("\ndeliverables:")
    for kind, path, uploads, size in con.execute(
        "select kind, path, uploads, size from publications order by path"
    ).fetchall():
        print(f"  {kind:13} {storage.delivery}/{path}  ({uploads} uploads, {size} bytes)")
    from pipelines.resources import env_setting

    print(f"\nnotices: {env_setting('IT360_OUTBOX')}/")
    print(
        f'analysts: . {ENV_FILE} && .venv/bin/python -m storage.duck "from uploads limit 5"'
        "   (or the DuckDB command line, see README.md)"
    )


if __name__ == "__main__":
    main()

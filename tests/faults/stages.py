"""The pipeline's stages as plain functions the fault harness can run, kill and re-run.

Each takes a `Workspace` as keyword arguments (every root a local folder or `s3://` URL) and
calls the same functions the Dagster assets call. `PIPELINE` is their order; the harness
starts a workspace from a clean run's state before the stage it kills, kills it, re-runs it,
compares everything a reader sees with the clean run right after that stage, then runs the
export if it comes later and compares its files (byte for byte) with the clean run's.

A stage for the dashboard build joins `PIPELINE` when the `dashboard` asset group exists
(`assets/dashboard_build.py`).
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
from dataclasses import asdict, dataclass

from assets.delivery import build as deliverables
from assets.landing.land import LandingLimits, land_day
from storage.contracts import load_contracts
from storage.notices import OutboxSender
from storage.roots import Root

# The pipeline's clock for publications: 2024-03-22 06:00 Japan time (D+2 of 2024-03-20).
NOW = dt.datetime(2024, 3, 21, 21, 0, tzinfo=dt.UTC)
BATCH_FILES = 5  # several landing batches even in a small sample


@dataclass(frozen=True)
class Workspace:
    inbox: str
    warehouse: str
    delivery: str
    outbox: str
    contracts: str
    days: tuple[str, ...]

    def kwargs(self) -> dict:
        return asdict(self)

    def roots(self) -> dict[str, Root]:
        return {k: _root(getattr(self, k)) for k in ("inbox", "warehouse", "delivery", "outbox")}


@functools.lru_cache(maxsize=64)
def _root(uri: str) -> Root:
    """The tests' own Root per URI (an S3 Root costs a client; the stages make their own)."""
    return Root(uri)


def _quiet(_msg: str) -> None:
    pass


def land(*, inbox, warehouse, contracts, days, progress=_quiet, **_) -> None:
    """Raw landing of every day (as the `raw_uploads` asset does, one run per day)."""
    ids = frozenset(c.support_id for c in load_contracts(contracts))
    for day in days:
        land_day(
            Root(inbox),
            Root(warehouse),
            ids,
            dt.date.fromisoformat(day),
            limits=LandingLimits(batch_files=BATCH_FILES),
            progress=progress,
        )


def publish(*, warehouse, delivery, outbox, contracts, days, progress=_quiet, **_) -> None:
    """The daily export of every day (as the `daily_deliverable` asset does)."""
    roots = deliverables.Roots(Root(warehouse), Root(delivery))
    for day in days:
        deliverables.publish_daily_files(
            roots,
            load_contracts(contracts),
            dt.date.fromisoformat(day),
            NOW,
            OutboxSender(Root(outbox), folder=""),
            log=progress,
        )


def dashboard(*, warehouse, contracts, days, **_) -> None:
    """The dashboard build of every day (as the `dashboard_day` asset does)."""
    from assets.dashboard import build as dashboard_build

    wh = Root(warehouse)
    for day in days:
        dashboard_build.build_day(wh, load_contracts(contracts), dt.date.fromisoformat(day))


def compact(*, warehouse, contracts, days, **_) -> None:
    """Raw compaction of every contract-day (as the `compact_raw` job does)."""
    from storage import compaction

    wh = Root(warehouse)
    for contract in load_contracts(contracts):
        for day in days:
            compaction.compact_day(wh, contract.support_id, dt.date.fromisoformat(day))


def has_dashboard() -> bool:
    return importlib.util.find_spec("assets.dashboard.build") is not None


# The daily export and the dashboard both read the raw store only; the export goes first so
# that a kill of the landing is followed by an export, whose bytes must equal a clean run's.
LAND = "tests.faults.stages:land"
PUBLISH = "tests.faults.stages:publish"
DASHBOARD = "tests.faults.stages:dashboard"
COMPACT = "tests.faults.stages:compact"  # not in PIPELINE: needs a day landed in several runs
PIPELINE: tuple[str, ...] = (LAND, PUBLISH, *((DASHBOARD,) if has_dashboard() else ()))


def run(stage: str, ws: Workspace, **extra) -> None:
    """Run a stage of `PIPELINE` in this process."""
    module, _, name = stage.partition(":")
    assert module == __name__, stage
    globals()[name](**ws.kwargs(), **extra)


if __name__ == "__main__":  # python -m tests.faults.stages STAGE WORKSPACE_JSON
    import json
    import sys

    from tests.faults import stages  # this file under its own name, not __main__

    stage, spec = sys.argv[1], json.loads(sys.argv[2])
    spec["days"] = tuple(spec["days"])
    print("ready", flush=True)
    stages.run(stage, stages.Workspace(**spec), progress=lambda msg: print(msg, flush=True))
    print("done", flush=True)

"""Jobs and schedules of the dashboard, the ledger export, raw compaction and retention.

`build_dashboard` materialises group `dashboard` for one service day (a backfill from the UI
or `python -m pipelines.run build_dashboard --day D`); its schedule builds the day that just
closed.
"""

from __future__ import annotations

import dagster as dg

from assets.housekeeping.compaction import compact_raw
from assets.housekeeping.retention import (
    retention_aggregates,
    retention_diag,
    retention_quarantine,
    retention_raw,
)
from pipelines.schedules import STOPPED, closed_day_schedule, tokyo_schedule

build_dashboard = dg.define_asset_job(
    name="build_dashboard",
    selection=dg.AssetSelection.groups("dashboard"),
    description="Build (or rebuild) one service day's dashboard aggregates, every contract.",
)

export_ledgers = dg.define_asset_job(
    name="export_ledgers",
    selection=dg.AssetSelection.groups("clients"),
    description="Export every contract's asset ledger with the latest inventory.",
)


def build_schedules(
    status: dg.DefaultScheduleStatus = STOPPED,
) -> list[dg.ScheduleDefinition]:
    """The night's schedules, in the order they fire: retention, raw compaction, the
    dashboard build of the day that just closed, the ledger export."""
    return [
        tokyo_schedule(
            retention_aggregates,
            "0 4 * * *",
            "Deletes dashboard aggregates older than 90 days.",
            status=status,
        ),
        tokyo_schedule(
            retention_raw, "10 4 * * *", "Deletes raw partitions older than a year.", status=status
        ),
        tokyo_schedule(
            retention_quarantine,
            "20 4 * * *",
            "Deletes quarantine partitions older than a year.",
            status=status,
        ),
        tokyo_schedule(
            retention_diag,
            "15 * * * *",
            "Deletes diagnostic bundles 72 hours after arrival (hourly).",
            status=status,
        ),
        tokyo_schedule(
            compact_raw,
            "15 5 * * *",
            "Merges the raw parts of the day that just closed (and late parts of the week "
            "before), before its dashboard build at 05:30.",
            status=status,
        ),
        closed_day_schedule(
            "dashboard_schedule",
            build_dashboard,
            "30 5 * * *",
            days_back=1,
            run_key_prefix="dashboard",
            description="Builds service day D's dashboard at 05:30 on D+1 (Japan time), once it "
            "closed.",
            status=status,
        ),
        tokyo_schedule(
            export_ledgers,
            "30 6 * * *",
            "Exports the asset ledgers after the night's dashboard build.",
            name="ledger_export_schedule",
            status=status,
        ),
    ]

"""Every job of the code location, in one place: run by sensors, schedules, the operator's
command (`python -m pipelines.run`), the CLI and the UI.

Asset jobs are named selections of asset groups; their partitions are the selected assets'
(the service day), inferred by Dagster. Op jobs run one op once (an order, retention,
compaction, expiry, the hand-over); each job's op carries the job's own name, so its run config
reads `ops: {<job>: ...}`.
"""

from __future__ import annotations

import dagster as dg

from assets.delivery.publish import expire_deliverables_op, spot_1_year_op, spot_30_days_op
from assets.housekeeping.compaction import compact_raw_op
from assets.housekeeping.diag_bundles import collect_diag_bundles_op
from assets.housekeeping.retention import (
    retention_aggregates_op,
    retention_diag_op,
    retention_quarantine_op,
    retention_raw_op,
)


def op_job(op: dg.OpDefinition, name: str, description: str) -> dg.JobDefinition:
    """A job running `op` once; its graph is named `<name>_graph`, as the UI has shown it."""
    graph = dg.GraphDefinition(name=f"{name}_graph", node_defs=[op])
    return graph.to_job(name=name, description=description)


# -- asset jobs: one service day of an asset group --------------------------------------------
land_uploads = dg.define_asset_job(
    name="land_uploads",
    selection=dg.AssetSelection.groups("raw"),
    description="Land one service day's uploads from the inboxes into the raw store.",
)
publish_daily = dg.define_asset_job(
    name="publish_daily",
    selection=dg.AssetSelection.groups("delivery"),
    description="Publish one service day's daily files (log download option).",
)
# A backfill from the UI or `python -m pipelines.run build_dashboard --day D`; its schedule
# builds the day that just closed.
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

# -- orders ----------------------------------------------------------------------------------
spot_30_days = op_job(spot_30_days_op, "spot_30_days", "Log spot service, 30 days (all terminals).")
spot_1_year = op_job(spot_1_year_op, "spot_1_year", "Log spot service, 1 year (one terminal).")

# -- housekeeping ----------------------------------------------------------------------------
expire_deliverables = op_job(
    expire_deliverables_op,
    "expire_deliverables",
    "Delete deliverables 30 days after publication.",
)
retention_aggregates = op_job(
    retention_aggregates_op,
    "retention_aggregates",
    "Delete dashboard aggregates older than 90 days.",
)
retention_raw = op_job(
    retention_raw_op, "retention_raw", "Delete raw partitions older than 365 days."
)
retention_diag = op_job(
    retention_diag_op, "retention_diag", "Delete diagnostic bundles 72 hours after arrival."
)
retention_quarantine = op_job(
    retention_quarantine_op,
    "retention_quarantine",
    "Delete quarantine partitions older than 365 days.",
)
compact_raw = op_job(
    compact_raw_op,
    "compact_raw",
    "Merge each terminal-day's raw part files into one (last week's closed days).",
)
collect_diag_bundles = op_job(
    collect_diag_bundles_op,
    "collect_diag_bundles",
    "Hand a contract's pending diagnostic bundles to support (decrypted) and "
    "delete them from the service.",
)

ALL_JOBS = (
    land_uploads,
    publish_daily,
    spot_30_days,
    spot_1_year,
    expire_deliverables,
    build_dashboard,
    export_ledgers,
    retention_aggregates,
    retention_raw,
    retention_diag,
    retention_quarantine,
    collect_diag_bundles,
    compact_raw,
)

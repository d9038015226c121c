"""Jobs: named selections of assets, run by sensors, schedules, the CLI and the UI."""

from __future__ import annotations

import dagster as dg

from pipelines.partitions import service_day_partitions

land_uploads = dg.define_asset_job(
    name="land_uploads",
    selection=dg.AssetSelection.groups("raw"),
    partitions_def=service_day_partitions,
    description="Land one service day's uploads from the inboxes into the raw store.",
)

publish_daily = dg.define_asset_job(
    name="publish_daily",
    selection=dg.AssetSelection.groups("delivery"),
    partitions_def=service_day_partitions,
    description="Publish one service day's daily files (log download option).",
)

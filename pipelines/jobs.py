"""Jobs: named selections of assets, run by sensors, schedules, the CLI and the UI.

Their partitions are the selected assets' (the service day), inferred by Dagster."""

from __future__ import annotations

import dagster as dg

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

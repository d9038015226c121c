"""The inbox sensor: requests a landing run for every service day with new inbox files."""

import datetime as dt
import json

import dagster as dg

from assets.landing.dead_runs import fail_dead_runs
from assets.partitions import first_service_day, service_day_partitions
from assets.resources import ServiceStorage
from pipelines.jobs import land_uploads
from transforms.inbox_runs import landing_runs, pending_days


def build_inbox_sensor(
    interval_seconds: int, status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED
) -> dg.SensorDefinition:
    """`status`: the default the Definitions pass (pipelines/automation.py)."""

    @dg.sensor(
        name="inbox_sensor",
        job=land_uploads,
        minimum_interval_seconds=interval_seconds,
        default_status=status,
        description="Requests a landing run for every service day that has new inbox files.",
    )
    def inbox_sensor(context: dg.SensorEvaluationContext, storage: ServiceStorage):
        # Runs killed outright keep run-queue places for ever; freed here, so the landings
        # this tick asks for can start (assets/landing/dead_runs.py).
        for line in fail_dead_runs(context.instance).values():
            context.log.warning(line)
        cursor = json.loads(context.cursor) if context.cursor else {}
        # As the landing lists it: entries that are not regular files are settled by a landing
        # run too.
        entries = storage.inbox_root().list_entries()
        listing = entries.every_entry()
        # Real time, not the clock resource: landing decides days by real time too.
        pending = pending_days(
            listing,
            storage.contract_ids(),
            dt.datetime.now(dt.UTC),
            first_service_day(),
            not_files=entries.not_files,
        )
        keys = set(service_day_partitions.get_partition_keys())
        runs, new_cursor = landing_runs(pending, cursor, keys)
        context.update_cursor(json.dumps(new_cursor, sort_keys=True))
        if not runs:
            return dg.SkipReason(f"no new inbox files ({len(listing)} waiting)")
        return [
            dg.RunRequest(
                partition_key=run.day,
                run_key=run.run_key,
                tags={"it360/trigger": "inbox_sensor"},
            )
            for run in runs
        ]

    return inbox_sensor

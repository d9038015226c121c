"""Sensors: the inbox sensor that requests landing runs for service days with new files."""

import datetime as dt
import hashlib
import json
from collections.abc import Callable

import dagster as dg

from assets.landing import list_inbox
from pipelines.jobs import land_uploads
from pipelines.partitions import service_day_partitions
from pipelines.resources import ServiceStorage
from transforms.inbox import Kind, classify
from transforms.service_day import service_day_of_instant


def pending_days(
    listing: dict[str, int], contracts: frozenset[str], now: dt.datetime
) -> dict[str, str]:
    """Service day -> a digest of its waiting files. Dayless files and bundles go to the
    current service day's run (any landing run settles them)."""
    today = service_day_of_instant(now).isoformat()
    files: dict[str, list[str]] = {}
    for path, size in sorted(listing.items()):
        entry = classify(path, contracts)
        if entry.kind is Kind.IGNORED:
            continue
        day = entry.service_day.isoformat() if entry.kind is Kind.UPLOAD else today
        files.setdefault(day, []).append(f"{path}\0{size}")
    return {day: hashlib.sha256("\n".join(p).encode()).hexdigest()[:16] for day, p in files.items()}


def plan_runs(
    pending: dict[str, str], cursor: dict[str, str], valid_keys: Callable[[str], bool]
) -> tuple[list[dg.RunRequest], dict[str, str]]:
    """Requests for days whose waiting files changed since the cursor; run keys are the
    day plus the digest, so the same files never start two runs."""
    requests = [
        dg.RunRequest(
            partition_key=day,
            run_key=f"land-{day}-{digest}",
            tags={"it360/trigger": "inbox_sensor"},
        )
        for day, digest in sorted(pending.items())
        if cursor.get(day) != digest and valid_keys(day)
    ]
    return requests, dict(pending)


def build_inbox_sensor(interval_seconds: int) -> dg.SensorDefinition:
    @dg.sensor(
        name="inbox_sensor",
        job=land_uploads,
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="Requests a landing run for every service day that has new inbox files.",
    )
    def inbox_sensor(context: dg.SensorEvaluationContext, storage: ServiceStorage):
        cursor = json.loads(context.cursor) if context.cursor else {}
        listing = list_inbox(storage.inbox_root())
        pending = pending_days(listing, storage.contract_ids(), dt.datetime.now(dt.UTC))
        keys = set(service_day_partitions.get_partition_keys())
        requests, new_cursor = plan_runs(pending, cursor, keys.__contains__)
        context.update_cursor(json.dumps(new_cursor, sort_keys=True))
        if not requests:
            return dg.SkipReason(f"no new inbox files ({len(listing)} waiting)")
        return requests

    return inbox_sensor

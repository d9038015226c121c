"""The inbox sensor: one run request per service day with new files, deterministic keys."""

import json

import dagster as dg

from pipelines.definitions import build_definitions
from pipelines.sensors import build_inbox_sensor
from tests.assets.landing_helpers import sample_days
from tests.conftest import storage_for


def evaluate(sensor, storage, cursor=None):
    with (
        dg.instance_for_test() as instance,
        dg.build_sensor_context(
            cursor=cursor,
            resources={"storage": storage},
            definitions=build_definitions(),
            instance=instance,
        ) as context,
    ):
        result = sensor.evaluate_tick(context)
        return result, context.cursor


def test_one_request_per_day_then_nothing_until_new_files(sample):
    base, manifest = sample
    sensor = build_inbox_sensor(120)
    storage = storage_for(base)
    result, cursor = evaluate(sensor, storage)
    requested = {r.partition_key for r in result.run_requests}
    assert {d.isoformat() for d in sample_days(manifest)} <= requested
    assert len({r.run_key for r in result.run_requests}) == len(result.run_requests)
    again, _ = evaluate(sensor, storage)
    assert [r.run_key for r in again.run_requests] == [r.run_key for r in result.run_requests]
    quiet, cursor2 = evaluate(sensor, storage, cursor)
    assert quiet.run_requests == [] and cursor2 == cursor
    day = sample_days(manifest)[0].isoformat()
    entry = next(e for e in manifest.select(outcome="landed") if e.service_day == day)
    new = base / "inbox" / entry.path.replace(entry.path[-36:-4], "N" * 32)
    new.write_bytes((base / "inbox" / entry.path).read_bytes())
    after, cursor3 = evaluate(sensor, storage, cursor)
    assert [r.partition_key for r in after.run_requests] == [day]
    assert after.run_requests[0].tags["it360/trigger"] == "inbox_sensor"
    # The cursor holds each day's digest of its files: only the changed day's moved, and it
    # ends the new run key; from that cursor the next tick is quiet again.
    old, new = json.loads(cursor), json.loads(cursor3)
    assert {d for d in new if new[d] != old.get(d)} == {day}
    assert after.run_requests[0].run_key == f"land-{day}-{new[day]}"
    assert evaluate(sensor, storage, cursor3)[0].run_requests == []

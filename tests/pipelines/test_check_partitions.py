"""Checks carry their day: every asset check is partitioned by service day, and a result is
stored in the instance with the partition it checked (assets/partitions.day_check)."""

import dagster as dg

from assets.landing.raw import ACCOUNTED, CONSISTENT, raw_uploads
from assets.partitions import service_day_partitions
from pipelines.definitions import build_definitions
from tests.assets.landing_helpers import sample_days
from tests.conftest import storage_for


def test_every_check_is_partitioned_by_the_service_day():
    graph = build_definitions().resolve_asset_graph()
    assert len(graph.asset_check_keys) == 6
    for key in graph.asset_check_keys:
        assert graph.get(key).partitions_def is service_day_partitions, key


def test_the_instance_stores_each_check_result_with_its_day(sample):
    base, manifest = sample
    days = [d.isoformat() for d in sample_days(manifest)[:2]]
    with dg.instance_for_test() as instance:
        for day in days:
            result = dg.materialize(
                [raw_uploads],
                partition_key=day,
                instance=instance,
                resources={"storage": storage_for(base)},
            )
            assert result.success
            assert {e.partition for e in result.get_asset_check_evaluations()} == {day}
        for name in (ACCOUNTED, CONSISTENT):
            key = dg.AssetCheckKey(dg.AssetKey("raw_uploads"), name)
            history = instance.event_log_storage.get_asset_check_execution_history(key, limit=10)
            # newest first; each record and its evaluation name the day that run checked
            assert [r.partition for r in history] == days[::-1]
            for record in history:
                evaluation = record.event.dagster_event.event_specific_data
                assert evaluation.partition == record.partition
                assert evaluation.passed

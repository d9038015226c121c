"""S3 errors injected by a proxy in front of moto (tests/faults/s3proxy.py): a failed PUT, a
timeout, a dropped connection are retried and the run ends as a clean run would; an outage
that outlasts every retry fails the run cleanly (nothing partial visible, nothing consumed),
and the run after it ends as a clean run would.

Who retries what: botocore retries each request (here: `standard` mode, 2 attempts); what
escapes it is retried by storage/roots.py (`retrying`, 4 attempts of the whole operation);
what escapes that fails the step, which Dagster retries (RetryPolicy).
"""

from __future__ import annotations

import logging
import shutil

import pytest

from storage import layout, locks
from tests.faults import harness, stages
from tests.faults.conftest import end_state, workspace

pytestmark = pytest.mark.s3
LAND, PUBLISH = 0, 1
ROOTS_LOG = "storage.roots"


def setup(clean_run, proxy, tmp_path, index: int, prefix: str = "svc") -> stages.Workspace:
    folder = tmp_path / prefix
    shutil.copytree(clean_run.states[index], folder)
    return workspace(folder, clean_run.days, f"{proxy.bucket}/{prefix}")


def assert_as_clean(clean_run, ws, index: int) -> None:
    got = end_state(ws)
    for part, want in clean_run.seen[index].items():
        assert got[part] == want, part
    wh = ws.roots()["warehouse"]
    assert wh.list_files(layout.JOURNAL) == [] and wh.list_files(locks.LOCKS) == []


def test_put_failures_are_retried_and_the_landing_ends_as_a_clean_one(
    clean_run, s3_proxy, tmp_path, caplog
):
    ws = setup(clean_run, s3_proxy, tmp_path, LAND)
    # Three 500s in a row for the first uploads part: botocore's two attempts give up, the
    # whole write is made again (storage/roots.py), and its second attempt gets through.
    s3_proxy.fail("PUT", r"/warehouse/raw/uploads/", "500", times=3)
    with caplog.at_level(logging.WARNING, logger=ROOTS_LOG):
        stages.run(stages.LAND, ws)
    assert [f for _, _, f in s3_proxy.injected] == ["500"] * 3
    assert any("write_bytes" in r.getMessage() for r in caplog.records if r.name == ROOTS_LOG)
    assert_as_clean(clean_run, ws, LAND)


def test_a_read_timeout_and_a_dropped_connection_are_retried(
    clean_run, s3_proxy, tmp_path, monkeypatch
):
    monkeypatch.setenv("IT360_S3_TIMEOUT_SECONDS", "1")
    ws = setup(clean_run, s3_proxy, tmp_path, LAND)
    # The PUT reaches S3 but its answer never comes: the client times out and sends it again.
    s3_proxy.fail("PUT", r"/warehouse/raw/records/", "stall", times=1, stall_seconds=3)
    s3_proxy.fail("GET", r"/inbox/S000", "reset", times=2)
    stages.run(stages.LAND, ws)
    assert sorted(f for _, _, f in s3_proxy.injected) == ["reset", "reset", "stall"]
    assert_as_clean(clean_run, ws, LAND)


def test_an_outage_past_every_retry_fails_the_landing_cleanly_and_the_next_run_recovers(
    clean_run, s3_proxy, tmp_path
):
    ws = setup(clean_run, s3_proxy, tmp_path, LAND)
    inbox_before = ws.roots()["inbox"].list_files()
    s3_proxy.fail("PUT", r"/warehouse/_state/journal/.*\.committed", "500", times=None)
    with pytest.raises(OSError, match="internal error"):
        stages.run(stages.LAND, ws)
    roots = ws.roots()
    assert roots["inbox"].list_files() == inbox_before  # nothing consumed
    harness.assert_every_visible_file_is_whole(roots["warehouse"])
    assert roots["warehouse"].list_files(locks.LOCKS) == []  # the lease was released
    s3_proxy.clear()
    stages.run(stages.LAND, ws)
    assert_as_clean(clean_run, ws, LAND)


def test_the_daily_export_retries_a_failed_put_and_an_outage_publishes_nothing(
    clean_run, s3_proxy, tmp_path
):
    ws = setup(clean_run, s3_proxy, tmp_path, PUBLISH)
    s3_proxy.fail("PUT", r"/delivery/it360-log/", "500", times=1)
    stages.run(stages.PUBLISH, ws)
    assert len(s3_proxy.injected) == 1
    assert_as_clean(clean_run, ws, PUBLISH)

    ws = setup(clean_run, s3_proxy, tmp_path, PUBLISH, "outage")
    s3_proxy.fail("PUT", r"/delivery/it360-log/", "500", times=None)
    with pytest.raises(OSError):
        stages.run(stages.PUBLISH, ws)
    roots = ws.roots()
    assert roots["delivery"].list_files() == [] and roots["outbox"].list_files() == []
    assert harness.warehouse_rows(roots["warehouse"])["publications"] == []
    s3_proxy.clear()
    stages.run(stages.PUBLISH, ws)
    assert_as_clean(clean_run, ws, PUBLISH)

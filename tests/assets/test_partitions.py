"""The service-day partitions start at the first service day setting (IT360_FIRST_SERVICE_DAY)
and end at the clock's service day; moving the start keeps every landed day where it is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.assets.dashboard_fixture import DAY1, DAY2
from transforms import service_day

REPO = Path(__file__).resolve().parents[2]


def test_the_setting_reads_a_day_or_falls_back_to_the_default():
    assert service_day.first_service_day(None) == service_day.DEFAULT_FIRST_SERVICE_DAY
    assert service_day.first_service_day("") == service_day.DEFAULT_FIRST_SERVICE_DAY
    assert service_day.first_service_day("2024-07-15").isoformat() == "2024-07-15"
    with pytest.raises(ValueError, match=r"^IT360_FIRST_SERVICE_DAY='2024/07/15' is not a day"):
        service_day.first_service_day("2024/07/15")


def test_a_pinned_clock_ends_the_partitions_at_its_service_day():
    import datetime as dt

    from assets.partitions import build_service_day_partitions, pinned_service_day

    first = dt.date(2024, 3, 17)
    for now, last in (
        ("2024-03-23T06:00:00+09:00", "2024-03-23"),  # after 05:00: the day in progress
        ("2024-03-23T04:59:00+09:00", "2024-03-22"),  # before 05:00: still the day before
        ("2024-03-22T20:30:00+00:00", "2024-03-23"),  # 05:30 in Tokyo
    ):
        keys = build_service_day_partitions(first, pinned_service_day(now)).get_partition_keys()
        assert keys[0] == "2024-03-17" and keys[-1] == last, now
    assert pinned_service_day(None) is None and pinned_service_day("") is None

    def today() -> str:
        # The spec's day: 05:00 to 05:00 Japan time (UTC+9, no daylight saving), i.e. the
        # UTC date four hours later; worked out here without the code under test.
        return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=4)).date().isoformat()

    before = today()
    real = build_service_day_partitions(first).get_partition_keys()
    assert real[-1] in {before, today()}  # the real clock: on to the day in progress
    pinned_now = dt.datetime.now(dt.UTC).isoformat()  # a pin of today keeps the day in progress
    keys = build_service_day_partitions(first, pinned_service_day(pinned_now)).get_partition_keys()
    assert keys[-1] in {before, today()}
    with pytest.raises(ValueError, match=r"^IT360_NOW='2024-03-23' is not an instant"):
        pinned_service_day("2024-03-23")
    with pytest.raises(ValueError, match="before IT360_FIRST_SERVICE_DAY 2024-03-17"):
        build_service_day_partitions(first, dt.date(2024, 3, 16))


@pytest.fixture(scope="module")
def started_later(hand_template, tmp_path_factory) -> tuple[Path, dict, dict]:
    """The hand-written fixture (landed on DAY1 and DAY2) read and built by a process whose
    partitions start at DAY2: (folder, what the views read before, the process's report)."""
    import shutil

    from storage import duck
    from storage.roots import Root

    base = tmp_path_factory.mktemp("later") / "fixture"
    shutil.copytree(hand_template, base)
    con = duck.connect(Root(str(base / "warehouse")))
    before = dict(con.execute("select day::varchar, count(*) from uploads group by all").fetchall())
    env = {**os.environ, "IT360_FIRST_SERVICE_DAY": DAY2.isoformat(), "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-m", "tests.assets.first_day_run", str(base), DAY2.isoformat()],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return base, before, json.loads(out.stdout.strip().splitlines()[-1])


def test_every_asset_shares_partitions_that_start_at_the_setting(started_later):
    _, _, report = started_later
    assert report["first_service_day"] == DAY2.isoformat()
    assert report["first_keys"] == [DAY2.isoformat()]
    assert report["one_definition"] and report["partitioned_assets"] > 3


def test_days_before_the_setting_stay_readable_and_a_later_day_builds(started_later):
    base, before, report = started_later
    # DAY1 is before the first partition now: its landed uploads are still in the views, same
    # rows as before; nothing was moved or re-keyed.
    assert before[DAY1.isoformat()] > 0
    assert report["uploads_by_day"] == before
    assert report["built"]
    assert list((base / "warehouse").rglob(f"*day={DAY1.isoformat()}*"))

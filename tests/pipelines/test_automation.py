"""IT360_AUTOMATION: every schedule and sensor of the Definitions starts running in production
and stopped on a checkout, the demo or a test unless asked (pipelines/automation.py)."""

import dagster as dg
import pytest

from pipelines.definitions import build_definitions

RUNNING = (dg.DefaultScheduleStatus.RUNNING, dg.DefaultSensorStatus.RUNNING)
STOPPED = (dg.DefaultScheduleStatus.STOPPED, dg.DefaultSensorStatus.STOPPED)


def statuses(monkeypatch, **env: str | None) -> tuple[set, set]:
    """The default statuses of every schedule and of every sensor, Definitions built with
    `env` (None: unset)."""
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    definitions = build_definitions()
    assert len(list(definitions.schedules)) == 9 and len(list(definitions.sensors)) == 4
    return (
        {s.default_status for s in definitions.schedules},
        {s.default_status for s in definitions.sensors},
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        # production: the warehouse named, the real clock
        ({"IT360_AUTOMATION": None, "IT360_WAREHOUSE": "s3://b/w", "IT360_NOW": None}, RUNNING),
        # a checkout: roots under ./var/
        ({"IT360_AUTOMATION": None, "IT360_WAREHOUSE": None, "IT360_NOW": None}, STOPPED),
        # the demo and the tests: a pinned clock
        (
            {
                "IT360_AUTOMATION": None,
                "IT360_WAREHOUSE": "/w",
                "IT360_NOW": "2024-03-23T06:00+09:00",
            },
            STOPPED,
        ),
        # asked for, either way
        ({"IT360_AUTOMATION": "on", "IT360_NOW": "2024-03-23T06:00+09:00"}, RUNNING),
        ({"IT360_AUTOMATION": "OFF", "IT360_WAREHOUSE": "s3://b/w", "IT360_NOW": None}, STOPPED),
    ],
)
def test_every_schedule_and_sensor_takes_the_instances_status(monkeypatch, env, expected):
    schedules, sensors = statuses(monkeypatch, **env)
    assert schedules == {expected[0]}
    assert sensors == {expected[1]}


def test_an_unknown_value_stops_the_code_location_with_one_line(monkeypatch):
    monkeypatch.setenv("IT360_AUTOMATION", "yes")
    with pytest.raises(ValueError, match="IT360_AUTOMATION='yes': expected on or off"):
        build_definitions()

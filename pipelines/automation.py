"""Whether the schedules and sensors start running: `IT360_AUTOMATION`, read once when the
Definitions are built.

`on` or `off` decides. Unset, automation is on only where the deployment looks like
production: it names its warehouse (`IT360_WAREHOUSE`) and runs on the real clock
(`IT360_NOW` unset). A checkout (roots under ./var/), the demo and the tests (clock pinned)
come up with everything stopped, so retention never runs against their data on a clock years
ahead of it. Either way an operator turns one on in the UI (the status is only a default).
See docs/decisions.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import dagster as dg

SETTING = "IT360_AUTOMATION"
_VALUES = {"on": True, "off": False}


@dataclass(frozen=True)
class Automation:
    """The default statuses every schedule and sensor of the code location is built with."""

    schedules: dg.DefaultScheduleStatus
    sensors: dg.DefaultSensorStatus


def automation_on() -> bool:
    value = os.environ.get(SETTING, "").strip().lower()
    if value:
        if value not in _VALUES:
            raise ValueError(f"{SETTING}={value!r}: expected on or off")
        return _VALUES[value]
    return bool(os.environ.get("IT360_WAREHOUSE")) and not os.environ.get("IT360_NOW")


def automation() -> Automation:
    if automation_on():
        return Automation(dg.DefaultScheduleStatus.RUNNING, dg.DefaultSensorStatus.RUNNING)
    return Automation(dg.DefaultScheduleStatus.STOPPED, dg.DefaultSensorStatus.STOPPED)

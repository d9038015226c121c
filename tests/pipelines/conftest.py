"""The job tests of this folder run on the landed hand-written fixture."""

import pytest

from assets.resources import Clock
from tests.conftest import storage_for


def resources(base, now: str) -> dict:
    """The resources of a job run over a test folder, the clock pinned at `now`."""
    return {"storage": storage_for(base), "clock": Clock(fixed=now)}


@pytest.fixture
def base(hand_base):
    """A private copy of the landed hand-written fixture (`tests/conftest.py`)."""
    return hand_base

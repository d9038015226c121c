"""The job tests of this folder run on the landed hand-written fixture."""

import pytest


@pytest.fixture
def base(hand_base):
    """A private copy of the landed hand-written fixture (`tests/conftest.py`)."""
    return hand_base

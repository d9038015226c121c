"""The landed hand-written fixture (`tests/assets/dashboard_fixture.py`), shared by the job
tests of this folder."""

import shutil

import pytest

from tests.assets.dashboard_fixture import land_fixture


@pytest.fixture(scope="module")
def fixture_template(tmp_path_factory):
    base = tmp_path_factory.mktemp("jobs") / "fixture"
    base.mkdir()
    land_fixture(base)
    return base


@pytest.fixture
def base(fixture_template, tmp_path):
    """A private copy of the landed fixture."""
    copy = tmp_path / "fixture"
    shutil.copytree(fixture_template, copy)
    return copy

"""`collect_diag_bundles`: support receives a pending bundle, decrypted, and the service no
longer holds it; a request that would leak it or names nothing pending changes nothing."""

import io
import zipfile

import pytest

from pipelines.jobs import collect_diag_bundles
from storage import blobs, layout, warehouse
from storage.roots import Root
from tests.assets.dashboard_fixture import DIAG_BUNDLE, T2
from tests.pipelines.conftest import resources

NOW = "2024-07-15T12:00:00+09:00"


def collect(base, **config):
    return collect_diag_bundles.execute_in_process(
        run_config={"ops": {"collect_diag_bundles": {"config": config}}},
        resources=resources(base, NOW),
        raise_on_error=False,
    )


def failure(result) -> str:
    assert not result.success
    return result.failure_data_for_node("collect_diag_bundles").error.message


def test_a_collected_bundle_reaches_support_whole_and_leaves_the_service(base):
    sid, name = DIAG_BUNDLE
    wh = Root(str(base / "warehouse"))
    stored = b"".join(blobs.read_blob(wh, layout.diag_bundle(sid, name)))
    assert [n for _, n in warehouse.diag_bundle_files(wh, sid)] == [name]  # T2's bundle

    result = collect(base, support_id=sid, tmid=T2, to=str(base / "support"))

    assert result.success
    meta = _metadata(result)
    assert meta["collected"] == 1 and meta["bytes"] == len(stored)
    received = (base / "support" / sid / name).read_bytes()
    assert received == stored  # the inbox file's bytes, no longer encrypted
    with zipfile.ZipFile(io.BytesIO(received)) as archive:
        assert archive.read("sysinfo.txt") == b"system information\r\n"
    assert not (base / "warehouse" / layout.diag_bundle(sid, name)).exists()
    assert warehouse.diag_bundle_files(wh, sid) == []  # the terminal is no longer diagnosing


def _metadata(result) -> dict:
    events = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return {k: v.value for k, v in events[0].event_specific_data.metadata.items()}


@pytest.mark.parametrize(
    ("config", "says"),
    [
        ({"support_id": "S1", "tmid": "NOT-A-PENDING-TMID"}, "no diagnostic bundle of S1/NOT-A"),
        ({"support_id": "S2"}, "no diagnostic bundle of S2 is pending"),
        ({"support_id": "S9"}, "'S9' is not a contract"),
        ({"support_id": "_x"}, "'_x' is not a support ID"),
    ],
)
def test_a_request_for_nothing_pending_is_refused_and_changes_nothing(base, config, says):
    sid, name = DIAG_BUNDLE
    result = collect(base, to=str(base / "support"), **config)
    assert says in failure(result)
    assert (base / "warehouse" / layout.diag_bundle(sid, name)).exists()
    assert not (base / "support").exists()


@pytest.mark.parametrize("inside", ["delivery", "delivery/it360-log/S1", "warehouse", "inbox", "."])
def test_support_cannot_collect_into_a_root_of_the_service(base, inside):
    sid, name = DIAG_BUNDLE
    to = base / inside
    result = collect(base, support_id=sid, to=str(to))
    assert "overlaps" in failure(result)
    assert (base / "warehouse" / layout.diag_bundle(sid, name)).exists()
    # No plain copy anywhere: the one file of that name is the encrypted bundle.
    assert list(base.rglob(name)) == [base / "warehouse" / layout.diag_bundle(sid, name)]

"""Landing with worker processes gives the same warehouse as landing in one process."""

import shutil

from assets.landing.land import LandingLimits
from assets.landing.work import split_shares
from samples.generator import generate_resends
from storage.roots import Root
from tests.assets.landing_helpers import fates, land_all, table_rows
from transforms.inbox import Kind, classify

IGNORE = ("batch_id", "landed_at", "quarantined_at", "logged_at", "quarantined_day")
IN_PROCESS = LandingLimits(batch_files=9, workers=1)
TWO_WORKERS = LandingLimits(batch_files=9, workers=2, parallel_from_files=0)


def land_copy(base, into, manifest, limits):
    shutil.copytree(base, into)
    wh = Root(str(into / "warehouse"))
    reports = land_all(
        Root(str(into / "inbox")), wh, str(into / "contracts.yaml"), manifest, limits=limits
    )
    return wh, reports


def test_two_workers_land_the_same_rows_and_fates_as_one_process(sample, tmp_path):
    base, manifest = sample
    one, one_reports = land_copy(base, tmp_path / "one", manifest, IN_PROCESS)
    two, two_reports = land_copy(base, tmp_path / "two", manifest, TWO_WORKERS)
    for view in ("uploads", "records", "rejects", "quarantine"):
        assert table_rows(two, view, IGNORE) == table_rows(one, view, IGNORE), view
    assert fates(two) == fates(one)
    assert [r.outcomes for r in two_reports] == [r.outcomes for r in one_reports]
    assert [r.rejects_by_reason for r in two_reports] == [r.rejects_by_reason for r in one_reports]


def test_resends_after_a_parallel_landing_are_duplicates_or_conflicts(sample, tmp_path):
    base, manifest = sample
    results = []
    for name, limits in (("one", IN_PROCESS), ("two", TWO_WORKERS)):
        wh, _ = land_copy(base, tmp_path / name, manifest, limits)
        resends = generate_resends(tmp_path / name / "inbox", manifest, seed=3)
        land_all(
            Root(str(tmp_path / name / "inbox")),
            wh,
            str(tmp_path / name / "contracts.yaml"),
            resends,
            limits=limits,
        )
        results.append((fates(wh), table_rows(wh, "quarantine", IGNORE)))
    assert results[0] == results[1]
    assert any(
        ("duplicate", None) in outcomes or ("quarantined", "conflict") in outcomes
        for outcomes in results[1][0].values()
    )


def test_shares_never_split_a_terminal(sample):
    base, _ = sample
    inbox = Root(str(base / "inbox"))
    sizes = inbox.list_sizes()
    contracts = frozenset({"S0001", "S0002", "S0003"})
    uploads = [e for e in (classify(p, contracts) for p in sorted(sizes)) if e.kind is Kind.UPLOAD]
    shares = split_shares(uploads, sizes, 2)
    assert len(shares) == 2
    assert sorted(e.path for share in shares for e in share) == sorted(e.path for e in uploads)
    tmids = [{e.name.tmid for e in share} for share in shares]
    assert not tmids[0] & tmids[1]

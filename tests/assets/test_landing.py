"""Landing a generated sample: every file in exactly one place, with the right reason."""

import datetime as dt
import hashlib
from collections import Counter

import pytest

from assets.landing.land import LandingLimits, land_day
from samples.generator import generate_resends
from storage import blobs, duck, layout
from storage.roots import Root
from tests.assets.landing_helpers import (
    fates,
    land_all,
    read_uploads_with_bytes,
    sample_days,
    snapshot,
    table_rows,
)

BATCH_AND_TIME = ("batch_id", "landed_at", "quarantined_at", "logged_at", "quarantined_day")


def roots(base):
    return Root(str(base / "inbox")), Root(str(base / "warehouse"))


def test_every_inbox_file_ends_where_the_contract_says(sample):
    base, manifest = sample
    inbox, wh = roots(base)
    reports = land_all(inbox, wh, str(base / "contracts.yaml"), manifest)
    got = fates(wh)
    expected = {e.path: [(e.outcome, e.reason)] for e in manifest.entries}
    assert got == expected
    assert all(r.accounted == r.files_seen for r in reports)
    assert not [p for p in inbox.list_files() if not p.rsplit("/", 1)[-1].startswith(".")]
    reasons = {e.reason for e in manifest.select(outcome="quarantined")}
    assert len(reasons) >= 19  # the sample holds every single-file bad kind


def test_each_landed_upload_has_its_records_rejects_and_original_bytes(sample):
    base, manifest = sample
    inbox, wh = roots(base)
    land_all(inbox, wh, str(base / "contracts.yaml"), manifest)
    con = duck.connect(wh)
    uploads = {
        row[0]: row[1:]
        for row in con.execute(
            "select upload_key || '.zip', support_id, day, computer, records, rejects, sha256 "
            "from uploads"
        ).fetchall()
    }
    landed = manifest.select(outcome="landed")
    assert len(uploads) == len(landed)
    for entry in landed:
        name = entry.path.rsplit("/", 1)[-1]
        support_id, day, computer, records, rejects, sha = uploads[name]
        assert (support_id, day.isoformat(), computer) == (
            entry.support_id,
            entry.service_day,
            entry.computer,
        )
        assert (records, rejects, sha) == (entry.records, sum(entry.rejects.values()), entry.sha256)
    by_key = Counter(con.execute("select upload_key, reason from rejects").fetchall())
    want = Counter()
    for entry in landed:
        for _line, reason in entry.reject_lines:
            want[(entry.path.rsplit("/", 1)[-1].removesuffix(".zip"), reason)] += 1
    assert by_key == want
    stored = read_uploads_with_bytes(base / "warehouse")
    for entry in landed:
        key = entry.path.rsplit("/", 1)[-1].removesuffix(".zip")
        assert hashlib.sha256(stored[key]).hexdigest() == entry.sha256


def test_record_rows_are_typed_and_counted_per_upload(sample):
    base, manifest = sample
    inbox, wh = roots(base)
    land_all(inbox, wh, str(base / "contracts.yaml"), manifest)
    con = duck.connect(wh)
    types = dict(con.execute("select column_name, column_type from (describe records)").fetchall())
    assert types["time"].startswith("TIMESTAMP") and types["seq"] == "UBIGINT"
    assert types["day"] == "DATE" and types["line_no"] == "INTEGER"
    total = con.execute("select count(*) from records").fetchone()[0]
    assert total == sum(e.records for e in manifest.select(outcome="landed"))
    assert (
        con.execute(
            "select count(*) from records where json_type(detail::json) <> 'OBJECT'"
        ).fetchone()[0]
        == 0
    )


def test_landing_again_with_nothing_new_changes_nothing(sample):
    base, manifest = sample
    inbox, wh = roots(base)
    land_all(inbox, wh, str(base / "contracts.yaml"), manifest)
    before = snapshot(base / "warehouse")
    reports = land_all(inbox, wh, str(base / "contracts.yaml"), manifest)
    assert snapshot(base / "warehouse") == before
    assert all(r.files_seen == 0 and r.batches == 0 for r in reports)


def test_small_batches_land_the_same_rows_as_one_batch(sample, tmp_path):
    base, manifest = sample
    import shutil

    shutil.copytree(base, tmp_path / "copy")
    inbox, wh = roots(base)
    land_all(inbox, wh, str(base / "contracts.yaml"), manifest)
    inbox2, wh2 = roots(tmp_path / "copy")
    reports = land_all(
        inbox2,
        wh2,
        str(tmp_path / "copy" / "contracts.yaml"),
        manifest,
        limits=LandingLimits(batch_files=7, batch_bytes=1 << 30),
    )
    assert sum(r.batches for r in reports) > len(reports)
    for view in ("uploads", "records", "rejects", "quarantine"):
        assert table_rows(wh, view, BATCH_AND_TIME) == table_rows(wh2, view, BATCH_AND_TIME)


def test_resent_uploads_are_duplicates_or_conflicts(sample):
    base, manifest = sample
    inbox, wh = roots(base)
    contracts = str(base / "contracts.yaml")
    land_all(inbox, wh, contracts, manifest)
    uploads_before = table_rows(wh, "uploads", BATCH_AND_TIME)
    resends = generate_resends(base / "inbox", manifest, duplicates=3, conflicts=2)
    reports = land_all(inbox, wh, contracts, manifest)
    assert sum(r.outcomes["duplicate"] for r in reports) == 3
    assert sum(r.quarantined_by_reason["conflict"] for r in reports) == 2
    assert table_rows(wh, "uploads", BATCH_AND_TIME) == uploads_before  # first bytes stay
    got = fates(wh)
    for entry in resends.entries:
        assert got[entry.path][-1] == (entry.outcome, entry.reason)
    con = duck.connect(wh)
    conflicts = con.execute(
        "select name, detail from quarantine where reason = 'conflict'"
    ).fetchall()
    assert len(conflicts) == 2 and all("already landed" in d for _, d in conflicts)


def test_a_tmid_under_a_second_contract_is_quarantined(sample):
    base, manifest = sample
    inbox, wh = roots(base)
    land_all(inbox, wh, str(base / "contracts.yaml"), manifest)
    cross = manifest.select(reason="cross_contract_tmid")
    assert cross
    con = duck.connect(wh)
    for entry in cross:
        owners = con.execute(
            "select distinct support_id from uploads where tmid = ?", [entry.tmid]
        ).fetchall()
        assert owners and (entry.support_id,) not in owners
        # The newcomer's quarantine row does not name the owning contract (tenant isolation).
        (detail,) = con.execute(
            "select detail from quarantine where reason = 'cross_contract_tmid' and name = ?",
            [entry.path],
        ).fetchone()
        assert entry.tmid in detail and all(owner not in detail for (owner,) in owners)


def test_diagnostic_bundles_are_moved_to_the_restricted_area_and_never_parsed(sample):
    base, manifest = sample
    inbox, wh = roots(base)
    land_all(inbox, wh, str(base / "contracts.yaml"), manifest)
    bundles = manifest.select(outcome="diag")
    assert bundles
    restricted = snapshot(base / "warehouse" / "restricted")
    assert len(restricted) == len(bundles)
    for entry in bundles:
        name = entry.path.rsplit("/", 1)[-1]
        assert f"diag/{entry.support_id}/{name}" in restricted
        # Kept encrypted: the stored bytes are not the bundle's, the decrypted ones are.
        assert restricted[f"diag/{entry.support_id}/{name}"] != entry.sha256
        stored = b"".join(blobs.read_blob(wh, layout.diag_bundle(entry.support_id, name)))
        assert hashlib.sha256(stored).hexdigest() == entry.sha256
    con = duck.connect(wh)
    keys = {k for (k,) in con.execute("select upload_key || '.zip' from uploads").fetchall()}
    assert not keys & {e.path.rsplit("/", 1)[-1] for e in bundles}


def test_a_new_upload_for_a_landed_day_adds_files_without_rewriting_the_day(sample, tmp_path):
    base, manifest = sample
    inbox, wh = roots(base)
    contracts = str(base / "contracts.yaml")
    land_all(inbox, wh, contracts, manifest)
    before = snapshot(base / "warehouse")
    # an agent re-sends one landed upload under a new upload id: a new upload of that day
    entry = manifest.select(outcome="landed", service_day=sample_days(manifest)[1])[0]
    stored = read_uploads_with_bytes(base / "warehouse")
    old_key = entry.path.rsplit("/", 1)[-1].removesuffix(".zip")
    new_name = old_key[:-32] + "Z" * 32 + ".zip"
    (base / "inbox" / entry.support_id / new_name).write_bytes(stored[old_key])
    report = land_day(
        inbox, wh, frozenset({entry.support_id}), dt.date.fromisoformat(entry.service_day)
    )
    assert report.outcomes["landed"] == 1
    after = snapshot(base / "warehouse")
    assert all(after[path] == sha for path, sha in before.items())  # nothing rewritten
    new_parts = {p for p in after if p not in before and p.startswith("raw/")}
    assert {p.split("/")[1] for p in new_parts} >= {"uploads", "records"}
    assert all(f"tmid={entry.tmid}/" in p for p in new_parts)  # only that TMID's partition


@pytest.mark.parametrize("first_service_day", ["2023-01-01", "2024-03-18"])
def test_an_upload_of_a_day_no_run_can_land_is_quarantined_by_any_run(
    tmp_path, monkeypatch, first_service_day
):
    from assets import first_day
    from samples import logs
    from transforms.reasons import Quarantine

    # Before the first service day no partition exists, whatever the landing floor was.
    monkeypatch.setattr(first_day, "FIRST_SERVICE_DAY", first_service_day)

    tmid = "0123ABCD-4567-89EF-ABCD-0123456789AB"
    inbox, wh = Root(str(tmp_path / "inbox")), Root(str(tmp_path / "warehouse"))
    folder = tmp_path / "inbox" / "S0001"
    folder.mkdir(parents=True)
    names = {}
    for label, sent15 in (
        ("before the service", "201901010900000"),  # service day 2019-01-01
        ("before the first day", "202403100900000"),  # quarantined if the service starts later
        ("clock years ahead", "203001010900000"),
        ("the run's own day", "202403180900000"),
    ):
        header = logs.build_header(tmid, "PC01")
        record = logs.build_record("2024-03-18T09:00:00.000+09:00", 1, "POWER_ON", "", "", {})
        data = logs.build_upload_zip(logs.encode_log(header, [record]), f"{sent15}.log")
        names[label] = f"{tmid}_{sent15}-{label[:1] * 32}.zip"
        (folder / names[label]).write_bytes(data)
    now = dt.datetime(2024, 3, 20, 6, 0, tzinfo=dt.UTC)
    report = land_day(inbox, wh, frozenset({"S0001"}), dt.date(2024, 3, 18), now=lambda: now)
    refused = ["before the service", "clock years ahead"]
    if first_service_day == "2024-03-18":
        refused.append("before the first day")
        assert not list(folder.iterdir())  # nothing left waiting for a run that never comes
    assert report.outcomes["landed"] == 1 and report.outcomes["quarantined"] == len(refused)
    assert report.quarantined_by_reason == {Quarantine.DAY_OUT_OF_RANGE.value: len(refused)}
    con = duck.connect(wh)
    quarantined = dict(con.execute("select name, detail from quarantine").fetchall())
    assert set(quarantined) == {f"S0001/{names[label]}" for label in refused}
    assert "2019-01-01" in quarantined[f"S0001/{names['before the service']}"]

"""Deliverables built from landed sample data, checked from their bytes."""

import datetime as dt
import email
import email.policy
import hashlib
from collections import defaultdict

import pytest

from assets.delivery import build as dl
from storage import duck
from storage.contracts import load_contracts
from storage.notices import OutboxSender
from storage.roots import Root
from tests.assets.zip_checks import check_structure, entries, inner_sha256, readers_accept
from transforms.folder_names import safe_folder_name

NOW = dt.datetime(2024, 3, 21, 21, 0, tzinfo=dt.UTC)  # 2024-03-22 06:00 JST


def setup(base, delivery="delivery"):
    contracts = {c.support_id: c for c in load_contracts(str(base / "contracts.yaml"))}
    wh = Root(str(base / "warehouse"))
    roots = dl.Roots(wh, Root(str(base / delivery)))
    return contracts, roots, OutboxSender(wh)


def landed_by(manifest, support_id, day=None):
    return [
        e
        for e in manifest.select(outcome="landed", support_id=support_id)
        if day is None or e.service_day == day
    ]


def name_of(entry):
    return entry.path.rsplit("/", 1)[-1]


def expected_daily(manifest, support_id, day):
    folders = defaultdict(list)
    for e in landed_by(manifest, support_id, day):
        folders[safe_folder_name(e.computer)].append(e)
    names = [f"{day}/"]
    for folder in sorted(folders):
        names.append(f"{day}/{folder}/")
        names += [
            f"{day}/{folder}/{name_of(e)}"
            for e in sorted(folders[folder], key=lambda e: name_of(e).split("_", 1)[1])
        ]
    return names


def test_daily_file_holds_the_days_uploads_byte_for_byte_in_order(landed):
    base, manifest = landed
    contracts, roots, sender = setup(base)
    day = "2024-03-18"
    for support_id, contract in contracts.items():
        built = dl.daily_file(roots, contract, dt.date.fromisoformat(day), NOW, sender)
        data = (base / "delivery" / "it360-log" / support_id / f"{day}.zip").read_bytes()
        assert built.publication.sha256 == hashlib.sha256(data).hexdigest()
        assert [i.filename for i in entries(data)] == expected_daily(manifest, support_id, day)
        check_structure(data)
        want = {
            f"{day}/{safe_folder_name(e.computer)}/{name_of(e)}": e.sha256
            for e in landed_by(manifest, support_id, day)
        }
        assert inner_sha256(data) == want  # byte-identical, and no other contract's upload
        readers_accept(base / "delivery" / "it360-log" / support_id / f"{day}.zip")
    folder = base / "delivery" / "it360-log"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) == sorted(
        [*contracts, *(f"{s}/{day}.zip" for s in contracts)]
    )  # nothing else in the folders


def test_folder_entries_carry_the_earliest_upload_time(landed):
    base, _manifest = landed
    contracts, roots, sender = setup(base)
    dl.daily_file(roots, contracts["S0001"], dt.date(2024, 3, 18), NOW, sender)
    data = (base / "delivery" / "it360-log" / "S0001" / "2024-03-18.zip").read_bytes()
    infos = entries(data)
    for folder in (i for i in infos if i.is_dir()):
        inside = [
            i.date_time for i in infos if not i.is_dir() and i.filename.startswith(folder.filename)
        ]
        assert folder.date_time == min(inside)


def test_the_same_deliverable_built_twice_has_the_same_bytes(landed):
    base, _ = landed
    contracts, roots, sender = setup(base)
    _, roots2, _ = setup(base, "delivery2")
    day = dt.date(2024, 3, 19)
    a = dl.daily_file(roots, contracts["S0002"], day, NOW, sender)
    b = dl.daily_file(roots2, contracts["S0002"], day, NOW + dt.timedelta(hours=5), sender)
    assert a.publication.sha256 == b.publication.sha256


def test_a_day_without_uploads_gives_no_file(landed):
    base, _ = landed
    contracts, roots, sender = setup(base)
    assert dl.daily_file(roots, contracts["S0001"], dt.date(2024, 3, 25), NOW, sender) is None
    assert not (base / "delivery").exists() or not list((base / "delivery").rglob("*.zip"))


def test_spot_30_days_writes_one_file_per_day_with_uploads(landed):
    base, manifest = landed
    contracts, roots, sender = setup(base)
    built = dl.spot_30_days(
        roots, contracts["S0001"], dt.date(2024, 3, 16), dt.date(2024, 3, 20), NOW, sender
    )
    days = sorted({e.service_day for e in landed_by(manifest, "S0001")})
    assert [b.publication.file_name for b in built] == [f"{d}_SP.zip" for d in days]
    no_data = {dt.date(2024, 3, 16) + dt.timedelta(days=i) for i in range(5)} - {
        dt.date.fromisoformat(d) for d in days
    }
    assert set(built[0].publication.days_without_data) == no_data
    for b, day in zip(built, days, strict=True):
        data = (base / "delivery" / "it360-log" / "S0001" / f"{day}_SP.zip").read_bytes()
        assert b.publication.sha256 == hashlib.sha256(data).hexdigest()
        names = [n.removeprefix(f"{day}/") for n in expected_daily(manifest, "S0001", day)[1:]]
        assert [i.filename for i in entries(data)] == names  # no date folder
        check_structure(data)
        readers_accept(base / "delivery" / "it360-log" / "S0001" / f"{day}_SP.zip")


def test_a_spot_30_days_range_without_uploads_writes_no_file_but_tells_the_customer(landed):
    base, manifest = landed
    contracts, roots, sender = setup(base)
    first, last = dt.date(2024, 3, 10), dt.date(2024, 3, 12)
    days = {dt.date.fromisoformat(e.service_day) for e in landed_by(manifest, "S0001")}
    assert not [d for d in days if first <= d <= last]
    assert dl.spot_30_days(roots, contracts["S0001"], first, last, NOW, sender) == []
    assert not (base / "delivery").exists()
    notices = sorted((base / "warehouse" / "outbox").glob("*.eml"))
    assert [n.name.split("-")[1] for n in notices] == ["no_data"]
    mail = email.message_from_bytes(notices[0].read_bytes(), policy=email.policy.default)
    assert mail["To"] == contracts["S0001"].notify_to and mail["X-IT360-Support-Id"] == "S0001"
    assert "2024-03-10 から 2024-03-12" in mail.get_content()


@pytest.mark.parametrize(
    ("first", "last", "message"),
    [
        ("2024-03-01", "2024-03-31", "31 days"),
        ("2024-03-19", "2024-03-18", "before first_day"),
        ("2023-03-01", "2023-03-05", "outside the retained year"),
        ("2024-03-20", "2024-03-23", "outside the retained year"),  # runs past today
    ],
)
def test_spot_30_days_refusals_write_nothing(landed, first, last, message):
    base, _ = landed
    contracts, roots, sender = setup(base)
    with pytest.raises(dl.Refusal, match=message):
        dl.spot_30_days(
            roots,
            contracts["S0001"],
            dt.date.fromisoformat(first),
            dt.date.fromisoformat(last),
            NOW,
            sender,
        )
    assert not (base / "delivery").exists()
    assert duck.connect(roots.warehouse).execute(
        "select count(*) from publications"
    ).fetchone() == (0,)


def test_spot_1_year_holds_every_upload_of_one_terminal_by_day(landed):
    base, manifest = landed
    contracts, roots, sender = setup(base)
    renamed = manifest.select(tag="renamed")
    entry = renamed[0] if renamed else landed_by(manifest, "S0001")[0]
    mine = [
        e
        for e in manifest.select(outcome="landed", support_id=entry.support_id)
        if e.tmid == entry.tmid
    ]
    computers = {e.computer for e in mine if e.computer}
    built = dl.spot_1_year(
        roots, contracts[entry.support_id], entry.tmid, sorted(computers)[0], None, NOW, sender
    )
    assert built.publication.file_name == f"{entry.tmid}_AllData_2024-03-22.zip"
    data = (
        base / "delivery" / "it360-log" / entry.support_id / built.publication.file_name
    ).read_bytes()
    want = {f"{e.service_day}/{name_of(e)}": e.sha256 for e in mine}
    assert inner_sha256(data) == want
    days = sorted({e.service_day for e in mine})
    assert [i.filename for i in entries(data) if i.is_dir()] == [f"{d}/" for d in days]
    check_structure(data)
    readers_accept(base / "delivery" / "it360-log" / entry.support_id / built.publication.file_name)
    for other in computers:  # every name the PC carried is accepted, in any case
        dl.spot_1_year(
            roots,
            contracts[entry.support_id],
            entry.tmid,
            other.lower(),
            dt.date(2024, 3, 23),
            NOW,
            sender,
        )


def test_spot_1_year_refusals_write_nothing(landed):
    base, manifest = landed
    contracts, roots, sender = setup(base)
    entry = landed_by(manifest, "S0001")[0]
    other = landed_by(manifest, "S0002")[0]
    with pytest.raises(dl.Refusal, match="never received TMID"):
        dl.spot_1_year(
            roots,
            contracts["S0001"],
            "ZZZZZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZZZZZZZZZ",
            "PC",
            None,
            NOW,
            sender,
        )
    with pytest.raises(dl.Refusal, match="never received TMID"):  # another contract's PC
        dl.spot_1_year(roots, contracts["S0001"], other.tmid, other.computer, None, NOW, sender)
    with pytest.raises(dl.Refusal, match="carries computer name 'NOT-THIS-PC'") as refused:
        dl.spot_1_year(roots, contracts["S0001"], entry.tmid, "NOT-THIS-PC", None, NOW, sender)
    assert entry.computer not in str(refused.value)  # failures are kept in plain text
    assert not (base / "delivery").exists()


def test_deliverables_expire_30_days_after_publication(landed):
    base, _ = landed
    contracts, roots, sender = setup(base)
    built = dl.daily_file(roots, contracts["S0001"], dt.date(2024, 3, 18), NOW, sender)
    path = base / "delivery" / built.publication.path
    assert dl.expire(roots, NOW + dt.timedelta(days=29, hours=23)) == []
    assert path.exists()
    assert dl.expire(roots, NOW + dt.timedelta(days=30)) == [built.publication.path]
    assert not path.exists()
    assert dl.expire(roots, NOW + dt.timedelta(days=31)) == []
    row = (
        duck.connect(roots.warehouse)
        .execute(
            "select expired_at from publications where publication_id = ?",
            [built.publication.publication_id],
        )
        .fetchone()
    )
    assert row[0] is not None


def test_publication_records_and_notices(landed):
    base, _ = landed
    contracts, roots, sender = setup(base)
    built = dl.daily_file(roots, contracts["S0001"], dt.date(2024, 3, 18), NOW, sender)
    con = duck.connect(roots.warehouse)
    kind, size, sha, uploads = con.execute(
        "select kind, size, sha256, uploads from publications"
    ).fetchone()
    assert (kind, size, sha, uploads) == (
        "daily",
        built.publication.size,
        built.publication.sha256,
        built.publication.uploads,
    )
    notices = list((base / "warehouse" / "outbox").glob("*.eml"))
    assert len(notices) == 1
    text = notices[0].read_bytes()
    assert contracts["S0001"].notify_to.encode() in text
    assert b"2024-03-18.zip" in text


def test_a_late_upload_is_reported_and_the_published_file_is_kept(landed):
    base, manifest = landed
    contracts, roots, sender = setup(base)
    day = dt.date(2024, 3, 18)
    built = dl.daily_file(roots, contracts["S0001"], day, NOW, sender)
    # one more upload of that day lands after publication
    from assets.landing.land import land_day
    from tests.assets.landing_helpers import read_uploads_with_bytes

    entry = landed_by(manifest, "S0001", day.isoformat())[0]
    key = name_of(entry).removesuffix(".zip")
    inbox = base / "inbox" / "S0001"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / f"{key[:-32]}{'L' * 32}.zip").write_bytes(
        read_uploads_with_bytes(base / "warehouse")[key]
    )
    land_day(Root(str(base / "inbox")), roots.warehouse, frozenset({"S0001"}), day)
    late = dl.detect_late_uploads(roots, "S0001", day, NOW + dt.timedelta(hours=1))
    assert late == [f"{key[:-32]}{'L' * 32}"]
    assert dl.detect_late_uploads(roots, "S0001", day, NOW + dt.timedelta(hours=2)) == late
    con = duck.connect(roots.warehouse)
    assert con.execute("select count(*) from late_uploads").fetchone() == (1,)  # recorded once
    assert con.execute(
        "select late_uploads from publications where publication_id = ?",
        [built.publication.publication_id],
    ).fetchone() == (1,)


def test_the_delivery_root_on_s3(landed, s3_env):
    base, _ = landed
    contracts, roots, sender = setup(base)
    s3_roots = dl.Roots(roots.warehouse, Root(f"s3://{s3_env}/customer-storage"))
    day = dt.date(2024, 3, 19)
    local = dl.daily_file(roots, contracts["S0001"], day, NOW, sender)
    remote = dl.daily_file(s3_roots, contracts["S0001"], day, NOW, sender)
    assert remote.url == f"s3://{s3_env}/customer-storage/it360-log/S0001/2024-03-19.zip"
    data = s3_roots.delivery.read_bytes("it360-log/S0001/2024-03-19.zip")
    assert hashlib.sha256(data).hexdigest() == local.publication.sha256 == remote.publication.sha256
    assert s3_roots.delivery.list_files() == ["it360-log/S0001/2024-03-19.zip"]

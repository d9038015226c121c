"""The sample generator: deterministic, realistic, and every bad file bad in its intended way.

The logs are re-read here with a small independent parser, so the manifest's expectations
(good records, rejects and their line numbers, seq gaps) are checked against the bytes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
import re
import shutil
import struct
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from samples import logs
from samples.__main__ import main
from samples.generator import (
    EVENT_DETAIL_KEYS,
    UNKNOWN_TYPES,
    SampleManifest,
    generate_resends,
    generate_sample,
)
from transforms.names import parse_upload_name
from transforms.reasons import Quarantine, Reject

PARAMS = dict(
    contracts=3,
    terminals=10,
    first_day=dt.date(2024, 3, 18),
    days=2,
    uploads_per_day=4,
    records_per_upload=40,
    seed=3,
)
TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+09:00")
EOCD = b"PK\x05\x06"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, SampleManifest]:
    base = tmp_path_factory.mktemp("gen")
    manifest = generate_sample(base / "inbox", base / "etc" / "contracts.yaml", **PARAMS)
    return base, manifest


def _files(inbox: Path) -> dict[str, bytes]:
    return {
        p.relative_to(inbox).as_posix(): p.read_bytes() for p in inbox.rglob("*") if p.is_file()
    }


def _member(data: bytes) -> tuple[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        (info,) = zf.infolist()
        return info.filename, zf.read(info)


def _parse(log: bytes) -> dict:
    """Independent reading of a .log: header, good records, [line, reason] rejects."""
    body = log.removeprefix(logs.UTF8_BOM)
    raw = [line.removesuffix(b"\r") for line in body.split(b"\n")]
    if raw and raw[-1] == b"":
        raw.pop()
    if not raw[0].startswith(b"#ITLOG/2"):
        rejects = [[i + 1, Reject.NO_HEADER] for i, line in enumerate(raw) if line]
        return {"header": None, "records": [], "rejects": rejects}
    header = dict(kv.split(b"=", 1) for kv in raw[0].split(b"\t")[1:])
    charset = header[b"charset"].decode()
    header = {k.decode(): v.decode(charset) for k, v in header.items()}
    records, rejects = [], []
    for n, line in enumerate(raw[1:], start=2):
        if not line:
            continue
        try:
            text = line.decode(charset)
        except UnicodeDecodeError:
            rejects.append([n, Reject.UNDECODABLE])
            continue
        f = text.split("\t")
        if len(f) != 6:
            rejects.append([n, Reject.FIELD_COUNT])
            continue
        try:
            assert TIME_RE.fullmatch(f[0])
            dt.datetime.fromisoformat(f[0])
        except (AssertionError, ValueError):
            rejects.append([n, Reject.BAD_TIME])
            continue
        if not f[1].isdigit():
            rejects.append([n, Reject.BAD_SEQ])
            continue
        if not f[2]:
            rejects.append([n, Reject.BAD_TYPE])
            continue
        try:
            detail = json.loads(f[5])
        except ValueError:
            detail = None
        if not isinstance(detail, dict):
            rejects.append([n, Reject.BAD_DETAIL])
            continue
        records.append((f[0], int(f[1]), f[2], f[3], f[4], detail))
    return {"header": header, "records": records, "rejects": rejects, "charset": charset}


@pytest.fixture(scope="module")
def parsed(sample) -> dict[str, dict]:
    base, manifest = sample
    out = {}
    for e in manifest.select(outcome="landed"):
        data = (base / "inbox" / e.path).read_bytes()
        member, log = _member(data)
        out[e.path] = {**_parse(log), "member": member, "log": log}
    return out


def test_deterministic_and_seed_dependent(sample, tmp_path):
    base, manifest = sample
    again = generate_sample(tmp_path / "a" / "inbox", tmp_path / "a" / "contracts.yaml", **PARAMS)
    assert again.to_json() == manifest.to_json()
    assert _files(tmp_path / "a" / "inbox") == _files(base / "inbox")
    for name in ("contracts.yaml", "org/S0001.csv", "ledger/S0002.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (base / "etc" / name).read_bytes()
    other = generate_sample(
        tmp_path / "b" / "inbox",
        tmp_path / "b" / "contracts.yaml",
        **{**PARAMS, "seed": 4, "bad_files": False},
    )
    assert {e.sha256 for e in other.entries}.isdisjoint({e.sha256 for e in manifest.entries})


def test_manifest_lists_every_file_with_its_hash(sample):
    base, manifest = sample
    files = _files(base / "inbox")
    assert sorted(files) == [e.path for e in manifest.entries]
    for e in manifest.entries:
        assert hashlib.sha256(files[e.path]).hexdigest() == e.sha256
    assert SampleManifest.from_json(manifest.to_json()) == manifest
    counts = manifest.expected_counts()
    assert counts["files"] == len(files)
    assert counts["records"] == sum(e.records for e in manifest.entries) > 0


def test_good_uploads_follow_the_contract(sample, parsed):
    base, manifest = sample
    contracts = {
        c["support_id"]
        for c in yaml.safe_load((base / "etc" / "contracts.yaml").read_text())["contracts"]
    }
    for e in manifest.select(outcome="landed"):
        folder, name = e.path.split("/")
        assert folder in contracts and folder == e.support_id
        up = parse_upload_name(name)
        assert up is not None and up.tmid == e.tmid
        assert up.service_day.isoformat() == e.service_day
        p = parsed[e.path]
        assert p["member"] == up.member_name
        if "no_header" in e.tags:
            assert p["header"] is None
            continue
        assert p["header"]["tmid"] == e.tmid
        assert p["header"]["computer"] == e.computer
        assert p["header"]["charset"] == e.charset in ("utf-8", "cp932")
    for e in manifest.select(outcome="diag"):
        folder, diag, name = e.path.split("/")
        assert diag == "diag" and folder in contracts
        assert parse_upload_name(name) is not None


def test_records_and_rejects_match_the_manifest(sample, parsed):
    _, manifest = sample
    for e in manifest.select(outcome="landed"):
        p = parsed[e.path]
        assert len(p["records"]) == e.records, e.path
        assert p["rejects"] == e.reject_lines, e.path
        assert {r: n for r, n in e.rejects.items()} == {
            r: sum(1 for _, x in e.reject_lines if x == r) for r in e.rejects
        }
    kinds = set(manifest.expected_counts()["rejects"])
    assert kinds == {str(r) for r in Reject}


def test_seq_runs_per_terminal_with_one_deliberate_gap(sample, parsed):
    _, manifest = sample
    by_tmid = defaultdict(list)
    for e in manifest.select(outcome="landed"):
        if "no_header" not in e.tags:
            by_tmid[e.tmid].append((parse_upload_name(e.path.split("/")[1]).sent15, e.path))
    gaps = {(g["tmid"], g["after_seq"]): g["missing"] for g in manifest.seq_gaps}
    assert len(gaps) == 1
    found = {}
    for tmid, ups in by_tmid.items():
        seqs = [r[1] for _, path in sorted(ups) for r in parsed[path]["records"]]
        for a, b in itertools.pairwise(seqs):
            if b != a + 1:
                found[(tmid, a)] = b - a - 1
    assert found == gaps


def test_every_event_type_and_detail_key(sample, parsed):
    seen: dict[str, set[str]] = defaultdict(set)
    for p in parsed.values():
        for _, _, type_, user, _, detail in p["records"]:
            seen[type_] |= set(detail)
            if type_ in EVENT_DETAIL_KEYS:
                required = set(EVENT_DETAIL_KEYS[type_]) - {"remote_ip"}
                assert required <= set(detail), (type_, detail)
            if user:
                assert re.fullmatch(r"[A-Z0-9]+\\[a-z0-9.\-]+", user), user
    for type_, keys in EVENT_DETAIL_KEYS.items():
        assert set(keys) <= seen[type_], type_
    assert set(UNKNOWN_TYPES) <= set(seen)


def test_realistic_variants_are_present(sample, parsed):
    _, manifest = sample
    landed = [e for e in manifest.select(outcome="landed") if "no_header" not in e.tags]
    logs_ = {e.path: parsed[e.path]["log"] for e in landed}
    assert any(e.charset == "cp932" and e.agent.startswith("4.") for e in landed)
    assert any(log.startswith(logs.UTF8_BOM) for log in logs_.values())
    assert any(b"\r\n" not in log for log in logs_.values())  # LF only
    assert any(b"\r\n" in log and not log.startswith(logs.UTF8_BOM) for log in logs_.values())
    cp932 = next(e for e in landed if e.charset == "cp932")
    with pytest.raises(UnicodeDecodeError):
        logs_[cp932.path].decode("utf-8")
    # Header keys in another order, unknown keys kept.
    assert any(
        not log.lstrip(logs.UTF8_BOM).startswith(b"#ITLOG/2\ttmid=") for log in logs_.values()
    )
    assert any("tz" in parsed[e.path]["header"] for e in landed)
    computers = {e.computer for e in landed}
    assert any(re.search(r"[\u3040-\u9fff]", c) for c in computers)
    assert any(c.isascii() and ":" not in c for c in computers)
    assert any(":" in c and "*" in c for c in computers)
    assert any(c.endswith(".") for c in computers)
    # One terminal renamed within a service day.
    names = defaultdict(set)
    for e in landed:
        names[(e.tmid, e.service_day)].add(e.computer)
    assert any(len(v) > 1 for v in names.values())
    # Agent upgraded 4.x (cp932) -> 5.x (utf-8) on one terminal.
    agents = defaultdict(set)
    for e in landed:
        agents[e.tmid].add((e.agent, e.charset))
    if PARAMS["terminals"] > 6:  # only with a second cp932 terminal to keep
        assert any(len(v) > 1 for v in agents.values())
    # INVENTORY at least daily per terminal, AGENT records, Japanese text in records.
    types = defaultdict(set)
    for e in landed:
        for r in parsed[e.path]["records"]:
            types[(e.tmid, e.service_day)].add(r[2])
    assert all("INVENTORY" in t and "AGENT" in t for t in types.values())
    text = "".join(
        json.dumps(r[5], ensure_ascii=False) for p in parsed.values() for r in p["records"]
    )
    assert re.search(r"[\u3040-\u9fff]", text)
    # PC times close to SENT15: since the previous upload (at most two slots), plus skew.
    interval = dt.timedelta(days=1) / PARAMS["uploads_per_day"]
    minute = dt.timedelta(minutes=1)
    for e in landed:
        sent = parse_upload_name(e.path.split("/")[1]).sent_local
        for r in parsed[e.path]["records"]:
            t = dt.datetime.fromisoformat(r[0]).replace(tzinfo=None)
            assert sent - 2 * interval - minute <= t <= sent + minute


def test_service_day_boundary_uploads(sample):
    _, manifest = sample
    prev = [e for e in manifest.entries if "0459599-" in e.path and e.outcome == "landed"]
    new = [e for e in manifest.entries if "0500000-" in e.path and e.outcome == "landed"]
    assert prev and new
    for e in prev:
        sent = parse_upload_name(e.path.split("/")[1]).sent_local
        assert e.service_day == (sent.date() - dt.timedelta(days=1)).isoformat()
    for e in new:
        sent = parse_upload_name(e.path.split("/")[1]).sent_local
        assert e.service_day == sent.date().isoformat()


def test_every_single_file_quarantine_reason_is_present(sample):
    _, manifest = sample
    reasons = set(manifest.expected_counts()["quarantined"])
    # too_large depends on the reader's limit; conflict needs a re-send (generate_resends);
    # day_out_of_range depends on the landing run's clock (tests/assets/test_landing.py);
    # not_a_file is no file at all (a link, a FIFO), and member_not_a_file would change the
    # recorded golden sample: both are in tests/assets/test_landing_not_files.py.
    assert reasons == {str(q) for q in Quarantine} - {
        "too_large",
        "conflict",
        "day_out_of_range",
        "not_a_file",
        "member_not_a_file",
    }
    assert len(manifest.select(outcome="diag")) == PARAMS["contracts"]
    assert len(manifest.select(tag="no_header")) == 1


def _eocd_ok(data: bytes) -> bool:
    return zipfile.is_zipfile(io.BytesIO(data))


def test_bad_files_are_bad_in_the_intended_way(sample):
    base, manifest = sample
    contracts = {
        c["support_id"]
        for c in yaml.safe_load((base / "etc" / "contracts.yaml").read_text())["contracts"]
    }
    landed_first_day = {}
    for e in manifest.select(outcome="landed"):
        landed_first_day.setdefault((e.support_id, e.tmid), e.service_day)
        landed_first_day[(e.support_id, e.tmid)] = min(
            landed_first_day[(e.support_id, e.tmid)], e.service_day
        )
    for e in manifest.select(outcome="quarantined"):
        data = (base / "inbox" / e.path).read_bytes()
        parts = e.path.split("/")
        name = parts[-1]
        up = parse_upload_name(name)
        reason = Quarantine(e.reason)
        if reason is Quarantine.BAD_NAME:
            assert up is None and len(parts) == 2
            continue
        assert up is not None, e.path
        if reason is Quarantine.UNEXPECTED_PATH:
            assert len(parts) != 2
            continue
        assert len(parts) == 2
        if reason is Quarantine.UNKNOWN_CONTRACT:
            assert parts[0] not in contracts
            continue
        assert parts[0] in contracts
        if reason is Quarantine.NOT_A_ZIP:
            assert b"PK" not in data
            continue
        if reason is Quarantine.TRUNCATED_ZIP:
            assert data.startswith(b"PK\x03\x04") and EOCD not in data and not _eocd_ok(data)
            continue
        if reason is Quarantine.CORRUPT_ZIP:
            assert _eocd_ok(data)
            with pytest.raises(zipfile.BadZipFile):
                zipfile.ZipFile(io.BytesIO(data))
            continue
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
        if reason is Quarantine.NO_MEMBER:
            assert infos == []
            continue
        if reason is Quarantine.SEVERAL_MEMBERS:
            assert len(infos) > 1 and infos[0].filename == up.member_name
            continue
        (info,) = infos
        fn = info.filename
        if reason is Quarantine.MEMBER_PATH:
            assert "/" in fn or "\\" in fn or ".." in fn
            continue
        assert fn.count("/") == fn.count("\\") == 0 and ".." not in fn
        if reason is Quarantine.WRONG_MEMBER_NAME:
            assert fn != up.member_name
            continue
        assert fn == up.member_name
        if reason is Quarantine.ENCRYPTED_MEMBER:
            assert info.flag_bits & 0x1
            with pytest.raises(RuntimeError, match="encrypted"):
                zf.read(info)
            continue
        if reason is Quarantine.UNSUPPORTED_METHOD:
            assert info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
            zf.read(info)  # well-formed otherwise
            continue
        assert info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
        if reason is Quarantine.BAD_CRC:
            with pytest.raises(zipfile.BadZipFile, match="CRC"):
                zf.read(info)
            continue
        if reason is Quarantine.BOMB_SIZE:
            assert info.file_size > logs.BOMB_SIZE_LIMIT
            assert len(data) < 2 * logs.MIB  # small on disk
            assert info.file_size / info.compress_size < logs.BOMB_RATIO_LIMIT  # size only
            with zf.open(info) as fh:  # honest: inflates (streaming) with a good CRC
                while fh.read(8 * logs.MIB):
                    pass
            continue
        if reason is Quarantine.BOMB_RATIO:
            assert info.file_size <= logs.BOMB_SIZE_LIMIT
            assert info.file_size / info.compress_size > logs.BOMB_RATIO_LIMIT
            assert info.file_size / len(data) > logs.BOMB_RATIO_LIMIT
            assert len(zf.read(info)) == info.file_size
            continue
        log = zf.read(info)
        first = log.removeprefix(logs.UTF8_BOM).split(b"\n", 1)[0].rstrip(b"\r")
        assert first.startswith(b"#ITLOG/2\t")
        keys = dict(kv.split(b"=", 1) for kv in first.split(b"\t")[1:])
        if reason is Quarantine.BAD_HEADER:
            assert b"tmid" not in keys
            continue
        assert keys[b"tmid"].decode() == e.tmid or reason is Quarantine.TMID_MISMATCH
        if reason is Quarantine.BAD_CHARSET:
            assert keys.get(b"charset") not in (b"utf-8", b"cp932")
            continue
        assert keys[b"charset"] in (b"utf-8", b"cp932")
        if reason is Quarantine.TMID_MISMATCH:
            assert keys[b"tmid"].decode() != up.tmid
            continue
        assert reason is Quarantine.CROSS_CONTRACT_TMID, reason
        owners = {sid for (sid, tmid) in landed_first_day if tmid == up.tmid}
        assert owners and parts[0] not in owners
        (owner,) = owners
        assert landed_first_day[(owner, up.tmid)] < e.service_day


def test_contracts_yaml_org_and_ledger(sample, parsed):
    base, manifest = sample
    doc = yaml.safe_load((base / "etc" / "contracts.yaml").read_text(encoding="utf-8"))
    items = doc["contracts"]
    assert [c["support_id"] for c in items] == ["S0001", "S0002", "S0003"]
    assert [c["daily_option"] for c in items] == [True, True, False]
    users_seen = {r[3] for p in parsed.values() for r in p["records"] if r[3]}
    for c in items:
        assert set(c) == {"support_id", "daily_option", "notify_to", "org_info", "asset_ledger"}
        org = (base / "etc" / c["org_info"]).read_bytes()
        ledger = (base / "etc" / c["asset_ledger"]).read_bytes()
        assert org.startswith(logs.UTF8_BOM) and ledger.startswith(logs.UTF8_BOM)
        org_rows = list(csv_rows(org))
        assert org_rows[0] == ["login_name", "name", "title", "company", "organisation", "mail"]
        ledger_rows = list(csv_rows(ledger))
        assert ledger_rows[0] == ["tmid", "asset_no", "location", "owner", "purchased"]
        sid = c["support_id"]
        tmids = {e.tmid for e in manifest.select(outcome="landed", support_id=sid)}
        assert {r[0] for r in ledger_rows[1:]} == tmids
        logins = {r[0] for r in org_rows[1:]}
        domain = org_rows[1][0].split("\\")[0]
        mine = {u for u in users_seen if u.startswith(domain + "\\")}
        temp = {f"{domain}\\haken01"} if len(tmids) > 1 else set()
        assert mine - logins == temp  # a temp worker with no org row
        assert any(re.search(r"[\u3040-\u9fff]", r[1]) for r in org_rows[1:])


def csv_rows(data: bytes):
    import csv

    return csv.reader(io.StringIO(data.decode("utf-8-sig")))


def test_resends_duplicate_and_conflict(sample, tmp_path):
    base, manifest = sample
    inbox = tmp_path / "inbox"
    resends = generate_resends(inbox, manifest, seed=1, duplicates=3, conflicts=2)
    counts = resends.expected_counts()
    assert counts["outcomes"] == {"duplicate": 3, "quarantined": 2}
    assert counts["quarantined"] == {"conflict": 2}
    originals = {e.path: e for e in manifest.entries}
    assert sorted(_files(inbox)) == [e.path for e in resends.entries]
    for e in resends.entries:
        data = (inbox / e.path).read_bytes()
        first = (base / "inbox" / e.path).read_bytes()
        assert originals[e.path].outcome == "landed"
        if e.outcome == "duplicate":
            assert data == first
        else:
            assert data != first and e.sha256 == hashlib.sha256(data).hexdigest()
            assert _member(data)[0] == _member(first)[0]
    with pytest.raises(FileExistsError):  # the inbox was not consumed
        generate_resends(inbox, manifest, seed=1)


def test_refuses_an_inbox_that_holds_files(tmp_path):
    (tmp_path / "inbox" / "S0001").mkdir(parents=True)
    (tmp_path / "inbox" / "S0001" / "old.zip").write_bytes(b"x")
    with pytest.raises(FileExistsError):
        generate_sample(tmp_path / "inbox", tmp_path / "c.yaml", terminals=3, days=1)


def test_cli_writes_sample_manifest_and_resends(tmp_path, capsys):
    args = ["--inbox", str(tmp_path / "inbox"), "--contracts", str(tmp_path / "c.yaml")]
    args += ["--contracts-count", "2", "--terminals", "3", "--days", "1"]
    args += ["--uploads-per-day", "3", "--no-bad-files", "--manifest", str(tmp_path / "m.json")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "landed" in out
    manifest = SampleManifest.read(tmp_path / "m.json")
    assert not manifest.select(outcome="quarantined")
    shutil.rmtree(tmp_path / "inbox")  # as if the landing consumed it
    resend = [
        "--inbox",
        str(tmp_path / "inbox"),
        "--resends",
        "--manifest",
        str(tmp_path / "m.json"),
    ]
    assert main(resend) == 0
    again = SampleManifest.read(tmp_path / "m.resends.json")
    assert len(again.entries) == 5


# --- low-level builders ----------------------------------------------------------------------


def test_build_header_and_record():
    h = logs.build_header("T", "経理-PC01", extra={"x": "1"}, order=["charset", "tmid"])
    assert h == "#ITLOG/2\tcharset=utf-8\ttmid=T\tcomputer=経理-PC01\tagent=5.2.1\tx=1"
    assert "tmid=" not in logs.build_header(None, "PC")
    r = logs.build_record(
        "2024-03-18T09:00:01.123+09:00", 5, "WINDOW", "CORP\\a", "x.exe", {"title": "見積"}
    )
    assert r.split("\t") == [
        "2024-03-18T09:00:01.123+09:00",
        "5",
        "WINDOW",
        "CORP\\a",
        "x.exe",
        '{"title":"見積"}',
    ]


def test_encode_log_raw_lines_bom_and_newlines():
    data = logs.encode_log("#ITLOG/2", ["a", b"\xff", "b"], bom=True, newline="\n")
    assert data == logs.UTF8_BOM + b"#ITLOG/2\na\n\xff\nb\n"
    assert logs.encode_log(None, ["日本"], charset="cp932") == "日本\r\n".encode("cp932")


def test_build_upload_zip_is_deterministic_and_dated_by_sent15():
    a = logs.build_upload_zip(b"x", "202403180900001.log")
    assert a == logs.build_upload_zip(b"x", "202403180900001.log")
    info = zipfile.ZipFile(io.BytesIO(a)).infolist()[0]
    assert info.date_time == (2024, 3, 18, 9, 0, 0)
    assert info.compress_type == zipfile.ZIP_DEFLATED


def test_bad_zip_helpers():
    log = b"#ITLOG/2\ttmid=T\r\n" * 200
    name = "202403180900001.log"
    good = logs.build_upload_zip(log, name)
    enc = logs.zip_encrypted(log, name)
    # Both copies of the flag patched: local header at 0, central header at the CD offset.
    (cd,) = struct.unpack_from("<L", enc, enc.rfind(EOCD) + 16)
    assert enc[6] & 1 and enc[cd + 8] & 1
    assert zipfile.ZipFile(io.BytesIO(logs.zip_bad_crc(log, name))).testzip() == name
    assert EOCD not in logs.zip_truncated(good) and logs.zip_truncated(good).startswith(b"PK")
    for how in ("central", "size"):
        with pytest.raises(zipfile.BadZipFile):
            zipfile.ZipFile(io.BytesIO(logs.zip_corrupt(good, how)))
    assert zipfile.ZipFile(io.BytesIO(logs.zip_empty())).namelist() == []
    assert logs.zip_bomb_ratio(name, size=4 * logs.MIB) == logs.zip_bomb_ratio(
        name, size=4 * logs.MIB
    )
    small = logs.zip_bomb_size(name, size=3 * logs.MIB, noise=1024)
    info = zipfile.ZipFile(io.BytesIO(small)).infolist()[0]
    assert info.file_size == 3 * logs.MIB
    assert zipfile.ZipFile(io.BytesIO(small)).testzip() is None
    for kind in ("pdf", "gzip", "text"):
        assert not zipfile.is_zipfile(io.BytesIO(logs.not_a_zip(kind)))

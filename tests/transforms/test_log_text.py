"""The `.log` text: header, charsets, line endings and every record-level reject reason."""

import datetime as dt
import json

import pytest

from samples import logs
from transforms.log_header import split_log
from transforms.names import parse_upload_name
from transforms.reasons import Quarantine as Q
from transforms.reasons import Reject as R
from transforms.records import LogBody, parse_bodies
from transforms.upload_zip import BadUpload

TMID = "0123ABCD-4567-89EF-ABCD-0123456789AB"
NAME = parse_upload_name(f"{TMID}_202403180900000-{'x' * 32}.zip")
T = "2024-03-18T09:00:01.123+09:00"
GOOD = logs.build_record(
    T, 1, "WINDOW", "CORP\\山田", "excel.exe", {"title": "見積書.xlsx", "pid": 4}
)


def parse(log: bytes):
    split = split_log(log, NAME)
    charset = split.header.charset if split.header else None
    parsed = parse_bodies([LogBody(0, split.body, charset, split.first_line_no)])
    return split, parsed


@pytest.mark.parametrize(
    ("charset", "bom", "newline"),
    [
        ("utf-8", False, "\r\n"),
        ("utf-8", True, "\r\n"),
        ("utf-8", False, "\n"),
        ("cp932", False, "\r\n"),
        ("cp932", False, "\n"),
    ],
)
def test_charsets_and_line_endings_give_the_same_records(charset, bom, newline):
    header = logs.build_header(TMID, "経理-PC01", charset=charset)
    log = logs.encode_log(header, [GOOD, GOOD.replace("\t1\t", "\t2\t")], charset, bom, newline)
    split, parsed = parse(log)
    assert split.header.computer == "経理-PC01"
    assert split.header.charset == charset
    assert parsed.rejects.height == 0
    rows = parsed.records.to_dicts()
    assert [r["seq"] for r in rows] == [1, 2]
    assert [r["line_no"] for r in rows] == [2, 3]
    assert rows[0]["user"] == "CORP\\山田"
    assert json.loads(rows[0]["detail"]) == {"title": "見積書.xlsx", "pid": 4}
    assert rows[0]["time"] == dt.datetime(2024, 3, 18, 0, 0, 1, 123000, tzinfo=dt.UTC)
    assert rows[0]["time"].tzinfo is not None


def test_header_keys_in_any_order_and_unknown_keys_are_kept():
    header = logs.build_header(
        TMID,
        "PC",
        extra={"os": "Windows 11", "tz": "+09:00"},
        order=["charset", "agent", "computer", "tmid"],
    )
    split, _ = parse(logs.encode_log(header, [GOOD]))
    assert list(split.header.fields)[:4] == ["charset", "agent", "computer", "tmid"]
    assert split.header.fields["os"] == "Windows 11"
    assert split.header.fields["tz"] == "+09:00"


@pytest.mark.parametrize(
    ("header", "bom", "reason"),
    [
        (logs.build_header("1111AAAA-4567-89EF-ABCD-0123456789AB", "PC"), False, Q.TMID_MISMATCH),
        (logs.build_header(None, "PC"), False, Q.BAD_HEADER),
        (logs.build_header(TMID, None), False, Q.BAD_HEADER),
        (logs.build_header(TMID, "PC") + "\tgarbage", False, Q.BAD_HEADER),
        (logs.build_header(TMID, "PC", charset="euc-jp"), False, Q.BAD_CHARSET),
        (logs.build_header(TMID, "PC", charset=None), False, Q.BAD_CHARSET),
        (logs.build_header(TMID, "PC", charset="cp932"), True, Q.BAD_CHARSET),
    ],
)
def test_unusable_headers_quarantine_the_upload(header, bom, reason):
    log = logs.encode_log(header, [GOOD], bom=bom)
    with pytest.raises(BadUpload) as caught:
        split_log(log, NAME)
    assert caught.value.reason == reason


def test_a_header_undecodable_in_its_charset_is_bad():
    header = logs.build_header(TMID, "PC").encode().replace(b"computer=PC", b"computer=PC\xff")
    log = logs.encode_log(None, [header, GOOD])
    with pytest.raises(BadUpload) as caught:
        split_log(log, NAME)
    assert caught.value.reason == Q.BAD_HEADER


def test_no_header_lands_with_every_line_rejected():
    log = logs.encode_log(None, [GOOD, "", "free text"])
    split, parsed = parse(log)
    assert split.header is None
    assert parsed.records.height == 0
    rejects = parsed.rejects.to_dicts()
    assert [(r["line_no"], r["reason"]) for r in rejects] == [(1, R.NO_HEADER), (3, R.NO_HEADER)]
    assert rejects[0]["raw_line"] == GOOD.encode()


def test_each_bad_record_gets_its_reason_and_keeps_its_raw_bytes():
    lines = [
        GOOD,
        "only\tthree\tfields",
        GOOD.replace(T, "2024-03-18 09:00:01"),
        GOOD.replace(T, "2024-02-30T09:00:01.123+09:00"),
        GOOD.replace("\t1\t", "\t-1\t"),
        GOOD.replace("\t1\t", "\t99999999999999999999999\t"),
        GOOD.replace("\tWINDOW\t", "\t\t"),
        logs.build_record(T, 2, "WINDOW", "", "", "[1, 2]"),
        logs.build_record(T, 3, "WINDOW", "", "", "{not json"),
        logs.build_record(T, 4, "WINDOW", "", "", '"a string"'),
        "見積".encode("cp932") + b"\t" + logs.build_record(T, 5, "X", "", "", {}).encode(),
        "",
        logs.build_record(T, 6, "NEW_EVENT_CODE", "", "", {}),
    ]
    _split, parsed = parse(logs.encode_log(logs.build_header(TMID, "PC"), lines))
    got = [(r["line_no"], r["reason"]) for r in parsed.rejects.to_dicts()]
    assert got == [
        (3, R.FIELD_COUNT),
        (4, R.BAD_TIME),
        (5, R.BAD_TIME),
        (6, R.BAD_SEQ),
        (7, R.BAD_SEQ),
        (8, R.BAD_TYPE),
        (9, R.BAD_DETAIL),
        (10, R.BAD_DETAIL),
        (11, R.BAD_DETAIL),
        (12, R.UNDECODABLE),
    ]
    raw = {r["line_no"]: r["raw_line"] for r in parsed.rejects.to_dicts()}
    assert raw[12].startswith("見積".encode("cp932"))
    assert raw[3] == b"only\tthree\tfields"
    # the good lines around them are kept, an unknown event type as it is
    assert [(r["line_no"], r["type"]) for r in parsed.records.to_dicts()] == [
        (2, "WINDOW"),
        (14, "NEW_EVENT_CODE"),
    ]


# Details on the edge of "a JSON object": blanks around it, lenient forms DuckDB's parser
# takes, and near misses. The verdict must be DuckDB's own typed parse of each.
EDGE_DETAILS = [
    "{}",
    " {}",
    "{}  ",
    '  {"a":1} ',
    '{"a" :1 }',
    '{"a":NaN}',
    '{"a":1,}',
    '{"a":1e999}',
    '{"a":01}',
    '{"a":1}x',
    "{} {}",
    "[]",
    '"{"',
    "nul",
    "{/*c*/}",
    "{'a':1}",
    '{"a":"\\ud800"}',
    '{"a":"\x01"}',
    "\ufeff{}",
    '{"a":1}\x00',
    '{"a":{"b":[1,{}]}}',
    '{"あ":"見積"}',
]


def test_the_json_object_check_agrees_with_duckdbs_typed_parse():
    import duckdb

    typed = duckdb.sql(
        "select coalesce(json_type(try_cast(d as json)) = 'OBJECT', false) from"
        " (select unnest($d) as d, generate_subscripts($d, 1) as i) order by i",
        params={"d": EDGE_DETAILS},
    ).fetchall()
    lines = [logs.build_record(T, i, "X", "", "", d) for i, d in enumerate(EDGE_DETAILS)]
    _split, parsed = parse(logs.encode_log(logs.build_header(TMID, "PC"), lines))
    rejected = {r["line_no"] for r in parsed.rejects.to_dicts()}
    got = [(d, 2 + i not in rejected) for i, d in enumerate(EDGE_DETAILS)]
    assert got == [(d, ok) for d, (ok,) in zip(EDGE_DETAILS, typed, strict=True)]
    assert sum(ok for _d, ok in got) >= 8  # both kinds are exercised


def test_cp932_rejects_keep_bytes_that_do_not_round_trip():
    # 0xED40 (NEC-selected IBM extension) decodes to U+7E8A, which encodes back as 0xFA5C:
    # a reject must keep the bytes the agent wrote, not a re-encoding.
    bad_line = b"\xed\x40\tbroken"
    header = logs.build_header(TMID, "PC", charset="cp932")
    log = logs.encode_log(header, [bad_line], charset="cp932")
    _, parsed = parse(log)
    assert parsed.rejects.to_dicts()[0]["raw_line"] == bad_line


def test_records_of_many_logs_keep_their_upload():
    bodies = [LogBody(u, logs.encode_log(None, [GOOD] * (u + 1)), "utf-8", 2) for u in range(5)]
    parsed = parse_bodies(bodies)
    assert parsed.records.group_by("u").len().sort("u")["len"].to_list() == [1, 2, 3, 4, 5]


def test_a_record_needs_exactly_six_fields():
    lines = [
        GOOD,
        GOOD + "\textra",
        GOOD + "\t",
        GOOD.rsplit("\t", 1)[0],
        "\t\t\t\t\t",
        "\t\t\t\t\t\t",
    ]
    _split, parsed = parse(logs.encode_log(logs.build_header(TMID, "PC"), lines))
    got = [(r["line_no"], r["reason"]) for r in parsed.rejects.to_dicts()]
    assert got == [(3, R.FIELD_COUNT), (4, R.FIELD_COUNT), (5, R.FIELD_COUNT), (6, R.BAD_TIME),
                   (7, R.FIELD_COUNT)]  # fmt: skip
    assert parsed.records["line_no"].to_list() == [2]


def test_one_undecodable_body_leaves_the_other_bodies_of_the_batch_as_they_are():
    good = logs.encode_log(None, [GOOD, GOOD])
    bad = logs.encode_log(None, [GOOD, b"\xff\xfe\t" + GOOD.encode(), GOOD])
    cp932 = logs.encode_log(None, [GOOD], charset="cp932")
    bodies = [LogBody(0, good, "utf-8", 2), LogBody(1, bad, "utf-8", 2),
              LogBody(2, cp932, "cp932", 2), LogBody(3, good, "utf-8", 5)]  # fmt: skip
    parsed = parse_bodies(bodies)
    assert list(zip(parsed.records["u"], parsed.records["line_no"], strict=True)) == [
        (0, 2), (0, 3), (1, 2), (1, 4), (2, 2), (3, 5), (3, 6)
    ]  # fmt: skip
    assert parsed.rejects.rows() == [(1, 3, R.UNDECODABLE, b"\xff\xfe\t" + GOOD.encode())]

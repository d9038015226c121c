"""Fuzzing the `.log` header and record parsers: any log gives a header, "no header" or a
BadUpload with a header reason; every non-empty line of any body ends as exactly one record
or one reject; a well-formed record is never rejected."""

import json

import polars as pl
from hypothesis import assume, given
from hypothesis import strategies as st

from tests.fuzz.profile import fuzz
from tests.fuzz.strategies import UPLOAD_NAMES, bad_record, good_record, log_bytes
from transforms.log_header import BOM, split_log
from transforms.reasons import Quarantine, Reject
from transforms.records import LogBody, parse_bodies
from transforms.upload_zip import BadUpload

HEADER_REASONS = {Quarantine.BAD_HEADER, Quarantine.BAD_CHARSET, Quarantine.TMID_MISMATCH}


@st.composite
def logs(draw):
    name = draw(UPLOAD_NAMES)
    log = draw(st.one_of(log_bytes(name.tmid).map(lambda x: x[0]), st.binary(max_size=200)))
    return name, log


@fuzz()
@given(logs())
def test_a_log_has_a_header_no_header_or_a_header_reason(case):
    name, log = case
    try:
        split = split_log(log, name)
    except BadUpload as bad:
        assert bad.reason in HEADER_REASONS
        return
    if split.header is None:
        assert split.first_line_no == 1 and split.body == log.removeprefix(BOM)
    else:
        assert split.header.tmid == name.tmid
        assert split.header.charset in ("utf-8", "cp932")
        assert split.first_line_no == 2 and log.endswith(split.body)


@st.composite
def bodies(draw):
    out = []
    for u in range(draw(st.integers(1, 4))):
        charset = draw(st.sampled_from(["utf-8", "cp932", None]))
        name = draw(UPLOAD_NAMES)
        kind = draw(st.sampled_from(["log", "lines", "bytes"]))
        if kind == "log":
            body = draw(log_bytes(name.tmid))[0]
        elif kind == "lines":
            lines = draw(st.lists(st.one_of(good_record(), bad_record(), st.just("")), max_size=6))
            eol = draw(st.sampled_from(["\r\n", "\n", "\r"]))
            body = eol.join(lines).encode(charset or "utf-8", errors="replace")
        else:
            body = draw(st.binary(max_size=120))
        out.append(LogBody(u, body, charset, draw(st.sampled_from([1, 2]))))
    return out


@fuzz()
@given(bodies())
def test_every_non_empty_line_is_exactly_one_record_or_one_reject(batch):
    parsed = parse_bodies(batch)
    expected = {}
    for body in batch:
        for offset, raw in enumerate(body.body.split(b"\n")):
            if raw.removesuffix(b"\r"):
                expected[(body.u, body.first_line_no + offset)] = raw.removesuffix(b"\r")
    records = list(zip(parsed.records["u"], parsed.records["line_no"], strict=True))
    rejects = list(zip(parsed.rejects["u"], parsed.rejects["line_no"], strict=True))
    assert len(set(records + rejects)) == len(records) + len(rejects)  # never both, never twice
    assert set(records) | set(rejects) == set(expected)
    for u, line_no, reason, raw in parsed.rejects.iter_rows():
        assert reason in {r.value for r in Reject}
        assert raw == expected[(u, line_no)]
    for row in parsed.records.iter_rows(named=True):
        assert row["time"] is not None and row["seq"] is not None and row["type"]
        assert isinstance(json.loads(row["detail"]), dict)
    no_header = {b.u for b in batch if b.charset is None}
    assert not parsed.records.filter(pl.col("u").is_in(list(no_header))).height


@fuzz()
@given(st.lists(good_record(), min_size=1, max_size=6), st.sampled_from(["utf-8", "cp932"]))
def test_a_well_formed_record_is_never_rejected(lines, charset):
    try:
        body = "\r\n".join(lines).encode(charset)
    except UnicodeEncodeError:
        assume(False)
    parsed = parse_bodies([LogBody(0, body, charset, 2)])
    assert parsed.rejects.height == 0, parsed.rejects
    assert parsed.records["type"].to_list() == [line.split("\t")[2] for line in lines]
    assert parsed.records["detail"].to_list() == [line.split("\t")[5] for line in lines]
    assert parsed.records["seq"].to_list() == [int(line.split("\t")[1]) for line in lines]

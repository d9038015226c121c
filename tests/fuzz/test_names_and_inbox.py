"""Fuzzing the file-name parser and the inbox path classifier: any text gives an upload name
or None, any path one of the four kinds, and nothing raises."""

import contextlib
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.profile import fuzz
from tests.fuzz.strategies import NAME_TEXT, SENT15S, file_names
from transforms.inbox import Kind, classify
from transforms.names import parse_sent15, parse_upload_name
from transforms.reasons import Quarantine
from transforms.service_day import JST

CONTRACTS = frozenset({"S0001", "S0002"})


@fuzz()
@given(file_names())
def test_a_name_is_an_upload_name_whose_times_can_be_placed_or_none(name):
    parsed = parse_upload_name(name)
    if parsed is None:
        return
    assert parsed.file_name == name
    # Everything the pipeline derives from a name must be computable for any accepted name.
    assert isinstance(parsed.service_day, dt.date)
    assert parsed.sent_local.replace(tzinfo=JST).astimezone(dt.UTC).tzinfo is dt.UTC


@fuzz()
@given(SENT15S | st.text(max_size=20))
def test_sent15_is_a_time_or_a_value_error(text):
    with contextlib.suppress(ValueError):
        parse_sent15(text)


_FOLDERS = st.sampled_from(["S0001", "S0002", "S9999", "", ".", "..", "S0001/diag", "diag",
                            "S0001/sub", "S0001/diag/x", "s0001", "S 0001"])  # fmt: skip


@fuzz()
@given(_FOLDERS | NAME_TEXT, file_names())
def test_every_inbox_path_gets_exactly_one_kind(folder, name):
    path = f"{folder}/{name}" if folder else name
    entry = classify(path, CONTRACTS)
    assert entry.path == path
    last = path.split("/")[-1]
    if entry.kind is Kind.IGNORED:
        assert last.startswith(".")
    elif entry.kind in (Kind.UPLOAD, Kind.DIAG):
        assert entry.support_id in CONTRACTS and path.startswith(f"{entry.support_id}/")
        assert entry.name is not None and entry.name.file_name == last
        assert isinstance(entry.service_day, dt.date)
        assert path.count("/") == (2 if entry.kind is Kind.DIAG else 1)
    else:
        assert entry.kind is Kind.REFUSED
        assert isinstance(entry.reason, Quarantine) and entry.detail
        assert entry.service_day is None


@fuzz()
@given(file_names(), st.sampled_from(["00", "59", "60", "99", "05", "09"]))
def test_classify_reads_a_name_exactly_as_parse_upload_name(name, minute):
    # classify caches the date-and-hour part of SENT15 (see transforms/inbox.py)
    for candidate in (name, name[:47] + minute + name[49:], name[:49] + minute + name[51:]):
        entry = classify(f"S0001/{candidate}", CONTRACTS)
        parsed = parse_upload_name(candidate)
        assert entry.name == parsed
        assert entry.service_day == (parsed.service_day if parsed else None)

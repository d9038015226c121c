"""Fuzzing the upload ZIP reader: any bytes give the log or a BadUpload with a reason, in
bounded time and memory, and a well-formed upload gives its log back."""

import tracemalloc
import zipfile

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.profile import fuzz
from tests.fuzz.strategies import (
    UPLOAD_NAMES,
    eocd_tailed,
    member_zip,
    mutated,
    not_regular_member_attributes,
    regular_member_attributes,
    upload_zip,
    zip_of,
)
from transforms.reasons import Quarantine
from transforms.upload_zip import BadUpload, extract_log

# Inflating yields at most ~1032 bytes per deflated byte, and the reader stops at its ratio
# limit: memory stays within a small multiple of the input, whatever the archive declares.
MEMORY_SLACK = 8 << 20


def extract_measured(blob: bytes, name) -> tuple[bytes | BadUpload, int]:
    tracemalloc.start()
    try:
        try:
            out = extract_log(blob, name)
        except BadUpload as bad:
            out = bad
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return out, peak


_METHODS = st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED, zipfile.ZIP_BZIP2])
_LOGS = st.one_of(
    st.binary(max_size=300), st.just(b"a" * 50_000), st.text(max_size=100).map(str.encode)
)


@st.composite
def archives(draw):
    name = draw(UPLOAD_NAMES)
    log = draw(_LOGS)
    method = draw(_METHODS)
    good = upload_zip(name, log, method)
    others = [
        zip_of([(n, log) for n in draw(st.lists(st.sampled_from(
            [name.member_name, "x.log", "a/" + name.member_name, "..\\x", "", "日本.log"]),
            max_size=3))], method),
    ]  # fmt: skip
    hostile = draw(not_regular_member_attributes())
    blob = draw(
        st.one_of(
            st.just(good),
            mutated(good),
            st.just(member_zip(name.member_name, log, *hostile, method)),
            mutated(member_zip(name.member_name, log, *hostile, method)),
            st.sampled_from(others),
            st.binary(max_size=200),
            st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b),
            eocd_tailed(),
        )
    )
    return name, log, method, good, blob


@fuzz()
@given(archives())
def test_any_bytes_give_the_log_or_a_reason_in_bounded_memory(case):
    name, log, method, good, blob = case
    out, peak = extract_measured(blob, name)
    assert peak <= MEMORY_SLACK + 1100 * len(blob)
    if isinstance(out, BadUpload):
        assert isinstance(out.reason, Quarantine) and out.detail is not None
        assert blob != good or method == zipfile.ZIP_BZIP2
    else:
        assert isinstance(out, bytes) and len(out) <= 1100 * max(len(blob), 1)
        if blob == good:
            assert out == log


_LANDABLE_METHODS = st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])


@fuzz()
@given(UPLOAD_NAMES, _LOGS, _LANDABLE_METHODS, not_regular_member_attributes())
def test_a_member_that_is_no_regular_file_never_gives_its_bytes(name, log, method, attributes):
    """A link, folder, device, FIFO or socket member (any non-regular Unix file type, or the
    MS-DOS folder bit) is refused with its own reason, on the fast path and the full one."""
    blob = member_zip(name.member_name, log, *attributes, method)
    out, _peak = extract_measured(blob, name)
    assert isinstance(out, BadUpload) and out.reason is Quarantine.MEMBER_NOT_A_FILE
    assert "not a regular file" in out.detail


@fuzz()
@given(UPLOAD_NAMES, _LOGS, _LANDABLE_METHODS, regular_member_attributes())
def test_a_regular_member_gives_its_log_whatever_its_permissions(name, log, method, attributes):
    blob = member_zip(name.member_name, log, *attributes, method)
    assert extract_log(blob, name) == log

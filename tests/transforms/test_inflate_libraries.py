"""The plain case's inflate and CRC run on zlib-ng (faster); every archive, hostile or not,
gets the same outcome and reason with it as with the stdlib zlib: the bytes, or the same
`BadUpload` reason and detail."""

import contextlib
import struct
import zipfile
import zlib

from hypothesis import given
from hypothesis import strategies as st
from zlib_ng import zlib_ng

from samples import logs
from tests.fuzz.profile import fuzz
from tests.fuzz.strategies import UPLOAD_NAMES, mutated, upload_zip
from transforms import upload_zip as reader
from transforms.names import parse_upload_name
from transforms.reasons import Quarantine as Q
from transforms.upload_zip import BadUpload, extract_log

SENT = "202403180900000"
NAME = parse_upload_name(f"0123ABCD-4567-89EF-ABCD-0123456789AB_{SENT}-{'x' * 32}.zip")
MEMBER = f"{SENT}.log"
LOG = logs.encode_log(logs.build_header(NAME.tmid, "PC"), ["a\tb"] * 200)


@contextlib.contextmanager
def inflating_with(library):
    saved = reader._fast_zlib
    reader._fast_zlib = library
    try:
        yield
    finally:
        reader._fast_zlib = saved


def outcome(data: bytes, name=NAME, library=zlib) -> bytes | tuple[Q, str]:
    with inflating_with(library):
        try:
            return extract_log(data, name)
        except BadUpload as bad:
            return bad.reason, bad.detail


def same_with_both(data: bytes, name=NAME) -> bytes | tuple[Q, str]:
    stdlib = outcome(data, name, zlib)
    assert outcome(data, name, zlib_ng) == stdlib
    return stdlib


def plain_zip(stream: bytes, usize: int, crc: int, member: bytes = MEMBER.encode()) -> bytes:
    """A one-member deflate archive in the plain layout, with whatever stream, size and CRC."""
    local = struct.pack(
        "<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, 8, 0, 0x21, crc, len(stream), usize,
        len(member), 0,
    )  # fmt: skip
    central = struct.pack(
        "<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 0, 20, 0, 0, 8, 0, 0x21, crc, len(stream), usize,
        len(member), 0, 0, 0, 0, 0, 0,
    )  # fmt: skip
    cd_at = len(local) + len(member) + len(stream)
    cd_size = len(central) + len(member)
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, cd_size, cd_at, 0)
    return local + member + stream + central + member + eocd


def deflated(data: bytes) -> bytes:
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def test_the_landing_inflates_with_zlib_ng():
    # zlib-ng is a dependency: the speed it gives is not silently lost to the fallback.
    assert reader._fast_zlib is zlib_ng


def test_a_plain_upload_gives_its_log_with_both():
    stream = deflated(LOG)
    assert same_with_both(plain_zip(stream, len(LOG), zlib.crc32(LOG))) == LOG
    assert same_with_both(logs.build_upload_zip(LOG, MEMBER)) == LOG


def test_each_hostile_archive_gets_the_same_reason_with_both():
    stream, crc, size = deflated(LOG), zlib.crc32(LOG), len(LOG)
    lying = bytearray(logs.zip_bomb_ratio(MEMBER, size=32 << 20))
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = lying.find(sig)
        lying[at + size_at : at + size_at + 4] = (1 << 20).to_bytes(4, "little")
    cases = {
        "bad crc (zipfile)": (logs.zip_bad_crc(LOG, MEMBER), Q.BAD_CRC),
        "bad crc (plain)": (plain_zip(stream, size, crc ^ 1), Q.BAD_CRC),
        "size bomb": (logs.zip_bomb_size(MEMBER), Q.BOMB_SIZE),
        "ratio bomb": (logs.zip_bomb_ratio(MEMBER, size=4 << 20), Q.BOMB_RATIO),
        "bomb lying about its size": (bytes(lying), None),
        "truncated stream": (plain_zip(stream[: len(stream) // 2], size, crc), None),
        "stream cut by a byte": (plain_zip(stream[:-1], size, crc), None),
        "trailing bytes after the stream": (plain_zip(stream + b"\0\0", size, crc), None),
        "declares fewer bytes": (plain_zip(stream, size - 1, crc), None),
        "declares more bytes": (plain_zip(stream, size + 1, crc), None),
        "not deflate": (plain_zip(b"\xff" * 40, size, crc), None),
        "truncated archive": (logs.zip_truncated(logs.build_upload_zip(LOG, MEMBER)), None),
        "corrupt central directory": (
            logs.zip_corrupt(logs.build_upload_zip(LOG, MEMBER), "central"),
            Q.CORRUPT_ZIP,
        ),
        "encrypted": (logs.zip_encrypted(LOG, MEMBER), Q.ENCRYPTED_MEMBER),
    }
    # None: whatever the stdlib decides (a stream cut by its last byte may still hold the
    # whole log, and then lands), zlib-ng must decide the same.
    for label, (data, reason) in cases.items():
        got = same_with_both(data)
        if reason is not None:
            assert isinstance(got, tuple) and got[0] == reason, label


@fuzz()
@given(
    UPLOAD_NAMES,
    st.one_of(st.binary(max_size=400), st.just(b"a" * 70_000)),
    st.sampled_from([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]),
    st.data(),
)
def test_any_mutation_gets_the_same_outcome_with_both(name, log, method, data):
    good = upload_zip(name, log, method)
    blob = data.draw(st.one_of(st.just(good), mutated(good)))
    got = same_with_both(blob, name)
    if blob == good:
        assert got == log


@fuzz()
@given(st.binary(max_size=2000), st.binary(min_size=1, max_size=64), st.data())
def test_any_damaged_stream_gets_the_same_outcome_with_both(log, noise, data):
    """The plain path itself: a deflate stream cut, overwritten or extended, under any declared
    size and CRC."""
    stream = bytearray(deflated(log))
    at = data.draw(st.integers(0, len(stream)))
    damage = data.draw(st.sampled_from(["cut", "overwrite", "append", "none"]))
    if damage == "cut":
        del stream[at:]
    elif damage == "overwrite":
        stream[at : at + len(noise)] = noise
    elif damage == "append":
        stream += noise
    size = data.draw(st.sampled_from([len(log), max(len(log) - 1, 0), len(log) + 1]))
    crc = data.draw(st.sampled_from([zlib.crc32(log), zlib.crc32(log) ^ 0x80]))
    got = same_with_both(plain_zip(bytes(stream), size, crc))
    if (damage, size, crc) == ("none", len(log), zlib.crc32(log)):
        assert got == log

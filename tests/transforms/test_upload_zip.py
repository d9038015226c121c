"""The ZIP rules of the input contract: each bad archive gets its own reason."""

import tracemalloc
import zipfile

import pytest

from samples import logs
from transforms.names import parse_upload_name
from transforms.reasons import Quarantine as Q
from transforms.upload_zip import BadUpload, extract_log

SENT = "202403180900000"
NAME = parse_upload_name(f"0123ABCD-4567-89EF-ABCD-0123456789AB_{SENT}-{'x' * 32}.zip")
MEMBER = f"{SENT}.log"
LOG = logs.encode_log(logs.build_header(NAME.tmid, "PC"), ["a\tb"])


def good(method=zipfile.ZIP_DEFLATED) -> bytes:
    return logs.build_upload_zip(LOG, MEMBER, method)


def reason_of(data: bytes) -> Q:
    with pytest.raises(BadUpload) as caught:
        extract_log(data, NAME)
    return caught.value.reason


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_deflate_and_stored_give_the_log_bytes(method):
    assert extract_log(good(method), NAME) == LOG


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (logs.not_a_zip("pdf"), Q.NOT_A_ZIP),
        (logs.not_a_zip("gzip"), Q.NOT_A_ZIP),
        (b"", Q.NOT_A_ZIP),
        (logs.zip_truncated(good()), Q.TRUNCATED_ZIP),
        (logs.zip_corrupt(good(), "central"), Q.CORRUPT_ZIP),
        (logs.zip_corrupt(good(), "offset"), Q.CORRUPT_ZIP),
        (logs.zip_empty(), Q.NO_MEMBER),
        (logs.build_upload_zip(LOG, MEMBER, extra_members=[("x.txt", b"x")]), Q.SEVERAL_MEMBERS),
        (logs.build_upload_zip(LOG, "202403180900001.log"), Q.WRONG_MEMBER_NAME),
        (logs.build_upload_zip(LOG, "trail.log"), Q.WRONG_MEMBER_NAME),
        (logs.build_upload_zip(LOG, f"x/{MEMBER}"), Q.MEMBER_PATH),
        (logs.build_upload_zip(LOG, f"..\\{MEMBER}"), Q.MEMBER_PATH),
        (logs.build_upload_zip(LOG, f"..{MEMBER}"), Q.MEMBER_PATH),
        (logs.zip_encrypted(LOG, MEMBER), Q.ENCRYPTED_MEMBER),
        (logs.zip_bad_crc(LOG, MEMBER), Q.BAD_CRC),
        (logs.zip_unsupported_method(LOG, MEMBER), Q.UNSUPPORTED_METHOD),
        (logs.zip_bomb_ratio(MEMBER, size=4 << 20), Q.BOMB_RATIO),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_each_bad_archive_gets_its_reason(data, reason):
    assert reason_of(data) == reason


def test_a_size_bomb_is_refused_without_inflating_it():
    bomb = logs.zip_bomb_size(MEMBER)
    tracemalloc.start()
    try:
        assert reason_of(bomb) == Q.BOMB_SIZE
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(bomb) < 2 << 20
    assert peak < 16 << 20  # far below the 257 MiB it would inflate to


def test_a_bomb_that_lies_about_its_size_is_stopped_by_what_comes_out():
    # Declares 1 MiB but holds 32 MiB of zeros: the inflater stops at the declared size and
    # the CRC (of 1 MiB) cannot match, so nothing unbounded is ever produced.
    honest = logs.zip_bomb_ratio(MEMBER, size=32 << 20)
    lying = bytearray(honest)
    for sig, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = lying.find(sig)
        lying[at + size_at : at + size_at + 4] = (1 << 20).to_bytes(4, "little")
    assert reason_of(bytes(lying)) in (Q.BAD_CRC, Q.CORRUPT_ZIP)


def test_the_detail_names_what_was_wrong():
    with pytest.raises(BadUpload) as caught:
        extract_log(logs.build_upload_zip(LOG, "trail.log"), NAME)
    assert "trail.log" in caught.value.detail and MEMBER in caught.value.detail


SYMLINK = (3, (0o120777 << 16))


@pytest.mark.parametrize(
    ("attributes", "member", "kind"),
    [
        (SYMLINK, MEMBER, "a symbolic link"),
        ((3, 0o040755 << 16 | 0x10), MEMBER, "a folder"),
        ((3, 0o040755 << 16), MEMBER, "a folder"),
        ((0, 0x10), MEMBER, "a folder"),  # MS-DOS folder attribute
        ((0, 0x20), f"{MEMBER}/", "a folder"),  # a name ending in '/'
        ((3, 0o020666 << 16), MEMBER, "a character device"),
        ((3, 0o060660 << 16), MEMBER, "a block device"),
        ((3, 0o010644 << 16), MEMBER, "a FIFO"),
        ((3, 0o140755 << 16), MEMBER, "a socket"),
        ((3, 0o170644 << 16), MEMBER, "of file type 0o170000"),
        # a link however the archive says it was made (unzip makes one for 2, 5, 16, 30)
        *(((made_by, 0o120777 << 16), MEMBER, "a symbolic link") for made_by in (0, 2, 5, 16, 30)),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_member_that_is_no_regular_file_is_refused_naming_what_it_is(
    attributes, member, kind, method
):
    from tests.fuzz.strategies import member_zip

    with pytest.raises(BadUpload) as caught:
        extract_log(member_zip(member, b"/etc/passwd", *attributes, method), NAME)
    assert caught.value.reason is Q.MEMBER_NOT_A_FILE
    assert caught.value.detail == f"member {member!r} is {kind}, not a regular file"


@pytest.mark.parametrize(
    "attributes",
    [(3, 0o100644 << 16), (3, 0o100755 << 16 | 0x20), (3, 0), (3, 0o644 << 16), (0, 0x20), (0, 0)],
)
def test_regular_members_land_whatever_their_permissions(attributes):
    from tests.fuzz.strategies import member_zip

    assert extract_log(member_zip(MEMBER, LOG, *attributes), NAME) == LOG

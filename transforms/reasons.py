"""Every reason an upload is quarantined or a record rejected, named once.

These codes appear in the quarantine and rejects tables, in run metadata and in tests; they
are part of the operator's interface, so add new ones rather than renaming.
"""

from __future__ import annotations

from enum import StrEnum


class Quarantine(StrEnum):
    """Why a whole inbox file was set aside (never parsed into the raw store)."""

    BAD_NAME = "bad_name"  # file name is not <TMID>_<SENT15>-<UPLOADID>.zip
    UNEXPECTED_PATH = "unexpected_path"  # file in a sub-folder other than diag/, or at the root
    UNKNOWN_CONTRACT = "unknown_contract"  # inbox folder is not a contract of the contracts file
    TOO_LARGE = "too_large"  # ZIP file itself larger than the inbox read limit
    NOT_A_ZIP = "not_a_zip"  # no ZIP signature at all
    TRUNCATED_ZIP = "truncated_zip"  # starts like a ZIP but its end record is missing
    CORRUPT_ZIP = "corrupt_zip"  # ZIP structure unreadable or inconsistent
    NO_MEMBER = "no_member"
    SEVERAL_MEMBERS = "several_members"
    MEMBER_PATH = "member_path"  # member name holds '/', '\\' or '..'
    WRONG_MEMBER_NAME = "wrong_member_name"  # not <SENT15>.log with the file name's SENT15
    ENCRYPTED_MEMBER = "encrypted_member"
    UNSUPPORTED_METHOD = "unsupported_method"  # neither deflate nor stored
    BAD_CRC = "bad_crc"
    BOMB_SIZE = "bomb_size"  # uncompressed size above 256 MiB
    BOMB_RATIO = "bomb_ratio"  # compression ratio above 1000:1
    BAD_HEADER = "bad_header"  # '#ITLOG/2' magic present but the header is malformed
    BAD_CHARSET = "bad_charset"  # charset missing or not utf-8 / cp932
    TMID_MISMATCH = "tmid_mismatch"  # header tmid differs from the file name's TMID
    CONFLICT = "conflict"  # same key as a landed upload, different bytes
    CROSS_CONTRACT_TMID = "cross_contract_tmid"  # TMID already belongs to another contract
    DAY_OUT_OF_RANGE = "day_out_of_range"  # SENT15's service day is before the service or ahead
    # An inbox entry that is no regular file (a symbolic link, a folder where a file belongs, a
    # FIFO, a device, a socket, an S3 folder marker): quarantined by name, never opened.
    NOT_A_FILE = "not_a_file"
    # The ZIP's member is no regular file (a symbolic link, a folder, a device...): unzipped, it
    # would recreate that on the customer's machine.
    MEMBER_NOT_A_FILE = "member_not_a_file"


class Reject(StrEnum):
    """Why one record line of a landed upload was not used."""

    NO_HEADER = "no_header"  # the log's first line is not an #ITLOG/2 header
    UNDECODABLE = "undecodable"  # bytes invalid in the log's charset
    FIELD_COUNT = "field_count"  # not exactly six TAB-separated fields
    BAD_TIME = "bad_time"
    BAD_SEQ = "bad_seq"
    BAD_TYPE = "bad_type"  # empty event type
    BAD_DETAIL = "bad_detail"  # detail is not a JSON object

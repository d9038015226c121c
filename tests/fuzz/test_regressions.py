"""Inputs fuzzing found that crashed a parser, pinned: each now ends as a quarantine reason.

1. A name whose SENT15 is 0001-01-01 before 09:00 JST matched the name pattern, but its
   service day (before 05:00) or its UTC instant does not exist: `service_day` raised
   OverflowError, and every landing run (and the inbox sensor) lists and classifies every
   inbox file, so one such file failed every landing until removed by hand. Now a bad name.
2. A ZIP whose end record declares a central directory smaller than one entry, placed so that
   offset + size meets the end record, made the plain-ZIP fast path read past the buffer
   (struct.error) instead of handing the file to `zipfile`. Now a corrupt ZIP.
3. An S3 inbox key holding `..`, `.` or an empty segment (`S0001//x.zip`) was normalised into
   another key by `Root.rel`, which could then not be read: every landing run failed. An S3
   "folder" marker (`S0001/`, what consoles create) was listed as a file and failed the same
   way. Now the keys are kept as they are (and quarantined as unexpected paths), and folder
   markers are not files.
"""

import datetime as dt
import os
import struct

import boto3
import pytest

from assets.landing.land import land_day
from storage import warehouse
from storage.roots import Root
from tests.fuzz.strategies import upload_zip
from transforms.inbox import Kind, classify
from transforms.inbox_runs import pending_days
from transforms.names import UploadName, parse_upload_name
from transforms.reasons import Quarantine
from transforms.upload_zip import BadUpload, extract_log

FIRST_DAY = dt.date(2023, 1, 1)  # the suite's first service day (tests/conftest.py)

TMID = "0A1B2C3D-0000-4000-8000-00000000ABCD"
ID = "a" * 32
GOOD = UploadName(TMID, "202403181000000", ID)


@pytest.mark.parametrize("sent15", ["000101010000000", "000101010459599", "000101010859599"])
def test_a_first_day_of_the_calendar_name_is_a_bad_name(sent15):
    name = f"{TMID}_{sent15}-{ID}.zip"
    assert parse_upload_name(name) is None
    entry = classify(f"S0001/{name}", frozenset({"S0001"}))
    assert entry.kind is Kind.REFUSED and entry.reason is Quarantine.BAD_NAME
    assert parse_upload_name(f"{TMID}_000101010900000-{ID}.zip") is not None  # 00:00 UTC


def test_a_landing_with_such_a_file_lands_the_rest(tmp_path):
    inbox = tmp_path / "inbox" / "S0001"
    inbox.mkdir(parents=True)
    bad = f"{TMID}_000101010000000-{ID}.zip"
    (inbox / bad).write_bytes(b"PK whatever")
    log = f"#ITLOG/2\ttmid={TMID}\tcomputer=PC\tagent=5.0\tcharset=utf-8\r\n".encode()
    (inbox / GOOD.file_name).write_bytes(upload_zip(GOOD, log))
    listing = {f"S0001/{bad}": 11, f"S0001/{GOOD.file_name}": 1}
    assert set(
        pending_days(
            listing, frozenset({"S0001"}), dt.datetime(2024, 3, 18, tzinfo=dt.UTC), FIRST_DAY
        )
    )
    wh = Root(str(tmp_path / "wh"))
    report = land_day(Root(str(tmp_path / "inbox")), wh, frozenset({"S0001"}), GOOD.service_day)
    assert report.outcomes == {"landed": 1, "quarantined": 1}
    assert report.quarantined_by_reason == {"bad_name": 1}
    assert warehouse.landed_by_terminal(wh, GOOD.service_day)[("S0001", TMID)]


def test_a_zip_end_record_with_a_too_small_directory_is_corrupt():
    body = b"PK\x03\x04" + bytes(60)
    size = 10
    data = body + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, size, len(body) - size, 0)
    with pytest.raises(BadUpload) as bad:
        extract_log(data, GOOD)
    assert bad.value.reason in (Quarantine.CORRUPT_ZIP, Quarantine.TRUNCATED_ZIP)


@pytest.mark.s3
def test_s3_inbox_keys_that_are_not_plain_paths_are_quarantined_not_fatal(s3_env, tmp_path):
    client = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    log = f"#ITLOG/2\ttmid={TMID}\tcomputer=PC\tagent=5.0\tcharset=utf-8\r\n".encode()
    keys = {
        "inbox/S0001/": b"",  # a folder marker
        f"inbox/S0001/../../{GOOD.file_name}": b"junk",
        f"inbox/S0001/./{GOOD.file_name}": b"junk",
        f"inbox/S0001//{GOOD.file_name}": b"junk",
        f"inbox/S0001/{GOOD.file_name}": upload_zip(GOOD, log),
    }
    for key, body in keys.items():
        client.put_object(Bucket=s3_env, Key=key, Body=body)
    inbox = Root(f"s3://{s3_env}/inbox")
    report = land_day(inbox, Root(f"s3://{s3_env}/wh"), frozenset({"S0001"}), GOOD.service_day)
    assert report.outcomes == {"landed": 1, "quarantined": 3}
    assert report.quarantined_by_reason == {"unexpected_path": 3}
    left = client.list_objects_v2(Bucket=s3_env, Prefix="inbox/")["Contents"]
    assert [o["Key"] for o in left] == ["inbox/S0001/"]  # the marker, left alone


def test_an_upload_of_a_day_no_run_can_land_asks_for_todays_run():
    now = dt.datetime(2024, 3, 20, 6, tzinfo=dt.UTC)  # service day 2024-03-20 in Japan
    listing = {
        f"S0001/{TMID}_201901010900000-{ID}.zip": 1,  # before the service began
        f"S0001/{TMID}_203001010900000-{ID}.zip": 1,  # a clock years ahead
        f"S0001/{GOOD.file_name}": 1,  # 2024-03-18's own run
    }
    assert set(pending_days(listing, frozenset({"S0001"}), now, FIRST_DAY)) == {
        "2024-03-18",
        "2024-03-20",
    }

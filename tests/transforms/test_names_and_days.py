"""File names, SENT15 and the 05:00 Japan-time service day boundary."""

import datetime as dt
import os
import subprocess
import sys

import pytest

from assets.partitions import service_day_partitions
from transforms.names import parse_upload_name
from transforms.service_day import parse_instant, service_day_bounds, service_day_of_instant

TMID = "0123ABCD-4567-89EF-ABCD-0123456789AB"
UID = "a" * 16 + "B" * 16


def name(sent15: str, tmid: str = TMID, uid: str = UID) -> str:
    return f"{tmid}_{sent15}-{uid}.zip"


def test_a_valid_name_gives_its_key_and_parts():
    parsed = parse_upload_name(name("202403180900001"))
    assert parsed.tmid == TMID
    assert parsed.sent15 == "202403180900001"
    assert parsed.upload_id == UID
    assert parsed.key == f"{TMID}_202403180900001-{UID}"
    assert parsed.member_name == "202403180900001.log"
    assert parsed.sent_local == dt.datetime(2024, 3, 18, 9, 0, 0, 100_000)


@pytest.mark.parametrize(
    "bad",
    [
        name("202402300900000"),  # 30 February
        name("202403182460000"),  # hour 24
        name("20240318090000"),  # 14 digits
        name("202403180900000", tmid=TMID.lower()),  # lower-case TMID
        name("202403180900000", uid="a" * 31),
        name("202403180900000", uid="a" * 31 + "_"),
        name("202403180900000").replace(".zip", ".ZIP"),
        name("202403180900000") + ".zip",
        "desktop.ini",
    ],
)
def test_names_that_are_not_uploads(bad):
    assert parse_upload_name(bad) is None


@pytest.mark.parametrize(
    ("sent15", "day"),
    [
        ("202403190459599", dt.date(2024, 3, 18)),  # 04:59:59.9 still belongs to the day before
        ("202403190500000", dt.date(2024, 3, 19)),  # 05:00:00.0 opens the new day
        ("202403180500000", dt.date(2024, 3, 18)),
        ("202401010000000", dt.date(2023, 12, 31)),  # New Year's night: still the old year
        ("202403012359599", dt.date(2024, 3, 1)),
        ("202403010459599", dt.date(2024, 2, 29)),  # leap day
    ],
)
def test_service_day_boundary(sent15, day):
    assert parse_upload_name(name(sent15)).service_day == day


def test_service_day_of_an_instant_is_japan_time():
    # 2024-03-18 19:59:59.9 UTC is 04:59:59.9 JST on the 19th: still the 18th's service day.
    late = dt.datetime(2024, 3, 18, 19, 59, 59, 900_000, tzinfo=dt.UTC)
    assert service_day_of_instant(late) == dt.date(2024, 3, 18)
    assert service_day_of_instant(late + dt.timedelta(milliseconds=100)) == dt.date(2024, 3, 19)
    start, end = service_day_bounds(dt.date(2024, 3, 18))
    assert start.astimezone(dt.UTC) == dt.datetime(2024, 3, 17, 20, 0, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(days=1)


def test_partition_windows_are_the_service_day():
    window = service_day_partitions.time_window_for_partition_key("2024-03-18")
    assert window.start.isoformat() == "2024-03-18T05:00:00+09:00"
    assert window.end.isoformat() == "2024-03-19T05:00:00+09:00"


def test_day_arithmetic_ignores_the_machine_time_zone():
    code = (
        "from transforms.names import parse_upload_name as p;"
        f"print(p({name('202403190459599')!r}).service_day,"
        f" p({name('202403190500000')!r}).service_day)"
    )
    outputs = set()
    for tz in ("UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati"):
        env = {**os.environ, "TZ": tz}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(out.stdout.strip())
    assert outputs == {"2024-03-18 2024-03-19"}


def test_a_pinned_instant_must_carry_its_offset():
    assert parse_instant("2024-03-19T15:00:00+00:00") == dt.datetime(2024, 3, 19, 15, tzinfo=dt.UTC)
    assert parse_instant("2024-03-20T00:00:00+09:00") == dt.datetime(2024, 3, 19, 15, tzinfo=dt.UTC)
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_instant("2024-03-20T00:00:00")  # would be read in the machine's time zone

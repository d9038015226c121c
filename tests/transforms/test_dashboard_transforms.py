"""The dashboard's pure pieces: operator CSVs, holidays, bundles, build ids, retention windows,
and which stored build of a day is current."""

import datetime as dt

import polars as pl
import pytest

from storage.aggregates import Part, current_parts, superseded_parts
from transforms import retention_windows
from transforms.dashboard import (
    CsvError,
    japan_holidays,
    ledger_csv_bytes,
    new_build_id,
    parse_asset_ledger,
    parse_org_info,
    pending_diag_tmids,
)

JST = dt.timezone(dt.timedelta(hours=9))


def test_org_info_with_or_without_bom_keys_logins_case_insensitively():
    text = (
        "login_name,name,title,company,organisation,mail,extra\r\n"
        "CORP\\Tanaka,田中 博,課長,サンプル,経理部,tanaka@sample.co.jp,x\r\n"
        "corp\\tanaka,重複,,,,,\r\n"
        "\r\n"
        "CORP\\sato,佐藤,,サンプル,,,\r\n"
    )
    for data in (text.encode("utf-8-sig"), text.encode()):
        frame = parse_org_info(data)
        assert frame["login_key"].to_list() == ["corp\\tanaka", "corp\\sato"]
        assert frame.row(0, named=True)["name"] == "田中 博"  # the first row of a login wins
        assert frame.row(1, named=True)["organisation"] is None
        assert "extra" not in frame.columns


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"login,name\r\n", "no column 'login_name'"),
        ("login_name,name\r\n".encode("cp932") + "田中".encode("cp932"), "not UTF-8"),
    ],
)
def test_unusable_org_info_says_why(data, message):
    with pytest.raises(CsvError, match=message):
        parse_org_info(data)


def test_asset_ledger_needs_tmid_first_and_keeps_free_columns_as_text():
    frame = parse_asset_ledger("tmid,資産番号,購入日\r\nabc,001,2024-01-01\r\n".encode("utf-8-sig"))
    assert frame.rows() == [("ABC", "001", "2024-01-01")]
    with pytest.raises(CsvError, match="first column must be 'tmid'"):
        parse_asset_ledger(b"asset,tmid\r\n")
    with pytest.raises(CsvError, match="a row has 3 fields"):
        parse_asset_ledger(b"tmid,a\r\nx,1,2\r\n")


def test_ledger_csv_has_a_bom_and_crlf():
    rows = pl.DataFrame(
        {"tmid": ["T"], "location": ["本社"], "x": [None]}, schema_overrides={"x": pl.String}
    )
    assert ledger_csv_bytes(rows) == "\ufefftmid,location,x\r\nT,本社,\r\n".encode()


def test_japanese_holidays_come_from_the_holidays_package():
    days = [dt.date(2024, 7, 14), dt.date(2024, 7, 15), dt.date(2025, 1, 1), dt.date(2024, 3, 20)]
    frame = japan_holidays(days)
    assert frame["date"].to_list() == [
        dt.date(2024, 3, 20),
        dt.date(2024, 7, 15),
        dt.date(2025, 1, 1),
    ]
    assert japan_holidays([dt.date(2024, 2, 12)]).height == 1  # a substitute holiday
    assert japan_holidays([]).height == 0


def test_a_bundle_marks_its_terminal_from_the_service_day_it_was_sent():
    tmid = "AAAAAAAA-0001-0001-0001-000000000001"
    names = [f"{tmid}_202407150459599-{'a' * 32}.zip", "not-a-bundle.txt"]
    assert pending_diag_tmids(names, dt.date(2024, 7, 13)) == []
    assert pending_diag_tmids(names, dt.date(2024, 7, 14)) == [tmid]


def test_build_ids_sort_by_start_time():
    early = new_build_id(dt.datetime(2024, 7, 15, 9, 0, tzinfo=JST), "ffff")
    late = new_build_id(dt.datetime(2024, 7, 15, 0, 0, 1, tzinfo=dt.UTC), "0000")
    assert early == "20240715T000000000000Z-ffff" and early < late


def test_retention_windows_keep_the_current_day_and_the_n_before():
    now = dt.datetime(2024, 10, 13, 4, 59, tzinfo=JST)  # still service day 2024-10-12
    assert retention_windows.oldest_kept_day(now, 90) == dt.date(2024, 7, 14)
    items = [("a", dt.date(2024, 7, 13)), ("b", dt.date(2024, 7, 14))]
    assert retention_windows.expired(items, now, 90) == ["a"]
    arrived = dt.datetime(2024, 7, 15, tzinfo=dt.UTC)
    bundles = [("x", arrived)]
    assert retention_windows.expired_bundles(bundles, arrived + dt.timedelta(hours=71)) == []
    assert retention_windows.expired_bundles(bundles, arrived + dt.timedelta(hours=72)) == ["x"]


def part(build: str, modified: float, day: int = 15) -> Part:
    return Part(f"p-{build}-{day}", "event_types", "S1", dt.date(2024, 7, day), build, modified)


def test_the_greatest_build_of_a_day_is_current_and_older_ones_wait_out_the_grace():
    parts = [part("b1", 100.0), part("b3", 700.0), part("b2", 200.0), part("b1", 50.0, day=14)]
    assert [(p.build_id, p.day.day) for p in current_parts(parts)] == [("b1", 14), ("b3", 15)]
    grace = dt.timedelta(minutes=10)
    # b1 was replaced when b2 appeared (200), b2 when b3 did (700)
    assert superseded_parts(parts, 200.0 + 599, grace) == []
    assert [p.build_id for p in superseded_parts(parts, 200.0 + 600, grace)] == ["b1"]
    assert [p.build_id for p in superseded_parts(parts, 700.0 + 600, grace)] == ["b1", "b2"]

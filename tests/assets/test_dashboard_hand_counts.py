"""Every aggregate of the hand-written fixture (tests/assets/dashboard_fixture.py) equals what
was counted by hand, read back through the portal's views.

Hand-counting notes (Japan time): the 14th is a Sunday, the 15th Marine Day (a public
holiday), the 16th a Tuesday. T1's 04:59:59.9 upload belongs to the 14th and carries records
of the 15th's early hours (before 07:00 and on the holiday); its 05:00:00.0 upload belongs to
the 15th and carries a record stamped 04:59:59.950. Timestamps below are UTC (JST - 9 h).
"""

import datetime as dt

import pytest

from assets.dashboard import build as dashboard_build
from storage import duck
from storage.aggregates import TYPE_GROUPS
from storage.contracts import load_contracts
from storage.roots import Root
from tests.assets.dashboard_fixture import (
    DAY1,
    DAY2,
    HAKEN,
    SUZUKI,
    T1,
    T2,
    T3,
    TANAKA,
    YAMADA,
    land_fixture,
)


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def groups(**counts: int) -> dict[str, int]:
    return {f"{g}_records": counts.get(g, 0) for g in TYPE_GROUPS}


TANAKA_ORG = {
    "name": "田中 博",
    "title": "課長",
    "company": "株式会社サンプル",
    "organisation": "経理部",
    "mail": "tanaka@sample.co.jp",
}
SUZUKI_ORG = {
    "name": "鈴木 由紀",
    "title": "主任",
    "company": "株式会社サンプル",
    "organisation": "営業部",
    "mail": "suzuki@sample.co.jp",
}
YAMADA_ORG = {
    "name": "山田 太郎",
    "title": "部長",
    "company": "株式会社アザー",
    "organisation": "総務部",
    "mail": "yamada@other.jp",
}
NO_ORG = dict.fromkeys(TANAKA_ORG)
RISKS = (
    "copies_to_removable",
    "moves_to_removable",
    "web_uploads",
    "web_upload_bytes",
    "mails_with_attachments",
    "mails_outside",
    "print_jobs",
    "print_pages",
    "usb_blocked",
    "clipboard_files",
    "share_writes",
    "risk_records",
)


def risks(**counts: int) -> dict[str, int]:
    return {r: counts.get(r, 0) for r in RISKS}


def off(records, before_07=0, after_22=0, weekend=0, holiday=0, off_hours=0):
    return {
        "records": records,
        "before_07": before_07,
        "after_22": after_22,
        "weekend": weekend,
        "holiday": holiday,
        "off_hours": off_hours,
    }


SANDISK_ROW = {
    "device": "0781:5581:4C530001",
    "vid": "0781",
    "pid": "5581",
    "serial": "4C530001",
    "name": "SanDisk Ultra",
    "class": "mass_storage",
}
TOSHIBA_ROW = {
    "device": "0930:6545:C03FD5F7",
    "vid": "0930",
    "pid": "6545",
    "serial": "C03FD5F7",
    "name": "TOSHIBA TransMemory",
    "class": "mass_storage",
}
INV1_ROW = {
    "manufacturer": "Dell Inc.",
    "model": "Latitude 5440",
    "os_name": "Windows 11 Pro",
    "os_version": "23H2",
    "ips": ["192.168.10.21", "fe80::1"],
    "macs": ["00-11-22-33-44-55"],
    "drives": [{"letter": "C:", "type": "fixed", "size": 511101108224, "free": 100000000000}],
}

EXPECTED = {
    # (aggregate, support_id, day): rows in the view's order key, build_id left out
    ("terminal_activity", "S1", DAY1): [
        {
            "tmid": T1,
            "computer": "KEIRI-PC01",
            "computers": ["KEIRI-PC01"],
            "uploads": 2,
            "records": 9,
            **groups(power=2, session=1, app=2, file=1, web=1, agent=2),
            "first_record_at": utc("2024-07-14T00:00:00"),
            "last_record_at": utc("2024-07-14T17:10:00"),
            "active_hours": 3,  # 14th 09h, 14th 23h, 15th 02h
            "off_hours_records": 9,
            "users": [TANAKA],
            "main_user": TANAKA,
            "organisation": "経理部",
        },
        {
            "tmid": T2,
            "computer": "EIGYO-PC02",
            "computers": ["EIGYO-PC02"],
            "uploads": 1,
            "records": 5,
            **groups(session=1, print=1, usb=1, agent=2),
            "first_record_at": utc("2024-07-14T08:00:00"),
            "last_record_at": utc("2024-07-14T08:40:00"),
            "active_hours": 1,
            "off_hours_records": 5,
            "users": [SUZUKI],
            "main_user": SUZUKI,
            "organisation": "営業部",  # org row `CORP\suzuki`: logins compare case-insensitively
        },
    ],
    ("terminal_activity", "S1", DAY2): [
        {
            "tmid": T1,
            "computer": "KEIRI-PC01-NEW",
            "computers": ["KEIRI-PC01", "KEIRI-PC01-NEW"],
            "uploads": 2,
            "records": 12,
            **groups(usb=1, mail=2, web=2, app=1, clipboard=1, share=2, agent=2, other=1),
            "first_record_at": utc("2024-07-14T19:59:59.950"),
            "last_record_at": utc("2024-07-15T16:00:00"),
            "active_hours": 3,  # 15th 10h, 15th 22h, 16th 01h
            "off_hours_records": 12,
            "users": [HAKEN, TANAKA],
            "main_user": TANAKA,  # 6 records against 4
            "organisation": "経理部",
        }
    ],
    ("terminal_activity", "S2", DAY1): [
        {
            "tmid": T3,
            "computer": "PC-OTHER",
            "computers": ["PC-OTHER"],
            "uploads": 1,
            "records": 3,
            **groups(usb=1, mail=1, agent=1),
            "first_record_at": utc("2024-07-14T00:30:00"),
            "last_record_at": utc("2024-07-14T00:50:00"),
            "active_hours": 1,
            "off_hours_records": 3,
            "users": [YAMADA],
            "main_user": YAMADA,
            "organisation": "総務部",
        }
    ],
    ("terminal_activity", "S2", DAY2): [
        {
            "tmid": T3,
            "computer": "PC-OTHER",
            "computers": ["PC-OTHER"],
            "uploads": 1,
            "records": 1,
            **groups(usb=1),
            "first_record_at": utc("2024-07-14T23:50:00"),
            "last_record_at": utc("2024-07-14T23:50:00"),
            "active_hours": 1,
            "off_hours_records": 1,
            "users": [YAMADA],
            "main_user": YAMADA,
            "organisation": "総務部",
        }
    ],
    ("user_activity", "S1", DAY1): [
        {
            "user": SUZUKI,
            **SUZUKI_ORG,
            "terminals": 1,
            "records": 3,
            **groups(session=1, print=1, usb=1),
            "first_record_at": utc("2024-07-14T08:00:00"),
            "last_record_at": utc("2024-07-14T08:30:00"),
            "off_hours_records": 3,
        },
        {
            "user": TANAKA,
            **TANAKA_ORG,
            "terminals": 1,
            "records": 5,
            **groups(session=1, app=2, web=1, file=1),
            "first_record_at": utc("2024-07-14T00:01:00"),
            "last_record_at": utc("2024-07-14T17:00:00"),
            "off_hours_records": 5,
        },
    ],
    ("user_activity", "S1", DAY2): [
        {
            "user": HAKEN,
            **NO_ORG,  # a temporary worker with no organisation row keeps empty person columns
            "terminals": 1,
            "records": 4,
            **groups(app=1, clipboard=1, share=2),
            "first_record_at": utc("2024-07-15T01:30:00"),
            "last_record_at": utc("2024-07-15T01:33:00"),
            "off_hours_records": 4,
        },
        {
            "user": TANAKA,
            **TANAKA_ORG,
            "terminals": 1,
            "records": 6,
            **groups(usb=1, mail=2, web=2, other=1),
            "first_record_at": utc("2024-07-15T01:00:00"),
            "last_record_at": utc("2024-07-15T16:00:00"),
            "off_hours_records": 6,
        },
    ],
    ("user_activity", "S2", DAY1): [
        {
            "user": YAMADA,
            **YAMADA_ORG,
            "terminals": 1,
            "records": 2,
            **groups(usb=1, mail=1),
            "first_record_at": utc("2024-07-14T00:30:00"),
            "last_record_at": utc("2024-07-14T00:40:00"),
            "off_hours_records": 2,
        }
    ],
    ("user_activity", "S2", DAY2): [
        {
            "user": YAMADA,
            **YAMADA_ORG,
            "terminals": 1,
            "records": 1,
            **groups(usb=1),
            "first_record_at": utc("2024-07-14T23:50:00"),
            "last_record_at": utc("2024-07-14T23:50:00"),
            "off_hours_records": 1,
        }
    ],
    ("event_types", "S1", DAY1): [
        {"type": "AGENT", "type_group": "agent", "records": 2, "terminals": 2, "users": 0},
        {"type": "APP_START", "type_group": "app", "records": 1, "terminals": 1, "users": 1},
        {"type": "FILE_COPY", "type_group": "file", "records": 1, "terminals": 1, "users": 1},
        {"type": "INVENTORY", "type_group": "agent", "records": 2, "terminals": 2, "users": 0},
        {"type": "LOGON", "type_group": "session", "records": 2, "terminals": 2, "users": 2},
        {"type": "POWER_OFF", "type_group": "power", "records": 1, "terminals": 1, "users": 0},
        {"type": "POWER_ON", "type_group": "power", "records": 1, "terminals": 1, "users": 0},
        {"type": "PRINT", "type_group": "print", "records": 1, "terminals": 1, "users": 1},
        {"type": "USB_CONNECT", "type_group": "usb", "records": 1, "terminals": 1, "users": 1},
        {"type": "WEB_ACCESS", "type_group": "web", "records": 1, "terminals": 1, "users": 1},
        {"type": "WINDOW", "type_group": "app", "records": 1, "terminals": 1, "users": 1},
    ],
    ("event_types", "S1", DAY2): [
        {"type": "AGENT", "type_group": "agent", "records": 1, "terminals": 1, "users": 0},
        {"type": "APP_START", "type_group": "app", "records": 1, "terminals": 1, "users": 1},
        {"type": "CLIPBOARD", "type_group": "clipboard", "records": 1, "terminals": 1, "users": 1},
        {"type": "INVENTORY", "type_group": "agent", "records": 1, "terminals": 1, "users": 0},
        {"type": "MAIL_SEND", "type_group": "mail", "records": 2, "terminals": 1, "users": 1},
        {"type": "SCREEN_CAPTURE", "type_group": "other", "records": 1, "terminals": 1, "users": 1},
        {"type": "SHARE_ACCESS", "type_group": "share", "records": 2, "terminals": 1, "users": 1},
        {"type": "USB_BLOCKED", "type_group": "usb", "records": 1, "terminals": 1, "users": 1},
        {"type": "WEB_ACCESS", "type_group": "web", "records": 1, "terminals": 1, "users": 1},
        {"type": "WEB_UPLOAD", "type_group": "web", "records": 1, "terminals": 1, "users": 1},
    ],
    ("event_types", "S2", DAY1): [
        {"type": "AGENT", "type_group": "agent", "records": 1, "terminals": 1, "users": 0},
        {"type": "MAIL_SEND", "type_group": "mail", "records": 1, "terminals": 1, "users": 1},
        {"type": "USB_CONNECT", "type_group": "usb", "records": 1, "terminals": 1, "users": 1},
    ],
    ("event_types", "S2", DAY2): [
        {"type": "USB_BLOCKED", "type_group": "usb", "records": 1, "terminals": 1, "users": 1},
    ],
    ("risk_operations", "S1", DAY1): [
        {"tmid": T1, "user": TANAKA, **risks(copies_to_removable=1, risk_records=1)},
        {"tmid": T2, "user": SUZUKI, **risks(print_jobs=1, print_pages=6, risk_records=1)},
    ],
    ("risk_operations", "S1", DAY2): [
        {"tmid": T1, "user": HAKEN, **risks(clipboard_files=1, share_writes=1, risk_records=2)},
        {
            "tmid": T1,
            "user": TANAKA,
            # the mail with an attachment also goes to torihiki.jp (Tanaka@Sample.co.jp in cc
            # is internal: domains compare case-insensitively); the second mail is internal
            **risks(
                usb_blocked=1,
                mails_with_attachments=1,
                mails_outside=1,
                web_uploads=1,
                web_upload_bytes=2048,
                risk_records=3,
            ),
        },
    ],
    ("risk_operations", "S2", DAY1): [
        {"tmid": T3, "user": YAMADA, **risks(mails_outside=1, risk_records=1)},
    ],
    ("risk_operations", "S2", DAY2): [
        {"tmid": T3, "user": YAMADA, **risks(usb_blocked=1, risk_records=1)},
    ],
    ("off_hours", "S1", DAY1): [
        {
            "user": SUZUKI,
            "name": "鈴木 由紀",
            "organisation": "営業部",
            **off(3, weekend=3, off_hours=3),
        },
        {
            "user": TANAKA,
            "name": "田中 博",
            "organisation": "経理部",
            # 09:01-09:06 Sunday; 23:30 Sunday; 02:00 Monday = the holiday, before 07:00
            **off(5, before_07=1, after_22=1, weekend=4, holiday=1, off_hours=5),
        },
    ],
    ("off_hours", "S1", DAY2): [
        {"user": HAKEN, "name": None, "organisation": None, **off(4, holiday=4, off_hours=4)},
        {
            "user": TANAKA,
            "name": "田中 博",
            "organisation": "経理部",
            # 10:00-10:20 and 22:30 on the holiday; 01:00 Tuesday before 07:00
            **off(6, before_07=1, after_22=1, holiday=5, off_hours=6),
        },
    ],
    ("off_hours", "S2", DAY1): [
        {
            "user": YAMADA,
            "name": "山田 太郎",
            "organisation": "総務部",
            **off(2, weekend=2, off_hours=2),
        },
    ],
    ("off_hours", "S2", DAY2): [
        {
            "user": YAMADA,
            "name": "山田 太郎",
            "organisation": "総務部",
            **off(1, holiday=1, off_hours=1),
        },
    ],
    ("applications", "S1", DAY1): [
        {"process": "excel.exe", "records": 2, "starts": 1, "terminals": 1, "users": 1},
        {"process": "explorer.exe", "records": 1, "starts": 0, "terminals": 1, "users": 1},
        {"process": "msedge.exe", "records": 1, "starts": 0, "terminals": 1, "users": 1},
        {"process": "winword.exe", "records": 1, "starts": 0, "terminals": 1, "users": 1},
    ],
    ("applications", "S1", DAY2): [
        {"process": "excel.exe", "records": 1, "starts": 1, "terminals": 1, "users": 1},
        {"process": "explorer.exe", "records": 3, "starts": 0, "terminals": 1, "users": 1},
        {"process": "msedge.exe", "records": 2, "starts": 0, "terminals": 1, "users": 1},
        {"process": "outlook.exe", "records": 2, "starts": 0, "terminals": 1, "users": 1},
        {"process": "snippingtool.exe", "records": 1, "starts": 0, "terminals": 1, "users": 1},
    ],
    ("applications", "S2", DAY1): [
        {"process": "outlook.exe", "records": 1, "starts": 0, "terminals": 1, "users": 1},
    ],
    ("applications", "S2", DAY2): [],
    ("web_domains", "S1", DAY1): [
        {
            "domain": "www.yahoo.co.jp",
            "accesses": 1,
            "uploads": 0,
            "downloads": 0,
            "upload_bytes": 0,
            "terminals": 1,
            "users": 1,
        }
    ],
    ("web_domains", "S1", DAY2): [
        {
            "domain": "drive.google.com",
            "accesses": 1,
            "uploads": 1,
            "downloads": 0,
            "upload_bytes": 2048,
            "terminals": 1,
            "users": 1,
        }
    ],
    ("web_domains", "S2", DAY1): [],
    ("web_domains", "S2", DAY2): [],
    ("usb_devices", "S1", DAY1): [
        {
            **SANDISK_ROW,
            "terminals": 1,  # T2 only: S2's T3 met the same stick, in its own tenant
            "users": 1,
            "connects": 1,
            "disconnects": 0,
            "blocks": 0,
            "first_seen_at": utc("2024-07-14T08:30:00"),
            "last_seen_at": utc("2024-07-14T08:30:00"),
        }
    ],
    ("usb_devices", "S1", DAY2): [
        {
            **TOSHIBA_ROW,
            "terminals": 1,
            "users": 1,
            "connects": 0,
            "disconnects": 0,
            "blocks": 1,
            "first_seen_at": utc("2024-07-15T01:00:00"),
            "last_seen_at": utc("2024-07-15T01:00:00"),
        }
    ],
    ("usb_devices", "S2", DAY1): [
        {
            **SANDISK_ROW,
            "terminals": 1,
            "users": 1,
            "connects": 1,
            "disconnects": 0,
            "blocks": 0,
            "first_seen_at": utc("2024-07-14T00:30:00"),
            "last_seen_at": utc("2024-07-14T00:30:00"),
        }
    ],
    ("usb_devices", "S2", DAY2): [
        {
            **TOSHIBA_ROW,
            "terminals": 1,
            "users": 1,
            "connects": 0,
            "disconnects": 0,
            "blocks": 1,
            "first_seen_at": utc("2024-07-14T23:50:00"),
            "last_seen_at": utc("2024-07-14T23:50:00"),
        }
    ],
    ("terminal_status", "S1", DAY1): [
        {
            "tmid": T1,
            "computer": "KEIRI-PC01",
            "agent_version": "5.2.1",
            "state": "running",
            "last_upload_at": utc("2024-07-14T19:59:59.900"),  # the 04:59:59.9 upload
            "last_upload_day": DAY1,
            "days_silent": 0,
            "uploads": 2,
            "records": 9,
            "lost_records": 0,
        },
        {
            "tmid": T2,
            "computer": "EIGYO-PC02",
            "agent_version": "4.8.2",
            "state": "diagnosing",  # its bundle (sent 18:30 on the 14th) is pending
            "last_upload_at": utc("2024-07-14T09:00:00"),
            "last_upload_day": DAY1,
            "days_silent": 0,
            "uploads": 1,
            "records": 5,
            "lost_records": 0,
        },
    ],
    ("terminal_status", "S1", DAY2): [
        {
            "tmid": T1,
            "computer": "KEIRI-PC01-NEW",
            "agent_version": "5.2.1",
            "state": "starting",  # seq 109 is its latest AGENT record
            "last_upload_at": utc("2024-07-15T16:30:00"),
            "last_upload_day": DAY2,
            "days_silent": 0,
            "uploads": 2,
            "records": 12,
            "lost_records": 5,  # 110..114
        },
        {
            "tmid": T2,
            "computer": "EIGYO-PC02",
            "agent_version": "4.8.2",
            "state": "diagnosing",
            "last_upload_at": utc("2024-07-14T09:00:00"),
            "last_upload_day": DAY1,
            "days_silent": 1,
            "uploads": 0,
            "records": 0,
            "lost_records": 0,
        },
    ],
    ("terminal_status", "S2", DAY1): [
        {
            "tmid": T3,
            "computer": "PC-OTHER",
            "agent_version": "5.3.0",
            "state": "running",
            "last_upload_at": utc("2024-07-14T01:00:00"),
            "last_upload_day": DAY1,
            "days_silent": 0,
            "uploads": 1,
            "records": 3,
            "lost_records": 0,
        }
    ],
    ("terminal_status", "S2", DAY2): [
        {
            "tmid": T3,
            "computer": "PC-OTHER",
            "agent_version": "5.3.0",
            "state": "running",  # no AGENT record today: the previous upload day's
            "last_upload_at": utc("2024-07-15T00:00:00"),
            "last_upload_day": DAY2,
            "days_silent": 0,
            "uploads": 1,
            "records": 1,
            "lost_records": 2,  # seq 3 on the 14th, 6 on the 15th
        }
    ],
    ("inventory", "S1", DAY1): [
        {
            "tmid": T1,
            "computer": "KEIRI-PC01",
            "inventory_at": utc("2024-07-14T01:30:00"),
            **INV1_ROW,
            "os_build": "22631.3880",
            "app_count": 2,
            "latest_update": "KB5040442",
            "latest_update_installed": dt.date(2024, 7, 10),
        },
        {
            "tmid": T2,
            "computer": "EIGYO-PC02",
            "inventory_at": utc("2024-07-14T08:40:00"),
            "manufacturer": "LENOVO",
            "model": "ThinkPad X1",
            "os_name": "Windows 10 Pro",
            "os_version": "22H2",
            "os_build": "19045.4529",
            "ips": ["192.168.10.22"],
            "macs": ["66-77-88-99-AA-BB"],
            "drives": [
                {"letter": "C:", "type": "fixed", "size": 256000000000, "free": 50000000000},
                {"letter": "Z:", "type": "network", "size": 1000000000000, "free": 400000000000},
            ],
            "app_count": 1,
            "latest_update": "KB5040427",  # two on 2024-07-10: the greater KB
            "latest_update_installed": dt.date(2024, 7, 10),
        },
    ],
    ("inventory", "S1", DAY2): [
        {
            "tmid": T1,
            "computer": "KEIRI-PC01-NEW",
            "inventory_at": utc("2024-07-15T02:00:00"),
            **INV1_ROW,
            "os_build": "22631.3958",
            "app_count": 3,
            "latest_update": "KB5040527",
            "latest_update_installed": dt.date(2024, 7, 15),
        }
    ],
    ("inventory", "S2", DAY1): [],
    ("inventory", "S2", DAY2): [],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture landed, and its days built in reverse order (order must not matter)."""
    base = tmp_path_factory.mktemp("dashboard_hand")
    wh = land_fixture(base)
    contracts = load_contracts(str(base / "contracts.yaml"))
    reports = [dashboard_build.build_day(wh, contracts, day) for day in (DAY2, DAY1)]
    return base, wh, reports


def view_rows(wh, name, support_id, day):
    con = duck.connect(wh)
    result = con.execute(
        f"select * exclude (support_id, day, build_id) from agg_{name} "
        "where support_id = ? and day = ? order by all",
        [support_id, day],
    )
    columns = [c[0] for c in result.description]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]


@pytest.mark.parametrize(
    ("name", "support_id", "day"),
    list(EXPECTED),
    ids=[f"{n}-{s}-{d}" for n, s, d in EXPECTED],
)
def test_each_aggregate_equals_the_hand_count(built, name, support_id, day):
    _base, wh, _reports = built
    assert view_rows(wh, name, support_id, day) == EXPECTED[(name, support_id, day)]


def test_the_checks_agree_with_the_raw_store(built):
    _base, _wh, reports = built
    for report in [r for day in reports for r in day]:
        assert report.matches_raw and not report.foreign_tmids and report.org_problem is None
    by_key = {(r.support_id, r.day): r for day in reports for r in day}
    assert by_key[("S1", DAY2)].users_without_org == 1  # the temporary worker
    assert by_key[("S1", DAY1)].records_counted == 14


def test_the_ledger_export_joins_latest_inventory_with_the_asset_columns(built):
    base, wh, _reports = built
    contract = next(c for c in load_contracts(str(base / "contracts.yaml")) if c.support_id == "S1")
    export = dashboard_build.export_ledger(wh, Root(str(base / "delivery")), contract)
    data = (base / "delivery" / "exports" / "ledger" / "S1" / "ledger.csv").read_bytes()
    assert export.path == "exports/ledger/S1/ledger.csv" and export.terminals == 3
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data[3:].decode("utf-8").split("\r\n")
    assert lines[0] == (
        "tmid,computer,inventory_day,inventory_at,manufacturer,model,os_name,os_version,"
        "os_build,ips,macs,drives,app_count,latest_update,latest_update_installed,"
        "asset_no,location"
    )
    assert lines[1] == (
        f"{T1},KEIRI-PC01-NEW,2024-07-15,2024-07-15 11:00:00,Dell Inc.,Latitude 5440,"
        "Windows 11 Pro,23H2,22631.3958,192.168.10.21 fe80::1,00-11-22-33-44-55,"
        "C: fixed 511.1 GB (100.0 GB free),3,KB5040527,2024-07-15,PC-0001,本社 3F"
    )
    assert lines[2] == (
        f"{T2},EIGYO-PC02,2024-07-14,2024-07-14 17:40:00,LENOVO,ThinkPad X1,Windows 10 Pro,"
        "22H2,19045.4529,192.168.10.22,66-77-88-99-AA-BB,"
        "C: fixed 256.0 GB (50.0 GB free); Z: network 1000.0 GB (400.0 GB free),1,"
        "KB5040427,2024-07-10,,"
    )
    assert lines[3] == "ZZZZZZZZ-9999-9999-9999-999999999999,,,,,,,,,,,,,,,PC-0099,倉庫"
    assert lines[4:] == [""]

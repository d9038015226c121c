"""A tiny hand-written warehouse for the dashboard tests: two contracts, three terminals, two
service days (2024-07-14, a Sunday, and 2024-07-15, Marine Day, a public holiday), built
with the `samples.logs` builders and landed with `assets.landing.land.land_day`.

Every value the dashboard should compute from it was counted by hand in
tests/assets/test_dashboard_hand_counts.py. What is in it:

- S1/T1: two uploads on the 14th, the second sent at 04:59:59.9 on the 15th (still the 14th's
  service day) with records after midnight on the holiday; on the 15th an upload sent at
  05:00:00.0 (the new service day) holding a record stamped 04:59:59.950, then an upload from
  the renamed computer whose seq jumps 109 -> 115 (5 records lost), a blocked USB stick, a
  mail with an attachment to an outside domain, a web upload, clipboard and share writes by
  a temporary worker without an organisation row, and an unknown event type.
- S1/T2 (agent 4.x, cp932): uploads on the 14th only, prints, connects a USB stick, and has a
  pending diagnostic bundle (so it reads `diagnosing`, and silent on the 15th).
- S2/T3: the same USB stick and the same blocked model as S1, a mail to an outside domain,
  and a seq gap across the two days (3 -> 6).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from assets.landing.land import land_day
from samples.logs import build_header, build_record, build_upload_zip, encode_log
from storage.roots import Root

T1 = "AAAAAAAA-0001-0001-0001-000000000001"
T2 = "AAAAAAAA-0002-0002-0002-000000000002"
T3 = "BBBBBBBB-0003-0003-0003-000000000003"
UNLISTED = "ZZZZZZZZ-9999-9999-9999-999999999999"  # in S1's ledger, never uploads
DAY1 = dt.date(2024, 7, 14)
DAY2 = dt.date(2024, 7, 15)

INV1 = {
    "manufacturer": "Dell Inc.",
    "model": "Latitude 5440",
    "os": {"name": "Windows 11 Pro", "version": "23H2", "build": "22631.3880"},
    "ip": ["192.168.10.21", "fe80::1"],
    "mac": ["00-11-22-33-44-55"],
    "drives": [{"letter": "C:", "type": "fixed", "size": 511101108224, "free": 100000000000}],
    "usb_devices": [],
    "apps": [
        {"name": "Microsoft 365", "version": "16.0", "publisher": "Microsoft"},
        {"name": "一太郎2024", "version": "34.0", "publisher": "ジャストシステム"},
    ],
    "updates": [
        {"kb": "KB5039212", "installed": "2024-06-12"},
        {"kb": "KB5040442", "installed": "2024-07-10"},
    ],
}
INV2 = {
    "manufacturer": "LENOVO",
    "model": "ThinkPad X1",
    "os": {"name": "Windows 10 Pro", "version": "22H2", "build": "19045.4529"},
    "ip": ["192.168.10.22"],
    "mac": ["66-77-88-99-AA-BB"],
    "drives": [
        {"letter": "C:", "type": "fixed", "size": 256000000000, "free": 50000000000},
        {"letter": "Z:", "type": "network", "size": 1000000000000, "free": 400000000000},
    ],
    "usb_devices": [],
    "apps": [{"name": "Zoom", "version": "5.17", "publisher": "Zoom"}],
    "updates": [
        {"kb": "KB5039211", "installed": "2024-06-12"},
        {"kb": "KB5040427", "installed": "2024-07-10"},
        {"kb": "KB5040000", "installed": "2024-07-10"},
    ],
}
INV3 = {
    **INV1,
    "os": {"name": "Windows 11 Pro", "version": "23H2", "build": "22631.3958"},
    "apps": [*INV1["apps"], {"name": "7-Zip", "version": "23.01", "publisher": "Igor Pavlov"}],
    "updates": [*INV1["updates"], {"kb": "KB5040527", "installed": "2024-07-15"}],
}
SANDISK = {
    "vid": "0781",
    "pid": "5581",
    "serial": "4C530001",
    "class": "mass_storage",
    "name": "SanDisk Ultra",
    "drive": "E:",
}
TOSHIBA = {
    "vid": "0930",
    "pid": "6545",
    "serial": "C03FD5F7",
    "class": "mass_storage",
    "name": "TOSHIBA TransMemory",
    "drive": "",
}
EXCEL = {"path": "C:\\Office\\EXCEL.EXE", "pid": 1234, "sha256": "ab"}
TANAKA, SUZUKI, HAKEN, YAMADA = "CORP\\tanaka", "CORP\\Suzuki", "CORP\\haken01", "OTHER\\yamada"


def _r(time: str, seq: int, type_: str, user: str = "", process: str = "", detail=None):
    return build_record(f"{time}+09:00", seq, type_, user, process, detail or {})


def _agent(version: str, state: str) -> dict:
    return {"version": version, "state": state, "message": "状態"}


# (support_id, tmid, SENT15, computer, agent, charset, records)
UPLOADS = [
    (
        "S1",
        T1,
        "202407141200000",
        "KEIRI-PC01",
        "5.2.1",
        "utf-8",
        [
            _r("2024-07-14T09:00:00.000", 100, "POWER_ON"),
            _r(
                "2024-07-14T09:00:05.000",
                101,
                "AGENT",
                "",
                "itagent.exe",
                _agent("5.2.1", "running"),
            ),
            _r("2024-07-14T09:01:00.000", 102, "LOGON", TANAKA, "", {"session": "console"}),
            _r("2024-07-14T09:05:00.000", 103, "APP_START", TANAKA, "EXCEL.EXE", EXCEL),
            _r(
                "2024-07-14T09:06:00.000",
                104,
                "WEB_ACCESS",
                TANAKA,
                "msedge.exe",
                {"url": "https://www.Yahoo.co.jp/news", "title": "Yahoo", "browser": "msedge"},
            ),
            _r("2024-07-14T10:30:00.000", 105, "INVENTORY", "", "", INV1),
        ],
    ),
    (
        "S1",
        T1,
        "202407150459599",  # 04:59:59.9 on the 15th: still service day the 14th
        "KEIRI-PC01",
        "5.2.1",
        "utf-8",
        [
            _r(
                "2024-07-14T23:30:00.000",
                106,
                "WINDOW",
                TANAKA,
                "excel.exe",
                {"title": "予算.xlsx - Excel", "pid": 1234},
            ),
            _r(
                "2024-07-15T02:00:00.000",
                107,
                "FILE_COPY",
                TANAKA,
                "explorer.exe",
                {
                    "path": "C:\\予算.xlsx",
                    "dst": "E:\\予算.xlsx",
                    "size": 1000,
                    "drive": "fixed",
                    "dst_drive": "removable",
                },
            ),
            _r("2024-07-15T02:10:00.000", 108, "POWER_OFF"),
        ],
    ),
    (
        "S1",
        T2,
        "202407141800000",
        "EIGYO-PC02",
        "4.8.2",
        "cp932",
        [
            _r("2024-07-14T17:00:00.000", 5000, "LOGON", SUZUKI, "", {"session": "console"}),
            _r(
                "2024-07-14T17:10:00.000",
                5001,
                "AGENT",
                "",
                "itagent.exe",
                _agent("4.8.2", "error"),
            ),
            _r(
                "2024-07-14T17:20:00.000",
                5002,
                "PRINT",
                SUZUKI,
                "winword.exe",
                {"printer": "営業部 複合機", "document": "報告書.docx", "pages": 3, "copies": 2},
            ),
            _r("2024-07-14T17:30:00.000", 5003, "USB_CONNECT", SUZUKI, "", SANDISK),
            _r("2024-07-14T17:40:00.000", 5004, "INVENTORY", "", "", INV2),
        ],
    ),
    (
        "S2",
        T3,
        "202407141000000",
        "PC-OTHER",
        "5.3.0",
        "utf-8",
        [
            _r("2024-07-14T09:30:00.000", 1, "USB_CONNECT", YAMADA, "", SANDISK),
            _r(
                "2024-07-14T09:40:00.000",
                2,
                "MAIL_SEND",
                YAMADA,
                "outlook.exe",
                {"to": ["x@outside.com"], "cc": [], "subject": "件名", "attachments": []},
            ),
            _r(
                "2024-07-14T09:50:00.000", 3, "AGENT", "", "itagent.exe", _agent("5.3.0", "running")
            ),
        ],
    ),
    (
        "S1",
        T1,
        "202407150500000",  # 05:00:00.0: the first instant of service day the 15th
        "KEIRI-PC01",
        "5.2.1",
        "utf-8",
        [
            _r(
                "2024-07-15T04:59:59.950",
                109,
                "AGENT",
                "",
                "itagent.exe",
                _agent("5.2.1", "starting"),
            )
        ],
    ),
    (
        "S1",
        T1,
        "202407160130000",  # 01:30 on the 16th: still service day the 15th
        "KEIRI-PC01-NEW",  # renamed
        "5.2.1",
        "utf-8",
        [
            _r("2024-07-15T10:00:00.000", 115, "USB_BLOCKED", TANAKA, "", TOSHIBA),  # 110-114 lost
            _r(
                "2024-07-15T10:05:00.000",
                116,
                "MAIL_SEND",
                TANAKA,
                "outlook.exe",
                {
                    "to": ["suzuki@sample.co.jp", "partner@torihiki.jp"],
                    "cc": ["Tanaka@Sample.co.jp"],
                    "subject": "見積",
                    "attachments": [{"name": "見積.xlsx", "size": 2048}],
                },
            ),
            _r(
                "2024-07-15T10:10:00.000",
                117,
                "MAIL_SEND",
                TANAKA,
                "outlook.exe",
                {"to": ["suzuki@sample.co.jp"], "cc": [], "subject": "社内", "attachments": []},
            ),
            _r(
                "2024-07-15T10:20:00.000",
                118,
                "WEB_UPLOAD",
                TANAKA,
                "msedge.exe",
                {
                    "url": "https://drive.google.com/drive/my-drive",
                    "path": "C:\\見積.xlsx",
                    "size": 2048,
                    "browser": "msedge",
                },
            ),
            _r("2024-07-15T10:30:00.000", 119, "APP_START", HAKEN, "excel.exe", EXCEL),
            _r(
                "2024-07-15T10:31:00.000",
                120,
                "CLIPBOARD",
                HAKEN,
                "explorer.exe",
                {"kind": "file", "length": 2},
            ),
            _r(
                "2024-07-15T10:32:00.000",
                121,
                "SHARE_ACCESS",
                HAKEN,
                "explorer.exe",
                {"unc": "\\\\fs01\\共有\\a.xlsx", "op": "write"},
            ),
            _r(
                "2024-07-15T10:33:00.000",
                122,
                "SHARE_ACCESS",
                HAKEN,
                "explorer.exe",
                {"unc": "\\\\fs01\\共有\\b.xlsx", "op": "read"},
            ),
            _r("2024-07-15T11:00:00.000", 123, "INVENTORY", "", "", INV3),
            _r(
                "2024-07-15T22:30:00.000",
                124,
                "WEB_ACCESS",
                TANAKA,
                "msedge.exe",
                {"url": "https://drive.google.com:443/x", "title": "Drive", "browser": "msedge"},
            ),
            _r(
                "2024-07-16T01:00:00.000",
                125,
                "SCREEN_CAPTURE",
                TANAKA,
                "snippingtool.exe",
                {"title": "x", "pid": 4},
            ),
        ],
    ),
    (
        "S2",
        T3,
        "202407150900000",
        "PC-OTHER",
        "5.3.0",
        "utf-8",
        [_r("2024-07-15T08:50:00.000", 6, "USB_BLOCKED", YAMADA, "", TOSHIBA)],  # 4, 5 lost
    ),
]
DIAG_BUNDLE = ("S1", f"{T2}_202407141830000-{'D' * 32}.zip")

ORG_S1 = (
    "login_name,name,title,company,organisation,mail\r\n"
    "CORP\\tanaka,田中 博,課長,株式会社サンプル,経理部,tanaka@sample.co.jp\r\n"
    "CORP\\suzuki,鈴木 由紀,主任,株式会社サンプル,営業部,suzuki@sample.co.jp\r\n"
).encode("utf-8-sig")
ORG_S2 = (
    "login_name,name,title,company,organisation,mail\r\n"
    "OTHER\\yamada,山田 太郎,部長,株式会社アザー,総務部,yamada@other.jp\r\n"
).encode()  # no BOM: both are accepted
LEDGER_S1 = (
    f"tmid,asset_no,location\r\n{T1},PC-0001,本社 3F\r\n{UNLISTED},PC-0099,倉庫\r\n"
).encode("utf-8-sig")


def upload_name(tmid: str, sent15: str, n: int) -> str:
    return f"{tmid}_{sent15}-{n:032d}.zip"


def write_inbox(base: Path) -> None:
    """The inbox, the contracts file, the organisation info and the asset ledger."""
    inbox = base / "inbox"
    for n, (sid, tmid, sent15, computer, agent, charset, lines) in enumerate(UPLOADS):
        log = encode_log(build_header(tmid, computer, agent, charset), lines, charset)
        path = inbox / sid / upload_name(tmid, sent15, n)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(build_upload_zip(log, f"{sent15}.log", sent15=sent15))
    sid, name = DIAG_BUNDLE
    bundle = inbox / sid / "diag" / name
    bundle.parent.mkdir(parents=True, exist_ok=True)
    bundle.write_bytes(build_upload_zip(b"system information\r\n", "sysinfo.txt"))
    (base / "org").mkdir(parents=True, exist_ok=True)
    (base / "org" / "S1.csv").write_bytes(ORG_S1)
    (base / "org" / "S2.csv").write_bytes(ORG_S2)
    (base / "ledger").mkdir(parents=True, exist_ok=True)
    (base / "ledger" / "S1.csv").write_bytes(LEDGER_S1)
    contracts = {
        "contracts": [
            {
                "support_id": "S1",
                "daily_option": True,
                "org_info": "org/S1.csv",
                "asset_ledger": "ledger/S1.csv",
            },
            {"support_id": "S2", "daily_option": False, "org_info": "org/S2.csv"},
        ]
    }
    (base / "contracts.yaml").write_text(yaml.safe_dump(contracts), encoding="utf-8")


def land_fixture(base: Path) -> Root:
    """Write and land the fixture; returns the warehouse root."""
    write_inbox(base)
    wh = Root(str(base / "warehouse"))
    for day in (DAY1, DAY2):
        report = land_day(Root(str(base / "inbox")), wh, frozenset({"S1", "S2"}), day)
        assert report.accounted == report.files_seen
    return wh

"""Realistic sample inboxes: agent uploads, bad inputs, contracts, org and ledger CSVs.

`generate_sample` writes what agents and the operator would put in front of the pipeline,
plus a `SampleManifest` saying what the pipeline must make of every inbox file (landed,
quarantined with which reason, a diagnostic bundle, how many good records and rejects).
`generate_resends` later adds re-sent uploads (duplicates and conflicts).

Everything is deterministic for a seed. Each terminal draws from its own
`random.Random(f"{seed}:...:{index}")`, so terminals can be generated in any order or in
worker processes, and one terminal's uploads can be rebuilt alone (that is how re-sends
recover the original bytes after the landing consumed the inbox).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
import zipfile
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from samples import logs
from transforms.names import parse_upload_name
from transforms.reasons import Quarantine, Reject
from transforms.service_day import service_day_of_japan_time

# --- the contract table --------------------------------------------------------------------

_SESSION_KEYS = ("session", "remote_ip")
_FILE_KEYS = ("path", "size", "drive")
_FILE2_KEYS = ("path", "dst", "size", "drive", "dst_drive")
_USB_KEYS = ("vid", "pid", "serial", "class", "name", "drive")

#: Every known event type and the detail keys the contract lists for it.
EVENT_DETAIL_KEYS: dict[str, tuple[str, ...]] = {
    "POWER_ON": (),
    "POWER_OFF": (),
    "SLEEP": (),
    "RESUME": (),
    "LOGON": _SESSION_KEYS,
    "LOGOFF": _SESSION_KEYS,
    "LOCK": _SESSION_KEYS,
    "UNLOCK": _SESSION_KEYS,
    "APP_START": ("path", "pid", "sha256"),
    "APP_END": ("path", "pid"),
    "WINDOW": ("title", "pid"),
    "FILE_CREATE": _FILE_KEYS,
    "FILE_WRITE": _FILE_KEYS,
    "FILE_DELETE": _FILE_KEYS,
    "FILE_COPY": _FILE2_KEYS,
    "FILE_MOVE": _FILE2_KEYS,
    "FILE_RENAME": _FILE2_KEYS,
    "PRINT": ("printer", "document", "pages", "copies"),
    "WEB_ACCESS": ("url", "title", "browser"),
    "WEB_UPLOAD": ("url", "path", "size", "browser"),
    "WEB_DOWNLOAD": ("url", "path", "size", "browser"),
    "MAIL_SEND": ("to", "cc", "subject", "attachments"),
    "USB_CONNECT": _USB_KEYS,
    "USB_DISCONNECT": _USB_KEYS,
    "USB_BLOCKED": _USB_KEYS,
    "CLIPBOARD": ("kind", "length"),
    "SHARE_ACCESS": ("unc", "op"),
    "INVENTORY": (
        "manufacturer",
        "model",
        "os",
        "ip",
        "mac",
        "drives",
        "usb_devices",
        "apps",
        "updates",
    ),
    "AGENT": ("version", "state", "message"),
}
#: Codes a newer agent might send; the pipeline must keep them as they are.
UNKNOWN_TYPES = ("SCREEN_CAPTURE", "BLUETOOTH_CONNECT")

# --- time ------------------------------------------------------------------------------------

# Upload times are integer deciseconds and record times integer milliseconds, both counted
# from midnight (Japan time) of the first day: exact, and cheap to format in the hot loop.
DS_PER_DAY = 864_000
DAY_START_DS = 5 * 36_000
GAP_SIZE = 7  # records lost on the seq-gap terminal
# "HH:MM:SS" for every second of a day: formatting record times is the generator's hot spot.
_HMS = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]

# --- text pools (all encodable in cp932: agent 4.x terminals write them) ---------------------

_COMPANIES = [
    ("CORP", "株式会社サンプル商事", "sample-shoji.co.jp"),
    ("TOTO", "東都精機株式会社", "toto-seiki.co.jp"),
    ("MINATO", "みなと税理士法人", "minato-tax.jp"),
    ("HOKUTO", "株式会社北斗システム", "hokuto-sys.co.jp"),
]
_DEPARTMENTS = [
    ("経理", "KEIRI", "経理部"),
    ("営業", "EIGYO", "営業部 第一課"),
    ("総務", "SOUMU", "総務部"),
    ("人事", "JINJI", "人事部"),
    ("開発", "KAIHATSU", "開発部 システム課"),
    ("製造", "SEIZOU", "製造部"),
    ("企画", "KIKAKU", "経営企画室"),
]
_SURNAMES = [
    ("tanaka", "田中"),
    ("suzuki", "鈴木"),
    ("sato", "佐藤"),
    ("takahashi", "高橋"),
    ("ito", "伊藤"),
    ("watanabe", "渡辺"),
    ("yamamoto", "山本"),
    ("nakamura", "中村"),
    ("kobayashi", "小林"),
    ("kato", "加藤"),
    ("yoshida", "吉田"),
    ("yamada", "山田"),
    ("sasaki", "佐々木"),
    ("yamaguchi", "山口"),
    ("matsumoto", "松本"),
    ("inoue", "井上"),
    ("kimura", "木村"),
    ("hayashi", "林"),
    ("shimizu", "清水"),
    ("saito", "斎藤"),
]
_GIVEN = [
    ("hiroshi", "博"),
    ("yuki", "由紀"),
    ("takashi", "隆"),
    ("akiko", "明子"),
    ("kenji", "健二"),
    ("naoko", "直子"),
    ("makoto", "誠"),
    ("emi", "恵美"),
    ("daisuke", "大輔"),
    ("mayumi", "真由美"),
    ("shota", "翔太"),
    ("haruka", "遥"),
]
_TITLES = ["部長", "課長", "係長", "主任", "一般", "一般", "一般"]
_DOCS = [
    "2024年度予算.xlsx",
    "見積書_株式会社ABC商事.xlsx",
    "議事録_定例会議.docx",
    "請求書_3月分.pdf",
    "社員名簿.xlsx",
    "顧客リスト（最新）.xlsx",
    "提案書_新規案件.pptx",
    "経費精算書.xlsx",
    "出張報告書.docx",
    "給与明細_2024年3月.pdf",
    "基本設計書_v2.docx",
    "売上集計.csv",
    "業務委託契約書（案）.docx",
    "週報_第12週.xlsx",
    "README.txt",
    "report_final.pdf",
    "発注書_0318.pdf",
    "在庫一覧.xlsx",
    "会議資料.pptx",
    "メモ.txt",
]
_FOLDERS = [
    "Documents",
    "Desktop",
    "Documents\\経理\\2024年度",
    "Documents\\営業資料",
    "Desktop\\作業中",
    "Documents\\提出用",
]
_SHARES = ["共有", "経理部\\2024年度", "営業部\\顧客", "総務部\\規程集"]
_PRINTERS = [
    "経理部 複合機 (RICOH IM C3000)",
    "営業部_プリンタ (Canon LBP221)",
    "本社3F カラー複合機",
    "Microsoft Print to PDF",
]
_EXT_PROCESS = {
    "xlsx": "excel.exe",
    "csv": "excel.exe",
    "docx": "winword.exe",
    "pptx": "powerpnt.exe",
    "pdf": "acrobat.exe",
    "txt": "notepad.exe",
}
_APP_EXT = {  # the document types an app's window titles show
    "excel.exe": ("xlsx", "csv"),
    "winword.exe": ("docx",),
    "powerpnt.exe": ("pptx",),
    "acrobat.exe": ("pdf",),
    "notepad.exe": ("txt",),
    "taro34.exe": ("jtd",),
}
_APPS = [  # (image name, path, window title template)
    (
        "excel.exe",
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
        "{doc} - Excel",
    ),
    (
        "winword.exe",
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE",
        "{doc} - Word",
    ),
    (
        "powerpnt.exe",
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\POWERPNT.EXE",
        "{doc} - PowerPoint",
    ),
    (
        "outlook.exe",
        "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
        "受信トレイ - {mail} - Outlook",
    ),
    (
        "msedge.exe",
        "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
        "{web} - Microsoft Edge",
    ),
    (
        "chrome.exe",
        "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
        "{web} - Google Chrome",
    ),
    ("explorer.exe", "C:\\Windows\\explorer.exe", "{folder} - エクスプローラー"),
    (
        "acrobat.exe",
        "C:\\Program Files\\Adobe\\Acrobat DC\\Acrobat\\Acrobat.exe",
        "{doc} - Adobe Acrobat Pro",
    ),
    (
        "ms-teams.exe",
        "C:\\Program Files\\WindowsApps\\MSTeams\\ms-teams.exe",
        "チャット | Microsoft Teams",
    ),
    ("notepad.exe", "C:\\Windows\\System32\\notepad.exe", "{doc} - メモ帳"),
    ("taro34.exe", "C:\\Program Files (x86)\\JustSystems\\JSTARO\\TARO34.EXE", "{doc} - 一太郎"),
    (
        "yayoi24.exe",
        "C:\\Program Files (x86)\\Yayoi\\弥生会計 24\\YAYOI24.EXE",
        "弥生会計 24 - {company}",
    ),
]
_WEB = [
    (
        "https://www.google.co.jp/search?q=%E8%A6%8B%E7%A9%8D%E6%9B%B8+%E3%83%86%E3%83%B3%E3%83%97%E3%83%AC",
        "見積書 テンプレ - Google 検索",
    ),
    ("https://www.yahoo.co.jp/", "Yahoo! JAPAN"),
    ("https://news.yahoo.co.jp/", "Yahoo!ニュース"),
    ("https://outlook.office.com/mail/", "メール - Outlook"),
    ("https://www.amazon.co.jp/", "Amazon.co.jp : 通販サイト"),
    ("https://www.nta.go.jp/", "国税庁"),
    (
        "https://weather.yahoo.co.jp/weather/jp/13/4410.html",
        "東京（東京）の天気 - Yahoo!天気・災害",
    ),
    ("https://www.jalan.net/", "じゃらんnet 宿・ホテル予約"),
    ("https://teams.microsoft.com/", "Microsoft Teams"),
    ("https://ja.wikipedia.org/wiki/%E6%9D%B1%E4%BA%AC", "東京 - Wikipedia"),
    ("https://www.e-gov.go.jp/", "e-Gov ポータル"),
]
_UPLOAD_SITES = [
    "https://drive.google.com/drive/my-drive",
    "https://www.dropbox.com/home",
    "https://gigafile.nu/",
    "https://firestorage.jp/upload",
]
_DOWNLOADS = [
    (
        "https://www.nta.go.jp/taxes/tetsuzuki/shinsei/annai/gensen/pdf/0023012-317.pdf",
        "0023012-317.pdf",
    ),
    (
        "https://download.microsoft.com/download/windows11.0-kb5035853-x64.msu",
        "windows11.0-kb5035853-x64.msu",
    ),
    ("https://www.example.co.jp/catalog/%E8%A3%BD%E5%93%81.pdf", "製品カタログ_2024.pdf"),
    ("https://www.e-tax.nta.go.jp/download/e-taxSoftDL.exe", "e-taxSoftDL.exe"),
]
_MAIL_SUBJECTS = [
    "【至急】見積書送付の件",
    "3月度 売上報告",
    "会議資料のご確認をお願いします",
    "Re: 請求書について",
    "打ち合わせ日程のご相談",
    "Fw: 新規案件のご紹介",
    "週報を提出します",
    "【社外秘】人事異動について",
    "お見積りのお願い",
    "Re: Re: 納期のご確認",
]
_EXTERNAL_MAIL = [
    "yamada@torihikisaki.co.jp",
    "info@example-partner.jp",
    "sales@abc-shoji.co.jp",
    "t.tanaka.private@gmail.com",
]
_USB = [  # (vid, pid, serial, class, name)
    ("0781", "5581", "4C530001230418108362", "mass_storage", "SanDisk Ultra USB 3.0"),
    ("0930", "6545", "C03FD5F7712FE2B1A9EB", "mass_storage", "TOSHIBA TransMemory"),
    ("056E", "6009", "1000000000000A4C", "mass_storage", "ELECOM USBメモリ MF-MSU3"),
    ("0411", "01EE", "0070085D1B3C", "mass_storage", "BUFFALO ポータブルHDD"),
    ("046D", "C52B", "", "hid", "Logicool Unifying レシーバー"),
    ("05AC", "12A8", "00008110001A2D3E0C12801E", "phone", "Apple iPhone"),
    ("04F2", "B6D9", "0001", "camera", "Integrated Camera"),
    ("0BDA", "8153", "001000001", "other", "Realtek USB GbE Family Controller"),
]
_MODELS = [
    ("Dell Inc.", "Latitude 5440"),
    ("LENOVO", "ThinkPad X1 Carbon Gen 11"),
    ("HP", "HP ProBook 450 G10"),
    ("Panasonic Connect Co., Ltd.", "CF-SV2"),
    ("FUJITSU CLIENT COMPUTING LIMITED", "LIFEBOOK U9313/MX"),
    ("NEC", "VersaPro VKT16/X-H"),
]
_OSES = [
    ("Windows 11 Pro", "23H2", "22631.3296"),
    ("Windows 10 Pro", "22H2", "19045.4170"),
    ("Windows 11 Enterprise", "22H2", "22621.3296"),
]
_INSTALLED = [
    ("Microsoft 365 Apps for enterprise - ja-jp", "16.0.17328.20162", "Microsoft Corporation"),
    ("Google Chrome", "122.0.6261.129", "Google LLC"),
    ("Adobe Acrobat (64-bit)", "24.001.20643", "Adobe"),
    ("一太郎2024", "34.0.1.1", "株式会社ジャストシステム"),
    ("弥生会計 24", "30.1.2", "弥生株式会社"),
    ("7-Zip 23.01 (x64)", "23.01", "Igor Pavlov"),
    ("サクラエディタ", "2.4.2.6048", "サクラエディタ開発チーム"),
    ("Zoom Workplace", "5.17.11", "Zoom Video Communications, Inc."),
    ("ウイルスバスター コーポレートエディション", "14.0.12932", "トレンドマイクロ株式会社"),
]
_UPDATES = [("KB5034441", "2024-01-10"), ("KB5034765", "2024-02-14"), ("KB5035853", "2024-03-13")]
_AGENT_MESSAGES = [
    ("running", "定期チェック: 正常"),
    ("running", "ログを送信しました"),
    ("running", "設定を更新しました"),
    ("error", "送信に失敗しました: タイムアウト (再試行します)"),
]

# Weights of the random part of an upload: mostly windows, web and file activity.
_FILL = {
    "WINDOW": 24,
    "WEB_ACCESS": 14,
    "FILE_WRITE": 9,
    "APP_START": 5,
    "APP_END": 5,
    "CLIPBOARD": 5,
    "FILE_CREATE": 4,
    "SHARE_ACCESS": 4,
    "FILE_DELETE": 2,
    "FILE_COPY": 2,
    "WEB_DOWNLOAD": 2,
    "MAIL_SEND": 2,
    "PRINT": 1.5,
    "FILE_MOVE": 1,
    "FILE_RENAME": 1,
    "WEB_UPLOAD": 1,
    "LOCK": 0.8,
    "UNLOCK": 0.8,
    "USB_CONNECT": 0.4,
    "USB_DISCONNECT": 0.4,
    "AGENT": 0.4,
    "USB_BLOCKED": 0.15,
    "SLEEP": 0.1,
    "RESUME": 0.1,
    "LOGON": 0.05,
    "LOGOFF": 0.05,
}
_FILL_TYPES = list(_FILL)
_FILL_CUM = [sum(list(_FILL.values())[: i + 1]) for i in range(len(_FILL))]

_ALNUM_UPPER = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Record-level bad lines: (case, reason). Each breaks exactly one rule of the record format.
REJECT_CASES: tuple[tuple[str, Reject], ...] = (
    ("field_count_5", Reject.FIELD_COUNT),
    ("field_count_7", Reject.FIELD_COUNT),
    ("bad_time_hour25", Reject.BAD_TIME),
    ("bad_time_empty", Reject.BAD_TIME),
    ("bad_time_slashes", Reject.BAD_TIME),
    ("bad_seq_negative", Reject.BAD_SEQ),
    ("bad_seq_alpha", Reject.BAD_SEQ),
    ("bad_seq_empty", Reject.BAD_SEQ),
    ("bad_type_empty", Reject.BAD_TYPE),
    ("bad_detail_array", Reject.BAD_DETAIL),
    ("bad_detail_invalid", Reject.BAD_DETAIL),
    ("bad_detail_null", Reject.BAD_DETAIL),
    ("undecodable_utf8", Reject.UNDECODABLE),
    ("undecodable_cp932", Reject.UNDECODABLE),
)


def _pick(r: Any, seq: Any) -> Any:
    """`seq[random index]` from a bound `Random.random`: several times faster than choice()."""
    return seq[int(r() * len(seq))]


def _int(r: Any, lo: int, hi: int) -> int:
    """A random int in [lo, hi] from a bound `Random.random` (faster than randint())."""
    return lo + int(r() * (hi - lo + 1))


def _q(text: str) -> str:
    """A JSON string literal; pools are escaped once so records can use templates."""
    return json.dumps(text, ensure_ascii=False)


# --- the manifest ----------------------------------------------------------------------------


@dataclass
class ManifestEntry:
    """What the pipeline must make of one inbox file."""

    path: str  # inbox-relative, posix
    support_id: str | None  # the inbox folder it sits in (None at the inbox root)
    outcome: str  # landed | quarantined | diag | duplicate
    reason: str | None  # Quarantine code when quarantined
    service_day: str | None  # ISO date of the name's SENT15, None when the name is not one
    tmid: str | None  # the file name's TMID
    computer: str | None  # header computer, when the pipeline gets to read the header
    records: int  # good records expected from it
    rejects: dict[str, int]  # Reject code -> count
    sha256: str
    agent: str | None = None
    charset: str | None = None
    reject_lines: list[list[Any]] = field(default_factory=list)  # [physical line no, reason]
    tags: list[str] = field(default_factory=list)  # which deliberate case(s) this file is


@dataclass
class SampleManifest:
    """Every inbox file written by a generator call, with what the pipeline must make of it."""

    params: dict[str, Any]
    entries: list[ManifestEntry]
    seq_gaps: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SampleManifest:
        data = json.loads(text)
        return cls(
            params=data["params"],
            entries=[ManifestEntry(**e) for e in data["entries"]],
            seq_gaps=data.get("seq_gaps", []),
        )

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> SampleManifest:
        return cls.from_json(path.read_text(encoding="utf-8"))

    def select(
        self,
        *,
        outcome: str | None = None,
        reason: str | None = None,
        support_id: str | None = None,
        service_day: str | date | None = None,
        tag: str | None = None,
    ) -> list[ManifestEntry]:
        day = service_day.isoformat() if isinstance(service_day, date) else service_day
        return [
            e
            for e in self.entries
            if (outcome is None or e.outcome == outcome)
            and (reason is None or e.reason == reason)
            and (support_id is None or e.support_id == support_id)
            and (day is None or e.service_day == day)
            and (tag is None or tag in e.tags)
        ]

    def expected_counts(
        self, *, support_id: str | None = None, service_day: str | date | None = None
    ) -> dict[str, Any]:
        """Files per outcome, quarantines per reason, good records, rejects per reason."""
        entries = self.select(support_id=support_id, service_day=service_day)
        rejects: Counter[str] = Counter()
        for e in entries:
            rejects.update(e.rejects)
        return {
            "files": len(entries),
            "outcomes": dict(sorted(Counter(e.outcome for e in entries).items())),
            "quarantined": dict(
                sorted(Counter(e.reason for e in entries if e.outcome == "quarantined").items())
            ),
            "records": sum(e.records for e in entries),
            "rejects": dict(sorted(rejects.items())),
            "uploads_landed": sum(1 for e in entries if e.outcome == "landed"),
        }


# --- the plan: contracts, terminals and where the deliberate cases go ------------------------


@dataclass(frozen=True)
class _Person:
    login: str  # DOMAIN\user
    short: str
    name: str
    title: str
    organisation: str
    mail: str


@dataclass(frozen=True)
class _Contract:
    index: int
    support_id: str
    domain: str
    company: str
    mail_domain: str
    people: tuple[_Person, ...]  # the org CSV rows


@dataclass(frozen=True)
class _Terminal:
    g: int  # index over all terminals
    contract: int
    tmid: str
    computer: str  # name at the start (before a rename)
    renamed_to: str | None
    agent: str
    charset: str
    bom: bool
    newline: str
    header_order: tuple[str, ...]
    header_extra: tuple[tuple[str, str], ...]
    user: _Person
    dept: int
    seq_start: int
    skew_ms: int
    model: tuple[str, str]
    os: tuple[str, str, str]
    ip: str
    mac: str
    browser: str
    ledger: tuple[str, str, str]  # asset_no, location, purchased


@dataclass(frozen=True)
class _Plan:
    seed: int
    first_day: date
    days: int
    upd: int
    rpu: int
    bad_files: bool
    contracts: tuple[_Contract, ...]
    terminals: tuple[_Terminal, ...]
    boundary: int  # terminal with the 04:59:59.9 / 05:00:00.0 uploads
    gap: tuple[int, int, int] | None  # (g, day, idx): seq jumps before this upload
    rename: tuple[int, int, int] | None
    upgrade: tuple[int, int] | None  # (g, day): agent 4.x -> 5.x from this day's first upload
    diag: dict[int, tuple[int, int]]  # g -> (day, idx): bundle sent after this upload
    rejects: dict[tuple[int, int, int], tuple[str, ...]]
    blank_line: tuple[int, int, int]
    no_header: tuple[int, int, int]  # extra headerless upload after this one
    showcase: frozenset[int]  # terminals that emit every event type early on

    @property
    def params(self) -> dict[str, Any]:
        return {
            "contracts": len(self.contracts),
            "terminals": len(self.terminals),
            "first_day": self.first_day.isoformat(),
            "days": self.days,
            "uploads_per_day": self.upd,
            "records_per_upload": self.rpu,
            "seed": self.seed,
            "bad_files": self.bad_files,
        }

    def upload_times(self, g: int, day: int) -> list[int]:
        """Deciseconds (from first_day 00:00) of terminal g's uploads on service day `day`."""
        rng = random.Random(f"{self.seed}:times:{g}:{day}")
        n = self.upd
        interval = DS_PER_DAY // n
        lo = max(1, interval // 20)
        hi = max(lo, interval - interval // 20)
        base = day * DS_PER_DAY + DAY_START_DS
        times = [base + i * interval + rng.randint(lo, hi) for i in range(n)]
        if g == self.boundary:
            if day == 0:
                times[-1] = base + DS_PER_DAY - 1  # 04:59:59.9: still this service day
            if day == min(1, self.days - 1) and (self.days > 1 or n > 1):
                times[0] = base  # 05:00:00.0: first instant of the service day
        return times

    def contract_terminals(self, c: int) -> list[_Terminal]:
        return [t for t in self.terminals if t.contract == c]


def _make_people(rng: random.Random, c: int, count: int) -> list[_Person]:
    domain, company, mail_domain = _company(c)
    people: list[_Person] = []
    used: set[str] = set()
    for i in range(count):
        (sr, sk), (gr, gk) = rng.choice(_SURNAMES), rng.choice(_GIVEN)
        short = sr if sr not in used else f"{sr}.{gr[0]}"
        if short in used:
            short = f"{sr}{i}"
        used.add(short)
        dept = _DEPARTMENTS[i % len(_DEPARTMENTS)]
        people.append(
            _Person(
                login=f"{domain}\\{short}",
                short=short,
                name=f"{sk} {gk}",
                title=rng.choice(_TITLES),
                organisation=f"{company} {dept[2]}",
                mail=f"{gr}.{short.split('.')[0]}{'' if short == sr else i}@{mail_domain}",
            )
        )
    return people


def _company(c: int) -> tuple[str, str, str]:
    domain, company, mail_domain = _COMPANIES[c % len(_COMPANIES)]
    if c >= len(_COMPANIES):
        n = c // len(_COMPANIES) + 1
        return f"{domain}{n}", f"{company}（第{n}）", f"{n}.{mail_domain}"
    return domain, company, mail_domain


def _computer_name(g: int, n: int, dept: int) -> str:
    ja, romaji, _ = _DEPARTMENTS[dept]
    name = f"{ja}-PC{g + 1:02d}" if g % 3 == 0 else f"{romaji}-PC{g + 1:02d}"
    if g == 3 % n:
        name = f"{romaji}:PC*{g + 1:02d}"  # characters deliverables must sanitise in file names
    if g == 4 % n:
        name += "."  # a trailing dot, also invalid in Windows file names
    return name


def _build_plan(
    *,
    contracts: int,
    terminals: int,
    first_day: date,
    days: int,
    uploads_per_day: int,
    records_per_upload: int,
    seed: int,
    bad_files: bool,
) -> _Plan:
    if not 1 <= contracts <= terminals:
        raise ValueError("need 1 <= contracts <= terminals")
    if days < 1 or uploads_per_day < 1 or records_per_upload < 1:
        raise ValueError("days, uploads_per_day and records_per_upload must be >= 1")
    if uploads_per_day > DS_PER_DAY // 20:
        raise ValueError("uploads_per_day too large")
    rng = random.Random(f"{seed}:plan")
    n = terminals
    # Terminals go round-robin to contracts so every contract gets a mix of variants.
    per_contract = [[g for g in range(n) if g % contracts == c] for c in range(contracts)]
    contract_list: list[_Contract] = []
    users: dict[int, _Person] = {}
    for c in range(contracts):
        domain, company, mail_domain = _company(c)
        gs = per_contract[c]
        people = _make_people(rng, c, len(gs) + 2)
        admin = _Person(
            f"{domain}\\admin-it",
            "admin-it",
            "情報システム 管理者",
            "主任",
            f"{company} 情報システム課",
            f"it-admin@{mail_domain}",
        )
        # A temporary worker on the contract's last terminal has no org row (a realistic
        # gap: the join must keep the user with empty person columns).
        temp = _Person(f"{domain}\\haken01", "haken01", "", "", "", "")
        for i, g in enumerate(gs):
            users[g] = temp if (i == len(gs) - 1 and len(gs) > 1) else people[i]
        org = tuple(p for p in [*people, admin])
        contract_list.append(_Contract(c, f"S{c + 1:04d}", domain, company, mail_domain, org))

    tmids: set[str] = set()
    terminal_list: list[_Terminal] = []
    for g in range(n):
        while True:
            tmid = _random_tmid(rng)
            if tmid not in tmids:
                tmids.add(tmid)
                break
        dept = rng.randrange(len(_DEPARTMENTS))
        variant = g % 5
        charset, bom, newline, agent = "utf-8", False, "\r\n", "5.2.1"
        if variant == 1:
            charset, agent = "cp932", "4.8.2"
        elif variant == 2:
            bom = True
        elif variant == 3:
            newline = "\n"
        elif variant == 4:
            agent = "5.3.0"
        computer = _computer_name(g, n, dept)
        renamed_to = None
        if g == 2 % n:
            renamed_to = computer
            computer = "DESKTOP-" + "".join(rng.choices(_ALNUM_UPPER, k=7))
        order: tuple[str, ...] = ()
        extra: tuple[tuple[str, str], ...] = ()
        if g % 4 == 3:
            order = ("charset", "agent", "tmid", "computer")
            extra = (("os", "10.0.22631"), ("tz", "+09:00"))
        org = _DEPARTMENTS[dept][2]
        terminal_list.append(
            _Terminal(
                g=g,
                contract=g % contracts,
                tmid=tmid,
                computer=computer,
                renamed_to=renamed_to,
                agent=agent,
                charset=charset,
                bom=bom,
                newline=newline,
                header_order=order,
                header_extra=extra,
                user=users[g],
                dept=dept,
                seq_start=rng.randint(1_000, 900_000),
                skew_ms=rng.choice([0, 0, rng.randint(-45_000, 15_000)]),
                model=rng.choice(_MODELS),
                os=rng.choice(_OSES),
                ip=f"192.168.{10 + g // 200}.{20 + g % 200}",
                mac="-".join(f"{rng.randrange(256):02X}" for _ in range(6)),
                browser=rng.choice(["msedge", "msedge", "chrome"]),
                ledger=(
                    f"PC-{2019 + g % 5}-{g + 1:04d}",
                    f"本社 {3 + dept % 4}F {org}",
                    f"{2019 + g % 5}-{1 + g % 12:02d}-01",
                ),
            )
        )

    total = days * uploads_per_day

    # (day, idx) of the k-th upload of a terminal over the whole period.
    def nth(k: int) -> tuple[int, int]:
        k = min(k, total - 1)
        return divmod(k, uploads_per_day)

    gap = (1 % n, *nth(max(1, uploads_per_day // 2))) if total > 1 else None
    rename = (2 % n, *nth(max(1, uploads_per_day // 2))) if total > 1 else None
    cp932 = [t.g for t in terminal_list if t.charset == "cp932"]
    upgrade = (6, 1) if n > 6 and days > 1 else None
    diag = {per_contract[c][-1]: nth(uploads_per_day // 3) for c in range(contracts)}
    rejects: dict[tuple[int, int, int], list[str]] = {}
    at = nth(1)
    utf8 = [t.g for t in terminal_list if t.charset == "utf-8"]
    for k, (case, _) in enumerate(REJECT_CASES):
        if case == "undecodable_cp932":
            if not cp932:
                continue
            g = cp932[0]
        elif case == "undecodable_utf8":
            g = utf8[0]
        else:
            g = k % n
        rejects.setdefault((g, *at), []).append(case)
    return _Plan(
        seed=seed,
        first_day=first_day,
        days=days,
        upd=uploads_per_day,
        rpu=records_per_upload,
        bad_files=bad_files,
        contracts=tuple(contract_list),
        terminals=tuple(terminal_list),
        boundary=0,
        gap=gap,
        rename=rename,
        upgrade=upgrade,
        diag=diag,
        rejects={k: tuple(v) for k, v in rejects.items()},
        blank_line=(0, *nth(2)),
        no_header=(contracts % n, *nth(uploads_per_day // 2)),
        showcase=frozenset(per_contract[c][0] for c in range(contracts)),
    )


def _random_tmid(rng: random.Random) -> str:
    parts = ["".join(rng.choices(_ALNUM_UPPER, k=k)) for k in (8, 4, 4, 4, 12)]
    return "-".join(parts)


# --- one terminal's records ------------------------------------------------------------------


@dataclass
class _File:
    path: str  # inbox-relative
    data: bytes
    entry: ManifestEntry


class _Writer:
    """Builds one terminal's records; all randomness from its own seeded generator."""

    def __init__(self, plan: _Plan, t: _Terminal, key: str = "terminal") -> None:
        self.plan = plan
        self.t = t
        self.rng = random.Random(f"{plan.seed}:{key}:{t.g}")
        self.r = self.rng.random
        contract = plan.contracts[t.contract]
        self.contract = contract
        self.user = t.user.login
        self.computer = t.computer
        self.agent = t.agent
        self.charset = t.charset
        self.bom = t.bom
        self.newline = t.newline
        self.seq = t.seq_start
        self.pids: dict[str, int] = {}
        self._dates: dict[int, str] = {}
        rng = self.rng
        home = f"C:\\Users\\{t.user.short}"
        docs = rng.sample(_DOCS, 12)
        self.docs = [
            (_q(d), _EXT_PROCESS[d.rsplit(".", 1)[1]], rng.randint(8_000, 4_000_000)) for d in docs
        ]
        folders = [rng.choice(_FOLDERS) for _ in docs]
        shares = [rng.choice(_SHARES) for _ in docs]

        self.fixed = [_q(f"{home}\\{f}\\{d}") for f, d in zip(folders, docs, strict=True)]
        self.renamed = [
            _q(f"{home}\\{f}\\{d.rsplit('.', 1)[0]}_修正.{d.rsplit('.', 1)[1]}")
            for f, d in zip(folders, docs, strict=True)
        ]
        self.downloads = [_q(f"{home}\\Downloads\\{d}") for d in docs]
        self.removable = [_q(f"E:\\{d}") for d in docs]
        self.network = [
            _q(f"\\\\fs01\\{s}\\{d}" if i % 2 else f"Z:\\{s}\\{d}")
            for i, (s, d) in enumerate(zip(shares, docs, strict=True))
        ]
        self.cdrom = [_q(f"D:\\{d}") for d in docs]
        self.unc = [_q(f"\\\\fs01\\{s}\\{d}") for s, d in zip(shares, docs, strict=True)]
        self.apps = [
            (proc, _q(path), hashlib.sha256(path.encode()).hexdigest()) for proc, path, _ in _APPS
        ]
        windows = []
        for proc, _, template in _APPS:
            # A document the app would open: one of this user's files of its type, else
            # a file name in its own format (一太郎 .jtd has no file events of its own).
            ext = _APP_EXT.get(proc)
            own = [d for d in docs if ext and d.rsplit(".", 1)[1] in ext]
            stems = [d.rsplit(".", 1)[0] for d in rng.sample(docs, 3)]
            titled = own[:3] or [f"{stem}.{ext[0] if ext else 'txt'}" for stem in stems]
            for d in titled:
                title = template.format(
                    doc=d,
                    mail=t.user.mail or f"{t.user.short}@{contract.mail_domain}",
                    web=rng.choice(_WEB)[1],
                    folder=rng.choice(_FOLDERS).rsplit("\\", 1)[-1],
                    company=contract.company,
                )
                windows.append((proc, _q(title)))
        self.windows = windows
        self.web = [(_q(u), _q(title)) for u, title in _WEB]
        self.web.append(
            (_q(f"https://portal.{contract.mail_domain}/"), _q("社内ポータル - ホーム"))
        )
        self.browser_proc = "msedge.exe" if t.browser == "msedge" else "chrome.exe"
        self.browser = _q(t.browser)
        self.printers = [_q(p) for p in _PRINTERS]
        self.subjects = [_q(s) for s in _MAIL_SUBJECTS]
        colleagues = [p.mail for p in contract.people if p.mail]
        self.recipients = [_q(m) for m in colleagues[:6] + _EXTERNAL_MAIL]
        devices = [*rng.sample(_USB, 3), rng.choice(_USB[:4])]
        self.usb_connect = []
        for vid, pid, serial, cls, name in devices:
            drive = "E:" if cls == "mass_storage" else ""
            self.usb_connect.append(
                f'{{"vid":"{vid}","pid":"{pid}","serial":"{serial}","class":"{cls}",'
                f'"name":{_q(name)},"drive":"{drive}"}}'
            )
        blocked = [d for d in _USB if d[3] == "mass_storage" and d not in devices[:3]]
        self.usb_blocked = [
            f'{{"vid":"{v}","pid":"{p}","serial":"{s}","class":"{c}","name":{_q(nm)},"drive":""}}'
            for v, p, s, c, nm in blocked or _USB[:1]
        ]
        self.usb_devices = devices
        self.installed = rng.sample(_INSTALLED, 6)
        self.builders = {
            "POWER_ON": self._b_empty,
            "POWER_OFF": self._b_empty,
            "SLEEP": self._b_empty,
            "RESUME": self._b_empty,
            "LOGON": self._b_session,
            "LOGOFF": self._b_session,
            "LOCK": self._b_session,
            "UNLOCK": self._b_session,
            "APP_START": self._b_app_start,
            "APP_END": self._b_app_end,
            "WINDOW": self._b_window,
            "FILE_CREATE": self._b_file,
            "FILE_WRITE": self._b_file,
            "FILE_DELETE": self._b_file,
            "FILE_COPY": self._b_copy,
            "FILE_MOVE": self._b_move,
            "FILE_RENAME": self._b_rename,
            "PRINT": self._b_print,
            "WEB_ACCESS": self._b_web,
            "WEB_UPLOAD": self._b_web_upload,
            "WEB_DOWNLOAD": self._b_web_download,
            "MAIL_SEND": self._b_mail,
            "USB_CONNECT": self._b_usb,
            "USB_DISCONNECT": self._b_usb,
            "USB_BLOCKED": self._b_usb_blocked,
            "CLIPBOARD": self._b_clipboard,
            "SHARE_ACCESS": self._b_share,
            "AGENT": self._b_agent,
        }

    # Builders return (user, process, detail JSON) for a random event of their type.

    def _pid(self, proc: str) -> int:
        pid = self.pids.get(proc)
        if pid is None:
            pid = self.pids[proc] = 1_000 + 4 * int(self.r() * 9_750)  # Windows pids: x4
        return pid

    def _b_empty(self) -> tuple[str, str, str]:
        return "", "", "{}"

    def _b_session(self) -> tuple[str, str, str]:
        if self.r() < 0.1:
            return (
                self.user,
                "",
                f'{{"session":"rdp","remote_ip":"10.0.5.{_int(self.r, 2, 250)}"}}',
            )
        return self.user, "", '{"session":"console"}'

    def _b_app_start(self) -> tuple[str, str, str]:
        proc, path, sha = _pick(self.r, self.apps)
        pid = self.pids[proc] = 1_000 + 4 * int(self.r() * 9_750)
        return self.user, proc, f'{{"path":{path},"pid":{pid},"sha256":"{sha}"}}'

    def _b_app_end(self) -> tuple[str, str, str]:
        proc, path, _ = _pick(self.r, self.apps)
        pid = self._pid(proc)
        del self.pids[proc]
        return self.user, proc, f'{{"path":{path},"pid":{pid}}}'

    def _b_window(self) -> tuple[str, str, str]:
        proc, title = _pick(self.r, self.windows)
        return self.user, proc, f'{{"title":{title},"pid":{self._pid(proc)}}}'

    def _b_file(self) -> tuple[str, str, str]:
        i = int(self.r() * len(self.docs))
        _, proc, size = self.docs[i]
        r = self.r()
        if r < 0.8:
            path, drive = self.fixed[i], "fixed"
        elif r < 0.95:
            path, drive = self.network[i], "network"
        else:
            path, drive = self.removable[i], "removable"
        size += _int(self.r, 0, 4096)
        return self.user, proc, f'{{"path":{path},"size":{size},"drive":"{drive}"}}'

    def _two(self, src: str, sd: str, dst: str, dd: str, size: int) -> str:
        return f'{{"path":{src},"dst":{dst},"size":{size},"drive":"{sd}","dst_drive":"{dd}"}}'

    def _b_copy(self) -> tuple[str, str, str]:
        i = int(self.r() * len(self.docs))
        size = self.docs[i][2]
        r = self.r()
        if r < 0.4:
            detail = self._two(self.fixed[i], "fixed", self.removable[i], "removable", size)
        elif r < 0.7:
            detail = self._two(self.fixed[i], "fixed", self.network[i], "network", size)
        elif r < 0.9:
            detail = self._two(self.network[i], "network", self.fixed[i], "fixed", size)
        else:
            detail = self._two(self.cdrom[i], "cdrom", self.fixed[i], "fixed", size)
        return self.user, "explorer.exe", detail

    def _b_move(self) -> tuple[str, str, str]:
        i = int(self.r() * len(self.docs))
        size = self.docs[i][2]
        if self.r() < 0.8:
            detail = self._two(self.downloads[i], "fixed", self.fixed[i], "fixed", size)
        else:
            detail = self._two(self.fixed[i], "fixed", self.removable[i], "removable", size)
        return self.user, "explorer.exe", detail

    def _b_rename(self) -> tuple[str, str, str]:
        i = int(self.r() * len(self.docs))
        size = self.docs[i][2]
        return (
            self.user,
            "explorer.exe",
            self._two(self.fixed[i], "fixed", self.renamed[i], "fixed", size),
        )

    def _b_print(self) -> tuple[str, str, str]:
        doc, proc, _ = _pick(self.r, self.docs)
        copies = 1 if self.r() < 0.85 else _int(self.r, 2, 5)
        return (
            self.user,
            proc,
            f'{{"printer":{_pick(self.r, self.printers)},"document":{doc},'
            f'"pages":{_int(self.r, 1, 30)},"copies":{copies}}}',
        )

    def _b_web(self) -> tuple[str, str, str]:
        url, title = _pick(self.r, self.web)
        return (
            self.user,
            self.browser_proc,
            f'{{"url":{url},"title":{title},"browser":{self.browser}}}',
        )

    def _b_web_upload(self) -> tuple[str, str, str]:
        i = int(self.r() * len(self.docs))
        url = _pick(self.r, _UPLOAD_SITES)
        return (
            self.user,
            self.browser_proc,
            f'{{"url":"{url}","path":{self.fixed[i]},"size":{self.docs[i][2]},'
            f'"browser":{self.browser}}}',
        )

    def _b_web_download(self) -> tuple[str, str, str]:
        url, name = _pick(self.r, _DOWNLOADS)
        path = _q(f"C:\\Users\\{self.t.user.short}\\Downloads\\{name}")
        return (
            self.user,
            self.browser_proc,
            f'{{"url":"{url}","path":{path},"size":{_int(self.r, 50_000, 80_000_000)},'
            f'"browser":{self.browser}}}',
        )

    def _b_mail(self) -> tuple[str, str, str]:
        rng = self.rng
        n_to = _int(self.r, 1, 2)
        people = rng.sample(self.recipients, n_to + _int(self.r, 0, 1))
        to, cc = ",".join(people[:n_to]), ",".join(people[n_to:])
        atts = ",".join(
            f'{{"name":{d[0]},"size":{d[2]}}}' for d in rng.sample(self.docs, _int(self.r, 0, 2))
        )
        return (
            self.user,
            "outlook.exe",
            f'{{"to":[{to}],"cc":[{cc}],"subject":{_pick(self.r, self.subjects)},'
            f'"attachments":[{atts}]}}',
        )

    def _b_usb(self) -> tuple[str, str, str]:
        return self.user, "", _pick(self.r, self.usb_connect)

    def _b_usb_blocked(self) -> tuple[str, str, str]:
        return self.user, "", _pick(self.r, self.usb_blocked)

    def _b_clipboard(self) -> tuple[str, str, str]:
        proc = _pick(self.r, self.apps)[0]
        if self.r() < 0.8:
            return self.user, proc, f'{{"kind":"text","length":{_int(self.r, 1, 4000)}}}'
        return self.user, "explorer.exe", f'{{"kind":"file","length":{_int(self.r, 1, 5)}}}'

    def _b_share(self) -> tuple[str, str, str]:
        op = "read" if self.r() < 0.7 else "write"
        return self.user, "explorer.exe", f'{{"unc":{_pick(self.r, self.unc)},"op":"{op}"}}'

    def _b_agent(self) -> tuple[str, str, str]:
        state, message = _pick(self.r, _AGENT_MESSAGES)
        return self.agent_event(state, message)[1:]

    # Forced events: (type, user, process, detail).

    def agent_event(self, state: str, message: str) -> tuple[str, str, str, str]:
        return (
            "AGENT",
            "",
            "itagent.exe",
            f'{{"version":"{self.agent}","state":"{state}","message":{_q(message)}}}',
        )

    def event(self, type_: str) -> tuple[str, str, str, str]:
        return (type_, *self.builders[type_]())

    def inventory(self, day: int) -> tuple[str, str, str, str]:
        rng = random.Random(f"{self.plan.seed}:inventory:{self.t.g}:{day}")
        t = self.t
        updates = list(_UPDATES)
        if day >= 1 and t.g % 2 == 0:  # half the fleet installs the monthly update on day 2
            updates.append(("KB5035942", (self.plan.first_day + timedelta(days=day)).isoformat()))
        detail = {
            "manufacturer": t.model[0],
            "model": t.model[1],
            "os": {"name": t.os[0], "version": t.os[1], "build": t.os[2]},
            "ip": [t.ip, f"fe80::{t.g + 1:x}:1"],
            "mac": [t.mac],
            "drives": [
                {
                    "letter": "C:",
                    "type": "fixed",
                    "size": 511_101_108_224,
                    "free": rng.randint(60, 300) * 1_000_000_000,
                },
                {
                    "letter": "Z:",
                    "type": "network",
                    "size": 4_000_787_030_016,
                    "free": 1_234_567_890_123,
                },
            ],
            "usb_devices": [
                {"vid": v, "pid": p, "serial": s, "name": nm}
                for v, p, s, _, nm in self.usb_devices[:2]
            ],
            "apps": [
                {"name": n, "version": ver, "publisher": pub} for n, ver, pub in self.installed
            ]
            + [{"name": "ITログエージェント", "version": self.agent, "publisher": "IT360"}],
            "updates": [{"kb": kb, "installed": d} for kb, d in updates],
        }
        return "INVENTORY", "", "", logs.detail_json(detail)

    def session(
        self, type_: str, session: str = "console", user: str | None = None
    ) -> tuple[str, str, str, str]:
        detail = '{"session":"console"}'
        if session == "rdp":
            detail = '{"session":"rdp","remote_ip":"10.0.5.23"}'
        return type_, self.user if user is None else user, "", detail

    def showcase(self) -> list[tuple[str, str, str, str]]:
        """One of every known type (incl. an RDP session) and the unknown codes."""
        admin = f"{self.contract.domain}\\admin-it"
        out = [self.event(t) for t in EVENT_DETAIL_KEYS if t not in ("INVENTORY", "AGENT")]
        out += [
            self.inventory(0),
            self.agent_event("running", "ポリシーを適用しました"),
            *(self.session(t, "rdp", admin) for t in ("LOGON", "LOCK", "UNLOCK", "LOGOFF")),
            ("USB_BLOCKED", self.user, "", self.usb_blocked[0]),
            (
                "SCREEN_CAPTURE",
                self.user,
                "snippingtool.exe",
                f'{{"title":{self.windows[0][1]},"pid":{self._pid("snippingtool.exe")}}}',
            ),
            (
                "BLUETOOTH_CONNECT",
                self.user,
                "",
                '{"name":"AirPods Pro","address":"AC:3C:0B:12:34:56"}',
            ),
        ]
        return out

    # Lines.

    def _date(self, day: int) -> str:
        d = self._dates[day] = (self.plan.first_day + timedelta(days=day)).isoformat() + "T"
        return d

    def fmt_ms(self, ms: int) -> str:
        day, rem = divmod(ms, 86_400_000)
        d = self._dates.get(day) or self._date(day)
        return f"{d}{_HMS[rem // 1000]}.{rem % 1000:03d}+09:00"

    def fmt_many(self, times: list[int]) -> list[str]:
        dates, hms, date_of = self._dates, _HMS, self._date
        out = []
        for ms in times:
            day, rem = divmod(ms, 86_400_000)
            d = dates.get(day) or date_of(day)
            out.append(f"{d}{hms[rem // 1000]}.{rem % 1000:03d}+09:00")
        return out

    def render(
        self,
        head: list[tuple[str, str, str, str]],
        n_random: int,
        tail: list[tuple[str, str, str, str]],
        start_ms: int,
        end_ms: int,
    ) -> tuple[list[str], list[int]]:
        """Record lines spread over [start_ms, end_ms) of PC time, seq +1 each.

        Returns the lines and their times (reject lines borrow neighbours' times).
        """
        rng = self.rng
        span = max(end_ms - start_ms, 1)
        # Never more than one record per 20 ms: a 0.1 s window (the 05:00:00.0 upload right
        # after the 04:59:59.9 one) gets just its forced events.
        n_random = max(0, min(n_random, span // 20 - len(head) - len(tail)))
        if not (head or tail or n_random):
            n_random = 1
        types = rng.choices(_FILL_TYPES, cum_weights=_FILL_CUM, k=n_random)
        builders = self.builders
        n = len(head) + n_random + len(tail)
        step = span / n
        times = [start_ms + int((k + rng.random() * 0.9) * step) for k in range(n)]
        stamps = self.fmt_many(times)
        lines: list[str] = []
        seq = self.seq
        k = 0
        for type_, user, proc, detail in head:
            lines.append(f"{stamps[k]}\t{seq}\t{type_}\t{user}\t{proc}\t{detail}")
            seq += 1
            k += 1
        for type_ in types:
            user, proc, detail = builders[type_]()
            lines.append(f"{stamps[k]}\t{seq}\t{type_}\t{user}\t{proc}\t{detail}")
            seq += 1
            k += 1
        for type_, user, proc, detail in tail:
            lines.append(f"{stamps[k]}\t{seq}\t{type_}\t{user}\t{proc}\t{detail}")
            seq += 1
            k += 1
        self.seq = seq
        return lines, times

    def reject_line(self, case: str, ms: int) -> str | bytes:
        """A bad record line breaking exactly one rule (its seq is the next good one's)."""
        time_s, seq = self.fmt_ms(ms), str(self.seq)
        user, proc, detail = self._b_window()
        f = [time_s, seq, "WINDOW", user, proc, detail]
        if case == "field_count_5":
            f = f[:5]
        elif case == "field_count_7":
            f = [*f, "extra"]
        elif case == "bad_time_hour25":
            f[0] = time_s[:11] + "25" + time_s[13:]
        elif case == "bad_time_empty":
            f[0] = ""
        elif case == "bad_time_slashes":
            f[0] = time_s[:10].replace("-", "/") + " " + time_s[11:19]
        elif case == "bad_seq_negative":
            f[1] = "-1"
        elif case == "bad_seq_alpha":
            f[1] = seq[:2] + "a" + seq[2:]
        elif case == "bad_seq_empty":
            f[1] = ""
        elif case == "bad_type_empty":
            f[2] = ""
        elif case == "bad_detail_array":
            f[5] = '["title",1]'
        elif case == "bad_detail_invalid":
            f[5] = '{"title":"見積書_株式会社ABC商事.xlsx - Excel","pid":'
        elif case == "bad_detail_null":
            f[5] = "null"
        elif case.startswith("undecodable"):
            # cp932: lead bytes with no valid trail byte; UTF-8: Shift_JIS bytes (mojibake).
            cp932 = self.charset == "cp932"
            bad = b"\x81\x7f\x85\x40" if cp932 else "見積書".encode("cp932")
            head = "\t".join(f[:5]).encode(self.charset)
            return (
                head
                + b'\t{"title":"'
                + bad
                + b' - Excel","pid":'
                + str(self._pid(proc)).encode()
                + b"}"
            )
        else:
            raise ValueError(case)
        return "\t".join(f)

    def header(self) -> str:
        return logs.build_header(
            self.t.tmid,
            self.computer,
            self.agent,
            self.charset,
            dict(self.t.header_extra),
            self.t.header_order,
        )

    def upload_id(self) -> str:
        return "".join(self.rng.choices(_ALNUM, k=32))


def _sent15(plan: _Plan, ds: int) -> str:
    local = datetime.combine(plan.first_day, datetime.min.time()) + timedelta(milliseconds=ds * 100)
    return logs.format_sent15(local)


def _service_day(plan: _Plan, ds: int) -> str:
    local = datetime.combine(plan.first_day, datetime.min.time()) + timedelta(milliseconds=ds * 100)
    return service_day_of_japan_time(local).isoformat()


def _entry(
    plan: _Plan,
    path: str,
    data: bytes,
    *,
    outcome: str,
    ds: int | None,
    tmid: str | None,
    reason: str | None = None,
    computer: str | None = None,
    records: int = 0,
    reject_lines: Iterable[tuple[int, str]] = (),
    agent: str | None = None,
    charset: str | None = None,
    tags: Iterable[str] = (),
) -> ManifestEntry:
    reject_list = [[n, str(r)] for n, r in reject_lines]
    return ManifestEntry(
        path=path,
        support_id=path.split("/")[0] if "/" in path else None,
        outcome=outcome,
        reason=None if reason is None else str(reason),
        service_day=None if ds is None else _service_day(plan, ds),
        tmid=tmid,
        computer=computer,
        records=records,
        rejects=dict(sorted(Counter(r for _, r in reject_list).items())),
        sha256=hashlib.sha256(data).hexdigest(),
        agent=agent,
        charset=charset,
        reject_lines=reject_list,
        tags=sorted(set(tags)),
    )


def _terminal_files(plan: _Plan, g: int) -> tuple[list[_File], list[dict[str, Any]]]:
    """All uploads (and diagnostic bundles) of terminal g, plus its deliberate seq gaps."""
    t = plan.terminals[g]
    w = _Writer(plan, t)
    sid = plan.contracts[t.contract].support_id
    files: list[_File] = []
    gaps: list[dict[str, Any]] = []
    showcase = w.showcase() if g in plan.showcase else []
    chunk = max(1, plan.rpu // 2)
    interval = DS_PER_DAY // plan.upd
    prev_ds: int | None = None
    last_log = b""
    diag_sent = False
    for day in range(plan.days):
        times = plan.upload_times(g, day)
        w.pids.clear()  # processes do not survive the nightly power-off
        for idx, ds in enumerate(times):
            tags: list[str] = []
            head: list[tuple[str, str, str, str]] = []
            tail: list[tuple[str, str, str, str]] = []
            if plan.upgrade and (g, day) == plan.upgrade and idx == 0:
                w.agent, w.charset, w.bom, w.newline = "5.3.0", "utf-8", False, "\r\n"
                tags.append("upgraded")
            if idx == 0:
                head += [w.event("POWER_ON"), w.agent_event("starting", "サービスを開始しました")]
                if "upgraded" in tags:
                    head.append(w.agent_event("running", "バージョン 5.3.0 に更新しました"))
                head += [w.agent_event("running", "正常に動作しています"), w.session("LOGON")]
                head.append(w.inventory(day))
            if plan.rename and (g, day, idx) == plan.rename:
                old, w.computer = w.computer, t.renamed_to or w.computer
                head.append(
                    w.agent_event("running", f"コンピューター名の変更を検出しました: {old}")
                )
                tags.append("renamed")
            if plan.gap and (g, day, idx) == plan.gap:
                gaps.append(
                    {"support_id": sid, "tmid": t.tmid, "after_seq": w.seq - 1, "missing": GAP_SIZE}
                )
                w.seq += GAP_SIZE
                tags.append("seq_gap")
            if g in plan.diag and plan.diag[g] == (day, idx):
                head.append(w.agent_event("diagnosing", "診断情報を収集しています"))
            elif diag_sent:
                head.append(w.agent_event("running", "診断情報を送信しました"))
                diag_sent = False
            if showcase:
                head += showcase[:chunk]
                del showcase[:chunk]
                tags.append("showcase")
            if idx == len(times) - 1:
                if plan.upgrade and (g, day + 1) == plan.upgrade:
                    tail.append(w.agent_event("stopping", "アップグレードのため停止します"))
                tail += [w.session("LOGOFF"), w.agent_event("stopping", "サービスを停止します")]
                tail.append(w.event("POWER_OFF"))
            start_ds = prev_ds if prev_ds is not None else ds - interval
            start_ms = start_ds * 100 + t.skew_ms
            end_ms = ds * 100 + t.skew_ms
            n_random = max(0, plan.rpu - len(head) - len(tail))
            lines, rec_times = w.render(head, n_random, tail, start_ms, end_ms)
            records = len(lines)
            # (line, reject reason or None); reject and blank lines do not consume seq.
            out: list[tuple[str | bytes, Reject | None]] = [(line, None) for line in lines]
            reasons = dict(REJECT_CASES)
            cases = plan.rejects.get((g, day, idx), ())
            for case in cases:
                pos = w.rng.randint(1, len(out))
                bad = w.reject_line(case, rec_times[min(pos, len(rec_times) - 1)])
                out.insert(pos, (bad, reasons[case]))
            if cases:
                tags.append("rejects")
            if (g, day, idx) == plan.blank_line:
                out.insert(w.rng.randint(1, len(out)), ("", None))
                tags.append("blank_line")
            # Physical line numbers: the header is line 1, so out[i] is line i + 2.
            reject_lines = [(i + 2, r) for i, (_, r) in enumerate(out) if r is not None]
            if any(e[0] in UNKNOWN_TYPES for e in head):  # only the showcase sends them
                tags.append("unknown_type")
            if ds % DS_PER_DAY == DAY_START_DS - 1:
                tags.append("boundary_prev_day")
            if ds % DS_PER_DAY == DAY_START_DS:
                tags.append("boundary_new_day")
            if w.bom:
                tags.append("bom")
            if w.newline == "\n":
                tags.append("lf")
            sent15 = _sent15(plan, ds)
            log = logs.encode_log(w.header(), [x for x, _ in out], w.charset, w.bom, w.newline)
            last_log = log
            name = f"{t.tmid}_{sent15}-{w.upload_id()}.zip"
            data = logs.build_upload_zip(log, f"{sent15}.log", sent15=sent15)
            path = f"{sid}/{name}"
            files.append(
                _File(
                    path,
                    data,
                    _entry(
                        plan,
                        path,
                        data,
                        outcome="landed",
                        ds=ds,
                        tmid=t.tmid,
                        computer=w.computer,
                        records=records,
                        reject_lines=reject_lines,
                        agent=w.agent,
                        charset=w.charset,
                        tags=tags,
                    ),
                )
            )
            if g in plan.diag and plan.diag[g] == (day, idx):
                files.append(_diag_bundle(plan, w, sid, ds + 150, last_log))
                diag_sent = True
            if (g, day, idx) == plan.no_header:
                files.append(_no_header_upload(plan, w, sid, ds + 123))
            prev_ds = ds
    return files, gaps


def _diag_bundle(plan: _Plan, w: _Writer, sid: str, ds: int, last_log: bytes) -> _File:
    """A diagnostic bundle as support collects it: never parsed, only moved aside."""
    t = w.t
    rng = random.Random(f"{plan.seed}:diag:{t.g}")
    sent15 = _sent15(plan, ds)
    build = t.os[2].split(".")[0]
    sysinfo = (
        f"ホスト名:               {w.computer}\r\n"
        f"OS 名:                  Microsoft {t.os[0]}\r\n"
        f"OS バージョン:          10.0.{build} N/A ビルド {build}\r\n"
        f"システム製造元:         {t.model[0]}\r\n"
        f"システム モデル:        {t.model[1]}\r\n"
        "タイム ゾーン:          (UTC+09:00) 大阪、札幌、東京\r\n"
    ).encode("cp932")
    reg = (
        "Windows Registry Editor Version 5.00\r\n\r\n"
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\IT360\\Agent]\r\n"
        f'"TMID"="{t.tmid}"\r\n"SupportID"="{sid}"\r\n"Version"="{w.agent}"\r\n'
    ).encode("utf-16")
    members = [
        ("product.txt", f"IT360 ログエージェント {w.agent}\r\nTMID: {t.tmid}\r\n".encode("cp932")),
        ("eventlog/System.evtx", b"ElfFile\x00" + rng.randbytes(4096)),
        ("eventlog/Application.evtx", b"ElfFile\x00" + rng.randbytes(2048)),
        (f"trail/{sent15}.log", last_log),
        ("services.txt", b"SERVICE_NAME: ITAgent\r\n        STATE              : 4  RUNNING\r\n"),
        ("registry.reg", reg),
        (
            f"dumps/itagent.exe.{rng.randrange(1000, 40000, 4)}.dmp",
            b"MDMP\x93\xa7" + rng.randbytes(2048),
        ),
    ]
    data = logs.build_upload_zip(sysinfo, "systeminfo.txt", extra_members=members, sent15=sent15)
    path = f"{sid}/diag/{t.tmid}_{sent15}-{w.upload_id()}.zip"
    return _File(
        path, data, _entry(plan, path, data, outcome="diag", ds=ds, tmid=t.tmid, tags=["diag"])
    )


def _no_header_upload(plan: _Plan, w: _Writer, sid: str, ds: int) -> _File:
    """An upload whose log lost its header line: it lands, every line a no_header reject."""
    seq = w.seq
    lines, _ = w.render([], 20, [], ds * 100 - 60_000 + w.t.skew_ms, ds * 100 + w.t.skew_ms)
    w.seq = seq  # these records never count, so the terminal's seq stream goes on unbroken
    # UTF-8 whatever the terminal's charset: with no header nobody can know the charset,
    # and the lines must be rejected for the missing header, not as undecodable.
    log = logs.encode_log(None, lines, "utf-8", False, "\r\n")
    sent15 = _sent15(plan, ds)
    path = f"{sid}/{w.t.tmid}_{sent15}-{w.upload_id()}.zip"
    data = logs.build_upload_zip(log, f"{sent15}.log", sent15=sent15)
    rejects = [(i + 1, Reject.NO_HEADER) for i in range(len(lines))]
    entry = _entry(
        plan,
        path,
        data,
        outcome="landed",
        ds=ds,
        tmid=w.t.tmid,
        reject_lines=rejects,
        tags=["no_header"],
    )
    return _File(path, data, entry)


# --- bad inbox files -------------------------------------------------------------------------


@lru_cache(maxsize=2)
def _bomb_size(member: str) -> bytes:
    # Cached: the streaming deflate of 257 MiB takes about a second and is a pure function.
    return logs.zip_bomb_size(member)


@lru_cache(maxsize=2)
def _bomb_ratio(member: str) -> bytes:
    return logs.zip_bomb_ratio(member)


def _bad_files(plan: _Plan) -> list[_File]:
    """One or more inbox files for every Quarantine reason a single file can earn."""
    files: list[_File] = []
    n_contracts = len(plan.contracts)
    counter = iter(range(10_000))
    fresh = random.Random(f"{plan.seed}:fresh")

    def make(
        *,
        c: int = 0,
        terminal: _Terminal | None = None,
        day: int | None = None,
        header_tmid: str | None = "same",
        charset: str | None = "same",
        encoding: str | None = None,
        at: int | None = None,
    ) -> tuple[int, _Terminal, _Writer, str, str, bytes]:
        """A plausible upload: (ds, terminal, writer, SENT15, file name, log bytes)."""
        k = next(counter)
        ts = plan.contract_terminals(c)
        t = terminal or ts[k % len(ts)]
        d = k % plan.days if day is None else day
        # 05:05 plus ~7.6 minutes per case: unique, inside the service day, off the schedule.
        ds = d * DS_PER_DAY + DAY_START_DS + 3_000 + k * 4_567 if at is None else at
        w = _Writer(plan, t, f"bad{k}")
        lines, _ = w.render([], 15, [], ds * 100 - 300_000, ds * 100)
        cs = t.charset if charset == "same" else charset
        header = logs.build_header(
            t.tmid if header_tmid == "same" else header_tmid, w.computer, t.agent, cs
        )
        enc = encoding or (cs if cs in ("utf-8", "cp932") else "utf-8")
        log = logs.encode_log(header, lines, enc, t.bom and enc == "utf-8", t.newline)
        sent15 = _sent15(plan, ds)
        name = f"{t.tmid}_{sent15}-{w.upload_id()}.zip"
        return ds, t, w, sent15, name, log

    def add(
        path: str,
        data: bytes,
        reason: Quarantine,
        case: str,
        header_of: _Writer | None = None,
    ) -> None:
        """Record a quarantined file; `header_of` when the pipeline reads its header."""
        parsed = parse_upload_name(path.rsplit("/", 1)[-1])
        entry = _entry(
            plan,
            path,
            data,
            outcome="quarantined",
            reason=reason,
            ds=None,
            tmid=parsed.tmid if parsed else None,
            computer=header_of.computer if header_of else None,
            agent=header_of.agent if header_of else None,
            charset=header_of.charset if header_of else None,
            tags=[case],
        )
        if parsed:
            entry.service_day = parsed.service_day.isoformat()
        files.append(_File(path, data, entry))

    sid0 = plan.contracts[0].support_id

    def sid(c: int) -> str:
        return plan.contracts[c % n_contracts].support_id

    # Names that are not uploads.
    add(
        f"{sid0}/desktop.ini",
        b"[.ShellClassInfo]\r\nLocalizedResourceName=@%SystemRoot%\\system32\\shell32.dll,-21770\r\n",
        Quarantine.BAD_NAME,
        "bad_name:desktop.ini",
    )
    ds, t, w, s15, name, log = make()
    add(
        f"{sid0}/foo.zip",
        logs.build_upload_zip(log, f"{s15}.log"),
        Quarantine.BAD_NAME,
        "bad_name:foo",
    )
    ds, t, w, s15, name, log = make(c=1 % n_contracts)
    add(
        f"{sid(1)}/{name[:36].lower()}{name[36:]}",
        logs.build_upload_zip(log, f"{s15}.log"),
        Quarantine.BAD_NAME,
        "bad_name:lowercase_tmid",
    )
    ds, t, w, s15, name, log = make()
    unreal = plan.first_day.strftime("%Y%m") + "32" + s15[8:]  # day 32: not a real time
    add(
        f"{sid0}/{t.tmid}_{unreal}-{name[-36:]}",
        logs.build_upload_zip(log, f"{unreal}.log"),
        Quarantine.BAD_NAME,
        "bad_name:unreal_sent15",
    )
    ds, t, w, s15, name, log = make(c=2 % n_contracts)
    add(
        f"{sid(2)}/{name[:-5]}.zip",  # UPLOADID one character short
        logs.build_upload_zip(log, f"{s15}.log"),
        Quarantine.BAD_NAME,
        "bad_name:short_uploadid",
    )
    ds, t, w, s15, name, log = make()
    zipped = logs.build_upload_zip(log, f"{s15}.log")
    add(f"{sid0}/{name}.part", logs.zip_truncated(zipped), Quarantine.BAD_NAME, "bad_name:part")

    # Wrong places.
    ds, t, w, s15, name, log = make()
    add(
        f"{sid0}/sub/{name}",
        logs.build_upload_zip(log, f"{s15}.log"),
        Quarantine.UNEXPECTED_PATH,
        "unexpected_path:sub",
    )
    ds, t, w, s15, name, log = make()
    add(
        name,
        logs.build_upload_zip(log, f"{s15}.log"),
        Quarantine.UNEXPECTED_PATH,
        "unexpected_path:root",
    )
    stranger = _Terminal(**{**_asdict_shallow(plan.terminals[0]), "tmid": _random_tmid(fresh)})
    ds, t, w, s15, name, log = make(terminal=stranger)
    add(
        f"S9999/{name}",
        logs.build_upload_zip(log, f"{s15}.log"),
        Quarantine.UNKNOWN_CONTRACT,
        "unknown_contract",
    )

    # Broken ZIPs; each case is in a contract folder with a valid name.
    for kind in ("pdf", "gzip"):
        ds, t, w, s15, name, log = make(c=next(counter) % n_contracts)
        add(
            f"{sid(t.contract)}/{name}",
            logs.not_a_zip(kind),
            Quarantine.NOT_A_ZIP,
            f"not_a_zip:{kind}",
        )
    for keep, case in ((0.6, "half"), (0.999, "no_end_record")):
        ds, t, w, s15, name, log = make()
        data = logs.zip_truncated(logs.build_upload_zip(log, f"{s15}.log"), keep)
        add(f"{sid0}/{name}", data, Quarantine.TRUNCATED_ZIP, f"truncated_zip:{case}")
    for how in ("central", "size"):
        ds, t, w, s15, name, log = make()
        data = logs.zip_corrupt(logs.build_upload_zip(log, f"{s15}.log"), how)
        add(f"{sid0}/{name}", data, Quarantine.CORRUPT_ZIP, f"corrupt_zip:{how}")
    ds, t, w, s15, name, log = make()
    add(f"{sid0}/{name}", logs.zip_empty(), Quarantine.NO_MEMBER, "no_member")
    ds, t, w, s15, name, log = make()
    data = logs.build_upload_zip(
        log, f"{s15}.log", extra_members=[("readme.txt", b"agent notes\r\n")]
    )
    add(f"{sid0}/{name}", data, Quarantine.SEVERAL_MEMBERS, "several_members:readme")
    ds, t, w, s15, name, log = make()
    data = logs.build_upload_zip(log, f"{s15}.log", extra_members=[(f"{s15}.log", log)])
    add(f"{sid0}/{name}", data, Quarantine.SEVERAL_MEMBERS, "several_members:same_name_twice")
    for member, case in (
        ("logs/{}.log", "folder"),
        ("..\\{}.log", "backslash_dotdot"),
        ("../{}.log", "dotdot"),
    ):
        ds, t, w, s15, name, log = make()
        data = logs.build_upload_zip(log, member.format(s15), sent15=s15)
        add(f"{sid0}/{name}", data, Quarantine.MEMBER_PATH, f"member_path:{case}")
    for case in ("trail", "other_sent15", "txt"):
        ds, t, w, s15, name, log = make()
        member = {
            "trail": "trail.log",
            "other_sent15": f"{_sent15(plan, ds - 10)}.log",
            "txt": f"{s15}.txt",
        }[case]
        data = logs.build_upload_zip(log, member, sent15=s15)
        add(f"{sid0}/{name}", data, Quarantine.WRONG_MEMBER_NAME, f"wrong_member_name:{case}")
    ds, t, w, s15, name, log = make()
    add(
        f"{sid0}/{name}",
        logs.zip_encrypted(log, f"{s15}.log"),
        Quarantine.ENCRYPTED_MEMBER,
        "encrypted_member",
    )
    for method, case in ((zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "lzma")):
        ds, t, w, s15, name, log = make()
        data = logs.zip_unsupported_method(log, f"{s15}.log", method)
        add(f"{sid0}/{name}", data, Quarantine.UNSUPPORTED_METHOD, f"unsupported_method:{case}")
    for method, case in ((zipfile.ZIP_DEFLATED, "deflated"), (zipfile.ZIP_STORED, "stored")):
        ds, t, w, s15, name, log = make()
        add(
            f"{sid0}/{name}",
            logs.zip_bad_crc(log, f"{s15}.log", method),
            Quarantine.BAD_CRC,
            f"bad_crc:{case}",
        )
    ds, t, w, s15, name, log = make()
    add(f"{sid0}/{name}", _bomb_size(f"{s15}.log"), Quarantine.BOMB_SIZE, "bomb_size")
    ds, t, w, s15, name, log = make()
    add(f"{sid0}/{name}", _bomb_ratio(f"{s15}.log"), Quarantine.BOMB_RATIO, "bomb_ratio")

    # Readable ZIPs whose header is wrong.
    for c in range(min(2, n_contracts)):
        ds, t, w, s15, name, log = make(c=c, header_tmid=None)
        add(
            f"{sid(c)}/{name}",
            logs.build_upload_zip(log, f"{s15}.log"),
            Quarantine.BAD_HEADER,
            f"bad_header:no_tmid:{t.charset}",
        )
    ds, t, w, s15, name, log = make(charset="euc-jp", encoding="euc-jp")
    add(
        f"{sid0}/{name}",
        logs.build_upload_zip(log, f"{s15}.log"),
        Quarantine.BAD_CHARSET,
        "bad_charset:euc-jp",
    )
    ds, t, w, s15, name, log = make(charset=None)
    add(
        f"{sid0}/{name}",
        logs.build_upload_zip(log, f"{s15}.log"),
        Quarantine.BAD_CHARSET,
        "bad_charset:missing",
    )
    ds, t, w, s15, name, log = make(header_tmid=_random_tmid(fresh))
    add(
        f"{sid0}/{name}",
        logs.build_upload_zip(log, f"{s15}.log"),
        Quarantine.TMID_MISMATCH,
        "tmid_mismatch",
        header_of=w,
    )
    if n_contracts > 1:
        # S0001's first terminal, uploading under S0002 after it first uploaded under S0001:
        # on the last day, or (one-day samples) an hour after its first upload.
        owner = plan.contract_terminals(0)[0]
        first = plan.upload_times(owner.g, 0)[0]
        at = None if plan.days > 1 else first + 36_000
        ds, t, w, s15, name, log = make(c=1, terminal=owner, day=plan.days - 1, at=at)
        add(
            f"{sid(1)}/{name}",
            logs.build_upload_zip(log, f"{s15}.log"),
            Quarantine.CROSS_CONTRACT_TMID,
            "cross_contract_tmid",
            header_of=w,
        )
    return files


def _asdict_shallow(obj: Any) -> dict[str, Any]:
    """A dataclass's fields without deep-copying nested values (asdict would)."""
    return {f: getattr(obj, f) for f in obj.__dataclass_fields__}


# --- contracts, organisation info and asset ledgers ------------------------------------------


def _csv_bytes(header: list[str], rows: Iterable[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")  # BOM: Excel opens the Japanese correctly


def _write_contracts(plan: _Plan, contracts_file: Path) -> None:
    base = contracts_file.parent
    (base / "org").mkdir(parents=True, exist_ok=True)
    (base / "ledger").mkdir(parents=True, exist_ok=True)
    items = []
    last = len(plan.contracts) - 1
    for c in plan.contracts:
        sid = c.support_id
        items.append(
            {
                "support_id": sid,
                "daily_option": c.index != last,
                "notify_to": f"it-{sid.lower()}@example.co.jp",
                "org_info": f"org/{sid}.csv",
                "asset_ledger": f"ledger/{sid}.csv",
            }
        )
        company = c.company
        org_rows = [
            [p.login, p.name, p.title, company, p.organisation.removeprefix(company + " "), p.mail]
            for p in c.people
        ]
        (base / "org" / f"{sid}.csv").write_bytes(
            _csv_bytes(["login_name", "name", "title", "company", "organisation", "mail"], org_rows)
        )
        ledger_rows = [
            [t.tmid, t.ledger[0], t.ledger[1], t.user.name or "（共用）", t.ledger[2]]
            for t in plan.contract_terminals(c.index)
        ]
        (base / "ledger" / f"{sid}.csv").write_bytes(
            _csv_bytes(["tmid", "asset_no", "location", "owner", "purchased"], ledger_rows)
        )
    text = yaml.safe_dump({"contracts": items}, sort_keys=False, allow_unicode=True)
    contracts_file.write_text(text, encoding="utf-8")


# --- entry points ----------------------------------------------------------------------------

_WORKER: tuple[_Plan, Path] | None = None


def _init_worker(plan: _Plan, inbox: Path) -> None:
    global _WORKER
    _WORKER = (plan, inbox)


def _write_terminal(g: int) -> tuple[list[ManifestEntry], list[dict[str, Any]]]:
    assert _WORKER is not None
    plan, inbox = _WORKER
    files, gaps = _terminal_files(plan, g)
    for f in files:
        target = inbox / f.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.data)
    return [f.entry for f in files], gaps


def _check_empty(inbox: Path) -> None:
    if inbox.exists() and any(p.is_file() for p in inbox.rglob("*")):
        raise FileExistsError(f"{inbox} already holds files; generate into an empty inbox")


def generate_sample(
    inbox: Path,
    contracts_file: Path,
    *,
    contracts: int = 3,
    terminals: int = 20,
    first_day: date = date(2024, 3, 18),
    days: int = 3,
    uploads_per_day: int = 8,
    records_per_upload: int = 60,
    seed: int = 0,
    bad_files: bool = True,
    workers: int | None = None,
) -> SampleManifest:
    """Write a sample inbox, the contracts YAML with org/ledger CSVs; return the manifest.

    `terminals` is the total over all contracts (dealt round-robin). `workers` None picks
    worker processes for big samples only; the bytes do not depend on it.
    """
    inbox = Path(inbox)
    contracts_file = Path(contracts_file)
    plan = _build_plan(
        contracts=contracts,
        terminals=terminals,
        first_day=first_day,
        days=days,
        uploads_per_day=uploads_per_day,
        records_per_upload=records_per_upload,
        seed=seed,
        bad_files=bad_files,
    )
    _check_empty(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    contracts_file.parent.mkdir(parents=True, exist_ok=True)
    _write_contracts(plan, contracts_file)
    for c in plan.contracts:
        (inbox / c.support_id).mkdir(exist_ok=True)

    if workers is None:
        big = terminals * days * uploads_per_day * records_per_upload > 200_000
        workers = min(os.cpu_count() or 1, 8) if big else 1
    entries: list[ManifestEntry] = []
    gaps: list[dict[str, Any]] = []
    indexes = range(len(plan.terminals))
    if workers > 1:
        with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(plan, inbox)) as ex:
            results = list(ex.map(_write_terminal, indexes, chunksize=4))
    else:
        _init_worker(plan, inbox)
        results = [_write_terminal(g) for g in indexes]
    for e, gp in results:
        entries += e
        gaps += gp
    if bad_files:
        for f in _bad_files(plan):
            target = inbox / f.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(f.data)
            entries.append(f.entry)
    entries.sort(key=lambda e: e.path)
    return SampleManifest(plan.params, entries, gaps)


def _plan_from_params(params: dict[str, Any]) -> _Plan:
    return _build_plan(
        contracts=params["contracts"],
        terminals=params["terminals"],
        first_day=date.fromisoformat(params["first_day"]),
        days=params["days"],
        uploads_per_day=params["uploads_per_day"],
        records_per_upload=params["records_per_upload"],
        seed=params["seed"],
        bad_files=params["bad_files"],
    )


def generate_resends(
    inbox: Path,
    manifest: SampleManifest,
    *,
    seed: int = 0,
    duplicates: int = 3,
    conflicts: int = 2,
) -> SampleManifest:
    """Re-send already-landed uploads under their names; return a manifest of just these.

    Call after a landing consumed the inbox. Duplicates carry identical bytes; conflicts
    carry different bytes for the same key (alternately: the same log re-zipped stored,
    and the log with one more record). The original bytes are rebuilt from the manifest's
    params, so the first inbox need not exist any more.
    """
    inbox = Path(inbox)
    plan = _plan_from_params(manifest.params)
    landed = sorted((e for e in manifest.entries if e.outcome == "landed"), key=lambda e: e.path)
    rng = random.Random(f"{seed}:resends")
    picked = rng.sample(landed, min(len(landed), duplicates + conflicts))
    by_tmid = {t.tmid: t.g for t in plan.terminals}
    cache: dict[int, dict[str, _File]] = {}
    targets = [inbox / e.path for e in picked]
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        raise FileExistsError(f"inbox still holds uploads to re-send: {existing[:3]}")
    entries: list[ManifestEntry] = []
    for i, e in enumerate(picked):
        g = by_tmid[e.tmid]  # type: ignore[index]
        if g not in cache:
            cache[g] = {f.path: f for f in _terminal_files(plan, g)[0]}
        original = cache[g][e.path]
        if original.entry.sha256 != e.sha256:
            raise ValueError(f"manifest does not match this generator for {e.path}")
        if i < duplicates:
            data = original.data
            entry = ManifestEntry(
                **{
                    **asdict(e),
                    "outcome": "duplicate",
                    "records": 0,
                    "rejects": {},
                    "reject_lines": [],
                    "tags": ["resend_duplicate"],
                }
            )
        else:
            data = _conflicting_bytes(original.data, (i - duplicates) % 2)
            entry = ManifestEntry(
                **{
                    **asdict(e),
                    "outcome": "quarantined",
                    "reason": str(Quarantine.CONFLICT),
                    "computer": None,
                    "agent": None,
                    "charset": None,
                    "records": 0,
                    "rejects": {},
                    "reject_lines": [],
                    "tags": ["resend_conflict"],
                    "sha256": hashlib.sha256(data).hexdigest(),
                }
            )
        target = inbox / e.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        entries.append(entry)
    params = {
        **manifest.params,
        "resends": {"seed": seed, "duplicates": duplicates, "conflicts": conflicts},
    }
    return SampleManifest(params, sorted(entries, key=lambda e: e.path), [])


def _conflicting_bytes(data: bytes, variant: int) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        (info,) = zf.infolist()
        log = zf.read(info)
    sent15 = info.filename[:15]
    if variant == 0:
        return logs.build_upload_zip(log, info.filename, zipfile.ZIP_STORED, sent15=sent15)
    nl = b"\r\n" if log.endswith(b"\r\n") else b"\n"
    last = log.rstrip(b"\r\n").rsplit(b"\n", 1)[-1].rstrip(b"\r")
    fields = last.split(b"\t")
    try:
        seq = str(int(fields[1]) + 1).encode()
    except (IndexError, ValueError):
        seq = b"0"
    extra = b"\t".join(
        [
            fields[0],
            seq,
            b"AGENT",
            b"",
            b"itagent.exe",
            b'{"version":"5.2.1","state":"running","message":"resend"}',
        ]
    )
    return logs.build_upload_zip(log + extra + nl, info.filename, sent15=sent15)

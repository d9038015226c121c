"""The generator's vocabulary: event types and detail keys, time units, and the Japanese
office text (people, documents, apps, sites, devices) that records are drawn from.

Data only; nothing here draws random numbers. The pools' order is part of the output: the
generator indexes them with seeded random numbers, so reordering one changes every sample.
"""

from __future__ import annotations

from transforms.reasons import Reject

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
HMS = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)]

# --- text pools (all encodable in cp932: agent 4.x terminals write them) ---------------------

COMPANIES = [
    ("CORP", "株式会社サンプル商事", "sample-shoji.co.jp"),
    ("TOTO", "東都精機株式会社", "toto-seiki.co.jp"),
    ("MINATO", "みなと税理士法人", "minato-tax.jp"),
    ("HOKUTO", "株式会社北斗システム", "hokuto-sys.co.jp"),
]
DEPARTMENTS = [
    ("経理", "KEIRI", "経理部"),
    ("営業", "EIGYO", "営業部 第一課"),
    ("総務", "SOUMU", "総務部"),
    ("人事", "JINJI", "人事部"),
    ("開発", "KAIHATSU", "開発部 システム課"),
    ("製造", "SEIZOU", "製造部"),
    ("企画", "KIKAKU", "経営企画室"),
]
SURNAMES = [
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
GIVEN_NAMES = [
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
TITLES = ["部長", "課長", "係長", "主任", "一般", "一般", "一般"]
DOCS = [
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
FOLDERS = [
    "Documents",
    "Desktop",
    "Documents\\経理\\2024年度",
    "Documents\\営業資料",
    "Desktop\\作業中",
    "Documents\\提出用",
]
SHARES = ["共有", "経理部\\2024年度", "営業部\\顧客", "総務部\\規程集"]
PRINTERS = [
    "経理部 複合機 (RICOH IM C3000)",
    "営業部_プリンタ (Canon LBP221)",
    "本社3F カラー複合機",
    "Microsoft Print to PDF",
]
EXT_PROCESS = {
    "xlsx": "excel.exe",
    "csv": "excel.exe",
    "docx": "winword.exe",
    "pptx": "powerpnt.exe",
    "pdf": "acrobat.exe",
    "txt": "notepad.exe",
}
APP_EXT = {  # the document types an app's window titles show
    "excel.exe": ("xlsx", "csv"),
    "winword.exe": ("docx",),
    "powerpnt.exe": ("pptx",),
    "acrobat.exe": ("pdf",),
    "notepad.exe": ("txt",),
    "taro34.exe": ("jtd",),
}
APPS = [  # (image name, path, window title template)
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
WEB = [
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
UPLOAD_SITES = [
    "https://drive.google.com/drive/my-drive",
    "https://www.dropbox.com/home",
    "https://gigafile.nu/",
    "https://firestorage.jp/upload",
]
DOWNLOADS = [
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
MAIL_SUBJECTS = [
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
EXTERNAL_MAIL = [
    "yamada@torihikisaki.co.jp",
    "info@example-partner.jp",
    "sales@abc-shoji.co.jp",
    "t.tanaka.private@gmail.com",
]
USB_DEVICES = [  # (vid, pid, serial, class, name)
    ("0781", "5581", "4C530001230418108362", "mass_storage", "SanDisk Ultra USB 3.0"),
    ("0930", "6545", "C03FD5F7712FE2B1A9EB", "mass_storage", "TOSHIBA TransMemory"),
    ("056E", "6009", "1000000000000A4C", "mass_storage", "ELECOM USBメモリ MF-MSU3"),
    ("0411", "01EE", "0070085D1B3C", "mass_storage", "BUFFALO ポータブルHDD"),
    ("046D", "C52B", "", "hid", "Logicool Unifying レシーバー"),
    ("05AC", "12A8", "00008110001A2D3E0C12801E", "phone", "Apple iPhone"),
    ("04F2", "B6D9", "0001", "camera", "Integrated Camera"),
    ("0BDA", "8153", "001000001", "other", "Realtek USB GbE Family Controller"),
]
MODELS = [
    ("Dell Inc.", "Latitude 5440"),
    ("LENOVO", "ThinkPad X1 Carbon Gen 11"),
    ("HP", "HP ProBook 450 G10"),
    ("Panasonic Connect Co., Ltd.", "CF-SV2"),
    ("FUJITSU CLIENT COMPUTING LIMITED", "LIFEBOOK U9313/MX"),
    ("NEC", "VersaPro VKT16/X-H"),
]
OSES = [
    ("Windows 11 Pro", "23H2", "22631.3296"),
    ("Windows 10 Pro", "22H2", "19045.4170"),
    ("Windows 11 Enterprise", "22H2", "22621.3296"),
]
INSTALLED = [
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
UPDATES = [("KB5034441", "2024-01-10"), ("KB5034765", "2024-02-14"), ("KB5035853", "2024-03-13")]
AGENT_MESSAGES = [
    ("running", "定期チェック: 正常"),
    ("running", "ログを送信しました"),
    ("running", "設定を更新しました"),
    ("error", "送信に失敗しました: タイムアウト (再試行します)"),
]

# Weights of the random part of an upload: mostly windows, web and file activity.
FILL = {
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
FILL_TYPES = list(FILL)
FILL_CUM = [sum(list(FILL.values())[: i + 1]) for i in range(len(FILL))]

ALNUM_UPPER = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

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

"""The writer: one terminal's records as log lines, drawn from the terminal's own generator.

A `Writer` holds a terminal's state between its uploads (seq, running processes, computer
name, agent version) and its per-user pools (documents, windows, devices), JSON-escaped once
so the hot loop only formats templates. `samples.logs` turns its lines into log bytes.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import timedelta
from typing import Any

from samples import logs
from samples.generator.plan import Plan, Terminal
from samples.generator.vocabulary import (
    AGENT_MESSAGES,
    ALNUM,
    APP_EXT,
    APPS,
    DOCS,
    DOWNLOADS,
    EVENT_DETAIL_KEYS,
    EXT_PROCESS,
    EXTERNAL_MAIL,
    FILL_CUM,
    FILL_TYPES,
    FOLDERS,
    HMS,
    INSTALLED,
    MAIL_SUBJECTS,
    PRINTERS,
    SHARES,
    UPDATES,
    UPLOAD_SITES,
    USB_DEVICES,
    WEB,
)

#: A forced event: (type, user, process, detail JSON).
Event = tuple[str, str, str, str]


def _pick(r: Any, seq: Any) -> Any:
    """`seq[random index]` from a bound `Random.random`: several times faster than choice()."""
    return seq[int(r() * len(seq))]


def _int(r: Any, lo: int, hi: int) -> int:
    """A random int in [lo, hi] from a bound `Random.random` (faster than randint())."""
    return lo + int(r() * (hi - lo + 1))


def _q(text: str) -> str:
    """A JSON string literal; pools are escaped once so records can use templates."""
    return json.dumps(text, ensure_ascii=False)


class Writer:
    """Builds one terminal's records; all randomness from its own seeded generator."""

    def __init__(self, plan: Plan, t: Terminal, key: str = "terminal") -> None:
        self.plan = plan
        self.t = t
        self.rng = random.Random(f"{plan.seed}:{key}:{t.g}")
        self.r = self.rng.random
        self.contract = plan.contracts[t.contract]
        self.user = t.user.login
        self.computer = t.computer
        self.agent = t.agent
        self.charset = t.charset
        self.bom = t.bom
        self.newline = t.newline
        self.seq = t.seq_start
        self.pids: dict[str, int] = {}
        self._dates: dict[int, str] = {}
        # The pools are drawn in this order (documents, windows, devices): it fixes the bytes.
        docs = self.rng.sample(DOCS, 12)
        self._init_files(docs)
        self._init_apps(docs)
        self._init_web_and_mail()
        self._init_devices()
        self.builders = self._builders()

    def _init_files(self, docs: list[str]) -> None:
        """The user's documents, each in the same folder and share in every path form."""
        rng = self.rng
        home = f"C:\\Users\\{self.t.user.short}"
        self.docs = [
            (_q(d), EXT_PROCESS[d.rsplit(".", 1)[1]], rng.randint(8_000, 4_000_000)) for d in docs
        ]
        folders = [rng.choice(FOLDERS) for _ in docs]
        shares = [rng.choice(SHARES) for _ in docs]

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

    def _init_apps(self, docs: list[str]) -> None:
        """The apps (path, image hash) and window titles naming the user's documents."""
        rng, t, contract = self.rng, self.t, self.contract
        self.apps = [
            (proc, _q(path), hashlib.sha256(path.encode()).hexdigest()) for proc, path, _ in APPS
        ]
        windows = []
        for proc, _, template in APPS:
            # A document the app would open: one of this user's files of its type, else
            # a file name in its own format (一太郎 .jtd has no file events of its own).
            ext = APP_EXT.get(proc)
            own = [d for d in docs if ext and d.rsplit(".", 1)[1] in ext]
            stems = [d.rsplit(".", 1)[0] for d in rng.sample(docs, 3)]
            titled = own[:3] or [f"{stem}.{ext[0] if ext else 'txt'}" for stem in stems]
            for d in titled:
                title = template.format(
                    doc=d,
                    mail=t.user.mail or f"{t.user.short}@{contract.mail_domain}",
                    web=rng.choice(WEB)[1],
                    folder=rng.choice(FOLDERS).rsplit("\\", 1)[-1],
                    company=contract.company,
                )
                windows.append((proc, _q(title)))
        self.windows = windows

    def _init_web_and_mail(self) -> None:
        """Sites (plus the contract's portal), browser, printers, mail subjects, recipients."""
        t, contract = self.t, self.contract
        self.web = [(_q(u), _q(title)) for u, title in WEB]
        self.web.append(
            (_q(f"https://portal.{contract.mail_domain}/"), _q("社内ポータル - ホーム"))
        )
        self.browser_proc = "msedge.exe" if t.browser == "msedge" else "chrome.exe"
        self.browser = _q(t.browser)
        self.printers = [_q(p) for p in PRINTERS]
        self.subjects = [_q(s) for s in MAIL_SUBJECTS]
        colleagues = [p.mail for p in contract.people if p.mail]
        self.recipients = [_q(m) for m in colleagues[:6] + EXTERNAL_MAIL]

    def _init_devices(self) -> None:
        """The user's USB devices (connected or blocked) and installed apps."""
        rng = self.rng
        devices = [*rng.sample(USB_DEVICES, 3), rng.choice(USB_DEVICES[:4])]
        self.usb_connect = []
        for vid, pid, serial, cls, name in devices:
            drive = "E:" if cls == "mass_storage" else ""
            self.usb_connect.append(
                f'{{"vid":"{vid}","pid":"{pid}","serial":"{serial}","class":"{cls}",'
                f'"name":{_q(name)},"drive":"{drive}"}}'
            )
        blocked = [d for d in USB_DEVICES if d[3] == "mass_storage" and d not in devices[:3]]
        self.usb_blocked = [
            f'{{"vid":"{v}","pid":"{p}","serial":"{s}","class":"{c}","name":{_q(nm)},"drive":""}}'
            for v, p, s, c, nm in blocked or USB_DEVICES[:1]
        ]
        self.usb_devices = devices
        self.installed = rng.sample(INSTALLED, 6)

    def _builders(self) -> dict[str, Any]:
        """Event type -> the builder of a random event of that type (INVENTORY is forced)."""
        return {
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
        url = _pick(self.r, UPLOAD_SITES)
        return (
            self.user,
            self.browser_proc,
            f'{{"url":"{url}","path":{self.fixed[i]},"size":{self.docs[i][2]},'
            f'"browser":{self.browser}}}',
        )

    def _b_web_download(self) -> tuple[str, str, str]:
        url, name = _pick(self.r, DOWNLOADS)
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
        state, message = _pick(self.r, AGENT_MESSAGES)
        return self.agent_event(state, message)[1:]

    # Forced events: (type, user, process, detail).

    def agent_event(self, state: str, message: str) -> Event:
        return (
            "AGENT",
            "",
            "itagent.exe",
            f'{{"version":"{self.agent}","state":"{state}","message":{_q(message)}}}',
        )

    def event(self, type_: str) -> Event:
        return (type_, *self.builders[type_]())

    def inventory(self, day: int) -> Event:
        rng = random.Random(f"{self.plan.seed}:inventory:{self.t.g}:{day}")
        t = self.t
        updates = list(UPDATES)
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

    def session(self, type_: str, session: str = "console", user: str | None = None) -> Event:
        detail = '{"session":"console"}'
        if session == "rdp":
            detail = '{"session":"rdp","remote_ip":"10.0.5.23"}'
        return type_, self.user if user is None else user, "", detail

    def showcase(self) -> list[Event]:
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
        return f"{d}{HMS[rem // 1000]}.{rem % 1000:03d}+09:00"

    def fmt_many(self, times: list[int]) -> list[str]:
        dates, hms, date_of = self._dates, HMS, self._date
        out = []
        for ms in times:
            day, rem = divmod(ms, 86_400_000)
            d = dates.get(day) or date_of(day)
            out.append(f"{d}{hms[rem // 1000]}.{rem % 1000:03d}+09:00")
        return out

    def render(
        self,
        head: list[Event],
        n_random: int,
        tail: list[Event],
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
        types = rng.choices(FILL_TYPES, cum_weights=FILL_CUM, k=n_random)
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
        return "".join(self.rng.choices(ALNUM, k=32))

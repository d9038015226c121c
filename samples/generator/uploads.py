"""Agent uploads: each terminal's log ZIPs, its diagnostic bundles, and later re-sends.

`terminal_files` rebuilds one terminal's files from the plan alone (its own seeded writer),
which is what lets `generate_sample` fan terminals out to worker processes and lets
`generate_resends` recover an upload's original bytes after the landing consumed them.
"""

from __future__ import annotations

import hashlib
import io
import random
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from samples import logs
from samples.generator.manifest import InboxFile, ManifestEntry, SampleManifest, new_entry
from samples.generator.plan import Plan, plan_from_params
from samples.generator.vocabulary import (
    DAY_START_DS,
    DS_PER_DAY,
    GAP_SIZE,
    REJECT_CASES,
    UNKNOWN_TYPES,
)
from samples.generator.writer import Event, Writer
from transforms.reasons import Quarantine, Reject

_REJECT_REASONS = dict(REJECT_CASES)


def terminal_files(plan: Plan, g: int) -> tuple[list[InboxFile], list[dict[str, Any]]]:
    """All uploads (and diagnostic bundles) of terminal g, plus its deliberate seq gaps."""
    return _TerminalUploads(plan, g).run()


class _TerminalUploads:
    """One terminal's uploads in time order, and what carries over from one to the next."""

    def __init__(self, plan: Plan, g: int) -> None:
        self.plan = plan
        self.g = g
        self.t = plan.terminals[g]
        self.w = Writer(plan, self.t)
        self.sid = plan.contracts[self.t.contract].support_id
        self.files: list[InboxFile] = []
        self.gaps: list[dict[str, Any]] = []
        # Every event type, spread over the first uploads in chunks of half an upload.
        self.showcase = self.w.showcase() if g in plan.showcase else []
        self.prev_ds: int | None = None
        self.diag_sent = False

    def run(self) -> tuple[list[InboxFile], list[dict[str, Any]]]:
        for day in range(self.plan.days):
            times = self.plan.upload_times(self.g, day)
            self.w.pids.clear()  # processes do not survive the nightly power-off
            for idx, ds in enumerate(times):
                self._upload(day, idx, ds, last_of_day=idx == len(times) - 1)
                self.prev_ds = ds
        return self.files, self.gaps

    def _upload(self, day: int, idx: int, ds: int, *, last_of_day: bool) -> None:
        """The upload sent at `ds`, then the diagnostic bundle or headerless upload after it."""
        plan, t, w = self.plan, self.t, self.w
        tags: list[str] = []
        head = self._head(day, idx, tags)
        tail = self._tail(day) if last_of_day else []
        # The records span the time since the previous upload (a whole interval before the
        # first one), on the terminal's own skewed clock.
        start_ds = self.prev_ds if self.prev_ds is not None else ds - DS_PER_DAY // plan.upd
        n_random = max(0, plan.rpu - len(head) - len(tail))
        lines, rec_times = w.render(
            head, n_random, tail, start_ds * 100 + t.skew_ms, ds * 100 + t.skew_ms
        )
        out = self._with_bad_lines((self.g, day, idx), lines, rec_times, tags)
        # Physical line numbers: the header is line 1, so out[i] is line i + 2.
        reject_lines = [(i + 2, r) for i, (_, r) in enumerate(out) if r is not None]
        tags += self._variant_tags(head, ds)
        sent15 = plan.sent15(ds)
        log = logs.encode_log(w.header(), [x for x, _ in out], w.charset, w.bom, w.newline)
        path = f"{self.sid}/{t.tmid}_{sent15}-{w.upload_id()}.zip"
        data = logs.build_upload_zip(log, f"{sent15}.log", sent15=sent15)
        entry = new_entry(
            path,
            data,
            outcome="landed",
            service_day=plan.service_day(ds),
            tmid=t.tmid,
            computer=w.computer,
            records=len(lines),
            reject_lines=reject_lines,
            agent=w.agent,
            charset=w.charset,
            tags=tags,
        )
        self.files.append(InboxFile(path, data, entry))
        if plan.diag.get(self.g) == (day, idx):
            self.files.append(_diag_bundle(plan, w, self.sid, ds + 150, log))
            self.diag_sent = True
        if (self.g, day, idx) == plan.no_header:
            self.files.append(_no_header_upload(plan, w, self.sid, ds + 123))

    def _head(self, day: int, idx: int, tags: list[str]) -> list[Event]:
        """Forced events before the random ones; applies the upgrade, rename and seq gap."""
        plan, g, w = self.plan, self.g, self.w
        head: list[Event] = []
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
            old, w.computer = w.computer, self.t.renamed_to or w.computer
            head.append(w.agent_event("running", f"コンピューター名の変更を検出しました: {old}"))
            tags.append("renamed")
        if plan.gap and (g, day, idx) == plan.gap:
            gap = {"support_id": self.sid, "tmid": self.t.tmid, "after_seq": w.seq - 1}
            self.gaps.append({**gap, "missing": GAP_SIZE})
            w.seq += GAP_SIZE
            tags.append("seq_gap")
        if plan.diag.get(g) == (day, idx):
            head.append(w.agent_event("diagnosing", "診断情報を収集しています"))
        elif self.diag_sent:
            head.append(w.agent_event("running", "診断情報を送信しました"))
            self.diag_sent = False
        if self.showcase:
            chunk = max(1, plan.rpu // 2)
            head += self.showcase[:chunk]
            del self.showcase[:chunk]
            tags.append("showcase")
        return head

    def _tail(self, day: int) -> list[Event]:
        """Forced events closing the day's last upload: log off and power off."""
        w = self.w
        tail: list[Event] = []
        if self.plan.upgrade and (self.g, day + 1) == self.plan.upgrade:
            tail.append(w.agent_event("stopping", "アップグレードのため停止します"))
        tail += [w.session("LOGOFF"), w.agent_event("stopping", "サービスを停止します")]
        tail.append(w.event("POWER_OFF"))
        return tail

    def _with_bad_lines(
        self, key: tuple[int, int, int], lines: list[str], rec_times: list[int], tags: list[str]
    ) -> list[tuple[str | bytes, Reject | None]]:
        """(line, reject reason or None): the planned bad and blank lines inserted.

        Reject and blank lines do not consume seq; a bad line borrows a neighbour's time.
        """
        w = self.w
        out: list[tuple[str | bytes, Reject | None]] = [(line, None) for line in lines]
        cases = self.plan.rejects.get(key, ())
        for case in cases:
            pos = w.rng.randint(1, len(out))
            bad = w.reject_line(case, rec_times[min(pos, len(rec_times) - 1)])
            out.insert(pos, (bad, _REJECT_REASONS[case]))
        if cases:
            tags.append("rejects")
        if key == self.plan.blank_line:
            out.insert(w.rng.randint(1, len(out)), ("", None))
            tags.append("blank_line")
        return out

    def _variant_tags(self, head: list[Event], ds: int) -> list[str]:
        """Tags for what the upload shows without being a planned case of its own."""
        tags = []
        if any(e[0] in UNKNOWN_TYPES for e in head):  # only the showcase sends them
            tags.append("unknown_type")
        if ds % DS_PER_DAY == DAY_START_DS - 1:
            tags.append("boundary_prev_day")
        if ds % DS_PER_DAY == DAY_START_DS:
            tags.append("boundary_new_day")
        if self.w.bom:
            tags.append("bom")
        if self.w.newline == "\n":
            tags.append("lf")
        return tags


def _diag_bundle(plan: Plan, w: Writer, sid: str, ds: int, last_log: bytes) -> InboxFile:
    """A diagnostic bundle as support collects it: never parsed, only moved aside."""
    t = w.t
    rng = random.Random(f"{plan.seed}:diag:{t.g}")
    sent15 = plan.sent15(ds)
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
    entry = new_entry(
        path, data, outcome="diag", service_day=plan.service_day(ds), tmid=t.tmid, tags=["diag"]
    )
    return InboxFile(path, data, entry)


def _no_header_upload(plan: Plan, w: Writer, sid: str, ds: int) -> InboxFile:
    """An upload whose log lost its header line: it lands, every line a no_header reject."""
    seq = w.seq
    lines, _ = w.render([], 20, [], ds * 100 - 60_000 + w.t.skew_ms, ds * 100 + w.t.skew_ms)
    w.seq = seq  # these records never count, so the terminal's seq stream goes on unbroken
    # UTF-8 whatever the terminal's charset: with no header nobody can know the charset,
    # and the lines must be rejected for the missing header, not as undecodable.
    log = logs.encode_log(None, lines, "utf-8", False, "\r\n")
    sent15 = plan.sent15(ds)
    path = f"{sid}/{w.t.tmid}_{sent15}-{w.upload_id()}.zip"
    data = logs.build_upload_zip(log, f"{sent15}.log", sent15=sent15)
    rejects = [(i + 1, Reject.NO_HEADER) for i in range(len(lines))]
    entry = new_entry(
        path,
        data,
        outcome="landed",
        service_day=plan.service_day(ds),
        tmid=w.t.tmid,
        reject_lines=rejects,
        tags=["no_header"],
    )
    return InboxFile(path, data, entry)


# --- re-sends ---------------------------------------------------------------------------------


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
    plan = plan_from_params(manifest.params)
    landed = sorted((e for e in manifest.entries if e.outcome == "landed"), key=lambda e: e.path)
    rng = random.Random(f"{seed}:resends")
    picked = rng.sample(landed, min(len(landed), duplicates + conflicts))
    by_tmid = {t.tmid: t.g for t in plan.terminals}
    cache: dict[int, dict[str, InboxFile]] = {}
    targets = [inbox / e.path for e in picked]
    existing = [str(p) for p in targets if p.exists()]
    if existing:
        raise FileExistsError(f"inbox still holds uploads to re-send: {existing[:3]}")
    entries: list[ManifestEntry] = []
    for i, e in enumerate(picked):
        g = by_tmid[e.tmid]  # type: ignore[index]
        if g not in cache:
            cache[g] = {f.path: f for f in terminal_files(plan, g)[0]}
        original = cache[g][e.path]
        if original.entry.sha256 != e.sha256:
            raise ValueError(f"manifest does not match this generator for {e.path}")
        # The first `duplicates` picks are duplicates, the rest conflicts of both variants.
        conflict = None if i < duplicates else (i - duplicates) % 2
        data, entry = _resent(e, original.data, conflict)
        target = inbox / e.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        entries.append(entry)
    params = {
        **manifest.params,
        "resends": {"seed": seed, "duplicates": duplicates, "conflicts": conflicts},
    }
    return SampleManifest(params, sorted(entries, key=lambda e: e.path), [])


def _resent(e: ManifestEntry, original: bytes, conflict: int | None) -> tuple[bytes, ManifestEntry]:
    """The re-sent bytes of landed upload `e` and their entry.

    `conflict` None re-sends the same bytes (a duplicate); 0 or 1 picks the variant of
    `_conflicting_bytes`.
    """
    unread = {"records": 0, "rejects": {}, "reject_lines": []}
    if conflict is None:
        return original, replace(e, outcome="duplicate", tags=["resend_duplicate"], **unread)
    data = _conflicting_bytes(original, conflict)
    entry = replace(
        e,
        outcome="quarantined",
        reason=str(Quarantine.CONFLICT),
        computer=None,  # the manifest expects no header fields for a conflict
        agent=None,
        charset=None,
        tags=["resend_conflict"],
        sha256=hashlib.sha256(data).hexdigest(),
        **unread,
    )
    return data, entry


def _conflicting_bytes(data: bytes, variant: int) -> bytes:
    """Different bytes under the same upload key: 0 re-zips the log stored, 1 adds a record."""
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

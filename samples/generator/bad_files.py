"""Bad inbox files: one or more for every Quarantine reason a single file can earn.

The cases are a table, `_CASES`, run in order by one loop in `bad_inbox_files`. Most cases draw a
plausible upload (`_draw`: a terminal of the case's contract, a time, a log) and turn it
into the bad file. The order of the table is part of the output: case k's upload gets time
slot k and its own writer seeded with `bad{k}`, and the `fresh` TMIDs are drawn in order.
"""

from __future__ import annotations

import itertools
import random
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from samples import logs
from samples.generator.manifest import InboxFile, new_entry
from samples.generator.plan import Plan, Terminal, random_tmid
from samples.generator.vocabulary import DAY_START_DS, DS_PER_DAY
from samples.generator.writer import Writer
from transforms.names import parse_upload_name
from transforms.reasons import Quarantine


@dataclass(frozen=True)
class _Upload:
    """A plausible upload drawn for a case, before the case makes it bad."""

    plan: Plan
    ds: int
    terminal: Terminal
    writer: Writer
    sent15: str
    name: str  # its upload file name
    log: bytes
    sid: str  # the contract folder the case puts the file in

    @property
    def member(self) -> str:
        """The ZIP member name a good upload would have."""
        return f"{self.sent15}.log"

    def zipped(self) -> bytes:
        """The upload ZIP as the agent would send it."""
        return logs.build_upload_zip(self.log, self.member)


def _in_folder(u: _Upload) -> str:
    return f"{u.sid}/{u.name}"


@dataclass(frozen=True)
class _Case:
    """One bad file: which upload to draw, and what to make of it."""

    tag: str  # the manifest tag; "{charset}" is filled with the terminal's charset
    reason: Quarantine
    data: Callable[[_Upload], bytes] = _Upload.zipped
    path: Callable[[_Upload], str] = _in_folder
    # The contract (mod the number of contracts) whose terminal uploads and whose folder
    # the file goes in. None: a case number is drawn for it, spreading such cases over the
    # contracts; that number is then skipped by the upload slots (kept: it fixes the bytes).
    contract: int | None = 0
    min_contracts: int = 1  # skipped in samples with fewer contracts
    args: Mapping[str, Any] = field(default_factory=dict)  # more `_draw` arguments
    args_from: Callable[[Plan, random.Random], dict[str, Any]] | None = None  # ditto, drawn
    reads_header: bool = False  # the pipeline reads the header before quarantining it
    fixed: tuple[str, bytes] | None = None  # (name, bytes): not an upload at all


def bad_inbox_files(plan: Plan) -> list[InboxFile]:
    """One or more inbox files for every Quarantine reason a single file can earn."""
    files: list[InboxFile] = []
    n_contracts = len(plan.contracts)
    numbers = itertools.count()
    fresh = random.Random(f"{plan.seed}:fresh")
    for case in _CASES:
        if n_contracts < case.min_contracts:
            continue
        if case.fixed is not None:
            name, data = case.fixed
            path = f"{plan.contracts[(case.contract or 0) % n_contracts].support_id}/{name}"
            files.append(_quarantined(path, data, case.reason, case.tag, None))
            continue
        c = next(numbers) if case.contract is None else case.contract
        extra = case.args_from(plan, fresh) if case.args_from else {}
        u = _draw(plan, next(numbers), c % n_contracts, **case.args, **extra)
        tag = case.tag.format(charset=u.terminal.charset)
        header_of = u.writer if case.reads_header else None
        files.append(_quarantined(case.path(u), case.data(u), case.reason, tag, header_of))
    return files


def _draw(
    plan: Plan,
    k: int,
    c: int,
    *,
    terminal: Terminal | None = None,
    day: int | None = None,
    header_tmid: str | None = "same",
    charset: str | None = "same",
    encoding: str | None = None,
    at: int | None = None,
) -> _Upload:
    """Case k's plausible upload from contract c ("same": as the terminal would write)."""
    ts = plan.contract_terminals(c)
    t = terminal or ts[k % len(ts)]
    d = k % plan.days if day is None else day
    # 05:05 plus ~7.6 minutes per case: unique, inside the service day, off the schedule.
    ds = d * DS_PER_DAY + DAY_START_DS + 3_000 + k * 4_567 if at is None else at
    w = Writer(plan, t, f"bad{k}")
    lines, _ = w.render([], 15, [], ds * 100 - 300_000, ds * 100)
    cs = t.charset if charset == "same" else charset
    header = logs.build_header(
        t.tmid if header_tmid == "same" else header_tmid, w.computer, t.agent, cs
    )
    enc = encoding or (cs if cs in ("utf-8", "cp932") else "utf-8")
    log = logs.encode_log(header, lines, enc, t.bom and enc == "utf-8", t.newline)
    sent15 = plan.sent15(ds)
    name = f"{t.tmid}_{sent15}-{w.upload_id()}.zip"
    return _Upload(plan, ds, t, w, sent15, name, log, plan.contracts[c].support_id)


def _quarantined(
    path: str, data: bytes, reason: Quarantine, tag: str, header_of: Writer | None
) -> InboxFile:
    """A quarantined file; `header_of` when the pipeline reads its header."""
    parsed = parse_upload_name(path.rsplit("/", 1)[-1])
    entry = new_entry(
        path,
        data,
        outcome="quarantined",
        reason=reason,
        service_day=parsed.service_day.isoformat() if parsed else None,
        tmid=parsed.tmid if parsed else None,
        computer=header_of.computer if header_of else None,
        agent=header_of.agent if header_of else None,
        charset=header_of.charset if header_of else None,
        tags=[tag],
    )
    return InboxFile(path, data, entry)


# --- what the cases draw and build -----------------------------------------------------------


def _stranger(plan: Plan, fresh: random.Random) -> dict[str, Any]:
    """Contract S0001's first terminal under a TMID no contract has."""
    return {"terminal": replace(plan.terminals[0], tmid=random_tmid(fresh))}


def _foreign_header_tmid(plan: Plan, fresh: random.Random) -> dict[str, Any]:
    """A header TMID other than the file name's."""
    return {"header_tmid": random_tmid(fresh)}


def _owner_moved(plan: Plan, fresh: random.Random) -> dict[str, Any]:
    """S0001's first terminal, uploading under S0002 after it first uploaded under S0001.

    On the last day, or (one-day samples) an hour after its first upload.
    """
    owner = plan.contract_terminals(0)[0]
    first = plan.upload_times(owner.g, 0)[0]
    at = None if plan.days > 1 else first + 36_000
    return {"terminal": owner, "day": plan.days - 1, "at": at}


def _unreal_sent15(u: _Upload) -> str:
    """The upload's SENT15 on day 32 of its month: SENT15-shaped, but not a real time."""
    return u.plan.first_day.strftime("%Y%m") + "32" + u.sent15[8:]


def _member_zip(u: _Upload, member: str) -> bytes:
    """The log under another member name (the ZIP still dated by the upload's SENT15)."""
    return logs.build_upload_zip(u.log, member, sent15=u.sent15)


@lru_cache(maxsize=2)
def _bomb_size(member: str) -> bytes:
    # Cached: the streaming deflate of 257 MiB takes about a second and is a pure function.
    return logs.zip_bomb_size(member)


@lru_cache(maxsize=2)
def _bomb_ratio(member: str) -> bytes:
    return logs.zip_bomb_ratio(member)


_DESKTOP_INI = (
    b"[.ShellClassInfo]\r\nLocalizedResourceName=@%SystemRoot%\\system32\\shell32.dll,-21770\r\n"
)

_CASES: tuple[_Case, ...] = (
    # Names that are not uploads.
    _Case("bad_name:desktop.ini", Quarantine.BAD_NAME, fixed=("desktop.ini", _DESKTOP_INI)),
    _Case("bad_name:foo", Quarantine.BAD_NAME, path=lambda u: f"{u.sid}/foo.zip"),
    _Case(
        "bad_name:lowercase_tmid",
        Quarantine.BAD_NAME,
        contract=1,
        path=lambda u: f"{u.sid}/{u.name[:36].lower()}{u.name[36:]}",
    ),
    _Case(
        "bad_name:unreal_sent15",
        Quarantine.BAD_NAME,
        path=lambda u: f"{u.sid}/{u.terminal.tmid}_{_unreal_sent15(u)}-{u.name[-36:]}",
        data=lambda u: logs.build_upload_zip(u.log, f"{_unreal_sent15(u)}.log"),
    ),
    _Case(  # UPLOADID one character short
        "bad_name:short_uploadid",
        Quarantine.BAD_NAME,
        contract=2,
        path=lambda u: f"{u.sid}/{u.name[:-5]}.zip",
    ),
    _Case(
        "bad_name:part",
        Quarantine.BAD_NAME,
        path=lambda u: f"{u.sid}/{u.name}.part",
        data=lambda u: logs.zip_truncated(u.zipped()),
    ),
    # Wrong places.
    _Case(
        "unexpected_path:sub", Quarantine.UNEXPECTED_PATH, path=lambda u: f"{u.sid}/sub/{u.name}"
    ),
    _Case("unexpected_path:root", Quarantine.UNEXPECTED_PATH, path=lambda u: u.name),
    _Case(
        "unknown_contract",
        Quarantine.UNKNOWN_CONTRACT,
        args_from=_stranger,
        path=lambda u: f"S9999/{u.name}",
    ),
    # Broken ZIPs; each case is in a contract folder with a valid name.
    _Case(
        "not_a_zip:pdf", Quarantine.NOT_A_ZIP, contract=None, data=lambda u: logs.not_a_zip("pdf")
    ),
    _Case(
        "not_a_zip:gzip", Quarantine.NOT_A_ZIP, contract=None, data=lambda u: logs.not_a_zip("gzip")
    ),
    _Case(
        "truncated_zip:half",
        Quarantine.TRUNCATED_ZIP,
        data=lambda u: logs.zip_truncated(u.zipped(), 0.6),
    ),
    _Case(
        "truncated_zip:no_end_record",
        Quarantine.TRUNCATED_ZIP,
        data=lambda u: logs.zip_truncated(u.zipped(), 0.999),
    ),
    _Case(
        "corrupt_zip:central",
        Quarantine.CORRUPT_ZIP,
        data=lambda u: logs.zip_corrupt(u.zipped(), "central"),
    ),
    _Case(
        "corrupt_zip:size",
        Quarantine.CORRUPT_ZIP,
        data=lambda u: logs.zip_corrupt(u.zipped(), "size"),
    ),
    _Case("no_member", Quarantine.NO_MEMBER, data=lambda u: logs.zip_empty()),
    _Case(
        "several_members:readme",
        Quarantine.SEVERAL_MEMBERS,
        data=lambda u: logs.build_upload_zip(
            u.log, u.member, extra_members=[("readme.txt", b"agent notes\r\n")]
        ),
    ),
    _Case(
        "several_members:same_name_twice",
        Quarantine.SEVERAL_MEMBERS,
        data=lambda u: logs.build_upload_zip(u.log, u.member, extra_members=[(u.member, u.log)]),
    ),
    _Case(
        "member_path:folder",
        Quarantine.MEMBER_PATH,
        data=lambda u: _member_zip(u, f"logs/{u.sent15}.log"),
    ),
    _Case(
        "member_path:backslash_dotdot",
        Quarantine.MEMBER_PATH,
        data=lambda u: _member_zip(u, f"..\\{u.sent15}.log"),
    ),
    _Case(
        "member_path:dotdot",
        Quarantine.MEMBER_PATH,
        data=lambda u: _member_zip(u, f"../{u.sent15}.log"),
    ),
    _Case(
        "wrong_member_name:trail",
        Quarantine.WRONG_MEMBER_NAME,
        data=lambda u: _member_zip(u, "trail.log"),
    ),
    _Case(
        "wrong_member_name:other_sent15",
        Quarantine.WRONG_MEMBER_NAME,
        data=lambda u: _member_zip(u, f"{u.plan.sent15(u.ds - 10)}.log"),
    ),
    _Case(
        "wrong_member_name:txt",
        Quarantine.WRONG_MEMBER_NAME,
        data=lambda u: _member_zip(u, f"{u.sent15}.txt"),
    ),
    _Case(
        "encrypted_member",
        Quarantine.ENCRYPTED_MEMBER,
        data=lambda u: logs.zip_encrypted(u.log, u.member),
    ),
    _Case(
        "unsupported_method:bzip2",
        Quarantine.UNSUPPORTED_METHOD,
        data=lambda u: logs.zip_unsupported_method(u.log, u.member, zipfile.ZIP_BZIP2),
    ),
    _Case(
        "unsupported_method:lzma",
        Quarantine.UNSUPPORTED_METHOD,
        data=lambda u: logs.zip_unsupported_method(u.log, u.member, zipfile.ZIP_LZMA),
    ),
    _Case(
        "bad_crc:deflated",
        Quarantine.BAD_CRC,
        data=lambda u: logs.zip_bad_crc(u.log, u.member, zipfile.ZIP_DEFLATED),
    ),
    _Case(
        "bad_crc:stored",
        Quarantine.BAD_CRC,
        data=lambda u: logs.zip_bad_crc(u.log, u.member, zipfile.ZIP_STORED),
    ),
    _Case("bomb_size", Quarantine.BOMB_SIZE, data=lambda u: _bomb_size(u.member)),
    _Case("bomb_ratio", Quarantine.BOMB_RATIO, data=lambda u: _bomb_ratio(u.member)),
    # Readable ZIPs whose header is wrong.
    _Case("bad_header:no_tmid:{charset}", Quarantine.BAD_HEADER, args={"header_tmid": None}),
    _Case(
        "bad_header:no_tmid:{charset}",
        Quarantine.BAD_HEADER,
        contract=1,
        min_contracts=2,
        args={"header_tmid": None},
    ),
    _Case(
        "bad_charset:euc-jp",
        Quarantine.BAD_CHARSET,
        args={"charset": "euc-jp", "encoding": "euc-jp"},
    ),
    _Case("bad_charset:missing", Quarantine.BAD_CHARSET, args={"charset": None}),
    _Case(
        "tmid_mismatch", Quarantine.TMID_MISMATCH, args_from=_foreign_header_tmid, reads_header=True
    ),
    _Case(
        "cross_contract_tmid",
        Quarantine.CROSS_CONTRACT_TMID,
        contract=1,
        min_contracts=2,
        args_from=_owner_moved,
        reads_header=True,
    ),
)

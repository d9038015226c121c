"""The plan of a sample: contracts, their people and terminals, and where each deliberate
case goes (seq gap, rename, agent upgrade, diagnostic bundles, bad record lines, ...).

`build_plan` draws everything from one `random.Random(f"{seed}:plan")`, in a fixed order:
the same parameters give the same plan in every process, which is what lets worker
processes and `generate_resends` rebuild any terminal's uploads on their own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from samples import logs
from samples.generator.vocabulary import (
    ALNUM_UPPER,
    COMPANIES,
    DAY_START_DS,
    DEPARTMENTS,
    DS_PER_DAY,
    GIVEN_NAMES,
    MODELS,
    OSES,
    REJECT_CASES,
    SURNAMES,
    TITLES,
)
from transforms.service_day import service_day_of_japan_time


@dataclass(frozen=True)
class Person:
    """A person of a contract's organisation (an org CSV row, a terminal's user)."""

    login: str  # DOMAIN\user
    short: str
    name: str
    title: str
    organisation: str
    mail: str


@dataclass(frozen=True)
class Contract:
    """A customer contract: its inbox folder (support ID), company and people."""

    index: int
    support_id: str
    domain: str
    company: str
    mail_domain: str
    people: tuple[Person, ...]  # the org CSV rows


@dataclass(frozen=True)
class Terminal:
    """An agent terminal: identity, agent variant, user, hardware, ledger row."""

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
    user: Person
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
class Plan:
    """Everything decided before the first record: who uploads, and where each case goes."""

    seed: int
    first_day: date
    days: int
    upd: int  # uploads per day
    rpu: int  # records per upload
    bad_files: bool
    contracts: tuple[Contract, ...]
    terminals: tuple[Terminal, ...]
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
        """The `generate_sample` parameters, as the manifest records them."""
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

    def contract_terminals(self, c: int) -> list[Terminal]:
        """Contract c's terminals, by index."""
        return [t for t in self.terminals if t.contract == c]

    def local_time(self, ds: int) -> datetime:
        """Japan time of `ds` deciseconds from first_day 00:00."""
        midnight = datetime.combine(self.first_day, datetime.min.time())
        return midnight + timedelta(milliseconds=ds * 100)

    def sent15(self, ds: int) -> str:
        """The SENT15 (upload file name time) of an upload sent at `ds`."""
        return logs.format_sent15(self.local_time(ds))

    def service_day(self, ds: int) -> str:
        """ISO date of the service day an upload sent at `ds` belongs to."""
        return service_day_of_japan_time(self.local_time(ds)).isoformat()


def _make_people(rng: random.Random, c: int, count: int) -> list[Person]:
    domain, company, mail_domain = _company(c)
    people: list[Person] = []
    used: set[str] = set()
    for i in range(count):
        (sr, sk), (gr, gk) = rng.choice(SURNAMES), rng.choice(GIVEN_NAMES)
        short = sr if sr not in used else f"{sr}.{gr[0]}"
        if short in used:
            short = f"{sr}{i}"
        used.add(short)
        dept = DEPARTMENTS[i % len(DEPARTMENTS)]
        people.append(
            Person(
                login=f"{domain}\\{short}",
                short=short,
                name=f"{sk} {gk}",
                title=rng.choice(TITLES),
                organisation=f"{company} {dept[2]}",
                mail=f"{gr}.{short.split('.')[0]}{'' if short == sr else i}@{mail_domain}",
            )
        )
    return people


def _company(c: int) -> tuple[str, str, str]:
    domain, company, mail_domain = COMPANIES[c % len(COMPANIES)]
    if c >= len(COMPANIES):
        n = c // len(COMPANIES) + 1
        return f"{domain}{n}", f"{company}（第{n}）", f"{n}.{mail_domain}"
    return domain, company, mail_domain


def _computer_name(g: int, n: int, dept: int) -> str:
    ja, romaji, _ = DEPARTMENTS[dept]
    name = f"{ja}-PC{g + 1:02d}" if g % 3 == 0 else f"{romaji}-PC{g + 1:02d}"
    if g == 3 % n:
        name = f"{romaji}:PC*{g + 1:02d}"  # characters deliverables must sanitise in file names
    if g == 4 % n:
        name += "."  # a trailing dot, also invalid in Windows file names
    return name


def build_plan(
    *,
    contracts: int,
    terminals: int,
    first_day: date,
    days: int,
    uploads_per_day: int,
    records_per_upload: int,
    seed: int,
    bad_files: bool,
) -> Plan:
    """The plan for `generate_sample`'s parameters (checked here)."""
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
    contract_list, users = _contracts(rng, per_contract)
    tmids: set[str] = set()
    terminal_list: list[Terminal] = []
    for g in range(n):
        tmid = _new_tmid(rng, tmids)  # drawn before the terminal's other values
        terminal_list.append(_terminal(rng, g, n, contracts, users[g], tmid))

    total = days * uploads_per_day

    # (day, idx) of the k-th upload of a terminal over the whole period.
    def nth(k: int) -> tuple[int, int]:
        k = min(k, total - 1)
        return divmod(k, uploads_per_day)

    gap = (1 % n, *nth(max(1, uploads_per_day // 2))) if total > 1 else None
    rename = (2 % n, *nth(max(1, uploads_per_day // 2))) if total > 1 else None
    return Plan(
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
        upgrade=(6, 1) if n > 6 and days > 1 else None,
        diag={per_contract[c][-1]: nth(uploads_per_day // 3) for c in range(contracts)},
        rejects=_reject_placement(terminal_list, nth(1)),
        blank_line=(0, *nth(2)),
        no_header=(contracts % n, *nth(uploads_per_day // 2)),
        showcase=frozenset(per_contract[c][0] for c in range(contracts)),
    )


def _contracts(
    rng: random.Random, per_contract: list[list[int]]
) -> tuple[list[Contract], dict[int, Person]]:
    """The contracts with their org rows, and each terminal's user (by terminal index)."""
    contract_list: list[Contract] = []
    users: dict[int, Person] = {}
    for c, gs in enumerate(per_contract):
        domain, company, mail_domain = _company(c)
        people = _make_people(rng, c, len(gs) + 2)
        admin = Person(
            f"{domain}\\admin-it",
            "admin-it",
            "情報システム 管理者",
            "主任",
            f"{company} 情報システム課",
            f"it-admin@{mail_domain}",
        )
        # A temporary worker on the contract's last terminal has no org row (a realistic
        # gap: the join must keep the user with empty person columns).
        temp = Person(f"{domain}\\haken01", "haken01", "", "", "", "")
        for i, g in enumerate(gs):
            users[g] = temp if (i == len(gs) - 1 and len(gs) > 1) else people[i]
        org = tuple(p for p in [*people, admin])
        contract_list.append(Contract(c, f"S{c + 1:04d}", domain, company, mail_domain, org))
    return contract_list, users


def _new_tmid(rng: random.Random, taken: set[str]) -> str:
    """A TMID not in `taken` (added to it)."""
    while True:
        tmid = random_tmid(rng)
        if tmid not in taken:
            taken.add(tmid)
            return tmid


def _terminal(
    rng: random.Random, g: int, n: int, contracts: int, user: Person, tmid: str
) -> Terminal:
    """Terminal g of n; g % 5 picks its agent variant (charset, BOM, newline, version)."""
    dept = rng.randrange(len(DEPARTMENTS))
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
        computer = "DESKTOP-" + "".join(rng.choices(ALNUM_UPPER, k=7))
    order: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()
    if g % 4 == 3:
        order = ("charset", "agent", "tmid", "computer")
        extra = (("os", "10.0.22631"), ("tz", "+09:00"))
    org = DEPARTMENTS[dept][2]
    # The keyword arguments are evaluated in this order: it is the order of the draws.
    return Terminal(
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
        user=user,
        dept=dept,
        seq_start=rng.randint(1_000, 900_000),
        skew_ms=rng.choice([0, 0, rng.randint(-45_000, 15_000)]),
        model=rng.choice(MODELS),
        os=rng.choice(OSES),
        ip=f"192.168.{10 + g // 200}.{20 + g % 200}",
        mac="-".join(f"{rng.randrange(256):02X}" for _ in range(6)),
        browser=rng.choice(["msedge", "msedge", "chrome"]),
        ledger=(
            f"PC-{2019 + g % 5}-{g + 1:04d}",
            f"本社 {3 + dept % 4}F {org}",
            f"{2019 + g % 5}-{1 + g % 12:02d}-01",
        ),
    )


def _reject_placement(
    terminals: list[Terminal], at: tuple[int, int]
) -> dict[tuple[int, int, int], tuple[str, ...]]:
    """(g, day, idx) -> the bad record lines that upload carries; all at upload `at`."""
    n = len(terminals)
    cp932 = [t.g for t in terminals if t.charset == "cp932"]
    utf8 = [t.g for t in terminals if t.charset == "utf-8"]
    rejects: dict[tuple[int, int, int], list[str]] = {}
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
    return {k: tuple(v) for k, v in rejects.items()}


def random_tmid(rng: random.Random) -> str:
    """A TMID-shaped string (8-4-4-4-12 upper-case alphanumerics)."""
    parts = ["".join(rng.choices(ALNUM_UPPER, k=k)) for k in (8, 4, 4, 4, 12)]
    return "-".join(parts)


def plan_from_params(params: dict[str, Any]) -> Plan:
    """The plan a manifest's `params` were generated from."""
    return build_plan(
        contracts=params["contracts"],
        terminals=params["terminals"],
        first_day=date.fromisoformat(params["first_day"]),
        days=params["days"],
        uploads_per_day=params["uploads_per_day"],
        records_per_upload=params["records_per_upload"],
        seed=params["seed"],
        bad_files=params["bad_files"],
    )

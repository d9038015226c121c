"""What the operator puts next to the inbox: the contracts YAML, and per contract an
organisation CSV (people) and an asset ledger CSV (terminals), all from the plan."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import yaml

from samples.generator.plan import Plan


def _csv_bytes(header: list[str], rows: Iterable[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8-sig")  # BOM: Excel opens the Japanese correctly


def write_operator_files(plan: Plan, contracts_file: Path) -> None:
    """The contracts YAML at `contracts_file`, with org/ and ledger/ CSVs beside it."""
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
                "daily_option": c.index != last,  # all but one: samples hold both kinds
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

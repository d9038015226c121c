"""Build the 360 dashboard's aggregates of one service day, contract by contract, and the
asset-ledger exports. The coordination between `storage/` (every read and write), `sql/`
(every aggregate) and `transforms/dashboard.py`; `assets/dashboard/aggregates.py` only calls
and reports.

A contract-day build reads only that contract's raw partitions of the day (and each
terminal's previous upload day, for its status), scans the day's records twice into small
tables (`sql/dashboard_day_tables.sql`), runs every `sql/agg_<name>.sql` over them in one
DuckDB connection, and publishes each aggregate as a new file under one build id; readers
switch to it file by file (`storage/aggregates/builds.py`). Then each aggregate's compacted copy of
the contract's current days is rewritten, for the portal. Rebuilding gives the same rows
from the same raw data, in any order of days.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from storage import aggregates, dashboard_inputs, layout, warehouse
from storage.contracts import Contract
from storage.roots import Root
from transforms.dashboard import (
    CsvError,
    empty_org_info,
    japan_holidays,
    ledger_csv_bytes,
    ledger_rows,
    new_build_id,
    parse_asset_ledger,
    parse_org_info,
    pending_diag_tmids,
)

#: Aggregates whose rows name a terminal (checked against the contract's own TMIDs).
TERMINAL_AGGREGATES = ("terminal_activity", "risk_operations", "terminal_status", "inventory")


@dataclass
class ContractDay:
    """What one contract-day build wrote, and the counts its checks compare."""

    support_id: str
    day: dt.date
    build_id: str
    rows: dict[str, int] = field(default_factory=dict)
    records_claimed: int = 0  # good records the day's uploads declare
    records_counted: int = 0  # records in the event-types aggregate
    terminals_uploading: int = 0
    terminals_in_activity: int = 0
    foreign_tmids: list[str] = field(default_factory=list)
    org_problem: str | None = None
    users_without_org: int = 0
    superseded_removed: int = 0

    @property
    def matches_raw(self) -> bool:
        return (
            self.records_counted == self.records_claimed
            and self.terminals_in_activity == self.terminals_uploading
        )


def build_day(
    wh: Root,
    contracts: list[Contract],
    day: dt.date,
    *,
    progress: Callable[[str], None] = lambda _msg: None,
) -> list[ContractDay]:
    """Every contract's aggregates of service day `day` (contracts with no data get empty
    aggregates, so a rebuild after data vanished replaces the old rows too)."""
    warehouse.ensure_schema_anchors(wh)
    aggregates.ensure_anchors(wh)
    owners = warehouse.terminal_owners(wh)
    built = []
    for contract in contracts:
        result = build_contract_day(wh, contract, day, owners=owners)
        built.append(result)
        counts = ", ".join(f"{name} {rows}" for name, rows in result.rows.items())
        progress(f"{contract.support_id} {day}: {counts} (build {result.build_id})")
    return built


def build_contract_day(
    wh: Root,
    contract: Contract,
    day: dt.date,
    *,
    owners: dict[str, str] | None = None,
    build_id: str | None = None,
) -> ContractDay:
    """Build and publish the ten aggregates of one contract-day."""
    sid = contract.support_id
    build_id = build_id or new_build_id(dt.datetime.now(dt.UTC), uuid.uuid4().hex[:8])
    result = ContractDay(sid, day, build_id)
    org_info, result.org_problem = load_org_info(contract)
    inputs = dashboard_inputs.day_inputs(wh, sid, day, owners=owners)
    params = {"support_id": sid, "day": day, "build_id": build_id}
    tables: dict[str, pa.Table] = {}
    with dashboard_inputs.open_day(wh, inputs, org_info) as con:
        pending = pending_diag_tmids(inputs.pending_diag_bundles, day)
        con.register("pending_diag", pl.DataFrame({"tmid": pending}, schema={"tmid": pl.String}))
        con.run_script("dashboard_day_records.sql")
        con.run_script("dashboard_day_tables.sql")  # the day's only scans of its records
        dates = con.query("dashboard_record_dates.sql", {}).pl()["local_date"].to_list()
        con.set_dates("holiday_dates", japan_holidays(dates)["date"].to_list())
        con.run_script("dashboard_day_counts.sql")
        for name in layout.AGGREGATES:
            table = con.query(f"agg_{name}.sql", params).to_arrow_table()
            tables[name] = aggregates.conform(name, table)
    for name, table in tables.items():
        aggregates.write_aggregate(wh, name, sid, day, build_id, table)
        result.rows[name] = table.num_rows
    result.superseded_removed = len(aggregates.remove_superseded(wh, sid, day))
    compact_id = new_build_id(dt.datetime.now(dt.UTC), uuid.uuid4().hex[:8])
    for name in layout.AGGREGATES:
        aggregates.write_compact(wh, name, sid, compact_id)
    owners = owners if owners is not None else warehouse.terminal_owners(wh)
    _count(
        dashboard_inputs.read_day_uploads(wh, inputs, ["tmid", "records"]), result, tables, owners
    )
    return result


def _count(
    uploads: pa.Table, result: ContractDay, tables: dict[str, pa.Table], owners: dict
) -> None:
    """The checks' counts, from the raw store read apart from the build (pyarrow, not SQL)."""
    result.records_claimed = int(pc.sum(uploads["records"]).as_py() or 0)
    result.records_counted = int(pc.sum(tables["event_types"]["records"]).as_py() or 0)
    result.terminals_uploading = len(set(uploads["tmid"].to_pylist()))
    result.terminals_in_activity = tables["terminal_activity"].num_rows
    seen = set()
    for name in TERMINAL_AGGREGATES:
        seen.update(tables[name]["tmid"].to_pylist())
    result.foreign_tmids = sorted(t for t in seen if owners.get(t) != result.support_id)
    if result.org_problem is None:
        names = tables["user_activity"]["name"]
        result.users_without_org = names.null_count


def load_org_info(contract: Contract) -> tuple[pl.DataFrame, str | None]:
    """The contract's organisation info, or an empty table and why it could not be used
    (no file configured is not a problem: users simply have no person columns)."""
    if not contract.org_info:
        return empty_org_info(), None
    try:
        return parse_org_info(dashboard_inputs.read_operator_file(contract.org_info)), None
    except FileNotFoundError:
        return empty_org_info(), f"organisation info not found: {contract.org_info}"
    except CsvError as exc:
        return empty_org_info(), f"{contract.org_info}: {exc}"


@dataclass(frozen=True)
class LedgerExport:
    support_id: str
    path: str  # relative to the delivery root
    terminals: int
    ledger_problem: str | None


def export_ledger(wh: Root, delivery: Root, contract: Contract) -> LedgerExport:
    """The contract's ledger CSV, written to the delivery root: each terminal's latest
    inventory in the dashboard's aggregates, joined with the asset-ledger columns the
    operator supplies."""
    sid = contract.support_id
    inventory = aggregates.read_aggregate(wh, "inventory", sid, dt.date.min, dt.date.max)
    ledger, problem = None, None
    if contract.asset_ledger:
        try:
            data = dashboard_inputs.read_operator_file(contract.asset_ledger)
            ledger = parse_asset_ledger(data)
        except FileNotFoundError:
            problem = f"asset ledger not found: {contract.asset_ledger}"
        except CsvError as exc:
            problem = f"{contract.asset_ledger}: {exc}"
    rows = ledger_rows(pl.from_arrow(inventory), ledger)
    path = dashboard_inputs.write_ledger_export(delivery, sid, ledger_csv_bytes(rows))
    return LedgerExport(sid, path, rows.height, problem)

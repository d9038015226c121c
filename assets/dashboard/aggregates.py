"""Asset group `dashboard` (the 360 dashboard's aggregates, per service day) and group
`clients` (the asset-ledger export)."""

from typing import TYPE_CHECKING

import dagster as dg

from assets.partitions import day_check, service_day_partitions
from assets.resources import ServiceStorage
from assets.retries import BUILD_RETRY, fails_once_on_configuration_error
from storage import layout
from transforms.service_day import parse_day

if TYPE_CHECKING:
    from assets.dashboard.build import ContractDay

# The build (Polars, DuckDB, PyArrow: half a second of imports) is imported by the steps that
# use it, not when the code location loads: every command and every step of another job loads
# this module (docs/performance.md, "A no-op command").

MATCHES_RAW = "dashboard_matches_raw"
TENANT_ISOLATED = "dashboard_tenant_isolated"
ORG_INFO_USED = "organisation_info_used"

_DESCRIPTIONS = {
    "terminal_activity": "Per day and TMID: computer name(s), records by type group, first "
    "and last record time, active hours, off-hours records, main user and organisation.",
    "user_activity": "Per day and user: records by type group, terminals, first and last "
    "record time, off-hours records, with the organisation info (name, title, company, "
    "organisation, mail).",
    "event_types": "Per day and event type: records, terminals, users.",
    "risk_operations": "Per day, TMID and user: copies/moves to removable drives, web "
    "uploads, mails with attachments or outside recipients, print pages, blocked USB "
    "devices, clipboard-to-file, writes to shares.",
    "off_hours": "Per day and user: records before 07:00, from 22:00, on weekends and on "
    "Japanese public holidays (Japan time).",
    "applications": "Per day and process: records, starts, terminals, users.",
    "web_domains": "Per day and domain: accesses, uploads, downloads, terminals, users.",
    "usb_devices": "Per day and VID:PID:serial: name, class, terminals, users, connects, "
    "disconnects, blocks, first and last seen.",
    "terminal_status": "Per day and TMID (every terminal seen in the raw year): last upload, "
    "agent version, state (`diagnosing` while a diagnostic bundle is pending), days silent, "
    "lost records (seq gaps).",
    "inventory": "Per day and TMID: the day's latest manufacturer, model, OS and build, IPs, "
    "MACs, drives, app count and latest update installed.",
}
AGGREGATE_ASSETS = {name: f"agg_{name}" for name in layout.AGGREGATES}


@dg.multi_asset(
    name="dashboard_day",
    specs=[
        dg.AssetSpec(
            key,
            group_name="dashboard",
            deps=["raw_uploads"],
            description=_DESCRIPTIONS[name],
            kinds={"parquet", "duckdb"},
        )
        for name, key in AGGREGATE_ASSETS.items()
    ],
    partitions_def=service_day_partitions,
    retry_policy=BUILD_RETRY,
    check_specs=[
        day_check(
            MATCHES_RAW,
            "agg_event_types",
            "Per contract, the event types count exactly the records the day's "
            "uploads declare, and terminal activity has one row per uploading terminal.",
        ),
        day_check(
            TENANT_ISOLATED,
            "agg_terminal_status",
            "No aggregate of a contract names a terminal another contract owns.",
        ),
        day_check(
            ORG_INFO_USED,
            "agg_user_activity",
            "Each contract's organisation info was readable (users without a row are counted).",
        ),
    ],
)
@fails_once_on_configuration_error
def dashboard_day(context: dg.AssetExecutionContext, storage: ServiceStorage):
    """The 360 dashboard's ten aggregates of one service day, for every contract: DuckDB SQL
    (`sql/agg_<name>.sql`) over that contract's raw records of the day, published under a
    new build id that replaces the day's previous build for readers at once. Rebuilding a
    day (backfill) replaces exactly that day."""
    from assets.dashboard import build as dashboard_build

    day = parse_day(context.partition_key)
    built = dashboard_build.build_day(
        storage.warehouse_root(), storage.load_contracts(), day, progress=context.log.info
    )
    # A build replaces the whole day, so these counts are the day's: no run delta to tell apart.
    for name, key in AGGREGATE_ASSETS.items():
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "rows": sum(b.rows[name] for b in built),
                "rows_by_contract": dg.MetadataValue.json(
                    {b.support_id: b.rows[name] for b in built}
                ),
                "path": layout.agg_table(name),
            },
        )
    yield _matches_raw(built)
    yield _tenant_isolated(built)
    yield _org_info_used(built)


def _matches_raw(built: list["ContractDay"]) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=MATCHES_RAW,
        asset_key="agg_event_types",
        passed=all(b.matches_raw for b in built),
        metadata={
            b.support_id: dg.MetadataValue.json(
                {
                    "records_claimed": b.records_claimed,
                    "records_counted": b.records_counted,
                    "terminals_uploading": b.terminals_uploading,
                    "terminals_in_activity": b.terminals_in_activity,
                    "build_id": b.build_id,
                }
            )
            for b in built
        },
    )


def _tenant_isolated(built: list["ContractDay"]) -> dg.AssetCheckResult:
    foreign = {b.support_id: b.foreign_tmids for b in built if b.foreign_tmids}
    return dg.AssetCheckResult(
        check_name=TENANT_ISOLATED,
        asset_key="agg_terminal_status",
        passed=not foreign,
        metadata={"foreign_tmids": dg.MetadataValue.json(foreign)},
    )


def _org_info_used(built: list["ContractDay"]) -> dg.AssetCheckResult:
    problems = {b.support_id: b.org_problem for b in built if b.org_problem}
    return dg.AssetCheckResult(
        check_name=ORG_INFO_USED,
        asset_key="agg_user_activity",
        passed=not problems,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "problems": dg.MetadataValue.json(problems),
            "users_without_org_row": dg.MetadataValue.json(
                {b.support_id: b.users_without_org for b in built}
            ),
        },
    )


@dg.asset(
    group_name="clients",
    deps=["agg_inventory"],
    kinds={"csv"},
    retry_policy=BUILD_RETRY,
)
@fails_once_on_configuration_error
def asset_ledger_export(
    context: dg.AssetExecutionContext, storage: ServiceStorage
) -> dg.MaterializeResult:
    """One ledger CSV per contract (`exports/ledger/<support_id>/ledger.csv` in the
    delivery root, the customer's storage, UTF-8 with BOM): each terminal's latest inventory
    in the dashboard joined with the asset-ledger columns from the contracts file."""
    wh, delivery = storage.warehouse_root(), storage.delivery_root()
    from assets.dashboard import build as dashboard_build

    exports = [dashboard_build.export_ledger(wh, delivery, c) for c in storage.load_contracts()]
    for export in exports:
        context.log.info(f"{export.support_id}: {export.path} ({export.terminals} terminals)")
    return dg.MaterializeResult(
        metadata={
            "contracts": len(exports),
            "terminals": sum(e.terminals for e in exports),
            "files": dg.MetadataValue.json({e.support_id: e.path for e in exports}),
            "ledger_problems": dg.MetadataValue.json(
                {e.support_id: e.ledger_problem for e in exports if e.ledger_problem}
            ),
        }
    )

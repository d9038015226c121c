"""Asset group `raw`: the one-year raw store, landed from the agents' inboxes."""

import dagster as dg

from assets.landing.land import LandingReport, land_day
from assets.partitions import day_check, service_day_partitions
from assets.resources import ServiceStorage
from assets.retries import LANDING_RETRY, fails_once_on_configuration_error
from storage import warehouse
from transforms.service_day import parse_day

ACCOUNTED = "inbox_files_accounted"
CONSISTENT = "day_rows_consistent"


@dg.asset(
    group_name="raw",
    partitions_def=service_day_partitions,
    pool="landing",
    kinds={"parquet"},
    retry_policy=LANDING_RETRY,
    check_specs=[
        day_check(
            ACCOUNTED,
            "raw_uploads",
            "Every inbox file this run saw ended in exactly one place.",
        ),
        day_check(
            CONSISTENT,
            "raw_uploads",
            "The day's uploads, records and rejects agree; no key twice.",
        ),
    ],
)
@fails_once_on_configuration_error
def raw_uploads(context: dg.AssetExecutionContext, storage: ServiceStorage) -> dg.MaterializeResult:
    """Uploads of one service day, landed from the inboxes into the one-year raw store:
    one row per upload with its original ZIP bytes, one per record, one per rejected record;
    bad uploads, conflicts and cross-contract TMIDs quarantined with a reason; duplicates
    counted and dropped; diagnostic bundles moved to the restricted area."""
    day = parse_day(context.partition_key)
    contracts = storage.contract_ids()
    wh = storage.warehouse_root()
    report = land_day(storage.inbox_root(), wh, contracts, day, progress=context.log.info)
    totals = warehouse.day_totals(wh, sorted(contracts), day)
    fates = warehouse.day_fates(wh, day)
    return dg.MaterializeResult(
        metadata=_run_metadata(report)
        | {f"day_{k}": v for k, v in totals.items()}
        | _day_fate_metadata(fates),
        check_results=[_accounted(report), _consistent(totals)],
    )


def _run_metadata(report: LandingReport) -> dict[str, object]:
    return {
        "files_seen": report.files_seen,
        "landed": report.outcomes["landed"],
        "duplicates": report.outcomes["duplicate"],
        "conflicts": report.quarantined_by_reason["conflict"],
        "quarantined": report.outcomes["quarantined"],
        "quarantined_by_reason": dg.MetadataValue.json(dict(report.quarantined_by_reason)),
        "diag_bundles_moved": report.outcomes["diag"],
        "records": report.records,
        "rejected_records": report.rejects,
        "rejects_by_reason": dg.MetadataValue.json(dict(report.rejects_by_reason)),
        "batches": report.batches,
        "recovered_batches": report.recovered.rolled_forward + report.recovered.rolled_back,
    }


def _day_fate_metadata(fates: dict) -> dict[str, object]:
    """Every run of this day so far: landed, duplicates, conflicts, quarantined by reason."""
    outcomes, quarantined = fates["outcomes"], fates["quarantined"]
    return {
        "day_landed": outcomes.get("landed", 0),
        "day_duplicates": outcomes.get("duplicate", 0),
        "day_conflicts": quarantined.get("conflict", 0),
        "day_quarantined": outcomes.get("quarantined", 0),
        "day_quarantined_by_reason": dg.MetadataValue.json(quarantined),
    }


def _accounted(report: LandingReport) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=ACCOUNTED,
        passed=report.accounted == report.files_seen,
        metadata={
            "files_seen": report.files_seen,
            "accounted": report.accounted,
            **{k: v for k, v in report.outcomes.items()},
        },
    )


def _consistent(totals: dict[str, int]) -> dg.AssetCheckResult:
    passed = (
        totals["records"] == totals["records_claimed_by_uploads"]
        and totals["rejects"] == totals["rejects_claimed_by_uploads"]
        and totals["uploads"] == totals["distinct_upload_keys"]
    )
    return dg.AssetCheckResult(check_name=CONSISTENT, passed=passed, metadata=totals)

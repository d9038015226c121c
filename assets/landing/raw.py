"""Asset group `raw`: the one-year raw store, landed from the agents' inboxes."""

import dagster as dg

from assets.landing.dead_runs import fail_dead_runs, name_worker, untold
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
    # No Dagster pool: the warehouse's landing lock alone keeps landings one at a time, and a
    # killed run never holds it (docs/decisions.md, "A killed landing never blocks the next").
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
    name_worker(context)
    told = fail_dead_runs(context.instance, context.run.run_id)
    for line in told.values():
        context.log.warning(line)
    report = land_day(
        storage.inbox_root(),
        wh,
        contracts,
        day,
        progress=untold(told, context.log.info),
        holder=f"run {context.run.run_id}",
    )
    totals = warehouse.day_totals(wh, sorted(contracts), day)
    fates = warehouse.day_fates(wh, day)
    # The day's totals first, then this run's own delta: Dagster shows metadata in this order,
    # and a re-send run's `run_records 0` must not read as the day's count.
    return dg.MaterializeResult(
        metadata=_day_metadata(totals, fates) | _run_metadata(report),
        check_results=[_accounted(report), _consistent(totals)],
    )


def _day_metadata(totals: dict[str, int], fates: dict) -> dict[str, object]:
    """Every run of this day so far: what the day holds, then how its files ended."""
    outcomes, quarantined = fates["outcomes"], fates["quarantined"]
    return {
        "day_uploads": totals["uploads"],
        "day_records": totals["records"],
        "day_rejects": totals["rejects"],
        "day_quarantined": outcomes.get("quarantined", 0),
        "day_duplicates": outcomes.get("duplicate", 0),
        "day_landed": outcomes.get("landed", 0),
        "day_conflicts": quarantined.get("conflict", 0),
        "day_quarantined_by_reason": dg.MetadataValue.json(quarantined),
        "day_distinct_upload_keys": totals["distinct_upload_keys"],
        "day_records_claimed_by_uploads": totals["records_claimed_by_uploads"],
        "day_rejects_claimed_by_uploads": totals["rejects_claimed_by_uploads"],
    }


def _run_metadata(report: LandingReport) -> dict[str, object]:
    """This run's own delta: the inbox files it saw and where each ended."""
    return {
        "run_files_seen": report.files_seen,
        "run_landed": report.outcomes["landed"],
        "run_records": report.records,
        "run_rejected_records": report.rejects,
        "run_quarantined": report.outcomes["quarantined"],
        "run_duplicates": report.outcomes["duplicate"],
        "run_conflicts": report.quarantined_by_reason["conflict"],
        "run_quarantined_by_reason": dg.MetadataValue.json(dict(report.quarantined_by_reason)),
        "run_rejects_by_reason": dg.MetadataValue.json(dict(report.rejects_by_reason)),
        "run_diag_bundles_moved": report.outcomes["diag"],
        "run_batches": report.batches,
        "run_recovered_batches": report.recovered.rolled_forward + report.recovered.rolled_back,
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

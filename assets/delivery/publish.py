"""Asset group `delivery` and the spot-service jobs: the ZIP files customers download."""

import datetime as dt

import dagster as dg

from assets.delivery import build as deliverables
from assets.delivery.build import Refusal, Roots
from assets.partitions import day_check, service_day_partitions
from assets.resources import Clock, Notifier, ServiceStorage
from assets.retries import BUILD_RETRY, STORAGE_RETRY, fails_once_on_configuration_error
from assets.run_summary import plural, summarised
from storage import deliverable_files
from transforms.retention_windows import DELIVERABLE_DAYS
from transforms.service_day import parse_day, parse_instant

NO_LATE = "no_late_uploads"


class DailyConfig(dg.Config):
    republish: bool = False


def _roots(storage: ServiceStorage) -> Roots:
    return Roots(storage.warehouse_root(), storage.delivery_root())


def _not_notified(context: dg.OpExecutionContext, built: list[deliverables.Built]) -> list[str]:
    """Files published without a notice (the contract has no `notify_to`): said loudly, since
    the customer hears of them from no one else."""
    silent = [b.url for b in built if not b.notified]
    for url in silent:
        context.log.warning(f"{url}: published, but its contract has no notify_to: no notice")
    return silent


@dg.asset(
    group_name="delivery",
    partitions_def=service_day_partitions,
    deps=["raw_uploads"],
    kinds={"zip"},
    retry_policy=BUILD_RETRY,
    check_specs=[
        day_check(
            NO_LATE,
            "daily_deliverable",
            "No upload of the day landed after its daily file was published.",
        )
    ],
)
@fails_once_on_configuration_error
def daily_deliverable(
    context: dg.AssetExecutionContext,
    config: DailyConfig,
    storage: ServiceStorage,
    clock: Clock,
    notifier: Notifier,
) -> dg.MaterializeResult:
    """The log-download option's daily file `<D>.zip` of every contract with the option:
    the day's original uploads, byte for byte, under `<D>/<computer>/`. A published file is
    not rewritten (unless `republish`); uploads landing after it are reported as late."""
    day = parse_day(context.partition_key)
    try:
        run = deliverables.publish_daily_files(
            _roots(storage),
            storage.load_contracts(),
            day,
            clock.now(),
            notifier.sender(),
            republish=config.republish,
            log=context.log.info,
        )
    except Refusal as exc:  # too early: the same run would be refused again, so no retry
        raise dg.Failure(description=f"not published: {exc}", allow_retries=False) from exc
    published, skipped, empty, late = run.published, run.already_published, run.no_uploads, run.late
    # The day's state first (its files in the customers' folders, its late uploads), then what
    # this run published: a second run shows `run_published 0` below `day_daily_files 2`.
    return dg.MaterializeResult(
        metadata={
            "day_daily_files": len(published) + len(skipped),
            "day_late_uploads": sum(len(v) for v in late.values()),
            "day_contracts_without_uploads": dg.MetadataValue.json(empty),
            "run_published": len(published),
            "run_uploads": sum(b.publication.uploads for b in published),
            "run_bytes": sum(b.publication.size for b in published),
            "run_files": dg.MetadataValue.json(
                {b.publication.support_id: b.url for b in published}
            ),
            "run_found_published": dg.MetadataValue.json(skipped),
            "run_not_notified": dg.MetadataValue.json(_not_notified(context, published)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name=NO_LATE,
                passed=not late,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"late_uploads": dg.MetadataValue.json(late)},
            )
        ],
    )


class Spot30Config(dg.Config):
    support_id: str
    first_day: str
    last_day: str


class Spot1YearConfig(dg.Config):
    support_id: str
    tmid: str
    computer: str
    provided_day: str | None = None


class ExpireConfig(dg.Config):
    now: str | None = None  # ISO 8601 instant; default: the clock


def order_day(field: str, value: str) -> dt.date:
    """A day of an order's config; a wrong one is refused naming the field and the value."""
    try:
        return parse_day(value)
    except ValueError:
        raise ValueError(f"{field}: {value!r} is not a day YYYY-MM-DD") from None


def _refused(fn):
    """Turn a Refusal into a run failure whose message is the reason (never retried: the
    same order would be refused again)."""
    try:
        return fn()
    except (Refusal, ValueError) as exc:
        raise dg.Failure(description=f"order refused: {exc}", allow_retries=False) from exc
    except dg.Failure as exc:
        raise dg.Failure(description=exc.description, allow_retries=False) from exc


@dg.op(name="spot_30_days", retry_policy=STORAGE_RETRY)
@fails_once_on_configuration_error
def spot_30_days_op(
    context: dg.OpExecutionContext,
    config: Spot30Config,
    storage: ServiceStorage,
    clock: Clock,
    notifier: Notifier,
) -> dg.Output:
    """One `<D>_SP.zip` per day of a range of at most 30 days that has uploads."""
    contract = _refused(lambda: storage.contract(config.support_id))
    built = _refused(
        lambda: deliverables.spot_30_days(
            _roots(storage),
            contract,
            order_day("first_day", config.first_day),
            order_day("last_day", config.last_day),
            clock.now(),
            notifier.sender(),
        )
    )
    for b in built:
        context.log.info(f"{b.url}: {b.publication.uploads} uploads")
    if not built:
        context.log.warning(
            f"{config.support_id}: no upload from {config.first_day} to {config.last_day}, "
            "so no file"
            + ("; the contract was told" if contract.notify_to else " (and no notify_to)")
        )
    days_without = built[0].publication.days_without_data if built else []
    return dg.Output(
        None,
        metadata={
            "files": dg.MetadataValue.json([b.url for b in built]),
            "uploads": sum(b.publication.uploads for b in built),
            "days_without_data": dg.MetadataValue.json([d.isoformat() for d in days_without]),
            "not_notified": dg.MetadataValue.json(_not_notified(context, built)),
        },
    )


@dg.op(name="spot_1_year", retry_policy=STORAGE_RETRY)
@fails_once_on_configuration_error
def spot_1_year_op(
    context: dg.OpExecutionContext,
    config: Spot1YearConfig,
    storage: ServiceStorage,
    clock: Clock,
    notifier: Notifier,
) -> dg.Output:
    """`<TMID>_AllData_<P>.zip`: a year of one terminal, checked against its computer name."""
    contract = _refused(lambda: storage.contract(config.support_id))
    provided = _refused(
        lambda: order_day("provided_day", config.provided_day) if config.provided_day else None
    )
    deliverable_files.clean_staging(storage.delivery_root())
    built = _refused(
        lambda: deliverables.spot_1_year(
            _roots(storage),
            contract,
            config.tmid,
            config.computer,
            provided,
            clock.now(),
            notifier.sender(),
        )
    )
    context.log.info(f"{built.url}: {built.publication.uploads} uploads")
    return dg.Output(
        None,
        metadata={
            "file": built.url,
            "uploads": built.publication.uploads,
            "bytes": built.publication.size,
            "sha256": built.publication.sha256,
            "not_notified": dg.MetadataValue.json(_not_notified(context, [built])),
        },
    )


@dg.op(name="expire_deliverables", retry_policy=STORAGE_RETRY)
@fails_once_on_configuration_error
def expire_deliverables_op(
    context: dg.OpExecutionContext, config: ExpireConfig, storage: ServiceStorage, clock: Clock
) -> dg.Output:
    """Delete deliverables published more than 30 days ago."""
    now = parse_instant(config.now) if config.now else clock.now()
    deleted = deliverables.expire(_roots(storage), now)
    for path in deleted:
        context.log.info(f"deleted {path}")
    by = f"{DELIVERABLE_DAYS} days after publication, by {now.isoformat()}"
    summary = (
        f"deleted {plural(len(deleted), 'deliverable')} {by}"
        if deleted
        else f"nothing to delete: no deliverable reached {by}"
    )
    return summarised(summary, {"deleted": len(deleted), "paths": dg.MetadataValue.json(deleted)})

"""Asset group `delivery` and the spot-service jobs: the ZIP files customers download."""

import datetime as dt

import dagster as dg

from assets import deliverables
from assets.deliverables import Refusal, Roots
from pipelines.partitions import service_day_partitions
from pipelines.resources import Clock, Notifier, ServiceStorage
from storage import publications
from transforms.service_day import parse_day

NO_LATE = "no_late_uploads"


class DailyConfig(dg.Config):
    republish: bool = False


def _roots(storage: ServiceStorage) -> Roots:
    return Roots(storage.warehouse_root(), storage.delivery_root())


@dg.asset(
    group_name="delivery",
    partitions_def=service_day_partitions,
    deps=["raw_uploads"],
    kinds={"zip"},
    retry_policy=dg.RetryPolicy(max_retries=2, delay=30),
    check_specs=[
        dg.AssetCheckSpec(
            NO_LATE,
            asset="daily_deliverable",
            description="No upload of the day landed after its daily file was published.",
        )
    ],
)
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
    roots, now, sender = _roots(storage), clock.now(), notifier.sender()
    publications.ensure_anchors(roots.warehouse)
    deliverables.clean_staging(roots.delivery)
    published, skipped, empty, late = [], [], [], {}
    for contract in storage.load_contracts():
        if not contract.daily_option:
            continue
        sid = contract.support_id
        already = deliverables.published_daily(roots, sid, day).num_rows > 0
        if already and not config.republish:
            skipped.append(sid)
            late_keys = deliverables.detect_late_uploads(roots, sid, day, now)
            if late_keys:
                late[sid] = late_keys
            continue
        built = deliverables.daily_file(
            roots, contract, day, now, sender, republish=config.republish
        )
        if built is None:
            empty.append(sid)
            continue
        published.append(built)
        context.log.info(
            f"{sid}: {built.url} ({built.publication.uploads} uploads, "
            f"{built.publication.size} bytes)"
        )
    return dg.MaterializeResult(
        metadata={
            "published": len(published),
            "files": dg.MetadataValue.json({b.publication.support_id: b.url for b in published}),
            "uploads": sum(b.publication.uploads for b in published),
            "bytes": sum(b.publication.size for b in published),
            "already_published": dg.MetadataValue.json(skipped),
            "no_uploads": dg.MetadataValue.json(empty),
            "late_uploads": sum(len(v) for v in late.values()),
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


def _refused(fn):
    """Turn a Refusal into a run failure whose message is the reason."""
    try:
        return fn()
    except (Refusal, ValueError) as exc:
        raise dg.Failure(description=f"order refused: {exc}") from exc


@dg.op(name="spot_30_days")
def spot_30_days_op(
    context: dg.OpExecutionContext,
    config: Spot30Config,
    storage: ServiceStorage,
    clock: Clock,
    notifier: Notifier,
) -> dg.Output:
    """One `<D>_SP.zip` per day of a range of at most 30 days that has uploads."""
    contract = storage.contract(config.support_id)
    built = _refused(
        lambda: deliverables.spot_30_days(
            _roots(storage),
            contract,
            dt.date.fromisoformat(config.first_day),
            dt.date.fromisoformat(config.last_day),
            clock.now(),
            notifier.sender(),
        )
    )
    for b in built:
        context.log.info(f"{b.url}: {b.publication.uploads} uploads")
    days_without = built[0].publication.days_without_data if built else []
    return dg.Output(
        None,
        metadata={
            "files": dg.MetadataValue.json([b.url for b in built]),
            "uploads": sum(b.publication.uploads for b in built),
            "days_without_data": dg.MetadataValue.json([d.isoformat() for d in days_without]),
        },
    )


@dg.op(name="spot_1_year")
def spot_1_year_op(
    context: dg.OpExecutionContext,
    config: Spot1YearConfig,
    storage: ServiceStorage,
    clock: Clock,
    notifier: Notifier,
) -> dg.Output:
    """`<TMID>_AllData_<P>.zip`: a year of one terminal, checked against its computer name."""
    contract = storage.contract(config.support_id)
    provided = dt.date.fromisoformat(config.provided_day) if config.provided_day else None
    deliverables.clean_staging(storage.delivery_root())
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
        },
    )


@dg.op(name="expire_deliverables")
def expire_deliverables_op(
    context: dg.OpExecutionContext, config: ExpireConfig, storage: ServiceStorage, clock: Clock
) -> dg.Output:
    """Delete deliverables published more than 30 days ago."""
    now = dt.datetime.fromisoformat(config.now).astimezone(dt.UTC) if config.now else clock.now()
    deleted = deliverables.expire(_roots(storage), now)
    for path in deleted:
        context.log.info(f"deleted {path}")
    return dg.Output(
        None, metadata={"deleted": len(deleted), "paths": dg.MetadataValue.json(deleted)}
    )


# Each job's op carries the job's own name (run config `ops: {spot_30_days: ...}`), so the
# graph behind it needs another name: Dagster keeps op and graph names unique.
@dg.graph(name="spot_30_days_graph")
def _spot_30_days_graph():
    spot_30_days_op()


@dg.graph(name="spot_1_year_graph")
def _spot_1_year_graph():
    spot_1_year_op()


@dg.graph(name="expire_deliverables_graph")
def _expire_deliverables_graph():
    expire_deliverables_op()


spot_30_days = _spot_30_days_graph.to_job(
    name="spot_30_days", description="Log spot service, 30 days (all terminals)."
)
spot_1_year = _spot_1_year_graph.to_job(
    name="spot_1_year", description="Log spot service, 1 year (one terminal)."
)
expire_deliverables = _expire_deliverables_graph.to_job(
    name="expire_deliverables", description="Delete deliverables 30 days after publication."
)

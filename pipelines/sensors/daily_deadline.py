"""The daily-deliverable deadline sensor: one operator notice per daily file not in the
customer's folder by its deadline (D+2 at the publication time, plus a grace period)."""

import datetime as dt
import json

import dagster as dg
from dagster._utils.schedules import cron_string_iterator

from assets.partitions import FIRST_SERVICE_DAY
from assets.resources import Clock, Notifier, ServiceStorage
from pipelines import notices
from storage import layout, sensor_reads
from storage.contracts import Contract
from transforms import daily_deadline as deadlines
from transforms.service_day import JST, service_day_of_instant


def daily_deadline(day: dt.date, publish_cron: str, grace: dt.timedelta) -> dt.datetime:
    """When service day D's daily file must exist: the publication schedule's first tick on
    D+2 (Japan time; the schedule publishes D on D+2), plus the grace period. Dagster's own
    cron iterator, so the deadline follows the schedule's ticks exactly."""
    d2 = dt.datetime.combine(day + dt.timedelta(days=2), dt.time(0), tzinfo=JST)
    tick = next(cron_string_iterator(d2.timestamp(), publish_cron, "Asia/Tokyo"))
    return tick.astimezone(dt.UTC) + grace


def missing_daily_files(
    storage: ServiceStorage,
    now: dt.datetime,
    publish_cron: str,
    grace: dt.timedelta,
    lookback_days: int = 7,
) -> list[tuple[Contract, dt.date, dt.datetime, str]]:
    """(contract, day, deadline, what was found) for every daily file past its deadline that
    is not in the customer's folder, over the last `lookback_days` service days
    (`transforms.daily_deadline.missing_days`)."""
    today = service_day_of_instant(now)
    first = dt.date.fromisoformat(FIRST_SERVICE_DAY)
    days = deadlines.days_to_watch(today, first, lookback_days)
    due = deadlines.past_deadline({d: daily_deadline(d, publish_cron, grace) for d in days}, now)
    if not due:
        return []
    wh, delivery, inbox = storage.warehouse_root(), storage.delivery_root(), storage.inbox_root()
    contracts = storage.load_contracts()
    ids = frozenset(c.support_id for c in contracts)
    missing = []
    for contract in contracts:
        if not contract.daily_option:
            continue
        sid = contract.support_id
        waiting = deadlines.waiting_uploads(sensor_reads.contract_inbox_files(inbox, sid), ids)
        expiry = deadlines.daily_expiry(sensor_reads.daily_publications(wh, sid))
        published, unpublished = deadlines.days_to_check(due, expiry, now)
        in_folder = {d: sensor_reads.daily_file_in_folder(delivery, sid, d) for d in published}
        landed = {d: sensor_reads.landed_upload_count(wh, sid, d) for d in unpublished}
        for day, why in deadlines.missing_days(in_folder, landed, waiting):
            missing.append((contract, day, due[day], why))
    return missing


def build_daily_deadline_sensor(
    interval_seconds: int,
    publish_cron: str,
    grace: dt.timedelta,
    status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
) -> dg.SensorDefinition:
    """`status`: the default the Definitions pass (pipelines/automation.py)."""

    @dg.sensor(
        name="daily_deliverable_deadline",
        minimum_interval_seconds=interval_seconds,
        default_status=status,
        description="Sends the operator one notice per daily file not in the customer's folder "
        "by its deadline (D+2 at the publication time, plus a grace period).",
    )
    def daily_deliverable_deadline(
        context: dg.SensorEvaluationContext,
        storage: ServiceStorage,
        clock: Clock,
        notifier: Notifier,
    ):
        now = clock.now()
        notified = set(json.loads(context.cursor)["notified"]) if context.cursor else set()
        missing = missing_daily_files(storage, now, publish_cron, grace)
        sent = []
        for contract, day, deadline, why in missing:
            key = deadlines.notice_key(contract.support_id, day)
            if key in notified:
                continue
            notifier.sender().send(
                notices.missing_daily_file(
                    support_id=contract.support_id,
                    day=day,
                    deadline=deadline,
                    why=why,
                    file_path=layout.daily_file(contract.support_id, day),
                )
            )
            notified.add(key)
            sent.append(key)
            # the cursor after each notice: a tick cut short never notifies twice
            context.update_cursor(json.dumps({"notified": sorted(notified)}))
        kept = deadlines.notices_to_keep(notified, service_day_of_instant(now))
        context.update_cursor(json.dumps({"notified": kept}))
        if sent:
            return dg.SkipReason(f"notified the operator of {len(sent)} missing: {sent}")
        return dg.SkipReason(f"no daily file past its deadline is missing ({len(missing)} known)")

    return daily_deliverable_deadline

"""Job `compact_raw`: merge each terminal-day's raw part files into one (`storage/compaction.py`).

    run config (optional): ops.compact_raw.config = {days_back: 7} or {day: "2024-03-18"}

By default the closed service days of the last week, every contract: the night's run merges
the day that just closed (before its dashboard build) and the parts late uploads added to the
days before. Re-running is safe: a folder with one part is left as it is.
"""

import datetime as dt

import dagster as dg

from assets.resources import Clock, ServiceStorage
from assets.retries import STORAGE_RETRY, fails_once_on_configuration_error
from assets.run_summary import plural, summarised
from storage import compaction, warehouse
from transforms.service_day import parse_day, service_day_of_instant


class CompactConfig(dg.Config):
    days_back: int = 7  # the closed service days before today's, this many
    day: str = ""  # one service day instead (YYYY-MM-DD), closed or not


@dg.op(name="compact_raw", retry_policy=STORAGE_RETRY)
@fails_once_on_configuration_error
def compact_raw_op(
    context: dg.OpExecutionContext, config: CompactConfig, storage: ServiceStorage, clock: Clock
) -> dg.Output:
    """Merge the raw parts of each (table, contract, day, TMID) folder into one part."""
    wh = storage.warehouse_root()
    if config.day:
        days = [parse_day(config.day)]
    else:
        today = service_day_of_instant(clock.now())
        days = [today - dt.timedelta(n) for n in range(config.days_back, 0, -1)]
    done = [
        compaction.compact_day(wh, support_id, day)
        for support_id in warehouse.raw_support_ids(wh)
        for day in days
    ]
    for c in done:
        if c.folders or c.recovered:
            context.log.info(
                f"{c.support_id} {c.day}: {c.parts_replaced} parts merged into {c.folders}"
                + (f"; {c.recovered} interrupted compactions settled" if c.recovered else "")
            )
    return summarised(
        _summary(done, days),
        {
            "folders_merged": sum(c.folders for c in done),
            "parts_replaced": sum(c.parts_replaced for c in done),
            "rows_merged": sum(c.rows for c in done),
            "days_merged": len({c.day for c in done if c.folders}),
            "interrupted_settled": sum(c.recovered for c in done),
            "days": dg.MetadataValue.json([d.isoformat() for d in days]),
        },
    )


def _span(days: list[dt.date]) -> str:
    """`2024-03-15 to 2024-03-21`, the one day, or `no day` (`days_back: 0`)."""
    if not days:
        return "no day"
    return f"{days[0]}" if len(days) == 1 else f"{days[0]} to {days[-1]}"


def _summary(done: list[compaction.Compacted], days: list[dt.date]) -> str:
    span = _span(days)
    folders = sum(c.folders for c in done)
    settled = sum(c.recovered for c in done)
    after = f"; {plural(settled, 'interrupted compaction')} settled" if settled else ""
    if not folders:
        return f"nothing to merge: each terminal-day of {span} is one part{after}"
    merged_days = len({c.day for c in done if c.folders})
    return (
        f"merged {plural(sum(c.parts_replaced for c in done), 'part')} "
        f"({plural(sum(c.rows for c in done), 'row')}) into {plural(folders, 'part')}, "
        f"{plural(merged_days, 'service day')} of {span}{after}"
    )

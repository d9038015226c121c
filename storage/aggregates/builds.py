"""The builds of an aggregate's contract-day: writing one, choosing the current one, and
deleting those a newer build superseded.

One file per aggregate, contract, service day and build (`layout.agg_part`). A file is written
once, atomically (`Root.write_bytes`), and never rewritten: DuckDB opens a Parquet file several
times during one query, so a file replaced in place can be read half old, half new. A rebuild
therefore adds a file under a new, greater build id, and every reader takes, for each
(contract, day), the file with the greatest build id it can see. A reader thus sees a day's
aggregate either wholly as it was or wholly as rebuilt, never half, and is never blocked.

Superseded files are deleted only once they have been superseded for `SUPERSEDED_GRACE` (real
time), so that a reader that chose them just before the rebuild can still open them. The ten
aggregates of a day each switch on their own (one file each), not together; see
docs/decisions.md.

Part of the package `storage.aggregates` (see its `__init__`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from storage import layout, parquet
from storage.aggregates.files import files_with_times, read_file
from storage.aggregates.schemas import conform
from storage.roots import Root, is_temporary

SUPERSEDED_GRACE = dt.timedelta(minutes=10)


def write_aggregate(
    warehouse: Root, name: str, support_id: str, day: dt.date, build_id: str, table: pa.Table
) -> str:
    """Publish one build of one aggregate of a contract-day (a new file, written atomically)."""
    rel = layout.agg_part(name, support_id, day, build_id)
    parquet.write_table(warehouse, rel, conform(name, table))
    return rel


@dataclass(frozen=True)
class Part:
    """One stored build of one aggregate of a contract-day."""

    rel: str
    name: str
    support_id: str
    day: dt.date
    build_id: str
    modified: float  # POSIX seconds: when the file appeared


def _folder(name: str, support_id: str | None, day: dt.date | None) -> str:
    if support_id and day:
        return layout.agg_day(name, support_id, day)
    return layout.agg_contract(name, support_id) if support_id else layout.agg_table(name)


def list_parts(
    warehouse: Root, name: str, support_id: str | None = None, day: dt.date | None = None
) -> list[Part]:
    """Every stored build file of an aggregate (one contract-day, one contract, or all),
    anchors excluded."""
    return parts_of(name, files_with_times(warehouse, _folder(name, support_id, day)))


def parts_of(name: str, files: list[tuple[str, float]]) -> list[Part]:
    """The build files among `files` (path, modification time) of aggregate `name`: anchors,
    copies, temporaries and folders that are not a contract's are left out."""
    parts = []
    for rel, modified in files:
        if not layout.is_parquet_part(rel):
            continue
        sid = layout.hive_value(rel, "support_id")
        day = layout.hive_value(rel, "day")
        if sid is None or day is None or not layout.is_contract_partition(sid):
            continue
        parts.append(
            Part(rel, name, sid, dt.date.fromisoformat(day), layout.part_name_id(rel), modified)
        )
    return parts


def current_parts(parts: Iterable[Part]) -> list[Part]:
    """The part with the greatest build id of each (aggregate, contract, day)."""
    best: dict[tuple[str, str, dt.date], Part] = {}
    for part in parts:
        key = (part.name, part.support_id, part.day)
        if key not in best or part.build_id > best[key].build_id:
            best[key] = part
    return sorted(best.values(), key=lambda p: (p.name, p.support_id, p.day))


def current_build_uploads(warehouse: Root, support_id: str, day: dt.date) -> tuple[str, int] | None:
    """(current build id, uploads it counted) of a contract-day's dashboard, from its
    terminal activity (one row per uploading terminal, with its day's upload count); None
    when the day was never built for the contract."""
    parts = current_parts(list_parts(warehouse, "terminal_activity", support_id, day))
    if not parts:
        return None
    table, _metadata = read_file(warehouse, parts[0].rel, ["uploads"])
    return parts[0].build_id, int(pc.sum(table["uploads"]).as_py() or 0)


def superseded_parts(
    parts: Iterable[Part], now: float, grace: dt.timedelta = SUPERSEDED_GRACE
) -> list[Part]:
    """Parts that a newer build of their day replaced at least `grace` ago."""
    by_day: dict[tuple[str, str, dt.date], list[Part]] = {}
    for part in parts:
        by_day.setdefault((part.name, part.support_id, part.day), []).append(part)
    old = []
    for builds in by_day.values():
        builds.sort(key=lambda p: p.build_id)
        for i, part in enumerate(builds[:-1]):
            replaced_at = min(newer.modified for newer in builds[i + 1 :])
            if now - replaced_at >= grace.total_seconds():
                old.append(part)
    return old


def remove_superseded(
    warehouse: Root,
    support_id: str | None = None,
    day: dt.date | None = None,
    grace: dt.timedelta = SUPERSEDED_GRACE,
) -> list[str]:
    """Delete superseded builds (of one contract-day, one contract, or everything) and
    temporaries left by killed writers; returns the deleted paths. Uses real time: the grace
    protects readers in flight, whatever the pipeline's clock says."""
    now = time.time()
    doomed: list[str] = []
    for name in layout.AGGREGATES:
        files = files_with_times(warehouse, _folder(name, support_id, day))
        parts = parts_of(name, files)
        if day is not None:
            parts = [p for p in parts if p.day == day]
        doomed += [p.rel for p in superseded_parts(parts, now, grace)]
        doomed += stale_temporaries(files, now, grace)
    warehouse.delete_many(doomed)
    return doomed


def stale_temporaries(
    files: list[tuple[str, float]], now: float, grace: dt.timedelta = SUPERSEDED_GRACE
) -> list[str]:
    """Hidden temporaries that killed writers left, once no running writer can own them."""
    return [
        rel
        for rel, modified in files
        if is_temporary(rel) and now - modified >= grace.total_seconds()
    ]

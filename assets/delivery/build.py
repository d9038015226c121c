"""Build the customer deliverables from the raw store: the daily file and the two spot files.

Plans the entries from upload metadata, then streams the outer ZIP into the delivery root,
fetching each original upload's bytes when its turn comes; records the publication and sends
its notice. Every refusal happens before anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from storage import deliverable_files, layout, publications, upload_bytes
from storage.contracts import Contract
from storage.notices import Notice, Sender
from storage.roots import Root
from transforms.folder_names import safe_folder_name
from transforms.names import parse_sent15
from transforms.retention_windows import DELIVERABLE_DAYS, retained_window
from transforms.service_day import JST, japan_today
from transforms.zipbuild import PlannedEntry, PlannedFile, ZipSummary, build_zip, plan_entries

MAX_SPOT_DAYS = 30
# The uploads columns a plan needs (`_planned`), in the order it takes them.
_PLAN = ["tmid", "upload_key", "sent15", "upload_id", "computer"]


class Refusal(ValueError):
    """An order that cannot be served; the message says exactly why. Nothing was written."""


@dataclass(frozen=True)
class Roots:
    warehouse: Root
    delivery: Root


@dataclass(frozen=True)
class Built:
    publication: publications.Publication
    url: str
    notified: bool = True  # False: the contract has no `notify_to`, so no notice went out


# Service day D (D 05:00 to D+1 05:00, Japan time) is published on D+2, never before: a file
# published early would miss the day's last uploads for good (a published file is not
# rewritten), whoever starts the run (a backfill over every partition, a manual run).
PUBLISHED_DAYS_AFTER = 2


def publication_date(day: dt.date) -> dt.date:
    """The Japan calendar date from which service day `day`'s daily file may be published."""
    return day + dt.timedelta(days=PUBLISHED_DAYS_AFTER)


def daily_file(
    roots: Roots,
    contract: Contract,
    day: dt.date,
    now: dt.datetime,
    sender: Sender,
    *,
    republish: bool = False,
) -> Built | None:
    """`<D>.zip` for one contract; None when the day has no upload (no file)."""
    meta = upload_bytes.upload_meta(roots.warehouse, contract.support_id, day, columns=_PLAN)
    if meta.num_rows == 0:
        return None
    files = _planned(meta, day, lambda computer: (day.isoformat(), safe_folder_name(computer)))
    entries = plan_entries(files)
    order = Order(
        kind="daily",
        file_name=layout.daily_file_name(day),
        service_days=[day],
        request={"day": day.isoformat(), "republish": republish},
        upload_keys=sorted(meta["upload_key"].to_pylist()),
    )
    return _publish(
        roots,
        contract,
        order,
        entries=entries,
        partitions=_partitions_of(entries),
        now=now,
        sender=sender,
    )


@dataclass
class DailyRun:
    """What one run of the daily publication did, contract by contract."""

    published: list[Built] = field(default_factory=list)
    already_published: list[str] = field(default_factory=list)
    no_uploads: list[str] = field(default_factory=list)
    late: dict[str, list[str]] = field(default_factory=dict)  # support_id -> late upload keys


def publish_daily_files(
    roots: Roots,
    contracts: Iterable[Contract],
    day: dt.date,
    now: dt.datetime,
    sender: Sender,
    *,
    republish: bool = False,
    log: Callable[[str], None] = lambda _msg: None,
) -> DailyRun:
    """The daily files of day D for every contract with the option. A published file is not
    rewritten (unless `republish`); uploads landing after it are reported as late.

    Each (contract, day) is published under its lock, so two runs of the same day started
    together publish one file, one record and one notice (the second finds it published).
    Before D+2 (Japan time) it refuses: nothing is written."""
    if japan_today(now) < publication_date(day):
        raise Refusal(
            f"service day {day} is published from {publication_date(day)} (Japan time), and it"
            f" is {now.astimezone(JST):%Y-%m-%d %H:%M} there: the day's last uploads may still"
            " be on their way, and a published file is never rewritten"
        )
    publications.ensure_anchors(roots.warehouse)
    deliverable_files.clean_staging(roots.delivery)
    publications.delete_stale_temporaries(roots.warehouse)
    run = DailyRun()
    for contract in contracts:
        if not contract.daily_option:
            continue
        sid = contract.support_id
        with deliverable_files.daily_file_lock(roots.warehouse, sid, day, log):
            if published_daily(roots, sid, day).num_rows > 0 and not republish:
                run.already_published.append(sid)
                late_keys = detect_late_uploads(roots, sid, day, now)
                if late_keys:
                    run.late[sid] = late_keys
                continue
            built = daily_file(roots, contract, day, now, sender, republish=republish)
        if built is None:
            run.no_uploads.append(sid)
            continue
        run.published.append(built)
        pub = built.publication
        log(f"{sid}: {built.url} ({pub.uploads} uploads, {pub.size} bytes)")
    return run


def published_daily(roots: Roots, support_id: str, day: dt.date) -> pa.Table:
    """Publication records of the daily file of a day (newest last)."""
    pubs = publications.all_publications(roots.warehouse, support_id)
    mask = [
        k == "daily" and n == layout.daily_file_name(day)
        for k, n in zip(pubs["kind"].to_pylist(), pubs["file_name"].to_pylist(), strict=True)
    ]
    return pubs.filter(pa.array(mask, pa.bool_())).sort_by("published_at")


def detect_late_uploads(roots: Roots, support_id: str, day: dt.date, now: dt.datetime) -> list[str]:
    """Uploads of a published day that landed after its daily file; recorded once each."""
    pubs = published_daily(roots, support_id, day)
    if pubs.num_rows == 0:
        return []
    last = pubs.slice(pubs.num_rows - 1).to_pylist()[0]
    published = publications.published_upload_keys(last)
    known = publications.late_upload_keys(roots.warehouse, support_id, day)
    landed = upload_bytes.upload_meta(roots.warehouse, support_id, day, columns=["upload_key"])
    current = landed["upload_key"].to_pylist()
    new = sorted(set(current) - published - known)
    if new:
        detection = hashlib.sha256("\0".join(new).encode()).hexdigest()[:16]
        publications.record_late_uploads(
            roots.warehouse, support_id, day, new, last["publication_id"], now, detection
        )
    return sorted(set(current) - published)


def spot_30_days(
    roots: Roots,
    contract: Contract,
    first_day: dt.date,
    last_day: dt.date,
    now: dt.datetime,
    sender: Sender,
) -> list[Built]:
    """One `<D>_SP.zip` per day of the range that has uploads."""
    if last_day < first_day:
        raise Refusal(f"last_day {last_day} is before first_day {first_day}")
    days = (last_day - first_day).days + 1
    if days > MAX_SPOT_DAYS:
        raise Refusal(
            f"{first_day}..{last_day} is {days} days; the 30-day spot service "
            f"covers at most {MAX_SPOT_DAYS} consecutive days"
        )
    oldest, newest = retained_window(now)
    if first_day < oldest or last_day > newest:
        raise Refusal(f"{first_day}..{last_day} is outside the retained year ({oldest}..{newest})")
    request = {"first_day": first_day.isoformat(), "last_day": last_day.isoformat()}
    range_days = [first_day + dt.timedelta(days=i) for i in range(days)]
    metas = {
        d: upload_bytes.upload_meta(roots.warehouse, contract.support_id, d, columns=_PLAN)
        for d in range_days
    }
    empty = [d for d, m in metas.items() if m.num_rows == 0]
    built = []
    for day, meta in metas.items():
        if meta.num_rows:
            files = _planned(meta, day, lambda computer: (safe_folder_name(computer),))
            entries = plan_entries(files)
            order = Order(
                kind="spot_30_days",
                file_name=layout.spot_30_days_file_name(day),
                service_days=[day],
                request=request,
                days_without_data=empty,
            )
            built.append(
                _publish(
                    roots,
                    contract,
                    order,
                    entries=entries,
                    partitions=_partitions_of(entries),
                    now=now,
                    sender=sender,
                )
            )
    if not built and contract.notify_to:
        # No day of the range has an upload, so no file: the customer still hears back.
        sender.send(_no_data_notice(contract, first_day, last_day, now))
    return built


def spot_1_year(
    roots: Roots,
    contract: Contract,
    tmid: str,
    computer: str,
    provided_day: dt.date | None,
    now: dt.datetime,
    sender: Sender,
) -> Built:
    """`<TMID>_AllData_<P>.zip`: every retained upload of one terminal, by service day."""
    oldest, newest = retained_window(now)
    provided = provided_day or japan_today(now)
    sid = contract.support_id
    days = [d for d in upload_bytes.raw_days(roots.warehouse, sid) if oldest <= d <= newest]
    # First pass: only the computer names, to refuse before anything is written.
    names_by_day = {
        d: upload_bytes.upload_meta(roots.warehouse, sid, d, tmid, ["computer"]) for d in days
    }
    names_by_day = {d: m for d, m in names_by_day.items() if m.num_rows}
    if not names_by_day:
        raise Refusal(
            f"contract {sid} has never received TMID {tmid} (in the retained year "
            f"{oldest}..{newest})"
        )
    names = {c for m in names_by_day.values() for c in m["computer"].to_pylist() if c is not None}
    if computer.casefold() not in {n.casefold() for n in names}:
        # The names it did carry stay out of the message: run failures are kept in plain
        # text (Dagster's run storage, operator notices), outside the encrypted warehouse.
        raise Refusal(
            f"no retained upload of TMID {tmid} carries computer name {computer!r} "
            f"(it carried {len(names)} other name(s); the `uploads` view lists them)"
        )
    days_with_data = sorted(names_by_day)
    order = Order(
        kind="spot_1_year",
        file_name=layout.spot_1_year_file_name(tmid, provided),
        service_days=days_with_data,
        request={"tmid": tmid, "computer": computer, "provided_day": provided.isoformat()},
    )
    return _publish(
        roots,
        contract,
        order,
        # Planned a day at a time (a generator), so the partitions are named here.
        entries=_year_entries(roots.warehouse, sid, tmid, days_with_data),
        partitions=[(day, tmid) for day in days_with_data],
        now=now,
        sender=sender,
    )


def expire(roots: Roots, now: dt.datetime) -> list[str]:
    """Delete every deliverable published more than 30 days ago; returns the deleted paths."""
    pubs = publications.all_publications(roots.warehouse)
    done = publications.expired_ids(roots.warehouse)
    deleted = []
    for pub in pubs.to_pylist():
        if pub["publication_id"] in done or pub["expires_at"] > now:
            continue
        if _still_current(pubs, pub):
            deliverable_files.delete_deliverable(roots.delivery, pub["path"])
            deleted.append(pub["path"])
        publications.record_expiration(
            roots.warehouse, pub["publication_id"], pub["support_id"], pub["path"], now
        )
    return deleted


def _still_current(pubs: pa.Table, pub: dict) -> bool:
    # A republished file replaced an older one at the same path: the newer one decides.
    same = [p for p in pubs.to_pylist() if p["path"] == pub["path"]]
    return max(same, key=lambda p: p["published_at"])["publication_id"] == pub["publication_id"]


def _planned(
    meta: pa.Table, day: dt.date, folders: Callable[[str | None], tuple[str, ...]]
) -> list[PlannedFile]:
    """One planned file per upload of the service day `day` (whose partitions `meta` was
    read from); `folders` maps its computer name to its folder path (worked out once per
    name: a day has thousands of uploads but few computers)."""
    folder_of: dict[str | None, tuple[str, ...]] = {}
    planned = []
    columns = [meta[name].to_pylist() for name in _PLAN]
    for tmid, key, sent15, upload_id, computer in zip(*columns, strict=True):
        path = folder_of.get(computer)
        if path is None:
            path = folder_of[computer] = folders(computer)
        when = parse_sent15(sent15)
        planned.append(PlannedFile(path, f"{key}.zip", sent15, upload_id, when, (day, tmid, key)))
    return planned


def _year_entries(
    wh: Root, support_id: str, tmid: str, days: list[dt.date]
) -> Iterator[PlannedEntry]:
    """The 1-year file's entries, planned one day at a time: `<D>/` folders sort as dates,
    so each day can be planned, written and forgotten (memory does not grow with the year)."""
    for day in days:
        meta = upload_bytes.upload_meta(wh, support_id, day, tmid, _PLAN)
        yield from plan_entries(_planned(meta, day, lambda _computer, d=day: (d.isoformat(),)))


@dataclass(frozen=True)
class Order:
    """What is published and why: the file's kind and name, the service days it covers (and,
    for a 30-day order, the range's days without data), the order as requested, and for a
    daily file its upload keys (so later runs find uploads that landed after publication)."""

    kind: str
    file_name: str
    service_days: list[dt.date]
    request: dict
    days_without_data: list[dt.date] = field(default_factory=list)
    upload_keys: list[str] = field(default_factory=list)


def _partitions_of(entries: list[PlannedEntry]) -> list[upload_bytes.Partition]:
    """The (day, tmid) partitions of the entries' uploads, in the order the entries need them."""
    return list(dict.fromkeys(e.ref[:2] for e in entries if not e.is_folder))


def _publish(
    roots: Roots,
    contract: Contract,
    order: Order,
    *,
    entries: Iterable[PlannedEntry],
    partitions: list[upload_bytes.Partition],
    now: dt.datetime,
    sender: Sender,
) -> Built:
    """Write the file, record the publication, send the notice. `partitions`: the (day, tmid)
    partitions in the order the entries need them (so each is read while the one before is
    written)."""
    rel = layout.deliverable(contract.support_id, order.file_name)
    fetch = upload_bytes.UploadBytes(roots.warehouse, contract.support_id, order=partitions)
    try:
        summary = _write_zip(roots.delivery, rel, entries, fetch)
    finally:
        fetch.close()
    pub = publications.Publication(
        publication_id=_publication_id(contract.support_id, order.file_name, now),
        kind=order.kind,
        support_id=contract.support_id,
        file_name=order.file_name,
        path=rel,
        published_at=now,
        expires_at=now + dt.timedelta(days=DELIVERABLE_DAYS),
        size=summary.bytes_written,
        sha256=summary.sha256,
        uploads=summary.file_count,
        entries=summary.entry_count,
        service_days=order.service_days,
        days_without_data=order.days_without_data,
        late_uploads=0,
        upload_keys=order.upload_keys,
        request=json.dumps(order.request, sort_keys=True),
    )
    # The notice goes before the record: a run killed between the two publishes again (the
    # same bytes) and notifies again, where the other order would lose the notice for good.
    if contract.notify_to:
        sender.send(_notice(contract, pub))
    publications.record_publication(roots.warehouse, pub, japan_today(now))
    return Built(pub, roots.delivery.url(rel), notified=bool(contract.notify_to))


def _write_zip(
    delivery: Root,
    rel: str,
    entries: Iterable[PlannedEntry],
    fetch: Callable[[object], bytes | memoryview],
) -> ZipSummary:
    with deliverable_files.open_deliverable(delivery, rel) as sink:
        return build_zip(sink, entries, fetch)


def _publication_id(support_id: str, file_name: str, now: dt.datetime) -> str:
    digest = hashlib.sha256(f"{support_id}\0{file_name}\0{now.isoformat()}".encode())
    return f"{now.strftime('%Y%m%dT%H%M%S')}-{digest.hexdigest()[:16]}"


def _no_data_notice(
    contract: Contract, first_day: dt.date, last_day: dt.date, now: dt.datetime
) -> Notice:
    return _to_contract(
        contract,
        f"[IT360] ログスポット (30日) {first_day} - {last_day}: 対象データなし",
        [
            f"ログスポット (30日) のご注文 ({first_day} から {last_day}) の期間には"
            "アップロードがなかったため、ファイルは作成されませんでした。",
        ],
        "no_data",
        now,
    )


def _notice(contract: Contract, pub: publications.Publication) -> Notice:
    kinds = {
        "daily": "ログダウンロード (日次)",
        "spot_30_days": "ログスポット (30日)",
        "spot_1_year": "ログスポット (1年)",
    }
    return _to_contract(
        contract,
        f"[IT360] {pub.file_name} を格納しました",
        [
            f"{kinds[pub.kind]} のファイルをオンラインストレージに格納しました。",
            f"ファイル: {layout.deliverable(contract.support_id, pub.file_name)}",
            f"サイズ: {pub.size} bytes   SHA-256: {pub.sha256}",
            f"アップロード数: {pub.uploads}",
            f"保存期限: {pub.expires_at.astimezone(JST):%Y-%m-%d %H:%M} (JST)",
        ],
        "publication",
        pub.published_at,
    )


def _to_contract(
    contract: Contract, subject: str, lines: list[str], kind: str, at: dt.datetime
) -> Notice:
    """A notice to the contract's account address, addressed to the contract."""
    return Notice(
        to=contract.notify_to,
        subject=subject,
        body="\n".join([f"{contract.support_id} 様", "", *lines]),
        kind=kind,
        support_id=contract.support_id,
        at=at,
    )

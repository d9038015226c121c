"""The reads the sensors make of the inbox, the warehouse and the delivery root, returned as
plain values for their decisions (transforms/inbox_runs.py, late_landing.py and
daily_deadline.py). Reads only: the sensors write nothing but their cursors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from storage import aggregates, layout, publications, upload_bytes, warehouse
from storage.roots import Root


def contract_inbox_files(inbox: Root, support_id: str) -> list[str]:
    """The inbox-relative paths of the files waiting in a contract's inbox folder."""
    return inbox.list_files(layout.inbox_folder(support_id))


def landed_upload_rows(wh: Root, day: dt.date) -> list[dict]:
    """Every upload of service day `day` that landed (support_id, upload_key, batch_id,
    logged_at, ...), one dict each, from the landing log."""
    return warehouse.landed_uploads(wh, day).to_pylist()


def daily_file_keys(wh: Root, support_id: str, day: dt.date) -> tuple[set[str], set[str]] | None:
    """(the upload keys in the contract's latest daily file of `day`, those recorded as late
    after it), or None if the file was never published."""
    pub = publications.latest_daily_publication(wh, support_id, day)
    if pub is None:
        return None
    published = publications.published_upload_keys(pub)
    return published, publications.late_upload_keys(wh, support_id, day)


def built_upload_count(wh: Root, support_id: str, day: dt.date) -> int | None:
    """How many uploads the contract's current dashboard build of `day` counted; None if the
    day was never built for it."""
    built = aggregates.current_build_uploads(wh, support_id, day)
    return None if built is None else built[1]


def built_days_history(
    wh: Root, support_id: str, days: Iterable[dt.date]
) -> dict[dt.date, dict[str, list[dt.date]]]:
    """Built day -> tmid -> the earlier days its terminal status read, for those of `days`
    built for the contract (a day never built is left out)."""
    # Imported here: the dashboard's inputs bring Polars and DuckDB, which the code location
    # (every command, every step) would otherwise import when it loads the sensors.
    from storage import dashboard_inputs

    history = {}
    for day in days:
        if aggregates.current_build_uploads(wh, support_id, day) is not None:
            history[day] = dashboard_inputs.history_days(wh, support_id, day)
    return history


def daily_publications(wh: Root, support_id: str) -> list[dict]:
    """The contract's publication records (kind, file_name, expires_at), in one read."""
    pubs = publications.all_publications(wh, support_id)
    return pubs.select(["kind", "file_name", "expires_at"]).to_pylist()


def daily_file_in_folder(delivery: Root, support_id: str, day: dt.date) -> bool:
    """Whether the contract's daily file of `day` is in its delivery folder."""
    return delivery.exists(layout.daily_file(support_id, day))


def landed_upload_count(wh: Root, support_id: str, day: dt.date) -> int:
    """How many uploads of the contract's service day are in the raw store."""
    return upload_bytes.upload_meta(wh, support_id, day, columns=["upload_key"]).num_rows

"""Pure pieces of the dashboard build: build ids, the holiday table, the operator's CSVs, the
ledger export rows, and which diagnostic bundles make a terminal read `diagnosing`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable

import holidays
import polars as pl

from transforms.names import parse_upload_name

ORG_COLUMNS = ("login_name", "name", "title", "company", "organisation", "mail")

#: Inventory columns of the ledger export, in order, before the ledger's own columns.
LEDGER_INVENTORY_COLUMNS = (
    "tmid",
    "computer",
    "inventory_day",
    "inventory_at",
    "manufacturer",
    "model",
    "os_name",
    "os_version",
    "os_build",
    "ips",
    "macs",
    "drives",
    "app_count",
    "latest_update",
    "latest_update_installed",
)


class CsvError(ValueError):
    """An operator CSV that cannot be used (the message says why)."""


def new_build_id(started: dt.datetime, token: str) -> str:
    """A build id that sorts by start time (UTC, microseconds), made unique by `token`."""
    return started.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + token


def japan_holidays(dates: Iterable[dt.date]) -> pl.DataFrame:
    """Japanese public holidays among `dates` (the `holidays` package's calendar, which
    includes substitute and citizens' holidays): columns `date`, `name`."""
    wanted = sorted(set(dates))
    calendar = holidays.Japan(years=sorted({d.year for d in wanted}))
    rows = [(d, calendar[d]) for d in wanted if d in calendar]
    return pl.DataFrame(rows, schema={"date": pl.Date, "name": pl.String}, orient="row")


def _csv_frame(data: bytes, what: str) -> pl.DataFrame:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvError(f"{what}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise CsvError(f"{what}: empty file (no header)")
    header = [h.strip() for h in rows[0]]
    if len(set(header)) != len(header) or "" in header:
        raise CsvError(f"{what}: empty or repeated column name in the header")
    body = [r for r in rows[1:] if any(cell.strip() for cell in r)]
    for row in body:
        if len(row) != len(header):
            raise CsvError(f"{what}: a row has {len(row)} fields, the header {len(header)}")
    columns = {h: [row[i] for row in body] for i, h in enumerate(header)}
    return pl.DataFrame(columns, schema={h: pl.String for h in header})


def parse_org_info(data: bytes) -> pl.DataFrame:
    """The organisation-info CSV (`login_name,name,title,company,organisation,mail`, UTF-8,
    BOM optional; extra columns ignored) with a `login_key` (the lower-cased login name,
    since Windows logins are case-insensitive). The first row of a login name wins."""
    frame = _csv_frame(data, "organisation info")
    missing = [c for c in ORG_COLUMNS if c not in frame.columns]
    if missing:
        raise CsvError(f"organisation info: no column {missing[0]!r} in the header")
    return (
        frame.select(ORG_COLUMNS)
        .with_columns(pl.col(c).str.strip_chars().replace("", None) for c in ORG_COLUMNS)
        .filter(pl.col("login_name").is_not_null())
        .with_columns(pl.col("login_name").str.to_lowercase().alias("login_key"))
        .unique("login_key", keep="first", maintain_order=True)
    )


def empty_org_info() -> pl.DataFrame:
    return pl.DataFrame(schema={c: pl.String for c in (*ORG_COLUMNS, "login_key")})


def parse_asset_ledger(data: bytes) -> pl.DataFrame:
    """The asset-ledger CSV (`tmid,<free columns>`, UTF-8 with BOM): every column as text.
    The first row of a TMID wins."""
    frame = _csv_frame(data, "asset ledger")
    if not frame.columns or frame.columns[0] != "tmid":
        raise CsvError("asset ledger: the first column must be 'tmid'")
    return (
        frame.with_columns(pl.col("tmid").str.strip_chars().str.to_uppercase())
        .filter(pl.col("tmid") != "")
        .unique("tmid", keep="first", maintain_order=True)
    )


def ledger_rows(inventory: pl.DataFrame, ledger: pl.DataFrame | None) -> pl.DataFrame:
    """Each terminal's latest inventory (the last day it sent one) joined with its ledger
    columns: every terminal of either side, by TMID; text columns for a CSV."""
    latest = (
        inventory.sort("day", "inventory_at", descending=[True, True], nulls_last=True)
        .unique("tmid", keep="first", maintain_order=True)
        .select(
            pl.col("tmid"),
            pl.col("computer"),
            pl.col("day").cast(pl.String).alias("inventory_day"),
            pl.col("inventory_at")
            .dt.convert_time_zone("Asia/Tokyo")
            .dt.strftime("%Y-%m-%d %H:%M:%S")
            .alias("inventory_at"),
            *(pl.col(c) for c in ("manufacturer", "model", "os_name", "os_version", "os_build")),
            pl.col("ips").list.join(" "),
            pl.col("macs").list.join(" "),
            pl.col("drives")
            .list.eval(
                pl.format(
                    "{} {} {} GB ({} GB free)",
                    pl.element().struct.field("letter"),
                    pl.element().struct.field("type"),
                    (pl.element().struct.field("size") / 1e9).round(1),
                    (pl.element().struct.field("free") / 1e9).round(1),
                )
            )
            .list.join("; ")
            .alias("drives"),
            pl.col("app_count").cast(pl.String),
            pl.col("latest_update"),
            pl.col("latest_update_installed").cast(pl.String),
        )
    )
    if ledger is None or ledger.is_empty():
        return latest.sort("tmid")
    clash = {c: f"ledger_{c}" for c in ledger.columns if c != "tmid" and c in latest.columns}
    ledger = ledger.rename(clash)
    joined = latest.join(ledger, on="tmid", how="full", coalesce=True)
    return joined.select(
        *LEDGER_INVENTORY_COLUMNS, *(c for c in ledger.columns if c != "tmid")
    ).sort("tmid")


def ledger_csv_bytes(rows: pl.DataFrame) -> bytes:
    """CSV with a UTF-8 BOM and CRLF line ends, so that Excel opens the Japanese text."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(rows.columns)
    for row in rows.iter_rows():
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8-sig")


def pending_diag_tmids(bundle_names: Iterable[str], day: dt.date) -> list[str]:
    """TMIDs with a pending diagnostic bundle sent on or before service day `day` (a bundle
    sent after the day does not change how that day reads)."""
    pending = set()
    for name in bundle_names:
        parsed = parse_upload_name(name)
        if parsed is not None and parsed.service_day <= day:
            pending.add(parsed.tmid)
    return sorted(pending)

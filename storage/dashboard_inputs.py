"""What one contract-day's dashboard build reads: the day's raw Parquet files, each terminal's
previous upload day, pending diagnostic bundles, the operator's CSVs; and the DuckDB
connection the `sql/agg_*.sql` files run in."""

from __future__ import annotations

import contextlib
import datetime as dt
import posixpath
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from storage import crypto, duck, layout, schemas, upload_bytes, warehouse
from storage.duck import sql_text
from storage.roots import Root
from transforms.retention_windows import RETAINED_DAYS


@dataclass(frozen=True)
class DayInputs:
    """Raw files of one contract-day, and of each terminal's earlier upload days."""

    support_id: str
    day: dt.date
    upload_parts: list[str]
    record_parts: list[str]
    history_days: dict[str, list[dt.date]] = field(default_factory=dict)  # tmid -> days
    history_upload_parts: list[str] = field(default_factory=list)
    history_record_parts: list[str] = field(default_factory=list)
    pending_diag_bundles: list[str] = field(default_factory=list)  # file names


def day_inputs(
    wh: Root, support_id: str, day: dt.date, *, owners: dict[str, str] | None = None
) -> DayInputs:
    """Find the files a build of (support_id, day) reads. Only this contract's partitions are
    listed, which is what keeps every aggregate inside its tenant.

    History, for the terminal status: a terminal that uploaded on the day brings its previous
    upload day (its last seq, its last AGENT state); a silent one brings its last upload day
    and the one before, which is what that day's own status was built from, so a silent
    terminal keeps the state it last reported. `owners` (tmid -> support_id) is the
    warehouse's terminal owners, if the caller read them already (once for every contract of
    a build: the listing covers every terminal of the warehouse)."""
    history = history_days(wh, support_id, day, owners=owners)
    history_uploads = _history_parts(wh, "uploads", support_id, history)
    history_records = _history_parts(wh, "records", support_id, history)
    bundles = [posixpath.basename(r) for r in wh.list_files(layout.diag_folder(support_id))]
    return DayInputs(
        support_id=support_id,
        day=day,
        upload_parts=warehouse.raw_parts(wh, "uploads", support_id, day),
        record_parts=warehouse.raw_parts(wh, "records", support_id, day),
        history_days=history,
        history_upload_parts=history_uploads,
        history_record_parts=history_records,
        pending_diag_bundles=bundles,
    )


def read_day_uploads(wh: Root, inputs: DayInputs, columns: list[str]) -> pa.Table:
    """The day's uploads (some columns) read with pyarrow, apart from the build's SQL: what
    the build's checks compare with. A day has a file per terminal: each is read whole into
    memory (pyarrow on a Python file object makes a call per small read), a batch at a time
    (concurrently on S3)."""
    decryption = crypto.decryption_properties()
    tables = [schemas.TABLES["uploads"].empty_table().select(columns)]
    for start in range(0, len(inputs.upload_parts), 256):
        for rel, data in wh.read_many(inputs.upload_parts[start : start + 256]).items():
            try:
                file = pq.ParquetFile(pa.BufferReader(data), decryption_properties=decryption)
                tables.append(file.read(columns=columns, use_threads=False))
            except OSError as exc:
                raise crypto.explain_read_error(exc, wh.url(rel)) from exc
    return pa.concat_tables(tables)


def history_days(
    wh: Root, support_id: str, day: dt.date, *, owners: dict[str, str] | None = None
) -> dict[str, list[dt.date]]:
    """tmid -> the earlier days whose uploads a build of `day` reads for its terminal status:
    the previous upload day of a terminal that uploaded on `day`, the last two of a silent one."""
    active = {
        f.removeprefix("tmid=") for f in wh.list_dirs(layout.raw_day("uploads", support_id, day))
    }
    earlier = previous_upload_days(wh, support_id, day, owners=owners)
    return {t: days[:1] if t in active else days[:2] for t, days in earlier.items()}


def previous_upload_days(
    wh: Root,
    support_id: str,
    day: dt.date,
    depth: int = 2,
    *,
    owners: dict[str, str] | None = None,
) -> dict[str, list[dt.date]]:
    """For each terminal the contract owns: its last `depth` service days before `day`
    (within the raw store's year) that hold its uploads, latest first. Found from folder
    names alone, walking back one day at a time until every terminal has them."""
    owners = warehouse.terminal_owners(wh) if owners is None else owners
    owned = {t for t, s in owners.items() if s == support_id}
    earliest = day - dt.timedelta(days=RETAINED_DAYS)  # a terminal's history: the year
    days = [d for d in upload_bytes.raw_days(wh, support_id) if earliest <= d < day]
    found: dict[str, list[dt.date]] = {}
    complete = 0
    for before in sorted(days, reverse=True):
        if complete == len(owned):
            break
        for folder in wh.list_dirs(layout.raw_day("uploads", support_id, before)):
            tmid = folder.removeprefix("tmid=")
            if tmid in owned and len(found.setdefault(tmid, [])) < depth:
                found[tmid].append(before)
                complete += len(found[tmid]) == depth
    return found


def _history_parts(
    wh: Root, table: str, support_id: str, history: dict[str, list[dt.date]]
) -> list[str]:
    """The parts of each terminal's history days, by terminal then day as `history` lists
    them. Each day's folder is listed once, all its terminals together (one listing per
    terminal-day cost a call each, about 1.5 s for 1,000 terminals locally and a request each
    on S3), and its parts grouped by their `tmid=` folder."""
    by_partition: dict[tuple[dt.date, str], list[str]] = {}
    for before in sorted({d for days in history.values() for d in days}):
        for rel in warehouse.raw_parts(wh, table, support_id, before):
            tmid = layout.hive_value(rel, "tmid")
            by_partition.setdefault((before, tmid), []).append(rel)
    return [
        rel
        for tmid, days in sorted(history.items())
        for before in days
        for rel in by_partition.get((before, tmid), [])
    ]


def read_operator_file(url: str) -> bytes:
    """An operator-supplied file (a contract's org info or asset ledger), local or s3://."""
    folder, name = posixpath.split(url)
    return Root(folder or ".").read_bytes(name)


def write_ledger_export(delivery: Root, support_id: str, data: bytes) -> str:
    """A plain CSV for the customer, so it goes to the delivery root (the customer's storage,
    as the deliverables), never to the encrypted warehouse."""
    rel = layout.ledger_export(support_id)
    delivery.write_bytes(rel, data)
    return rel


@contextlib.contextmanager
def open_day(wh: Root, inputs: DayInputs, org_info: pl.DataFrame) -> Iterator[DayConnection]:
    """A DuckDB connection holding one contract-day's inputs as the views and tables the
    `sql/agg_*.sql` files read (see sql/dashboard_inputs.sql).

    The build scans the day's records twice (sql/dashboard_day_tables.sql), so on an object
    store the record files are first copied to a local temporary folder (concurrently, a
    bounded batch at a time): both scans then cost one download. The uploads' few columns
    are read in place, once."""
    con = duck.open_connection(wh)
    with contextlib.ExitStack() as stack:
        stack.callback(con.close)
        anchors = {t: layout.empty_anchor(t) for t in ("uploads", "records")}
        # Each list ends with the table's empty anchor, so that an empty day still binds; it
        # comes last because DuckDB estimates a scan's size from the first file, and an
        # estimate of nothing would let it hash the whole day's records in a join.
        record_parts = [*inputs.record_parts, anchors["records"]]
        history_parts = [*inputs.history_record_parts, anchors["records"]]
        if wh.is_local:
            record_files = [wh.url(r) for r in record_parts]
            history_files = [wh.url(r) for r in history_parts]
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="it360-day-")))
            record_files = _local_copies(wh, record_parts, folder / "day")
            history_files = _local_copies(wh, history_parts, folder / "history")
        lists = {
            "upload_files": [wh.url(r) for r in (*inputs.upload_parts, anchors["uploads"])],
            "record_files": record_files,
            "history_upload_files": [
                wh.url(r) for r in (*inputs.history_upload_parts, anchors["uploads"])
            ],
            "history_record_files": history_files,
        }
        for name, files in lists.items():
            con.execute(f"set variable {name} = ?", [files])
        con.register("org_info", org_info)
        con.execute(sql_text("record_classes.sql"))  # shared with the drill-down
        con.execute(sql_text("dashboard_inputs.sql"))
        yield DayConnection(con)


def _local_copies(wh: Root, rels: list[str], folder: Path, batch: int = 64) -> list[str]:
    """Copy files of a remote root into `folder`; returns the local paths, in order."""
    paths = []
    for start in range(0, len(rels), batch):
        chunk = rels[start : start + batch]
        got = wh.read_many(chunk)
        for n, rel in enumerate(chunk):
            target = folder / f"{start + n:06d}.parquet"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(got[rel])
            paths.append(str(target))
    return paths


class DayConnection:
    """Runs the dashboard SQL files with their parameters bound."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def register(self, name: str, frame: pl.DataFrame) -> None:
        self.con.register(name, frame)

    def set_dates(self, name: str, dates: list[dt.date]) -> None:
        """A DATE[] variable the SQL reads with `getvariable(name)` (bound, never inlined)."""
        self.con.execute(f"set variable {name} = cast(? as date[])", [dates])

    def run_script(self, file_name: str) -> None:
        self.con.execute(sql_text(file_name))

    def query(self, file_name: str, params: dict[str, object]) -> duckdb.DuckDBPyRelation:
        """One SELECT file; only the parameters it names (`$name`) are bound."""
        text = sql_text(file_name)
        used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", text)}
        return self.con.sql(text, params=used)

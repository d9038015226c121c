"""Record lines of many logs at once: split, type and validate them in one vectorised pass.

A landing batch holds thousands of small logs; parsing them line by line in Python would be the
naive peer. Here Python only splits each log's text into lines (C speed), and Polars/DuckDB do
the field work over the whole batch.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import duckdb
import polars as pl

from transforms.reasons import Reject

_TIME_RE = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$"
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.3f%:z"
_SEQ_RE = r"^\d{1,20}$"
FIELDS = ("time", "seq", "type", "user", "process", "detail")

RECORD_SCHEMA = {
    "u": pl.UInt32,
    "line_no": pl.Int32,
    "time": pl.Datetime("ms", "UTC"),
    "seq": pl.UInt64,
    "type": pl.String,
    "user": pl.String,
    "process": pl.String,
    "detail": pl.String,
}
REJECT_SCHEMA = {"u": pl.UInt32, "line_no": pl.Int32, "reason": pl.String, "raw_line": pl.Binary}


@dataclass(frozen=True)
class LogBody:
    """The record part of one log: `u` identifies the upload inside the batch."""

    u: int
    body: bytes
    charset: str | None  # None: the log has no header, so every line is rejected
    first_line_no: int


@dataclass
class ParsedRecords:
    records: pl.DataFrame  # RECORD_SCHEMA, ordered by (u, line_no)
    rejects: pl.DataFrame  # REJECT_SCHEMA, ordered by (u, line_no)


def parse_bodies(bodies: list[LogBody]) -> ParsedRecords:
    """Every non-empty line of every body ends as exactly one record or one reject."""
    u: list[int] = []
    first_line_no: list[int] = []
    texts: list[str] = []
    undecodable = _Lines()
    early_rejects: list[tuple[int, int, str, bytes]] = []
    by_u = {b.u: b for b in bodies}
    for body in bodies:
        if body.charset is None:
            early_rejects.extend(_all_rejected(body, Reject.NO_HEADER))
            continue
        try:
            text = body.body.decode(body.charset)
        except UnicodeDecodeError:
            early_rejects.extend(_decode_line_by_line(body, undecodable))
            continue
        u.append(body.u)
        first_line_no.append(body.first_line_no)
        texts.append(text)

    frame = pl.concat([_lines_of(u, first_line_no, texts), undecodable.frame()])
    typed = _type_fields(frame)
    records = (
        typed.filter(pl.col("reason").is_null()).select(list(RECORD_SCHEMA)).sort("u", "line_no")
    )
    late = typed.filter(pl.col("reason").is_not_null()).select("u", "line_no", "reason")
    reject_rows = early_rejects + [
        (u, n, reason, _raw_line(by_u[u], n)) for u, n, reason in late.iter_rows()
    ]
    rejects = pl.DataFrame(reject_rows, schema=REJECT_SCHEMA, orient="row").sort("u", "line_no")
    return ParsedRecords(records=records, rejects=rejects)


_LINES_SCHEMA = {"u": pl.UInt32, "line_no": pl.Int32, "line": pl.String}


class _Lines:
    """Lines collected one by one (the rare log that needs line-by-line decoding)."""

    def __init__(self) -> None:
        self.u: list[int] = []
        self.line_no: list[int] = []
        self.line: list[str] = []

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {"u": self.u, "line_no": self.line_no, "line": self.line}, schema=_LINES_SCHEMA
        )


def _lines_of(u: list[int], first_line_no: list[int], texts: list[str]) -> pl.DataFrame:
    """One row per line of each decoded text: Polars splits and numbers them, which is far
    cheaper than a Python string, int and list slot per line of the batch."""
    logs = pl.DataFrame(
        {"u": u, "first": first_line_no, "text": texts},
        schema={"u": pl.UInt32, "first": pl.Int32, "text": pl.String},
    )
    split = pl.col("text").str.split("\n")
    numbers = pl.int_ranges("first", pl.col("first") + split.list.len(), dtype=pl.Int32)
    lines = logs.select("u", split.alias("line"), numbers.alias("line_no"))
    return lines.explode(["line", "line_no"]).select(list(_LINES_SCHEMA))


def _type_fields(frame: pl.DataFrame) -> pl.DataFrame:
    # split_exact gives a struct of six columns, far cheaper than a list column; the TAB
    # count decides the field count (extra fields would otherwise be silently cut off).
    split = (
        frame.with_columns(pl.col("line").str.strip_suffix("\r"))
        .filter(pl.col("line") != "")
        .with_columns(
            pl.col("line").str.count_matches("\t", literal=True).alias("tabs"),
            pl.col("line")
            .str.split_exact("\t", len(FIELDS) - 1)
            .struct.rename_fields(list(FIELDS))
            .alias("fields"),
        )
        .unnest("fields")
    )
    detail_ok = _json_objects(split["detail"])
    typed = split.with_columns(
        pl.when(pl.col("time").str.contains(_TIME_RE))
        .then(pl.col("time"))
        # No cache: record times hardly repeat, so caching parsed strings only costs.
        .str.strptime(pl.Datetime("ms", "UTC"), _TIME_FORMAT, strict=False, cache=False)
        .alias("time"),
        pl.when(pl.col("seq").str.contains(_SEQ_RE))
        .then(pl.col("seq"))
        .cast(pl.UInt64, strict=False)
        .alias("seq"),
        detail_ok.alias("detail_ok"),
    )
    return typed.with_columns(
        pl.when(pl.col("tabs") != len(FIELDS) - 1)
        .then(pl.lit(Reject.FIELD_COUNT.value))
        .when(pl.col("time").is_null())
        .then(pl.lit(Reject.BAD_TIME.value))
        .when(pl.col("seq").is_null())
        .then(pl.lit(Reject.BAD_SEQ.value))
        .when(pl.col("type") == "")
        .then(pl.lit(Reject.BAD_TYPE.value))
        .when(~pl.col("detail_ok"))
        .then(pl.lit(Reject.BAD_DETAIL.value))
        .alias("reason")
    )


@functools.cache
def _duckdb() -> duckdb.DuckDBPyConnection:
    # Opening an in-memory database costs ~20 ms of CPU, more than checking a few thousand
    # details; each call takes its own cursor of this one (cursors are per-thread safe).
    return duckdb.connect()


def _json_objects(details: pl.Series) -> pl.Series:
    """True where the text parses as a JSON object (DuckDB's parser, vectorised)."""
    table = pl.DataFrame({"detail": details}).with_row_index("rid").to_arrow()
    with _duckdb().cursor() as con:
        con.register("details", table)
        flags = con.sql(
            "select coalesce(json_type(try_cast(detail as json)) = 'OBJECT', false)"
            " as ok from details order by rid"
        ).pl()
    return flags["ok"]


def _raw_line(body: LogBody, line_no: int) -> bytes:
    # The raw bytes, not a re-encoding: cp932 has byte sequences that do not round-trip.
    return body.body.split(b"\n")[line_no - body.first_line_no].removesuffix(b"\r")


def _all_rejected(body: LogBody, reason: Reject) -> list[tuple[int, int, str, bytes]]:
    out = []
    for offset, raw in enumerate(body.body.split(b"\n")):
        raw = raw.removesuffix(b"\r")
        if raw:
            out.append((body.u, body.first_line_no + offset, reason.value, raw))
    return out


def _decode_line_by_line(body: LogBody, out: _Lines) -> list[tuple[int, int, str, bytes]]:
    rejected = []
    assert body.charset is not None
    for offset, raw in enumerate(body.body.split(b"\n")):
        line_no = body.first_line_no + offset
        try:
            text = raw.decode(body.charset)
        except UnicodeDecodeError:
            rejected.append((body.u, line_no, Reject.UNDECODABLE.value, raw.removesuffix(b"\r")))
            continue
        out.u.append(body.u)
        out.line_no.append(line_no)
        out.line.append(text)
    return rejected

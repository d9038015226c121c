"""Record lines of many logs at once: split, type and validate them in one vectorised pass.

A landing batch holds thousands of small logs; parsing them line by line in Python would be the
naive peer. Here Python only decodes the cp932 logs (and any log that is not valid as a whole);
Polars validates the UTF-8 ones, splits every text into lines and fields, types them and checks
the JSON details (DuckDB only those that are not plain JSON), each in one pass over the share.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from transforms.json_text import PLAIN_JSON_OBJECT, STARTS_AN_OBJECT
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
    early_rejects: list[tuple[int, int, str, bytes]] = []
    undecodable = _Lines()
    utf8: list[LogBody] = []
    other: list[LogBody] = []
    for body in bodies:
        if body.charset is None:
            early_rejects.extend(_all_rejected(body, Reject.NO_HEADER))
        elif body.charset == "utf-8":
            utf8.append(body)
        else:
            other.append(body)
    utf8_texts = _utf8_texts(utf8)
    if utf8_texts is None:  # some body is not valid UTF-8: decode each one as any other
        other, utf8 = utf8 + other, []
    decoded: list[LogBody] = []
    texts: list[str] = []
    for body in other:
        try:
            texts.append(body.body.decode(body.charset))
        except UnicodeDecodeError:
            early_rejects.extend(_decode_line_by_line(body, undecodable))
            continue
        decoded.append(body)
    logs = pl.DataFrame(
        {
            "u": [b.u for b in utf8] + [b.u for b in decoded],
            "first": [b.first_line_no for b in utf8] + [b.first_line_no for b in decoded],
            "text": pl.concat([utf8_texts, pl.Series(texts, dtype=pl.String)])
            if utf8
            else pl.Series(texts, dtype=pl.String),
        },
        schema={"u": pl.UInt32, "first": pl.Int32, "text": pl.String},
    )
    # The logs in `u` order, so their lines come out ordered by (u, line_no), as the records
    # must be; only lines decoded one by one (rare) are appended out of order.
    lines = _lines_of(logs.sort("u"))
    if undecodable.u:
        lines = pl.concat([lines, undecodable.frame().lazy()]).sort("u", "line_no")
    typed = _type_fields(lines)
    records = typed.filter(pl.col("reason").is_null()).select(list(RECORD_SCHEMA))
    late = typed.filter(pl.col("reason").is_not_null()).select("u", "line_no", "reason")
    by_u = {b.u: b for b in bodies}
    reject_rows = early_rejects + [
        (u, n, reason, _raw_line(by_u[u], n)) for u, n, reason in late.iter_rows()
    ]
    rejects = pl.DataFrame(reject_rows, schema=REJECT_SCHEMA, orient="row").sort("u", "line_no")
    return ParsedRecords(records=records, rejects=rejects)


def _utf8_texts(bodies: list[LogBody]) -> pl.Series | None:
    """The bodies as text, validated by Polars in one pass (several times cheaper than a
    Python `str` each, which Polars would then encode back to UTF-8); None if any body is not
    valid UTF-8. Both follow the same standard (no surrogates, no overlong forms), so this
    accepts exactly what `bytes.decode("utf-8")` accepts."""
    try:
        return pl.Series([b.body for b in bodies], dtype=pl.Binary).cast(pl.String)
    except pl.exceptions.ComputeError:
        return None


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


def _lines_of(logs: pl.DataFrame) -> pl.LazyFrame:
    """One row per line of each decoded text: Polars splits and numbers them, which is far
    cheaper than a Python string, int and list slot per line of the batch."""
    split = pl.col("text").str.split("\n")
    numbers = pl.int_ranges("first", pl.col("first") + split.list.len(), dtype=pl.Int32)
    lines = logs.lazy().select("u", split.alias("line"), numbers.alias("line_no"))
    return lines.explode(["line", "line_no"]).select(list(_LINES_SCHEMA))


def _type_fields(lines: pl.LazyFrame) -> pl.DataFrame:
    # split_exact gives a struct of columns, far cheaper than a list column. One split more
    # than there are fields: a line has the right field count exactly when its last field is
    # there and nothing follows it (extra fields would otherwise be silently cut off).
    split = (
        lines.with_columns(pl.col("line").str.strip_suffix("\r"))
        .filter(pl.col("line") != "")
        .select(
            "u",
            "line_no",
            pl.col("line")
            .str.split_exact("\t", len(FIELDS))
            .struct.rename_fields([*FIELDS, "extra"])
            .alias("fields"),
        )
        .unnest("fields")
        .collect()
    )
    detail_ok = _json_objects(split["detail"])
    typed = split.lazy().with_columns(
        _times(split["time"]).alias("time"),
        pl.when(pl.col("seq").str.contains(_SEQ_RE))
        .then(pl.col("seq"))
        .cast(pl.UInt64, strict=False)
        .alias("seq"),
        detail_ok.alias("detail_ok"),
    )
    return typed.with_columns(
        pl.when(pl.col("detail").is_null() | pl.col("extra").is_not_null())
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
    ).collect()


def _times(texts: pl.Series) -> pl.Series:
    """Each text of exactly the record time's shape as a UTC instant; null otherwise.

    Arrow's ISO 8601 cast is about ten times cheaper than Polars' `strptime` (chrono per value)
    but fails a whole share at the first value of the right shape that is no instant (month 13,
    Feb 30, hour 24); such a share, and one with a leap second (which Arrow refuses and chrono
    takes), is typed by Polars, so the answers are always chrono's
    (tests/transforms/test_record_times.py)."""
    shaped = pl.select(pl.when(texts.str.contains(_TIME_RE)).then(texts)).to_series()
    try:
        return pl.Series(pc.cast(shaped.to_arrow(), pa.timestamp("ms", "UTC")))
    except pa.ArrowInvalid:
        # No cache: record times hardly repeat, so caching parsed strings only costs.
        return shaped.str.strptime(
            pl.Datetime("ms", "UTC"), _TIME_FORMAT, strict=False, cache=False
        )


def warm_up() -> None:
    """Open what the first `parse_bodies` call would (a worker process does it on start)."""
    _duckdb()


_THREAD = threading.local()


def _duckdb() -> duckdb.DuckDBPyConnection:
    # Opening an in-memory database costs ~20 ms of CPU, more than checking a few thousand
    # details, and even a cursor of a shared one costs ~2 ms per call: one connection per
    # thread (a connection is not safe to share between threads), opened once. As many threads
    # as Polars has: one in a landing worker process (see assets/landing/work.py).
    con = getattr(_THREAD, "con", None)
    if con is None:
        con = duckdb.connect(
            config={"threads": pl.thread_pool_size(), "preserve_insertion_order": True}
        )
        _THREAD.con = con
    return con


def _json_objects(details: pl.Series) -> pl.Series:
    """True where the text is a JSON object: valid JSON by DuckDB's parser whose first
    non-blank character is `{`. Plain JSON, nearly every detail, is proven by one Polars
    pass of a regular expression (`transforms/json_text.py`), cheaper than DuckDB's query
    per share; DuckDB judges only the rest, usually none."""
    plain = details.str.contains(PLAIN_JSON_OBJECT).fill_null(False)
    rest = (~plain).arg_true()
    if rest.len() == 0:
        return plain
    return plain.scatter(rest, _json_objects_by_duckdb(details.gather(rest)))


def _json_objects_by_duckdb(details: pl.Series) -> pl.Series:
    """`_json_objects`, all of it DuckDB's: valid JSON (DuckDB's parser, vectorised) whose
    first non-blank character is `{`. Only validating is about half the cost of casting
    to JSON and asking its type (which builds every document), with the same answers
    (tests/transforms/test_log_text.py); the first-character test is Polars' (in DuckDB, the
    same test costs more than the validation). A plain projection keeps the rows in order
    (DuckDB's `preserve_insertion_order`): no row number to sort by."""
    starts_an_object = details.str.contains(STARTS_AN_OBJECT).fill_null(False)
    if not starts_an_object.any():  # arrays, scalars, blanks: no query needed
        return starts_an_object
    con = _duckdb()
    # Arrow string views, as Polars holds them: the classic layout would copy every detail.
    newest = pl.CompatLevel.newest()
    con.register("details", pl.DataFrame({"detail": details}).to_arrow(compat_level=newest))
    valid = con.sql("select json_valid(detail) as ok from details").to_arrow_table()
    return (pl.Series("ok", valid.column("ok")) & starts_an_object).fill_null(False)


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

"""`python -m storage.duck`: SQL over the analyst views from a terminal, a pipe or a script.

With statements as arguments it runs each in turn and prints its result; without, it reads
statements (each ending with `;`) from the terminal, with line editing and a history file
(`IT360_DUCK_HISTORY`, else `~/.it360_duck_history`), or from a pipe. An SQL error is one line
on stderr: a session goes on, a run of arguments stops with exit status 1. A result shows its
first 40 rows as a table; `--all` (`.rows all`) every row, `--csv` (`.mode csv`) every row as
CSV with a header line, for a file or a spreadsheet.
"""

from __future__ import annotations

import contextlib
import csv
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import duckdb
import pyarrow as pa

TABLE_ROWS = 40
_BOX_ROWS = 10_000
PROMPT, GOING_ON = "it360> ", "  ...> "
HELP = """Statements end with `;`. Views: uploads, records, rejects, quarantine, landing_log,
publications, late_uploads, agg_* (docs/data-dictionary.md). Commands:
  .mode table | .mode csv     a table of the first rows, or every row as CSV
  .rows all | .rows N         how many rows a table shows
  .help                       this text
  .quit                       leave (also Ctrl-D)"""


@dataclass
class Output:
    """How results are printed: `csv` (every row) or a table of at most `rows` rows
    (None: all)."""

    csv: bool = False
    rows: int | None = TABLE_ROWS


def error_line(exc: BaseException) -> str:
    """An error as one line: DuckDB's first line (its type and message)."""
    text = str(exc).strip().splitlines()
    return f"error: {text[0] if text else type(exc).__name__}"


def run_statement(con: Any, statement: str, output: Output, out: IO[str]) -> bool:
    """Run one statement and print its result; False (and one line on stderr) on an error."""
    try:
        result = con.sql(statement)
        if result is None:  # a statement without a result (set, create, ...)
            return True
        if output.csv:
            _write_csv(result, out)
        else:
            _write_table(result, output.rows, out)
    except KeyboardInterrupt:  # Ctrl-C stops the statement, not the session
        out.flush()
        print("interrupted", file=sys.stderr)
        return False
    except Exception as exc:  # an analyst's error (SQL, a refused argument) is one line
        out.flush()
        print(error_line(exc), file=sys.stderr)
        return False
    return True


def _write_csv(result: duckdb.DuckDBPyRelation, out: IO[str]) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(result.columns)
    for batch in result.to_arrow_reader(10_000):
        writer.writerows(zip(*(column.to_pylist() for column in batch.columns), strict=True))
    out.flush()


def _write_table(result: duckdb.DuckDBPyRelation, rows: int | None, out: IO[str]) -> None:
    """The first `rows` rows (None: all) as DuckDB's box, and how many there were if more.
    The query runs once: only the rows shown and one more are fetched."""
    reader = result.to_arrow_reader(10_000)
    batches, fetched = [], 0
    for batch in reader:
        batches.append(batch)
        fetched += batch.num_rows
        if rows is not None and fetched > rows:
            break
    table = pa.Table.from_batches(batches, schema=reader.schema)
    shown = table if rows is None else table.slice(0, rows)
    out.flush()
    renderer = duckdb.connect()
    # DuckDB's box shows at most 10,000 rows: every row is shown in boxes of that many.
    for start in range(0, max(1, shown.num_rows), _BOX_ROWS):
        box = renderer.from_arrow(shown.slice(start, _BOX_ROWS))
        box.show(max_width=200, max_rows=_BOX_ROWS)
    if rows is not None and fetched > rows:
        print(f"(more than {rows} rows: --all or `.rows all` shows every row)", flush=True)


def command(line: str, output: Output) -> bool | None:
    """Apply a dot command; False to leave the session, None if it is not one."""
    words = line.strip().rstrip(";").split()
    match words:
        case [".quit"] | [".exit"]:
            return False
        case [".mode", "csv"]:
            output.csv = True
        case [".mode", "table"]:
            output.csv = False
        case [".rows", "all"]:
            output.rows = None
        case [".rows", count] if count.isdigit() and int(count) > 0:
            output.rows = int(count)
        case [".help"]:
            print(HELP)
        case _:
            print(f"error: unknown command {line.strip()!r} (.help lists them)", file=sys.stderr)
    return True


def statements(lines: Iterator[str]) -> Iterator[str]:
    """Dot commands one line each, and statements up to a line ending with `;`."""
    pending: list[str] = []
    for line in lines:
        if not pending and line.lstrip().startswith("."):
            yield line.strip()
            continue
        if line.strip():
            pending.append(line)
        if pending and line.rstrip().endswith(";"):
            yield "\n".join(pending)
            pending = []
    if pending:
        yield "\n".join(pending)


def _terminal_lines() -> Iterator[str]:
    import readline

    history = Path(os.environ.get("IT360_DUCK_HISTORY") or Path.home() / ".it360_duck_history")
    with contextlib.suppress(OSError):  # no history yet
        readline.read_history_file(history)
    readline.set_history_length(1000)
    try:
        prompt = PROMPT
        while True:
            try:
                line = input(prompt)
            except EOFError:
                print()
                return
            except KeyboardInterrupt:  # drop the statement being typed, as shells do
                print()
                prompt = PROMPT
                continue
            yield line
            prompt = PROMPT if not line.strip() or line.rstrip().endswith(";") else GOING_ON
    finally:
        try:
            readline.write_history_file(history)
        except OSError as exc:
            print(f"note: history not saved: {exc}", file=sys.stderr)


def session(con: Any, output: Output, interactive: bool) -> int:
    """Statements from the terminal or a pipe; 0, or 1 if a piped statement failed."""
    if interactive:
        print("SQL over the analyst views; statements end with `;`, .help for commands.")
    lines = _terminal_lines() if interactive else (line.rstrip("\n") for line in sys.stdin)
    failed = False
    for item in statements(lines):
        if item.startswith("."):
            if command(item, output) is False:
                break
            continue
        failed |= not run_statement(con, item, output, sys.stdout)
    return 1 if failed and not interactive else 0

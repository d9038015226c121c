"""The plain-DuckDB path (`duckdb -cmd ".read sql/analyst.sql"`) on the DuckDB command line a
user can install here (`duckdb-cli` from PyPI, 1.5.6, which the test extra puts beside this
Python) answers as `storage.duck.connect` does: every view, the macros and drill-downs, the
hiding of uncommitted landing batches and the refusal of arguments that are no values.

Its reads choose files from a list made when sql/analyst.sql is read (sql/listed_files.sql);
under the pipeline's DuckDB 2.0 the same list gives the rows the lazy reads give, and it is a
snapshot: what lands later shows after the file is read again.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import duckdb
import pytest

from storage import duck, layout
from storage.roots import Root

REPO = Path(__file__).resolve().parents[2]
CLI = Path(sys.executable).parent / "duckdb"  # the test extra's `duckdb-cli`
VIEWS = [*sorted(duck.PRUNED_VIEWS), "publications"]
DAY = "2024-03-18"  # tests/conftest.py FIRST_DAY
MACROS = [
    "from records_between('S0001', date '2024-03-17', date '2024-03-20')",
    "from uploads_between('S0002', '2024-03-18', '2024-03-19')",
    "from rejects_in(['S0001', 'S0003'], ['2024-03-19', '2024-03-21'])",
    "from records_in(['*'], ['2024-03-18'], tmids := ['{tmid}'])",
    "from quarantine_between('S0001', '2024-03-17', '2024-03-20')",
    "from landing_log_between(date '2024-03-18', date '2024-03-19')",
    "from late_uploads_between('S0001', '2024-03-18', '2024-03-19')",
    "from agg_off_hours_between('S0001', '2024-03-18', '2024-03-19')",
    "from drill_terminal_activity('S0001', date '2024-03-18', '{tmid}')",
    "from drill_web_domains('S0002', date '2024-03-19', 'drive.google.com')",
]
REFUSED = re.compile(r"not a support ID|not a day|not a TMID|not an aggregate")


@pytest.fixture(scope="module")
def warehouse(landed_template) -> Root:
    return Root(str(landed_template[0] / "warehouse"))


@pytest.fixture(scope="module")
def tmid(warehouse) -> str:
    """A terminal of S0001 on DAY."""
    return sorted(warehouse.list_dirs(f"raw/records/support_id=S0001/day={DAY}"))[0].split("=")[1]


def cli(warehouse: Root, sql: str, key: str | None = None) -> subprocess.CompletedProcess:
    """The README's recipe with `sql` as its `-c` (the key: the suite's IT360_KEY)."""
    assert CLI.exists(), f"{CLI}: the test extra installs duckdb-cli"
    env = {**os.environ, "IT360_WAREHOUSE": warehouse.url()}
    if key is not None:
        env["IT360_KEY"] = key
    return subprocess.run(
        [str(CLI), "-cmd", ".read sql/analyst.sql", "-c", sql],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def cli_rows(warehouse: Root, query: str, out: Path) -> list[tuple]:
    """The query's rows through the command line (written to Parquet, so types survive)."""
    file = out / f"{uuid.uuid4().hex}.parquet"
    done = cli(warehouse, f"copy ({query}) to '{file}' (format parquet)")
    assert done.returncode == 0 and not done.stderr, done.stderr
    return sorted(duckdb.sql(f"from '{file}'").fetchall(), key=repr)


def rows(con, query: str) -> list[tuple]:
    return sorted(con.execute(query).fetchall(), key=repr)


def listed_connection(warehouse: Root) -> duckdb.DuckDBPyConnection:
    """sql/analyst.sql's files in the pipeline's DuckDB: the listed reads, then the views."""
    con = duckdb.connect(config={"temp_directory": ""})
    con.execute("set variable warehouse = ?", [warehouse.url()])
    con.execute("set variable warehouse_key = ?", [os.environ["IT360_KEY"]])
    for name in ("listed_files.sql", "views.sql", "record_classes.sql", "drilldown.sql"):
        con.execute(duck.sql_text(name))
    return con


def test_the_command_line_is_the_one_pypi_installs():
    done = subprocess.run([str(CLI), "--version"], capture_output=True, text=True, check=True)
    assert re.match(r"v1\.5\.", done.stdout), done.stdout


def test_every_view_and_macro_answers_on_the_command_line_as_connect_does(
    warehouse, tmid, tmp_path
):
    with duck.connect(warehouse) as con:
        for query in [f"from {v}" for v in VIEWS] + [m.format(tmid=tmid) for m in MACROS]:
            assert cli_rows(warehouse, query, tmp_path) == rows(con, query), query
        assert rows(con, "from records") and rows(con, MACROS[-2].format(tmid=tmid))


def test_the_listed_reads_answer_as_the_lazy_reads_in_the_pipelines_duckdb(warehouse, tmid):
    listed, lazy = listed_connection(warehouse), duck.view_connection(warehouse)
    for query in [f"from {v}" for v in VIEWS] + [m.format(tmid=tmid) for m in MACROS]:
        assert rows(listed, query) == rows(lazy, query), query


def test_a_query_error_is_one_failure_and_arguments_that_are_no_values_are_refused(warehouse):
    for query in (
        "from records_between('*', '2024-03-18', '2024-03-18')",
        "from records_in(['../S0001'], ['2024-03-18'])",
        "from uploads_between('S0001', '2024-02-30', '2024-03-18')",
        "from records_in(['S0001'], ['2024-03-18'], tmids := ['../*'])",
        "from agg_in('../raw', ['S0001'], ['2024-03-18'])",
        "from drill_terminal_activity('S0001', '2024-03-18/..', 'T1')",
    ):
        done = cli(warehouse, query)
        assert done.returncode == 1 and REFUSED.search(done.stderr.splitlines()[0]), done.stderr
        assert not done.stdout


def test_without_a_key_the_recipe_stops_at_its_one_line(warehouse):
    done = cli(warehouse, "select count(*) from uploads", key="")
    assert done.returncode == 1 and not done.stdout
    assert done.stderr.splitlines() == [
        "Invalid Input Error: no warehouse key: set IT360_KEY_FILE (a file with 64 hex"
        " characters) or IT360_KEY"
    ]


def read_until(fd: int, marker: bytes, timeout: float = 60) -> bytes:
    """What a terminal shows until `marker`, answering the command line's questions to the
    terminal (its background colour, its kind, the cursor), which it waits for."""
    shown, deadline = b"", time.monotonic() + timeout
    while marker not in shown and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            chunk = os.read(fd, 65536)
            shown += chunk
            if b"\x1b]11;?" in chunk:
                os.write(fd, b"\x1b]11;rgb:0000/0000/0000\x07")
            if b"\x1b[c" in chunk:
                os.write(fd, b"\x1b[?1;2c")
            if b"\x1b[6n" in chunk:
                os.write(fd, b"\x1b[1;1R")
    return shown


def test_an_interactive_session_goes_on_after_an_error(warehouse):
    """Without `-c`, on a terminal: a typo is shown and the session answers the next query
    (sql/analyst.sql sends its own output nowhere, and only its own)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the README's recipe without -c
        os.chdir(REPO)
        os.environ.update(IT360_WAREHOUSE=warehouse.url(), TERM="dumb")
        os.execv(str(CLI), [str(CLI), "-cmd", ".read sql/analyst.sql"])
    try:
        assert b" D " in read_until(fd, b" D ")
        os.write(fd, b"select error('a typo');\r")
        assert b"a typo" in read_until(fd, b"a typo")
        os.write(fd, b"select 'still ' || count(*) as answer from uploads;\r")
        with duck.connect(warehouse) as con:
            (count,) = con.execute("select count(*) from uploads").fetchone()
        assert f"still {count}".encode() in read_until(fd, f"still {count}".encode())
        os.write(fd, b".quit\r")
    finally:
        time.sleep(0.5)
        if os.waitpid(pid, os.WNOHANG) == (0, 0):  # still running: a failed step above
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


def test_an_uncommitted_batch_is_hidden_on_the_command_line_as_in_python(landed, tmp_path):
    """A batch that wrote its parts and has no commit marker shows in neither; once it
    commits, a new command line shows it as connect does."""
    wh = Root(str(landed[0] / "warehouse"))
    query = f"select count(*) from records where support_id = 'S0001' and day = '{DAY}'"
    before = rows(duck.connect(wh), query)
    batch = "29990101T000000-killed"
    part = next(
        p for p in wh.list_files(f"raw/records/support_id=S0001/day={DAY}") if p.endswith("quet")
    )
    wh.write_bytes(f"{part.rsplit('/', 1)[0]}/part-{batch}.parquet", wh.read_bytes(part))
    wh.write_bytes(layout.journal_intent(batch), b"{}")
    assert cli_rows(wh, query, tmp_path) == rows(duck.connect(wh), query) == before
    wh.write_bytes(layout.journal_committed(batch), b"")
    after = rows(duck.connect(wh), query)
    assert cli_rows(wh, query, tmp_path) == after and after[0][0] > before[0][0]


def test_the_list_is_a_snapshot_until_it_is_read_again(landed):
    """Parts landed after the list was made show once it is made again; the parts of a batch
    that was not committed when it was made stay hidden in it, even once the batch commits
    (its later parts are not in the list, so showing the listed ones would show half a
    batch)."""
    wh = Root(str(landed[0] / "warehouse"))
    query = f"select count(*) from records where support_id = 'S0001' and day = '{DAY}'"
    con = listed_connection(wh)
    before = rows(con, query)
    folder = f"raw/records/support_id=S0001/day={DAY}"
    part = next(p for p in wh.list_files(folder) if p.endswith("quet"))
    in_flight, landed_later = "29990101T000000-inflight", "29990101T000001-later"
    wh.write_bytes(layout.journal_intent(in_flight), b"{}")
    wh.write_bytes(f"{part.rsplit('/', 1)[0]}/part-{in_flight}.parquet", wh.read_bytes(part))
    con.execute(duck.sql_text("listed_files.sql"))  # made while the batch is in flight
    wh.write_bytes(layout.journal_committed(in_flight), b"")
    wh.write_bytes(f"{part.rsplit('/', 1)[0]}/part-{landed_later}.parquet", wh.read_bytes(part))
    assert rows(con, query) == before
    con.execute(duck.sql_text("listed_files.sql"))
    assert rows(con, query) == rows(duck.connect(wh), query) != before


def test_views_sql_alone_on_an_older_duckdb_says_what_to_read_first(warehouse):
    setup = f"set variable warehouse = '{warehouse.url()}'"
    key = "set variable warehouse_key = getenv('IT360_KEY')"
    done = subprocess.run(
        [str(CLI), "-cmd", setup, "-cmd", key, "-c", ".read sql/views.sql"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert re.fullmatch(
        r"Invalid Input Error: DuckDB v1\.5\.\d+ needs sql/listed_files\.sql read before"
        r' sql/views\.sql \(duckdb -cmd "\.read sql/analyst\.sql" does both\)',
        done.stderr.strip(),
    ), done.stderr

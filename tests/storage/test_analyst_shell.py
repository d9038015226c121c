"""`python -m storage.duck` as an analyst uses it, through real processes: a query as an
argument (as before), every row or CSV on request, an SQL typo in one line with a non-zero
exit, and a session fed by a pipe and by a terminal (a pty)."""

import csv
import io
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage import crypto
from storage.duck import connect
from storage.roots import Root

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def warehouse(landed_template) -> Root:
    return Root(str(landed_template[0] / "warehouse"))


def duck(warehouse: Root, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "storage.duck", "--warehouse", warehouse.url(), *args],
        cwd=REPO,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=120,
    )


def count(warehouse: Root, sql: str) -> int:
    return connect(warehouse).execute(sql).fetchone()[0]


def test_a_query_argument_prints_its_table_as_before(warehouse):
    done = duck(warehouse, "select count(*) as uploads_seen from uploads")
    assert done.returncode == 0, done.stderr
    assert "uploads_seen" in done.stdout
    assert f" {count(warehouse, 'select count(*) from uploads')} " in done.stdout


def test_a_typo_is_one_line_and_a_non_zero_exit(warehouse):
    done = duck(warehouse, "selec count(*) from uploads")
    assert done.returncode == 1
    assert done.stderr.splitlines() == ['error: Parser Error: syntax error at or near "selec"']
    missing = duck(warehouse, "select nope from uploads")
    assert missing.returncode == 1 and len(missing.stderr.splitlines()) == 1
    assert missing.stderr.startswith("error: Binder Error:")


def test_a_table_shows_its_first_rows_and_says_there_are_more(warehouse):
    done = duck(warehouse, "select line_no from records")
    assert done.returncode == 0, done.stderr
    assert "(more than 40 rows: --all or `.rows all` shows every row)" in done.stdout


def test_all_and_csv_give_every_row(warehouse):
    total = count(warehouse, "select count(*) from records")
    done = duck(warehouse, "--csv", "select support_id, upload_key, line_no from records")
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0] == ["support_id", "upload_key", "line_no"] and len(rows) == total + 1
    many = 12_345  # more than DuckDB's own box shows
    table = duck(warehouse, "--all", f"select 'row' || range as n from range({many})")
    assert sum(1 for line in table.stdout.splitlines() if line.startswith("│ row")) == many


def test_a_piped_session_runs_each_statement_and_goes_on_after_an_error(warehouse):
    script = (
        "select count(*) as n\n  from uploads;\n"
        "selec 1;\n"
        ".mode csv\n"
        "select 'a;b' as text, 2 as two;\n"
    )
    done = duck(warehouse, stdin=script)
    assert done.returncode == 1  # a piped statement failed
    assert done.stderr.splitlines() == ['error: Parser Error: syntax error at or near "selec"']
    assert f" {count(warehouse, 'select count(*) from uploads')} " in done.stdout
    assert done.stdout.rstrip().endswith("text,two\na;b,2")


def read_until(fd: int, marker: bytes, timeout: float = 60) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def test_a_terminal_session_keeps_its_history_in_a_file(warehouse, tmp_path):
    history = tmp_path / "history"
    env = {**os.environ, "IT360_DUCK_HISTORY": str(history), "TERM": "dumb"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the session on the pty
        os.chdir(REPO)
        os.execve(
            sys.executable,
            [sys.executable, "-m", "storage.duck", "--warehouse", warehouse.url()],
            env,
        )
    try:
        assert b"it360> " in read_until(fd, b"it360> ")
        os.write(fd, b"select 6 *\n")
        assert b"...> " in read_until(fd, b"...> ")
        os.write(fd, b" 7 as answer;\n")
        shown = read_until(fd, b"it360> ")
        assert b"answer" in shown and b"42" in shown
        os.write(fd, b"selec 1;\n")
        shown = read_until(fd, b"it360> ")
        assert b"error: Parser Error" in shown and b"Traceback" not in shown
        os.write(fd, b".quit\n")
        read_until(fd, b"\x00", timeout=10)
    finally:
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert "selec 1;" in history.read_text()


def test_a_64_character_key_that_is_not_hex_says_what_is_wrong(monkeypatch):
    monkeypatch.delenv("IT360_KEY_FILE", raising=False)
    secret_part = "zz" + "ab" * 31
    monkeypatch.setenv("IT360_KEY", secret_part)
    with pytest.raises(crypto.WarehouseKeyError) as raised:
        crypto.key_from_env()
    message = str(raised.value)
    assert "it holds 64 characters, 2 of them not hex digits (0-9, a-f), the first at position 1"
    assert message.endswith(
        "it holds 64 characters, 2 of them not hex digits (0-9, a-f), the first at position 1"
    )
    assert secret_part not in message

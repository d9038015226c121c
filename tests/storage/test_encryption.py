"""Encryption at rest: nothing of the customer is readable in the warehouse without the key;
with it, the analyst views work from plain SQL."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from storage import crypto, parquet
from storage.duck import sql_text
from storage.roots import Root

REPO = Path(__file__).resolve().parents[2]


def known_strings(con) -> set[str]:
    """Computer names, user names, URLs and window titles that went into the warehouse."""
    found: set[str] = set()
    found |= {c for (c,) in con.execute("select distinct computer from uploads").fetchall() if c}
    found |= {u for (u,) in con.execute('select distinct "user" from records').fetchall() if u}
    for (detail,) in con.execute(
        "select detail from records where type in ('WEB_ACCESS', 'WINDOW', 'WEB_UPLOAD')"
    ).fetchall():
        value = json.loads(detail)
        found |= {value[k] for k in ("url", "title") if value.get(k)}
    return {s for s in found if len(s) >= 6}  # short strings match by chance


def test_a_scan_of_every_stored_byte_finds_no_customer_text(landed):
    from storage import duck

    base, _ = landed
    wh = Root(str(base / "warehouse"))
    strings = known_strings(duck.connect(wh))
    assert len(strings) > 50
    needles = {s.encode(enc) for s in strings for enc in ("utf-8", "cp932") if _encodable(s, enc)}
    leaks = []
    for path in (base / "warehouse").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            leaks += [(path.name, n) for n in needles if n in data]
    assert leaks == []


def _encodable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def test_a_wrong_key_fails_with_a_clear_message(landed, monkeypatch):
    base, _ = landed
    wh = Root(str(base / "warehouse"))
    part = next(p for p in wh.list_files("raw/uploads") if "support_id=S" in p)
    monkeypatch.setenv("IT360_KEY", "00" * 32)
    with pytest.raises(crypto.WarehouseKeyError, match="cannot decrypt"):
        parquet.read_table(wh, part)


def test_a_missing_or_malformed_key_fails_with_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.delenv("IT360_KEY", raising=False)
    monkeypatch.delenv("IT360_KEY_FILE", raising=False)
    with pytest.raises(crypto.WarehouseKeyError, match="no warehouse key"):
        crypto.key_from_env()
    monkeypatch.setenv("IT360_KEY", "abc")
    with pytest.raises(crypto.WarehouseKeyError, match="64 hex characters"):
        crypto.key_from_env()
    monkeypatch.setenv("IT360_KEY_FILE", str(tmp_path / "missing.key"))
    with pytest.raises(crypto.WarehouseKeyError, match="does not exist"):
        crypto.key_from_env()
    key_file = crypto.new_key_file(tmp_path / "it360.key")
    monkeypatch.setenv("IT360_KEY_FILE", str(key_file))
    assert len(crypto.key_from_env()) == 32
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_the_analyst_views_work_from_plain_sql_with_the_key(landed):
    base, _ = landed
    key = crypto.key_from_env().hex()
    con = duckdb.connect()
    con.execute("set variable warehouse = ?", [str(base / "warehouse")])
    con.execute("set variable warehouse_key = ?", [key])
    con.execute(sql_text("views.sql"))
    assert con.execute("select count(*) from uploads").fetchone()[0] > 0
    assert con.execute("select count(*) from records").fetchone()[0] > 0


def test_the_duckdb_cli_style_one_liner_needs_the_key(landed):
    base, _ = landed
    code = (
        "import duckdb, sys; con = duckdb.connect();"
        f"con.execute(\"set variable warehouse = '{base / 'warehouse'}'\");"
        "con.execute(open('sql/views.sql').read());"
        "print(con.execute('select count(*) from uploads').fetchone())"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("IT360_KEY")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0  # without `warehouse_key` nothing can be read


def test_the_analyst_command_line_runs_sql_over_the_views(landed, tmp_path):
    base, _ = landed
    key_file = tmp_path / "key"
    key_file.write_text(crypto.key_from_env().hex())
    env = {k: v for k, v in os.environ.items() if not k.startswith("IT360_KEY")}
    command = [
        sys.executable,
        "-m",
        "storage.duck",
        "--warehouse",
        str(base / "warehouse"),
        "select count(*) as uploads_seen from uploads",
        "select count(distinct support_id) as contracts_seen from records",
    ]
    expected = duckdb_count(base, "select count(*) from uploads")
    done = subprocess.run(
        command, cwd=REPO, env={**env, "IT360_KEY_FILE": str(key_file)}, capture_output=True
    )
    out = done.stdout.decode()
    assert done.returncode == 0, done.stderr.decode()
    assert "uploads_seen" in out and "contracts_seen" in out
    assert f" {expected} " in out
    without_key = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    assert without_key.returncode == 2
    assert "no warehouse key" in without_key.stderr


def duckdb_count(base: Path, sql: str) -> int:
    from storage.duck import connect

    return connect(Root(str(base / "warehouse"))).execute(sql).fetchone()[0]

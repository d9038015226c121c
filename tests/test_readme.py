"""Every command of the README's "Running it" table works as written after the demo.

The commands are read from README.md itself, not copied here. They run in a copy of the
checkout (the demo wipes `var/`, which a developer's own demo state lives in), with the
checkout's `.venv` linked in. The demo row runs the demo's own step (`scripts/demo.sh` is the
setup the suite already ran, then this); the UI row starts `dagster dev`, waits until the UI
answers on loopback and stops it.
"""

import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = "scripts/demo.sh"
UI = ".venv/bin/dagster dev"
DAGSTER_ROW = ".venv/bin/dagster "
OPERATOR_ROW = ".venv/bin/python -m pipelines.run "
CLI_TABLE = "the same through Dagster's CLI"
HOUSEKEEPING = {
    "retention_aggregates",
    "retention_raw",
    "retention_diag",
    "retention_quarantine",
    "compact_raw",
    "expire_deliverables",
}
# pipelines/console.py: a timestamp, a level, the rest.
CONSOLE_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4} (INFO|WARNING|ERROR) {1,4}\S")


def table_cells(readme: str, header: str) -> list[list[str]]:
    """The cells of each row of the table under "## Running it" whose header starts with
    `header`, in order, each cell as written (code spans with their backticks)."""
    lines = readme.split("## Running it", 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header}"))
    rows = []
    for line in lines[start + 2 :]:  # after the header and its rule
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split(" | ")])
    return rows


def code(cell: str) -> str:
    """The first code span of a cell."""
    return re.findall(r"`([^`]+)`", cell)[0]


def table_commands(readme: str, header: str = "what") -> list[str]:
    """The commands (last column) of the first table under "## Running it", in order."""
    return [code(row[-1]) for row in table_cells(readme, header)]


def refusals(readme: str) -> list[tuple[str, str]]:
    """(command, the line it prints) of the table of what the operator's command refuses."""
    return [(code(row[1]), code(row[2])) for row in table_cells(readme, "refused")]


def checkout_copy(target: Path) -> Path:
    """The tracked files of the checkout (or its source folders), `.venv` linked in."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    files = listed.stdout.split() if listed.returncode == 0 else []
    if not files:  # not a git checkout: the folders the commands need
        names = ("assets", "pipelines", "storage", "transforms", "samples", "sql", "examples")
        names += ("deploy",)
        files = [str(p.relative_to(REPO)) for n in names for p in (REPO / n).rglob("*.*")]
        files += ["pyproject.toml", "README.md"]
    for rel in files:
        if (REPO / rel).is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / rel, target / rel)
    (target / ".venv").symlink_to(REPO / ".venv")
    return target


def clean_env(cwd: Path) -> dict[str, str]:
    """This environment without the suite's settings (a README command takes them from
    var/env.sh), running the copy's code, not the checkout the venv was built from."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IT360_", "DAGSTER_"))}
    return {**env, "PYTHONPATH": str(cwd)}


def run(
    command: str, cwd: Path, timeout: int = 600, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=clean_env(cwd) if env is None else env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def ui_answers(command: str, cwd: Path) -> bool:
    proc = subprocess.Popen(
        ["bash", "-c", command + " -h 127.0.0.1 -p 3000"],
        cwd=cwd,
        env=clean_env(cwd),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen("http://127.0.0.1:3000/server_info", timeout=2) as r:
                    return r.status == 200
            except OSError:
                time.sleep(1)
        return False
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_the_table_is_read_from_the_readme():
    commands = table_commands((REPO / "README.md").read_text(encoding="utf-8"))
    assert commands[0] == DEMO and any(c.endswith(UI) for c in commands)
    assert len(commands) >= 15 and all(not c.startswith("-") for c in commands)
    assert not any("bench." in c for c in commands)  # benchmarks are on demand
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert len(refusals(readme)) >= 4 and all(OPERATOR_ROW in c for c, _ in refusals(readme))
    assert all(DAGSTER_ROW in c for c in table_commands(readme, CLI_TABLE))


@pytest.fixture(scope="module")
def demo_checkout(tmp_path_factory) -> Path:
    """A copy of the checkout after the demo (`scripts/demo.sh` after its setup)."""
    work = checkout_copy(tmp_path_factory.mktemp("readme") / "checkout")
    demo = run(".venv/bin/python -m pipelines.demo --fresh", work)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert (work / "var" / "env.sh").exists()
    return work


def console_noise(output: str) -> list[str]:
    """The lines of a CLI row's output that are not the one-line console's: warnings,
    tracebacks, Dagster's own console."""
    return [line for line in output.splitlines() if not CONSOLE_LINE.match(line)]


@pytest.mark.slow
def test_every_command_of_the_readme_table_works_after_the_demo(demo_checkout):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = table_commands(readme) + table_commands(readme, CLI_TABLE)
    runs_before = runs_of(demo_checkout)
    failed = {}
    for command in commands[1:]:
        if command.endswith(UI):
            if not ui_answers(command, demo_checkout):
                failed[command] = "the UI did not answer"
            continue
        done = run(command, demo_checkout)
        output = done.stdout + done.stderr
        if done.returncode != 0:
            failed[command] = output[-2000:]
        elif (DAGSTER_ROW in command or OPERATOR_ROW in command) and console_noise(output):
            failed[command] = "\n".join(console_noise(output))[-2000:]
        elif housekeeping(command) and not said_what_it_did(output):
            failed[command] = "no summary line: " + output[-2000:]
    assert failed == {}
    # Each run row made one run, listed under its job's name (and day).
    rows = [c for c in commands if (OPERATOR_ROW in c or DAGSTER_ROW in c) and not c.endswith(UI)]
    assert runs_of(demo_checkout)[len(runs_before) :] == [the_run_of(c) for c in rows]


def land_rows(readme: str) -> list[str]:
    """The land rows: the operator's and the Dagster CLI's."""
    rows = table_commands(readme) + table_commands(readme, CLI_TABLE)
    return [c for c in rows if "land_uploads" in c or "group:raw" in c]


@pytest.mark.slow
def test_the_land_row_with_a_wrong_key_prints_one_line(demo_checkout):
    """Issue 15's first row, as written, with a key that is not the warehouse's: the
    operator's command prints the run's failure alone, Dagster's CLI adds its own line."""
    wrong = demo_checkout / "var" / "wrong.key"
    wrong.write_text(secrets.token_hex(32))
    wrong.chmod(0o600)
    operator, dagster_cli = land_rows((REPO / "README.md").read_text(encoding="utf-8"))
    for land, program, last in (
        (operator, OPERATOR_ROW, []),
        (dagster_cli, DAGSTER_ROW, ["Error: Materialization failed."]),
    ):
        done = run(land.replace(program, f"IT360_KEY_FILE={wrong} {program}"), demo_checkout)
        lines = (done.stdout + done.stderr).splitlines()
        assert done.returncode == 1, lines
        assert len(lines) == 1 + len(last) and lines[1:] == last, lines
        assert CONSOLE_LINE.match(lines[0]), lines
        assert "failed: raw_uploads: configuration error" in lines[0]
        assert "(WarehouseKeyError): cannot decrypt" in lines[0]


def runs_of(cwd: Path) -> list[str]:
    """`<job> <day>` of every run of the demo's instance, oldest first."""
    listed = run(
        ". var/env.sh && .venv/bin/python -c 'import dagster as dg\n"
        "for r in reversed(dg.DagsterInstance.get().get_runs()):\n"
        '    print(r.job_name, r.tags.get("dagster/partition", "-"))\'',
        cwd,
    )
    assert listed.returncode == 0, listed.stderr
    return listed.stdout.splitlines()


def run_count(cwd: Path) -> int:
    return len(runs_of(cwd))


def housekeeping(command: str) -> bool:
    runs = OPERATOR_ROW in command or DAGSTER_ROW in command
    return runs and the_run_of(command).split()[0] in HOUSEKEEPING


def said_what_it_did(output: str) -> bool:
    """A housekeeping row's console has its summary line: what it deleted or merged, or that
    there was nothing to (on the demo's recent days, nothing to delete)."""
    summary = re.compile(
        r" (retention_\w+|compact_raw|expire_deliverables) (deleted|merged|nothing)"
    )
    return any(CONSOLE_LINE.match(line) and summary.search(line) for line in output.splitlines())


def the_run_of(command: str) -> str:
    """`<job> <day>` of the run a row starts, as the UI lists it: the operator's command names
    its job; `dagster asset materialize` runs Dagster's implicit asset job."""
    if OPERATOR_ROW in command:
        words = command.split(OPERATOR_ROW, 1)[1].split()
        day = words[words.index("--day") + 1] if "--day" in words else "-"
        return f"{words[0]} {day}"
    if "asset materialize" in command:
        return f"__ASSET_JOB {command.split('--partition ', 1)[1].split()[0]}"
    return f"{command.split(' -j ', 1)[1].split()[0]} -"


@pytest.mark.slow
def test_each_refusal_of_the_readme_is_its_one_line_and_starts_no_run(demo_checkout):
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    before = run_count(demo_checkout)
    said = {}
    for command, line in refusals(readme):
        done = run(command, demo_checkout)
        said[command] = (done.returncode, (done.stdout + done.stderr).splitlines())
        assert said[command] == (2, [line]), said[command]
    assert run_count(demo_checkout) == before


def analyst_commands(readme: str) -> list[str]:
    """The commands of the `sh` blocks under "## Analysts", in order."""
    section = readme.split("## Analysts", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_the_analyst_commands_are_read_from_the_readme():
    commands = analyst_commands((REPO / "README.md").read_text(encoding="utf-8"))
    assert any(c.endswith("storage.duck") for c in commands)  # the session
    assert any(" duckdb " in c and "sql/analyst.sql" in c for c in commands)
    assert not any("warehouse.key" in c or "IT360_KEY" in c for c in commands)  # no key on a line


def cli_env(cwd: Path) -> dict[str, str]:
    """`clean_env` with the test extra's DuckDB command line (`.venv/bin/duckdb`) on PATH."""
    env = clean_env(cwd)
    return {**env, "PATH": f"{cwd / '.venv' / 'bin'}:{env.get('PATH', '')}"}


@pytest.mark.slow
def test_every_analyst_command_of_the_readme_works_after_the_demo(demo_checkout):
    """Each as written; the session is fed a statement on its standard input; the DuckDB
    command line is the one the test extra installs (1.5.6, `.venv/bin` on PATH), which reads
    the key from the key file."""
    failed = {}
    for command in analyst_commands((REPO / "README.md").read_text(encoding="utf-8")):
        done = subprocess.run(
            ["bash", "-c", command],
            cwd=demo_checkout,
            env=cli_env(demo_checkout),
            input="select count(*) as landed from uploads;\n",
            capture_output=True,
            text=True,
            timeout=300,
        )
        if (
            done.returncode != 0
            or done.stderr
            or ("│" not in done.stdout and "," not in done.stdout)
        ):
            failed[command] = done.stdout[-1000:] + done.stderr[-2000:]
    assert failed == {}


DUCKDB_RECIPE = re.compile(r'^(.* duckdb -cmd "\.read sql/analyst\.sql") -c "([^"]+)"$')


def analyst_queries(readme: str) -> list[str]:
    """The queries of the Analysts section: the DuckDB recipe's `-c`, then each statement of
    its `sql` blocks (without `;` and comment)."""
    section = readme.split("## Analysts", 1)[1].split("\n## ", 1)[0]
    recipe = [m.group(2) for c in analyst_commands(readme) if (m := DUCKDB_RECIPE.match(c))]
    blocks = re.findall(r"```sql\n(.*?)```", section, flags=re.DOTALL)
    statements = [line.split(";", 1)[0] for b in blocks for line in b.splitlines() if line]
    return recipe + statements


def cli_rows(cwd: Path, recipe: str, query: str, out: Path) -> list[tuple]:
    """The rows of `query` through the README's DuckDB recipe, as written but with its `-c`
    writing them to Parquet (so their types survive)."""
    import duckdb

    file = out / f"{secrets.token_hex(8)}.parquet"
    copy = shlex.quote(f"copy ({query}) to '{file}' (format parquet)")
    done = run_cli(f"{recipe} -c {copy}", cwd)
    assert done.returncode == 0 and not done.stderr, (query, done.stderr)
    return sorted(duckdb.sql(f"from '{file}'").fetchall(), key=repr)


def run_cli(command: str, cwd: Path) -> subprocess.CompletedProcess:
    return run(command, cwd, timeout=300, env=cli_env(cwd))


@pytest.mark.slow
def test_the_readme_analyst_queries_answer_on_the_duckdb_command_line_as_in_python(
    demo_checkout, tmp_path, monkeypatch
):
    """The README's DuckDB recipe (`.venv/bin/duckdb`, 1.5.6) on the demo: its own query, each
    macro and drill-down example (`<TMID>`: a terminal of the example's contract-day) and
    every view give the rows `storage.duck.connect` gives; a `limit` query, as many rows, each
    one of the query's."""
    from storage import duck
    from storage.roots import Root

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (recipe,) = [m.group(1) for c in analyst_commands(readme) if (m := DUCKDB_RECIPE.match(c))]
    monkeypatch.setenv("IT360_KEY_FILE", str(demo_checkout / "var" / "warehouse.key"))
    monkeypatch.delenv("IT360_KEY", raising=False)
    con = duck.connect(Root(str(demo_checkout / "var" / "warehouse")))
    (tmid,) = con.execute(
        "select min(tmid) from records where support_id = 'S0001' and day = '2024-03-18'"
    ).fetchone()
    queries = [q.replace("<TMID>", tmid) for q in analyst_queries(readme)]
    views = [f"from {v}" for v in [*sorted(duck.PRUNED_VIEWS), "publications"]]
    assert len(queries) >= 10 and any("drill_" in q for q in queries)
    shown = 0
    for query in queries + views:
        limited = re.fullmatch(r"(.*) limit (\d+)", query)
        cli = cli_rows(demo_checkout, recipe, query, tmp_path)
        if limited:
            every = con.execute(limited.group(1)).fetchall()
            assert len(cli) == min(int(limited.group(2)), len(every)), query
            assert all(row in every for row in cli), query
        else:
            assert cli == sorted(con.execute(query).fetchall(), key=repr), query
        shown += bool(cli)
    assert shown >= len(views)  # the demo shows rows in most, not only empty answers

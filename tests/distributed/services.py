"""Real services for the distributed test, each a separate process on 127.0.0.1.

PostgreSQL and Redis come from the Debian packages (`scripts/setup.sh test` installs them);
the Celery workers and the Dagster daemon are the production commands (`deploy/`). Every
process is started in its own session and stopped by its own id, never by name.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
SETUP_HINT = "run `scripts/setup.sh test` (it installs postgresql and redis-server with apt)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(what: str, ready, timeout: float, procs=(), log: Path | None = None) -> None:
    """Poll `ready()` until true; fail with the log if a process in `procs` exits or time
    runs out."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            if ready():
                return
        exited = [p for p in procs if p.poll() is not None]
        if exited or time.monotonic() > deadline:
            tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
            state = f"exited with {exited[0].returncode}" if exited else f"not ready in {timeout}s"
            raise RuntimeError(f"{what} {state}\n{tail}")
        time.sleep(0.3)


def port_open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


@dataclass
class Process:
    """A started process and its log; `stop()` ends its session (the process and its
    children), politely first."""

    name: str
    proc: subprocess.Popen
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # children that outlived the leader (same session id)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)


def spawn(name: str, args: list[str], log: Path, env: dict | None = None, cwd=REPO) -> Process:
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Process(name, proc, log)


# -- PostgreSQL ------------------------------------------------------------------------------


def postgres_bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError(f"PostgreSQL server binaries not found; {SETUP_HINT}")
    return found[-1].parent


@dataclass
class Postgres:
    port: int
    user: str
    password: str
    db: str
    base: Path

    @property
    def env(self) -> dict[str, str]:
        """The variables deploy/dagster.prod.yaml reads."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_USER": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
            "DAGSTER_PG_DB": self.db,
        }


@contextlib.contextmanager
def postgres(log_dir: Path) -> Iterator[Postgres]:
    """A throw-away PostgreSQL cluster on a free loopback port, password auth over TCP.

    PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user
    (in a private folder under /tmp that user can reach) and every command runs through
    `runuser`; as anyone else it runs as that user."""
    bindir = postgres_bindir()
    as_root = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="it360-pg-"))
    data, sock, log = base / "data", base / "sock", log_dir / "postgres.log"
    sock.mkdir()
    pwfile = base / "pw"
    db = Postgres(free_port(), "dagster", "it360-test-only", "dagster", base)
    pwfile.write_text(db.password + "\n")
    prefix: list[str] = []
    if as_root:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError(f"no `postgres` user to run PostgreSQL as; {SETUP_HINT}") from None
        for path in (base, sock, pwfile):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]

    def run(*args: str) -> None:
        done = subprocess.run(
            [*prefix, *args], cwd=base, capture_output=True, text=True, timeout=120
        )
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stdout}{done.stderr}")

    options = (
        f"-p {db.port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
    )
    try:
        run(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            db.user,
            f"--pwfile={pwfile}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--no-sync",
        )
        run(
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(base / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        try:
            run(str(bindir / "createdb"), "-h", str(sock), "-p", str(db.port), "-U", db.user, db.db)
            yield db
        finally:
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
    finally:
        server_log = base / "server.log"
        if server_log.exists():
            shutil.copy(server_log, log)
        shutil.rmtree(base, ignore_errors=True)


# -- Redis -----------------------------------------------------------------------------------


@contextlib.contextmanager
def redis(log_dir: Path) -> Iterator[str]:
    """redis-server on a free loopback port, nothing persisted; yields its URL base."""
    exe = shutil.which("redis-server")
    if exe is None:
        raise RuntimeError(f"redis-server not found; {SETUP_HINT}")
    port = free_port()
    args = [
        exe,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--daemonize",
        "no",
        "--dir",
        str(log_dir),
    ]
    server = spawn("redis", args, log_dir / "redis.log")
    try:
        wait_until("redis-server", lambda: port_open(port), 30, [server.proc], server.log)
        yield f"redis://127.0.0.1:{port}"
    finally:
        server.stop()


# -- Dagster processes -----------------------------------------------------------------------


def celery_worker(name: str, env: dict, log_dir: Path) -> Process:
    """One Celery worker (one task at a time), started the production way."""
    args = [
        str(VENV_BIN / "dagster-celery"),
        "worker",
        "start",
        "-A",
        "dagster_celery.app",
        "-y",
        str(REPO / "deploy" / "celery.yaml"),
        "-n",
        name,
        "-l",
        "INFO",
        "--",
        "--concurrency=1",
    ]
    return spawn(f"celery {name}", args, log_dir / f"celery-{name}.log", env)


def wait_for_workers(broker: str, names: list[str], workers: list[Process]) -> None:
    """Until every named worker answers a ping through the broker."""
    from celery import Celery

    app = Celery("it360-test-ping", broker=broker)

    def all_answer() -> bool:
        replies = app.control.ping(timeout=1.0) or []
        answered = {host.split("@")[0] for reply in replies for host in reply}
        return set(names) <= answered

    try:
        wait_until(f"celery workers {names}", all_answer, 90, [w.proc for w in workers])
    except RuntimeError as exc:
        logs = "\n".join(w.log.read_text(errors="replace")[-3000:] for w in workers)
        raise RuntimeError(f"{exc}\n{logs}") from None
    finally:
        app.close()


def dagster_daemon(env: dict, log_dir: Path) -> Process:
    """`dagster-daemon run` on the code location, as production runs it."""
    args = [
        str(VENV_BIN / "dagster-daemon"),
        "run",
        "-m",
        "pipelines.definitions",
        "--working-directory",
        str(REPO),
    ]
    return spawn("dagster-daemon", args, log_dir / "dagster-daemon.log", env)


def dagster_cli(args: list[str], env: dict, log_dir: Path, timeout: float = 120) -> str:
    done = subprocess.run(
        [str(VENV_BIN / "dagster"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    with open(log_dir / "dagster-cli.log", "a") as out:
        out.write(f"$ dagster {' '.join(args)}\n{done.stdout}{done.stderr}\n")
    if done.returncode:
        raise RuntimeError(f"dagster {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout

"""Measure a command as a whole process: wall time, CPU time and peak RSS (median of runs)."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds
    rss_mib: float  # peak resident set size


def run_once(args: list[str], env: dict | None = None) -> Sample:
    """Run `python args...` from the repository root and measure that process alone."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], cwd=REPO, env={**os.environ, **(env or {})})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{args} exited with {os.waitstatus_to_exitcode(status)}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def median_of(args: list[str], runs: int = 3, env: dict | None = None) -> Sample:
    samples = [run_once(args, env) for _ in range(runs)]
    return Sample(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        statistics.median(s.rss_mib for s in samples),
    )


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    python = platform.python_version()
    return f"{platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB, Python {python}"


def table(rows: list[tuple[str, Sample, str]]) -> str:
    """A Markdown table: name, wall, CPU, peak RSS, and a note (ratios, PASS/FAIL)."""
    lines = [
        "| measurement | wall s | CPU s | peak RSS MiB | note |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, s, note in rows:
        lines.append(f"| {name} | {s.wall:.2f} | {s.cpu:.2f} | {s.rss_mib:.0f} | {note} |")
    return "\n".join(lines)


def write_section(path: Path, heading: str, body: str) -> None:
    """Replace (or append) one `## heading` section of a Markdown file."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    marker = f"## {heading}\n"
    section = f"{marker}\n{body.strip()}\n"
    if marker in text:
        before, rest = text.split(marker, 1)
        after = rest[rest.find("\n## ") :] if "\n## " in rest else ""
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")

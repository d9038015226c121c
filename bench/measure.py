"""Measure a command as a whole process: wall time, CPU time and peak RSS (median of runs).

CPU time includes every descendant the command waited for (worker processes too). Peak RSS
covers the command's whole process tree: the largest sum of the tree's resident memory,
sampled every 20 ms, or the largest single process's own peak (VmHWM) if that is larger. So
a landing with worker processes is charged for all of them together. (`ru_maxrss` is not used:
Linux charges a child with the RSS its parent had when it forked, so a measuring process
that has grown would inflate every figure.)
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds
    cpu: float  # user + system seconds
    rss_mib: float  # peak resident set size


def run_once(args: list[str], env: dict | None = None, quiet: bool = False) -> Sample:
    """Run `python args...` from the repository root and measure it with its descendants;
    `quiet` drops its output (and shows its stderr only if it fails)."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=REPO,
            env={**os.environ, **(env or {})},
            stdout=subprocess.DEVNULL if quiet else None,
            stderr=errors if quiet else None,
        )
        sampler = _TreeRss(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        peak_kib = sampler.stop()
        if os.waitstatus_to_exitcode(status) != 0:
            errors.seek(0)
            tail = errors.read()[-4000:].decode(errors="replace")
            raise RuntimeError(f"{args} exited with {os.waitstatus_to_exitcode(status)}\n{tail}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, peak_kib / 1024)


def median_of(
    args: list[str],
    runs: int = 3,
    env: dict | None = None,
    prepare: Callable[[], None] | None = None,
    quiet: bool = False,
) -> Sample:
    """The median of `runs` runs; `prepare()` (not timed) runs before each, e.g. to lay out
    a fresh copy of an inbox that the measured command consumes."""
    samples = []
    for _ in range(runs):
        if prepare is not None:
            prepare()
        samples.append(run_once(args, env, quiet))
    return Sample(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        statistics.median(s.rss_mib for s in samples),
    )


class _TreeRss:
    """Samples the resident memory of a process and all its descendants until stopped."""

    INTERVAL = 0.02  # seconds

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kib = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> int:
        self._done.set()
        self._thread.join()
        return self.peak_kib

    def _run(self) -> None:
        while True:
            memory = [_memory_kib(pid) for pid in _tree(self.pid)]
            tree_sum = sum(rss for rss, _hwm in memory)
            largest_own_peak = max((hwm for _rss, hwm in memory), default=0)
            self.peak_kib = max(self.peak_kib, tree_sum, largest_own_peak)
            if self._done.wait(self.INTERVAL):
                return


def _tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as f:
                todo.extend(int(child) for child in f.read().split())
        except OSError:
            continue  # already gone
    return found


def _memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in KiB; zeros once it is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return rss, hwm


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

"""The long fuzzing run, on demand: the properties of tests/fuzz with many random examples.

    .venv/bin/python bench/fuzz.py [--examples N] [extra pytest arguments]

The suite runs the same properties with few derandomised examples (tests/fuzz/profile.py).
Here every property gets N random examples (the end-to-end landing a tenth of them) and a
deadline per example, so a hang fails; failing examples are kept in bench/out/hypothesis and
replayed first next time. About 6 minutes for the default N on two cores.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1500, help="examples per property")
    args, rest = parser.parse_known_args()
    (REPO / "bench" / "out").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "IT360_FUZZ_PROFILE": "long", "IT360_FUZZ_EXAMPLES": str(args.examples)}
    command = [sys.executable, "-m", "pytest", "tests/fuzz", "-q", "-p", "no:cacheprovider"]
    return subprocess.call([*command, "--hypothesis-show-statistics", *rest], cwd=REPO, env=env)


if __name__ == "__main__":
    sys.exit(main())

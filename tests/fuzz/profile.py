"""How hard the fuzz tests try: `suite` (the default) or `long` (`IT360_FUZZ_PROFILE=long`,
which `bench/fuzz.py` sets).

`suite`: few examples, derandomised, no example database, so the suite stays fast and gives
the same result every run. `long`: many random examples; failures are kept in
`bench/out/hypothesis` and replayed first next time. A test takes `fuzz(weight)`: the
profile's examples times its weight (end-to-end landings cost far more than a name parse).
Every example has a deadline, so a hang fails the test (generous: a busy machine must not).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

PROFILE = os.environ.get("IT360_FUZZ_PROFILE", "suite")
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

if PROFILE == "long":
    BASE = settings(
        max_examples=int(os.environ.get("IT360_FUZZ_EXAMPLES", "3000")),
        derandomize=False,
        database=DirectoryBasedExampleDatabase("bench/out/hypothesis"),
        deadline=10_000,
        suppress_health_check=_SLOW_OK,
        print_blob=True,
    )
else:
    BASE = settings(
        max_examples=60,
        derandomize=True,
        database=None,
        deadline=10_000,
        suppress_health_check=_SLOW_OK,
        print_blob=True,
    )


def fuzz(weight: float = 1.0) -> settings:
    return settings(BASE, max_examples=max(3, int(BASE.max_examples * weight)))

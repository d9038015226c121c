"""What a landing worker process has imported, asked from inside it (an importable function,
as the workers run only functions of modules)."""

import sys


def has_imported(module: str) -> bool:
    return module in sys.modules

"""Run a landing in this process and SIGKILL it just before its Nth storage operation.

    python kill_landing.py INBOX WAREHOUSE CONTRACTS_FILE DAY KILL_AT

KILL_AT 0 never kills and prints the number of storage operations the landing made. The
patch wraps the storage layer from outside (the pipeline has no test hook): every file write,
rename into place, copy and delete counts as one operation.
"""

import datetime as dt
import os
import signal
import sys

from assets.landing.land import LandingLimits, land_day
from storage import blobs, roots
from storage.contracts import load_contracts

inbox, warehouse, contracts_file, day, kill_at = sys.argv[1:6]
kill_at = int(kill_at)
count = 0


def counted(fn):
    def wrapper(*args, **kwargs):
        global count
        count += 1
        if count == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return fn(*args, **kwargs)

    return wrapper


roots.Root.delete = counted(roots.Root.delete)
roots.Root.delete_many = counted(roots.Root.delete_many)
roots.os.replace = counted(os.replace)  # the moment a written file appears
blobs.write_blob = counted(blobs.write_blob)

ids = frozenset(c.support_id for c in load_contracts(contracts_file))
land_day(
    roots.Root(inbox),
    roots.Root(warehouse),
    ids,
    dt.date.fromisoformat(day),
    limits=LandingLimits(batch_files=9),
)
print(count)

"""The deliverables' files in the delivery root: their atomic write, their deletion on
expiry, the sweep of what killed writers left, and the lock that keeps two runs off one
daily file. `assets/delivery/build.py` decides what to publish; this module touches the bytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import IO

from storage import layout, locks
from storage.roots import Root

# A writer killed more than a day ago cannot still be running: its temporaries are litter.
STALE_AFTER_SECONDS = 86_400


def open_deliverable(delivery: Root, rel: str) -> contextlib.AbstractContextManager[IO[bytes]]:
    """A streaming writer of deliverable `rel`; the file appears, whole, only when the block
    exits cleanly. Locally its bytes are staged in `layout.DELIVERY_STAGING`, so a customer's
    folder never shows a partial file, not even a hidden one."""
    return delivery.open_write(rel, staging=layout.DELIVERY_STAGING)


def delete_deliverable(delivery: Root, rel: str) -> None:
    """Delete an expired deliverable; one already gone is fine (expiry is re-run after a kill)."""
    delivery.delete(rel)


def clean_staging(delivery: Root) -> int:
    """Drop temporaries of writers killed more than a day ago; returns how many."""
    return delivery.delete_stale_temporaries(
        layout.DELIVERY_STAGING, older_than_seconds=STALE_AFTER_SECONDS
    )


@contextlib.contextmanager
def daily_file_lock(
    warehouse: Root, support_id: str, day: dt.date, notify: Callable[[str], None]
) -> Iterator[None]:
    """Hold the lock of one contract's daily file of `day` (see storage/locks.py): two runs of
    the same day started together publish one file, one record and one notice."""
    with locks.hold(
        warehouse,
        locks.daily_file(support_id, day),
        purpose=f"daily file {support_id} {day}",
        notify=notify,
    ):
        yield

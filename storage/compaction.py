"""Raw-store compaction: a terminal-day's part files merged into one, and what readers see.

Every landing run adds a part per terminal and table, so a day landed at the inbox sensor's
pace ends with a part per upload, and every reader opens each one (`bench.cadence`). A
compaction merges the parts of each (table, contract, day, TMID) folder into one, each under
the landing lock (no part appears in it meanwhile), in four steps:

1. `compact-<id>.json` is written in the folder: the merged part's name and the parts it
   replaces (names only);
2. the merged part `part-<id>.parquet` is written (atomically, the rows of the replaced parts
   in their order);
3. the replaced parts are deleted;
4. the manifest is deleted.

`visible_parts` is how every Python reader lists raw parts (`visible_regular_parts` for
`storage.duck`'s reads of named terminal folders): a manifest whose merged part is
listed hides the parts it replaces, so a reader sees the small parts before step 2 and the
merged part from then on, never both and never neither. A reader that listed the small parts
just before step 3 and opens one after it fails and is retried (every step that reads the raw
store has a RetryPolicy), and its retry lists again. A kill at any step is settled by the next
compaction of that day (`recover`): a manifest with its merged part rolls forward (steps 3-4),
one without rolls back (step 4). The DuckDB views glob the folders and do not read manifests:
between steps 2 and 3, milliseconds per folder, a view read through its glob counts that
terminal-day twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import posixpath
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from storage import journal, layout, locks, parquet, schemas
from storage.roots import Root, is_temporary

MANIFEST_PREFIX = layout.COMPACTION_MANIFEST_PREFIX


@dataclass(frozen=True)
class Compacted:
    support_id: str
    day: dt.date
    folders: int  # terminal-day folders merged (over the three tables)
    parts_replaced: int
    rows: int  # rows of the merged parts (each now in one part per folder)
    recovered: int  # manifests a killed compaction left, settled first


def visible_parts(root: Root, folder: str) -> list[str]:
    """The raw part files below `folder` that hold the current rows (see the module doc)."""
    return _visible_listed(root, folder, root.list_files)


def visible_regular_parts(root: Root, folder: str) -> list[str]:
    """`visible_parts` among the regular files only (`Root.list_entries`: nothing followed,
    and a local root is listed without fsspec, whose import costs more than a small query)."""
    return _visible_listed(root, folder, lambda rel: sorted(root.list_sizes(rel)))


def _visible_listed(root: Root, folder: str, list_folder: Callable[[str], list[str]]) -> list[str]:
    """`_visible` of the files `list_folder(folder)` gives, listed again if a manifest went."""
    for _attempt in range(3):
        files = list_folder(folder)
        try:
            return _visible(root, files)
        except FileNotFoundError:
            continue  # a compaction finished between the listing and the manifest's read
    return _visible(root, list_folder(folder))


def _visible(root: Root, files: list[str]) -> list[str]:
    parts = [f for f in files if layout.is_parquet_part(f)]
    manifests = [f for f in files if layout.is_compaction_manifest(f)]
    if not manifests:
        return parts
    listed = set(parts)
    hidden: set[str] = set()
    for rel in manifests:
        merged, replaced = _read_manifest(root, rel)
        if merged in listed:
            hidden.update(replaced)
    return [p for p in parts if p not in hidden]


def compact_day(root: Root, support_id: str, day: dt.date) -> Compacted:
    """Merge the parts of every terminal folder of a contract-day, table by table. The landing
    lock is held per folder (a landing waits for one folder's merge, not for the day's)."""
    with _landing_lock(root, support_id, day):
        recovered = recover(root, support_id, day)
    folders = replaced = rows = 0
    for table in schemas.TABLES:
        listed = visible_parts(root, layout.raw_day(table, support_id, day))
        for folder in sorted({layout.part_folder(rel) for rel in listed}):
            with _landing_lock(root, support_id, day):
                parts = _committed(root, visible_parts(root, folder))  # a landing may have added
                if len(parts) > 1:
                    rows += _compact_folder(root, table, folder, parts)
                    folders += 1
                    replaced += len(parts)
    return Compacted(support_id, day, folders, replaced, rows, recovered)


def _committed(root: Root, parts: list[str]) -> list[str]:
    """The parts of committed landing batches, sorted. A killed batch's parts stay as they are
    until the next landing's recovery deletes them by name (merged, they would land)."""
    uncommitted = journal.uncommitted_batches(root)
    return sorted(p for p in parts if layout.part_name_id(p) not in uncommitted)


def _landing_lock(
    root: Root, support_id: str, day: dt.date
) -> contextlib.AbstractContextManager[None]:
    # The landing's own lock: no landing writes a part while a folder is merged.
    return locks.hold(root, locks.LANDING, purpose=f"compaction {support_id} {day}")


def _compact_folder(root: Root, table: str, folder: str, parts: list[str]) -> int:
    """Merge `parts` into one part of `folder`; the rows merged."""
    # A new id in the form of a landing batch id (a part name readers already accept).
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    compaction_id = f"{stamp}-c{uuid.uuid4().hex[:15]}"
    merged = layout.compaction_part(folder, compaction_id)
    manifest = layout.compaction_manifest(folder, compaction_id)
    rows = parquet.read_tables(root, parts, schemas.TABLES[table])
    body = {
        "merged": posixpath.basename(merged),
        "replaced": [posixpath.basename(p) for p in parts],
    }
    root.write_bytes(manifest, json.dumps(body).encode())
    parquet.write_table(root, merged, rows)
    root.delete_many(parts)
    root.delete(manifest)
    return rows.num_rows


def recover(root: Root, support_id: str, day: dt.date) -> int:
    """Settle the manifests a killed compaction left in a contract-day's folders, and remove
    the temporaries of its unfinished writes (held under the landing lock, so no writer of
    these folders is running)."""
    settled = 0
    for table in schemas.TABLES:
        files = root.list_files(layout.raw_day(table, support_id, day))
        root.delete_many([f for f in files if is_temporary(f)])
        for rel in (f for f in files if layout.is_compaction_manifest(f)):
            merged, replaced = _read_manifest(root, rel)
            if merged in files:
                root.delete_many(sorted(replaced))
            root.delete(rel)
            settled += 1
    return settled


def _read_manifest(root: Root, rel: str) -> tuple[str, set[str]]:
    """(merged part, replaced parts) of a manifest, as paths relative to the root."""
    body = json.loads(root.read_bytes(rel))
    replaced = {layout.beside(rel, name) for name in body["replaced"]}
    return layout.beside(rel, body["merged"]), replaced

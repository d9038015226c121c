"""Landing transactions: an intent record, the writes, a commit marker, then the inbox delete.

A landing batch writes several files (parts of three tables, quarantine, the landing log,
moved bundles) and then removes the inbox files it consumed. A kill at any point must neither
lose an inbox file nor land it twice, so each batch is journalled:

1. `<batch>.intent.json` lists every warehouse file the batch will write and every inbox file
   it consumes;
2. the files are written (each atomically);
3. `<batch>.committed` is written: from here on the batch counts as landed;
4. the consumed inbox files are deleted (each only if it is still the entry the landing
   listed: the intent keeps what the listing found), then the journal entries.

Recovery, before any new landing: a committed batch gets its inbox deletes finished; an
uncommitted one gets its written files removed, and its inbox files (all still there, since
deletes only follow the commit) are landed again from scratch.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from storage import layout
from storage.roots import Identity, Root, is_temporary


@dataclass(frozen=True)
class Recovery:
    rolled_forward: int  # committed batches whose inbox deletes were finished
    rolled_back: int  # uncommitted batches whose partial writes were removed


def run_batch(
    warehouse: Root,
    inbox: Root,
    batch_id: str,
    writes: list[tuple[str, Callable[[], None]]],
    consumed: list[str],
    listed: Mapping[str, Identity] | None = None,
) -> None:
    """Perform `writes` (relative path, writer) as one transaction, then consume the inbox.
    `listed`: consumed path -> its listing's identity (see `Root.delete_many`)."""
    listed = listed or {}
    intent = {
        "batch_id": batch_id,
        "outputs": [rel for rel, _ in writes],
        "consumed": consumed,
        # Aligned with `consumed` (null: none known), so a recovery that finishes the deletes
        # leaves an entry replaced since the listing as this run would have.
        "listed": [listed.get(rel) for rel in consumed],
    }
    warehouse.write_bytes(layout.journal_intent(batch_id), json.dumps(intent).encode())
    for _rel, write in writes:
        write()
    warehouse.write_bytes(layout.journal_committed(batch_id), b"")
    _finish(warehouse, inbox, batch_id, consumed, listed)


def recover(warehouse: Root, inbox: Root) -> Recovery:
    """Settle every batch a killed run left half done."""
    forward = back = 0
    entries = warehouse.list_files(layout.JOURNAL)
    for rel in entries:  # an intent or marker whose own write was cut short
        if is_temporary(rel):
            warehouse.delete(rel)
    entries = [rel for rel in entries if not is_temporary(rel)]
    committed = {
        posixpath.basename(p).removesuffix(".committed")
        for p in entries
        if p.endswith(".committed")
    }
    for rel in entries:
        if not rel.endswith(".intent.json"):
            continue
        intent = json.loads(warehouse.read_bytes(rel))
        batch_id = intent["batch_id"]
        if batch_id in committed:
            _finish(warehouse, inbox, batch_id, intent["consumed"], _listed_of(intent))
            forward += 1
        else:
            warehouse.delete_many(intent["outputs"])
            for output in intent["outputs"]:
                warehouse.delete_partial(output)
            warehouse.delete(rel)
            back += 1
    # A commit marker whose intent is gone was already finished but for its own removal.
    intents = {posixpath.basename(p).removesuffix(".intent.json") for p in entries}
    for batch_id in committed - intents:
        warehouse.delete(layout.journal_committed(batch_id))
    return Recovery(forward, back)


def uncommitted_batches(warehouse: Root) -> set[str]:
    """Batches with an intent and no commit marker: running, or killed and not yet recovered.
    Their files are not landed: the DuckDB views hide them by the same rule
    (`uncommitted_parts` in sql/views.sql, its copy in sql/listed_files.sql). Every entry
    counts by its name, as for the views' glob (a local root is listed without fsspec)."""
    entries = warehouse.list_entries(layout.JOURNAL).every_entry()
    names = [posixpath.basename(p) for p in entries]
    intents = {n.removesuffix(".intent.json") for n in names if n.endswith(".intent.json")}
    return intents - {n.removesuffix(".committed") for n in names if n.endswith(".committed")}


def _listed_of(intent: dict) -> dict[str, Identity]:
    """The identities an intent keeps (none in an intent written before they were kept:
    those paths are deleted by name, as then)."""
    pairs = zip(intent["consumed"], intent.get("listed") or [], strict=False)
    return {rel: tuple(ident) for rel, ident in pairs if ident is not None}


def _finish(
    warehouse: Root,
    inbox: Root,
    batch_id: str,
    consumed: list[str],
    listed: Mapping[str, Identity],
) -> None:
    inbox.delete_many(consumed, listed)
    warehouse.delete(layout.journal_intent(batch_id))
    warehouse.delete(layout.journal_committed(batch_id))

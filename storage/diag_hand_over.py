"""Diagnostic bundles handed to support: decrypted into support's own root, then deleted from
the restricted area (the spec: a bundle is deleted "once collected"). The support desk's job
(`assets/housekeeping/diag_bundles.py`) decides which bundles and where; this module moves
the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage import blobs, layout
from storage.roots import Root


@dataclass(frozen=True)
class HandedOver:
    url: str  # where the plain bundle now is, in support's root
    size: int  # its bytes


def overlaps(to: Root, root: Root) -> bool:
    """Whether support's root `to` and a service root are one inside the other (or the same):
    a decrypted bundle written there would leave the restricted area."""
    a, b = to.url(), root.url()
    return _inside(a, b) or _inside(b, a)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def hand_over(warehouse: Root, rel: str, to: Root, support_id: str, name: str) -> HandedOver:
    """Write bundle `rel` (inbox file name `name`) decrypted to `<S>/<name>` in `to`
    (atomically), then delete it from the warehouse: a run stopped between the two leaves the
    bundle in place, and a re-run writes the same file again."""
    target = layout.diag_hand_over(support_id, name)
    size = 0
    with to.open_write(target) as out:
        for chunk in blobs.read_blob(warehouse, rel):
            out.write(chunk)
            size += len(chunk)
    warehouse.delete(rel)
    return HandedOver(to.url(target), size)

"""An inbox entry replaced at its name while the landing runs (renamed over, rewritten in place)
through the real landing on a real local inbox: the landing deletes an entry only if it is still
the one it listed, so the replacement stays in the inbox and the next landing settles it.
Nothing is lost, and every upload ends in exactly one place.
"""

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

import pytest

from assets.landing.land import LandingLimits, land_day
from storage import duck, journal, layout
from storage.roots import NO_FILE, Root
from tests.assets.test_landing_not_files import (
    CONTRACTS,
    DAY,
    NOW,
    quarantine,
    stored_values,
    upload_bytes,
    upload_name,
)
from transforms.reasons import Quarantine

ONE_BY_ONE = LandingLimits(batch_files=1, workers=1)


def land(base: Path, run: int = 0, **kwargs) -> object:
    """The `run`-th landing, an hour after the one before (a batch's id, and so its files'
    names, has the time of the batch in it: two runs at one instant would share them)."""
    inbox, wh = Root(str(base / "inbox")), Root(str(base / "warehouse"))
    at = NOW + dt.timedelta(hours=run)
    return land_day(inbox, wh, CONTRACTS, DAY, now=lambda: at, **kwargs)


def landing_log(base: Path) -> list[tuple[str, str, str | None]]:
    con = duck.connect(Root(str(base / "warehouse")))
    return con.execute(
        "select path, outcome, reason from landing_log order by logged_at, path"
    ).fetchall()


def records_with(base: Path, marker: str) -> int:
    con = duck.connect(Root(str(base / "warehouse")))
    return con.execute(
        "select count(*) from records where detail like ?", [f"%{marker}%"]
    ).fetchone()[0]


def three_uploads(base: Path) -> tuple[Path, list[tuple[str, str]]]:
    folder = base / "inbox" / "S0001"
    folder.mkdir(parents=True)
    names = [upload_name(n) for n in (1, 2, 3)]
    for n, (name, sent15) in enumerate(names):
        (folder / name).write_bytes(upload_bytes(sent15, f"OLD-{n}"))
    return folder, names


def replace(how: str, place: Path, data: bytes) -> None:
    """Put `data` at `place` as a writer racing the landing would."""
    if how == "renamed over":
        tmp = place.with_name(".incoming")
        tmp.write_bytes(data)
        os.replace(tmp, place)
        return
    before = place.stat()
    with open(place, "r+b") as out:  # the same inode, its bytes rewritten
        out.truncate(0)
        out.write(data)
    if how == "rewritten in place, size and mtime kept":  # as `cp -p` does: only ctime tells
        assert len(data) == before.st_size
        os.utime(place, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = place.stat()
    assert after.st_ino == before.st_ino


HOWS = ["renamed over", "rewritten in place", "rewritten in place, size and mtime kept"]


@pytest.mark.parametrize("how", HOWS)
def test_an_upload_replaced_after_it_was_read_is_left_for_the_next_landing(tmp_path, how):
    """Batch 2 is read before batch 1 commits: an upload of batch 2 replaced then (at batch
    1's progress) is committed with what was read, and the new content at its name is left;
    the next landing quarantines it as a conflict (same name, other content), with its bytes."""
    folder, names = three_uploads(tmp_path)
    (name, sent15), rel = names[1], f"S0001/{names[1][0]}"
    new = upload_bytes(sent15, "NEW-1")
    assert len(new) == (folder / name).stat().st_size  # "size kept" needs it
    replaced = []

    def race(_message: str) -> None:
        if not replaced:
            replace(how, folder / name, new)
            replaced.append(True)

    report = land(tmp_path, limits=ONE_BY_ONE, progress=race)

    assert replaced
    assert report.outcomes == {"landed": 3}
    assert [p.name for p in folder.iterdir()] == [name]  # the others, unchanged, are gone
    assert (folder / name).read_bytes() == new
    again = land(tmp_path, 1)
    assert again.files_seen == 1
    assert again.outcomes == {"quarantined": 1}
    reason, _detail, sha, size = quarantine(tmp_path)[rel]
    # The new content is kept, not lost: its row holds its bytes.
    assert (reason, sha, size) == (
        Quarantine.CONFLICT.value,
        hashlib.sha256(new).hexdigest(),
        len(new),
    )
    assert new in stored_values(tmp_path / "warehouse")  # its bytes, in its quarantine row
    assert list(folder.iterdir()) == []
    assert [(n, records_with(tmp_path, f"OLD-{n}")) for n in range(3)] == [(0, 1), (1, 1), (2, 1)]
    log = landing_log(tmp_path)
    assert [row for row in log if row[0] == rel] == [
        (rel, "landed", None),
        (rel, "quarantined", Quarantine.CONFLICT.value),
    ]
    assert len(log) == 4
    assert land(tmp_path, 2).files_seen == 0


def test_an_upload_replaced_between_the_listing_and_its_read_lands_once(tmp_path):
    """Batch 3 is read after batch 1 commits: an upload of batch 3 renamed over then is read
    as the new content and landed, and left (it is not what was listed); the next landing
    finds the same upload again, a duplicate. Its records are landed once."""
    folder, names = three_uploads(tmp_path)
    (name, sent15), rel = names[2], f"S0001/{names[2][0]}"
    replaced = []

    def race(_message: str) -> None:
        if not replaced:
            replace("renamed over", folder / name, upload_bytes(sent15, "NEW-2"))
            replaced.append(True)

    assert land(tmp_path, limits=ONE_BY_ONE, progress=race).outcomes == {"landed": 3}
    assert [p.name for p in folder.iterdir()] == [name]
    again = land(tmp_path, 1)
    assert again.outcomes == {"duplicate": 1}
    assert records_with(tmp_path, "NEW-2") == 1
    assert records_with(tmp_path, "OLD-2") == 0  # replaced before any read: never seen
    assert [row[1] for row in landing_log(tmp_path) if row[0] == rel] == ["landed", "duplicate"]
    assert list(folder.iterdir()) == []
    assert land(tmp_path, 2).files_seen == 0


def test_unchanged_entries_are_deleted_and_a_second_landing_is_a_no_op(tmp_path):
    folder, _names = three_uploads(tmp_path)
    assert land(tmp_path, limits=ONE_BY_ONE).outcomes == {"landed": 3}
    assert list(folder.iterdir()) == []
    again = land(tmp_path, 1)
    assert (again.files_seen, again.batches) == (0, 0)


def test_a_recovery_leaves_an_entry_replaced_since_the_listing(tmp_path):
    """A run killed after its commit marker, before its inbox deletes: the recovery finishes
    the deletes from the journal's intent, which keeps the listing's identities, so a file
    renamed over in between is left as the run itself would have left it."""
    inbox, wh = Root(str(tmp_path / "inbox")), Root(str(tmp_path / "warehouse"))
    inbox.write_bytes("S0001/a.zip", b"listed")
    inbox.write_bytes("S0001/b.zip", b"listed")
    listing = inbox.list_entries()
    consumed = sorted(listing.sizes)

    class KilledBeforeDeletes(Root):
        def delete_many(self, rels, listed=None):
            raise KeyboardInterrupt  # where a kill would stop the run

    with pytest.raises(KeyboardInterrupt):
        journal.run_batch(
            wh, KilledBeforeDeletes(inbox.uri), "b1", [], consumed, listing.identities
        )
    assert wh.exists(layout.journal_committed("b1"))
    intent = json.loads(wh.read_bytes(layout.journal_intent("b1")))
    assert len(intent["listed"]) == 2
    inbox.write_bytes("S0001/b.zip", b"new content")  # renamed over (atomic write)

    assert journal.recover(wh, inbox).rolled_forward == 1
    assert inbox.list_files() == ["S0001/b.zip"]
    assert inbox.read_bytes("S0001/b.zip") == b"new content"


def test_delete_many_leaves_what_changed_and_deletes_what_did_not(tmp_path):
    """At the storage layer: a link or file listed, then replaced by a file, stays; an entry
    whose identity is not given is deleted by name, as before."""
    root = Root(str(tmp_path))
    for name in ("same.zip", "changed.zip", "unlisted.zip"):
        root.write_bytes(f"S0001/{name}", b"x")
    os.symlink("elsewhere", tmp_path / "S0001" / "link.zip")
    listed = root.list_entries().identities
    assert set(listed) == {f"S0001/{n}" for n in ("same.zip", "changed.zip", "unlisted.zip")} | {
        "S0001/link.zip"
    }
    root.write_bytes("S0001/changed.zip", b"y")
    os.unlink(tmp_path / "S0001" / "link.zip")
    root.write_bytes("S0001/link.zip", b"an upload at the link's name")
    listed.pop("S0001/unlisted.zip")

    root.delete_many([*sorted(listed), "S0001/unlisted.zip", "S0001/gone.zip"], listed)

    assert root.list_files() == ["S0001/changed.zip", "S0001/link.zip"]


def test_an_entry_settled_by_name_goes_only_while_it_is_no_regular_file(tmp_path):
    """`NO_FILE`: what the landing hands for an entry it quarantined by name (a link or FIFO
    swapped in after the listing, or gone): a link is deleted whatever its inode, a regular
    file put at the name since is left, an empty folder listed by name still goes."""
    root = Root(str(tmp_path))
    os.makedirs(tmp_path / "S0001" / "folder.zip")
    os.symlink("anywhere", tmp_path / "S0001" / "link.zip")
    root.write_bytes("S0001/file.zip", b"an upload put where a link was")
    names = ["S0001/link.zip", "S0001/file.zip", "S0001/folder.zip/"]

    root.delete_many(names, dict.fromkeys(names, NO_FILE))

    assert root.list_entries().identities.keys() == {"S0001/file.zip"}
    assert sorted(os.listdir(tmp_path / "S0001")) == ["file.zip"]

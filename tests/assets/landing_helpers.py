"""Helpers shared by the landing tests: land every day of a sample, read back what landed."""

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pyarrow.parquet as pq

from assets.landing.land import land_day
from storage import crypto, duck
from storage.contracts import load_contracts
from storage.roots import Root


def sample_days(manifest) -> list[dt.date]:
    return sorted(
        {
            dt.date.fromisoformat(e.service_day)
            for e in manifest.entries
            if e.service_day and e.outcome != "quarantined"
        }
    )


def land_all(inbox: Root, wh: Root, contracts_file: str, manifest, **kwargs) -> list:
    ids = frozenset(c.support_id for c in load_contracts(contracts_file))
    return [land_day(inbox, wh, ids, day, **kwargs) for day in sample_days(manifest)]


def fates(wh: Root) -> dict[str, list[tuple[str, str | None]]]:
    """inbox path -> [(outcome, reason), ...] in landing order, from the landing log."""
    con = duck.connect(wh)
    rows = con.execute(
        "select path, outcome, reason from landing_log order by logged_at, batch_id, path"
    ).fetchall()
    out: dict[str, list] = {}
    for path, outcome, reason in rows:
        out.setdefault(path, []).append((outcome, reason))
    return out


def snapshot(root: Path) -> dict[str, str]:
    """Every file below a local folder with the sha256 of its bytes."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def table_rows(wh: Root, view: str, drop: tuple[str, ...] = ()) -> list[tuple]:
    """All rows of a view, sorted, without the columns that name a batch or a time."""
    con = duck.connect(wh)
    cols = [c[0] for c in con.execute(f"describe {view}").fetchall() if c[0] not in drop]
    select = ", ".join(f'"{c}"' for c in cols)
    return sorted(con.execute(f"select {select} from {view}").fetchall(), key=repr)


def read_uploads_with_bytes(wh_path: Path) -> dict[str, bytes]:
    out = {}
    for part in sorted((wh_path / "raw" / "uploads").rglob("part-*.parquet")):
        table = pq.read_table(
            part,
            columns=["upload_key", "zip_bytes"],
            decryption_properties=crypto.decryption_properties(),
        )
        out.update(
            zip(table["upload_key"].to_pylist(), table["zip_bytes"].to_pylist(), strict=True)
        )
    return out


def land_in_runs(base: Path, manifest, runs: int = 3) -> None:
    """Land the sample in `runs` runs per day (uploads grouped by the hour they were sent, the
    files without a SENT15 with the last group), as the inbox sensor does over a day: each
    terminal-day then holds up to `runs` parts per table."""
    inbox, held = base / "inbox", base / "held"
    shutil.move(inbox, held)
    files = sorted(p for p in held.rglob("*") if p.is_file())
    for group in range(runs):
        for path in files:
            sent = path.name.split("_", 1)[-1]
            timed = sent[:10].isdigit()
            if (timed and int(sent[8:10]) % runs == group) or (not timed and group == runs - 1):
                target = inbox / path.relative_to(held)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
        inbox.mkdir(exist_ok=True)
        wh = Root(str(base / "warehouse"))
        land_all(Root(str(inbox)), wh, str(base / "contracts.yaml"), manifest)
    shutil.rmtree(held)


def raw_rows(base: Path) -> dict[str, list[tuple]]:
    """Every row of the raw views (uploads, records, rejects), sorted."""
    wh = Root(str(base / "warehouse"))
    return {view: table_rows(wh, view) for view in ("uploads", "records", "rejects")}


def parts_per_folder(base: Path) -> dict[str, int]:
    """Raw part files per partition folder (the empty anchors left out)."""
    counts: dict[str, int] = {}
    for part in (base / "warehouse" / "raw").rglob("part-*.parquet"):
        if "_empty" not in str(part):
            counts[str(part.parent)] = counts.get(str(part.parent), 0) + 1
    return counts

"""Raw compaction: a day landed in several runs (a part per run and terminal) merged into a part
per terminal keeps every row and every deliverable byte, and readers see each row once at every
step of it, a killed one included."""

import datetime as dt
import json
import posixpath

import pytest

from assets.delivery import build as dl
from assets.resources import Clock
from pipelines.jobs import compact_raw
from storage import compaction, layout, parquet, schemas, upload_bytes
from storage.contracts import load_contracts
from storage.notices import OutboxSender
from storage.roots import Root
from tests.assets.landing_helpers import land_in_runs, parts_per_folder, raw_rows, sample_days
from tests.conftest import storage_for

NOW = dt.datetime(2024, 3, 21, 21, 0, tzinfo=dt.UTC)  # 2024-03-22 06:00 JST


@pytest.fixture
def in_runs(sample):
    """The sample landed in three runs per day: up to three parts per terminal-day."""
    base, manifest = sample
    land_in_runs(base, manifest)
    return base, manifest


def daily_files(base, delivery: str, manifest) -> dict[str, bytes]:
    contracts = {c.support_id: c for c in load_contracts(str(base / "contracts.yaml"))}
    wh = Root(str(base / "warehouse"))
    roots = dl.Roots(wh, Root(str(base / delivery)))
    out = {}
    for day in sample_days(manifest):
        built = dl.daily_file(roots, contracts["S0001"], day, NOW, OutboxSender(wh), republish=True)
        if built is not None:
            folder = base / delivery / "it360-log" / "S0001"
            out[day.isoformat()] = (folder / built.publication.file_name).read_bytes()
    return out


def test_compaction_keeps_every_row_and_byte_and_leaves_a_part_per_terminal_day(in_runs):
    base, manifest = in_runs
    assert max(parts_per_folder(base).values()) >= 2  # the fixture made something to merge
    rows, files = raw_rows(base), daily_files(base, "before", manifest)
    wh = Root(str(base / "warehouse"))
    done = [
        compaction.compact_day(wh, s, d)
        for s in ("S0001", "S0002", "S0003")
        for d in sample_days(manifest)
    ]
    assert sum(c.folders for c in done) > 0 and sum(c.recovered for c in done) == 0
    assert set(parts_per_folder(base).values()) == {1}
    assert raw_rows(base) == rows
    assert daily_files(base, "after", manifest) == files
    assert not list((base / "warehouse" / "raw").rglob("compact-*.json"))
    again = [compaction.compact_day(wh, c.support_id, c.day) for c in done]
    assert sum(c.folders for c in again) == 0  # nothing left to merge


def _one_folder(base) -> tuple[Root, str, list[str]]:
    wh = Root(str(base / "warehouse"))
    folder = max(parts_per_folder(base).items(), key=lambda kv: (kv[1], kv[0]))[0]
    rel = wh.rel(folder)
    return wh, rel, compaction.visible_parts(wh, rel)


@pytest.mark.parametrize("stop_after", ["manifest", "merged", "some deleted", "all deleted"])
def test_readers_see_each_row_once_at_every_step_and_a_kill_is_settled(in_runs, stop_after):
    base, _ = in_runs
    wh, folder, parts = _one_folder(base)
    table = folder.split("/")[1]
    support_id = layout.hive_value(folder, "support_id")
    day = dt.date.fromisoformat(layout.hive_value(folder, "day"))
    before = raw_rows(base)
    keys_before = upload_bytes.upload_meta(wh, support_id, day, columns=["upload_key"])

    # The steps of `_compact_folder`, stopped where a kill would stop them.
    merged = f"{folder}/part-29990101T000000-ckilled.parquet"
    manifest = f"{folder}/compact-29990101T000000-ckilled.json"
    body = {
        "merged": posixpath.basename(merged),
        "replaced": [posixpath.basename(p) for p in parts],
    }
    wh.write_bytes(manifest, json.dumps(body).encode())
    if stop_after != "manifest":
        rows = parquet.read_tables(wh, parts, schemas.TABLES[table])
        parquet.write_table(wh, merged, rows)
    if stop_after == "some deleted":
        wh.delete(parts[0])
    if stop_after == "all deleted":
        wh.delete_many(parts)

    expected = parts if stop_after == "manifest" else [merged]
    assert compaction.visible_parts(wh, folder) == expected
    keys = upload_bytes.upload_meta(wh, support_id, day, columns=["upload_key"])
    assert sorted(keys["upload_key"].to_pylist()) == sorted(keys_before["upload_key"].to_pylist())

    settled = compaction.compact_day(wh, support_id, day)  # the next run settles it first
    assert settled.recovered == 1
    assert not list((base / "warehouse" / "raw").rglob("compact-*.json"))
    assert raw_rows(base) == before
    assert len(compaction.visible_parts(wh, folder)) == 1


def _compact_raw_metadata(base) -> dict:
    result = compact_raw.execute_in_process(
        resources={"storage": storage_for(base), "clock": Clock(fixed="2024-03-22T06:00:00+09:00")},
    )
    assert result.success
    events = [e for e in result.all_events if e.event_type_value == "STEP_OUTPUT"]
    return {k: v.value for k, v in events[0].event_specific_data.metadata.items()}


def _rows_in(base, folders: list[str]) -> int:
    wh = Root(str(base / "warehouse"))
    rows = 0
    for folder in folders:
        table = next(t for t in schemas.TABLES if f"/raw/{t}/" in folder)
        parts = wh.list_files(wh.rel(folder))
        rows += parquet.read_tables(wh, parts, schemas.TABLES[table]).num_rows
    return rows


def test_the_job_compacts_last_weeks_closed_days_and_says_what_it_merged(in_runs):
    base, manifest = in_runs
    several = sorted(folder for folder, n in parts_per_folder(base).items() if n > 1)
    rows_before = _rows_in(base, several)
    meta = _compact_raw_metadata(base)
    assert meta["days"] == [f"2024-03-{d}" for d in range(15, 22)]
    assert meta["folders_merged"] == len(several)
    assert meta["parts_replaced"] > meta["folders_merged"]
    assert meta["rows_merged"] == rows_before == _rows_in(base, several) > 0
    assert meta["days_merged"] == len(sample_days(manifest))
    assert set(sample_days(manifest)) <= {dt.date.fromisoformat(d) for d in meta["days"]}
    assert set(parts_per_folder(base).values()) == {1}
    assert meta["summary"] == (
        f"merged {meta['parts_replaced']} parts ({meta['rows_merged']} rows) into "
        f"{len(several)} parts, {len(sample_days(manifest))} service days of 2024-03-15 to "
        "2024-03-21"
    )
    again = _compact_raw_metadata(base)
    assert again["folders_merged"] == again["rows_merged"] == 0
    assert again["summary"] == (
        "nothing to merge: each terminal-day of 2024-03-15 to 2024-03-21 is one part"
    )


def test_the_parts_of_an_uncommitted_landing_batch_are_not_merged(in_runs):
    base, _ = in_runs
    wh, folder, parts = _one_folder(base)
    support_id = layout.hive_value(folder, "support_id")
    day = dt.date.fromisoformat(layout.hive_value(folder, "day"))
    killed = layout.part_name_id(parts[0])  # as if its batch had died before its commit
    wh.write_bytes(layout.journal_intent(killed), json.dumps({"batch_id": killed}).encode())
    compaction.compact_day(wh, support_id, day)
    after = compaction.visible_parts(wh, folder)
    assert parts[0] in after and len(after) == 2  # the killed part, and the rest merged
    wh.write_bytes(layout.journal_committed(killed), b"")
    compaction.compact_day(wh, support_id, day)
    assert len(compaction.visible_parts(wh, folder)) == 1

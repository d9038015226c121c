"""A landing killed with SIGKILL at any storage operation, then re-run, loses nothing and
duplicates nothing: the warehouse equals a clean run's."""

import shutil
import subprocess
import sys
from pathlib import Path

from storage.roots import Root
from tests.assets.landing_helpers import land_all, sample_days, snapshot, table_rows

SCRIPT = Path(__file__).with_name("kill_landing.py")
REPO = Path(__file__).resolve().parents[2]
IGNORE = ("batch_id", "landed_at", "quarantined_at", "logged_at", "quarantined_day")


def run(base: Path, day: str, kill_at: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            str(base / "inbox"),
            str(base / "warehouse"),
            str(base / "contracts.yaml"),
            day,
            str(kill_at),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_kill_at_many_points_then_rerun_equals_a_clean_run(sample, tmp_path):
    base, manifest = sample
    day = sample_days(manifest)[1].isoformat()
    clean = tmp_path / "clean"
    shutil.copytree(base, clean)
    counted = run(clean, day, 0)
    assert counted.returncode == 0, counted.stderr
    operations = int(counted.stdout.strip().splitlines()[-1])
    land_all(
        Root(str(clean / "inbox")),
        Root(str(clean / "warehouse")),
        str(clean / "contracts.yaml"),
        manifest,
    )
    want = {
        v: table_rows(Root(str(clean / "warehouse")), v, IGNORE)
        for v in ("uploads", "records", "rejects", "quarantine")
    }
    assert operations > 20
    points = sorted({1 + (i * (operations - 1)) // 21 for i in range(22)})
    for kill_at in points:
        work = tmp_path / f"kill{kill_at}"
        shutil.copytree(base, work)
        killed = run(work, day, kill_at)
        assert killed.returncode == -9, (kill_at, killed.stderr[-2000:])
        wh = Root(str(work / "warehouse"))
        land_all(Root(str(work / "inbox")), wh, str(work / "contracts.yaml"), manifest)
        for view, rows in want.items():
            assert table_rows(wh, view, IGNORE) == rows, (kill_at, view)
        files = snapshot(work / "warehouse")
        assert not [p for p in files if p.startswith("_state/journal")], kill_at
        assert not [p for p in files if ".tmp-" in p], kill_at  # no partial file left

"""What a killed writer leaves beside publication records (a hidden temporary) is swept by the
next daily export once it is a day old, never while a writer could still own it."""

import os
import shutil
import time

from tests.faults import stages
from tests.faults.conftest import workspace

PUBLISH = 1


def test_stale_record_temporaries_are_swept_and_fresh_ones_kept(clean_run, tmp_path):
    folder = tmp_path / "work"
    shutil.copytree(clean_run.states[PUBLISH], folder)
    records = folder / "warehouse" / "publications" / "support_id=S0001" / "day=2024-03-20"
    records.mkdir(parents=True)
    stale = records / ".part-x.parquet.tmp-0123"
    fresh = records / ".part-y.parquet.tmp-4567"
    stale.write_bytes(b"PAR1 cut short")
    fresh.write_bytes(b"PAR1 being written")
    day_old = time.time() - 86_400 - 60
    os.utime(stale, (day_old, day_old))
    stages.run(stages.PUBLISH, workspace(folder, clean_run.days))
    assert not stale.exists() and fresh.exists()

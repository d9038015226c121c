"""Daily export of one landed contract-day, and its plain peer.

    python -m bench.daily_export build WAREHOUSE DELIVERY SUPPORT_ID DAY
    python -m bench.daily_export plain WAREHOUSE OUT.zip SUPPORT_ID DAY

`build` is the pipeline's `daily_file` (plan, fetch each upload's original bytes from the raw
store, stream the deterministic ZIP into the delivery root, record the publication). `plain`
copies the same upload bytes from the same Parquet parts (decrypted with the warehouse key,
which any reader must do) into a STORED ZIP with the standard library: the cost of the bytes
alone.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import zipfile
from pathlib import Path


def build(wh: str, delivery: str, support_id: str, day: str) -> None:
    from assets.delivery import build as dl
    from storage.contracts import Contract
    from storage.notices import OutboxSender
    from storage.roots import Root

    shutil.rmtree(delivery, ignore_errors=True)
    service_day = dt.date.fromisoformat(day)
    now = dt.datetime.combine(service_day + dt.timedelta(days=2), dt.time(6), dt.UTC)
    built = dl.daily_file(
        dl.Roots(Root(wh), Root(delivery)),
        Contract(support_id, True, None, None, None),
        service_day,
        now,
        OutboxSender(Root(wh)),
        republish=True,
    )
    print(f"daily file: {built.publication.uploads} uploads, {built.publication.size} bytes")


def plain(wh: str, out: str, support_id: str, day: str) -> None:
    import pyarrow.parquet as pq

    from storage import crypto

    folder = Path(wh, "raw", "uploads", f"support_id={support_id}", f"day={day}")
    decryption = crypto.decryption_properties()  # the warehouse is encrypted at rest
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for part in sorted(folder.glob("tmid=*/part-*.parquet")):
            table = pq.read_table(
                part,
                columns=["upload_key", "computer", "zip_bytes"],
                decryption_properties=decryption,
            )
            for key, computer, data in zip(
                table["upload_key"].to_pylist(),
                table["computer"].to_pylist(),
                table["zip_bytes"].to_pylist(),
                strict=True,
            ):
                archive.writestr(f"{day}/{computer or '_unknown'}/{key}.zip", data)


if __name__ == "__main__":
    {"build": build, "plain": plain}[sys.argv[1]](*sys.argv[2:6])

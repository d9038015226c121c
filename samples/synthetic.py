"""A raw store filled directly through the storage layer, for deliverables at scale: tens of
thousands of uploads of one terminal without landing them one by one (tests and benchmarks)."""

import datetime as dt
import io
import random
import zipfile

import pyarrow as pa

from storage import layout, parquet, schemas, warehouse
from storage.roots import Root

TMID = "SYNTH000-0000-0000-0000-000000000001"


def tiny_upload(sent15: str, i: int, padding: int = 0) -> bytes:
    """A small valid upload ZIP; `padding` adds that many incompressible bytes to its log."""
    buf = io.BytesIO()
    body = f"#{i}\r\n".encode() + random.Random(i).randbytes(padding)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(zipfile.ZipInfo(f"{sent15}.log", (2024, 1, 1, 0, 0, 0)), body)
    return buf.getvalue()


def fill(
    wh: Root,
    support_id: str,
    first_day: dt.date,
    days: int,
    per_day: int,
    computer: str = "BIG-PC",
    padding: int = 0,
) -> int:
    """`per_day` uploads of TMID on each of `days` service days; returns how many."""
    warehouse.ensure_schema_anchors(wh)
    total = 0
    for d in range(days):
        day = first_day + dt.timedelta(days=d)
        start = dt.datetime.combine(day, dt.time(5))
        rows = []
        for i in range(per_day):
            sent = start + dt.timedelta(seconds=i)
            sent15 = sent.strftime("%Y%m%d%H%M%S") + "0"
            upload_id = f"{i:032d}"
            data = tiny_upload(sent15, i, padding)
            rows.append(
                {
                    "support_id": support_id,
                    "day": day,
                    "tmid": TMID,
                    "upload_key": f"{TMID}_{sent15}-{upload_id}",
                    "sent15": sent15,
                    "upload_id": upload_id,
                    "sent_at": sent.replace(tzinfo=dt.UTC),
                    "computer": computer,
                    "agent_version": "5.0",
                    "charset": "utf-8",
                    "header": "{}",
                    "zip_size": len(data),
                    "log_size": 8,
                    "sha256": "",
                    "records": 0,
                    "rejects": 0,
                    "batch_id": "synthetic",
                    "landed_at": sent.replace(tzinfo=dt.UTC),
                    "zip_bytes": data,
                }
            )
        table = pa.Table.from_pylist(rows, schema=schemas.UPLOADS)
        parquet.write_table(
            wh, layout.raw_part("uploads", support_id, day, TMID, "synthetic"), table
        )
        total += per_day
    return total

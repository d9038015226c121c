"""The dashboard's baseline: DuckDB reading one day's records once.

    python -m bench.records_scan WAREHOUSE DAY

`select count(*)` over every record part of the service day (all contracts): the least any
build of that day's aggregates has to do, since it must read the records at least once.
"""

from __future__ import annotations

import sys

from storage import duck


def main(wh: str, day: str) -> None:
    con = duck.open_connection()  # the warehouse is encrypted: the scan decrypts, as a build's
    count = con.execute(
        "select count(*) from warehouse_parquet(?)",
        [f"{wh}/raw/records/support_id=*/day={day}/*/*.parquet"],
    ).fetchone()[0]
    print(f"{count} records on {day}")


if __name__ == "__main__":
    main(*sys.argv[1:3])

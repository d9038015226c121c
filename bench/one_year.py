"""Benchmark: the 1-year spot file of one terminal with 70,000 uploads.

    python -m bench.one_year [--uploads 70000] [--runs 3] [--write-docs]

Compares the pipeline's `spot_1_year` (planning, fetching each day's original bytes from the
raw store, streaming a deterministic ZIP64 into the delivery root) with the plain peer: the same
bytes read from the same Parquet parts and written into a STORED ZIP by the standard library.
"""

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from bench.measure import REPO, machine, median_of, table, write_section

FIRST_DAY = dt.date(2024, 1, 1)
PADDING = 1400  # bytes of log per upload: inner ZIPs of about 1.5 KB, like real uploads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=70_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    from samples import synthetic
    from storage.roots import Root

    with tempfile.TemporaryDirectory(prefix="bench-1y-") as tmp:
        wh = Path(tmp) / "wh"
        per_day = -(-args.uploads // 365)
        total = synthetic.fill(Root(str(wh)), "S0001", FIRST_DAY, 365, per_day, padding=PADDING)
        print(f"raw store: {total} uploads of one terminal over 365 days", flush=True)
        ours = median_of(["-m", "bench.one_year", "build", str(wh), f"{tmp}/delivery"], args.runs)
        plain = median_of(["-m", "bench.one_year", "plain", str(wh), f"{tmp}/plain.zip"], args.runs)
        size = next(Path(f"{tmp}/delivery").rglob("*.zip")).stat().st_size
    ratio = ours.wall / plain.wall
    rss_ok = "PASS" if ours.rss_mib < 300 else "FAIL"
    body = "\n".join(
        [
            f"One terminal, {total} uploads over 365 days, outer ZIP {size / 2**20:.0f} MiB "
            f"(ZIP64). Median of {args.runs} runs, each a whole process. Machine: {machine()}.",
            "",
            table(
                [
                    (
                        "spot_1_year (pipeline)",
                        ours,
                        f"{ratio:.2f}x the plain copy; RSS < 300 MiB: {rss_ok}",
                    ),
                    ("plain copy (zipfile STORED)", plain, "baseline"),
                ]
            ),
        ]
    )
    print(body)
    if args.write_docs:
        write_section(REPO / "docs" / "performance.md", "1-year spot file", body)


def build(wh: str, delivery: str) -> None:
    from assets.delivery import build as dl
    from samples import synthetic
    from storage.contracts import Contract
    from storage.notices import OutboxSender
    from storage.roots import Root

    shutil.rmtree(delivery, ignore_errors=True)
    now = dt.datetime(2024, 12, 31, 12, tzinfo=dt.UTC)
    roots = dl.Roots(Root(wh), Root(delivery))
    dl.spot_1_year(
        roots,
        Contract("S0001", True, None, None, None),
        synthetic.TMID,
        "BIG-PC",
        None,
        now,
        OutboxSender(Root(wh)),
    )


def plain(wh: str, out: str) -> None:
    import pyarrow.parquet as pq

    from storage import crypto

    parts = sorted(Path(wh, "raw", "uploads", "support_id=S0001").glob("day=*/tmid=*/*.parquet"))
    decryption = crypto.decryption_properties()  # the warehouse is encrypted at rest
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
        for part in parts:
            day = part.parent.parent.name.removeprefix("day=")
            table = pq.read_table(
                part, columns=["upload_key", "zip_bytes"], decryption_properties=decryption
            )
            for key, data in zip(
                table["upload_key"].to_pylist(), table["zip_bytes"].to_pylist(), strict=True
            ):
                archive.writestr(f"{day}/{key}.zip", data)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("build", "plain"):
        {"build": build, "plain": plain}[sys.argv[1]](*sys.argv[2:])
    else:
        main()

"""Does DuckDB prune an Arrow scan of a `pyarrow.dataset` for the pins analysts write? (issue 21)

    python -m bench.arrow_pushdown WAREHOUSE   # with IT360_KEY / IT360_KEY_FILE of that warehouse

The alternative to rewriting a query's text (transforms/partition_limits.py): register the raw
`records` table as a pyarrow dataset (hive folders, decrypted by pyarrow) and let DuckDB push
its filters into the Arrow scan. For each query shape this prints the Parquet files pyarrow
opened (counted on the filesystem the dataset reads through) and the seconds, beside the files
of the folders the query names; and once, what building the dataset costs (it lists every
file of the table: the views' connect lists none).
"""

from __future__ import annotations

import sys
import time

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from storage import crypto


class CountingHandler(pafs.FileSystemHandler):
    """The local filesystem, counting the files opened for reading."""

    def __init__(self) -> None:
        self.local = pafs.LocalFileSystem()
        self.opened = 0

    def open_input_file(self, path):
        self.opened += 1
        return self.local.open_input_file(path)

    def open_input_stream(self, path):
        self.opened += 1
        return self.local.open_input_stream(path)

    # the rest as the local filesystem
    def get_type_name(self):
        return "counting"

    def equals(self, other):
        return self is other

    def get_file_info(self, paths):
        return self.local.get_file_info(paths)

    def get_file_info_selector(self, selector):
        return self.local.get_file_info(selector)

    def normalize_path(self, path):
        return self.local.normalize_path(path)

    def create_dir(self, path, recursive):
        raise NotImplementedError

    def delete_dir(self, path):
        raise NotImplementedError

    def delete_dir_contents(self, path, missing_dir_ok=False):
        raise NotImplementedError

    def delete_root_dir_contents(self):
        raise NotImplementedError

    def delete_file(self, path):
        raise NotImplementedError

    def move(self, src, dest):
        raise NotImplementedError

    def copy_file(self, src, dest):
        raise NotImplementedError

    def open_output_stream(self, path, metadata):
        raise NotImplementedError

    def open_append_stream(self, path, metadata):
        raise NotImplementedError


def shapes(support_id: str, day: str, other_day: str) -> dict[str, str]:
    return {
        "day = literal": f"where support_id = '{support_id}' and day = date '{day}'",
        "day = expression": f"where support_id = '{support_id}' and day = date '{day}' + 1 - 1",
        "day = current_date arithmetic": (
            f"where support_id = '{support_id}' "
            f"and day = current_date - cast(current_date - date '{day}' as integer)"
        ),
        "or of two contract-days": (
            f"where (support_id = '{support_id}' and day = date '{day}') "
            f"or (support_id = '{support_id}' and day = date '{other_day}')"
        ),
        "in of days": f"where support_id = '{support_id}' and day in ('{day}', '{other_day}')",
        "tmid pinned": f"where support_id = '{support_id}' and day = date '{day}' and tmid = ",
    }


def main() -> None:
    wh = sys.argv[1]
    handler = CountingHandler()
    fs = pafs.PyFileSystem(handler)
    options = ds.ParquetFragmentScanOptions(decryption_properties=crypto.decryption_properties())
    started = time.perf_counter()
    records = ds.dataset(
        f"{wh}/raw/records",
        filesystem=fs,
        format=ds.ParquetFileFormat(default_fragment_scan_options=options),
        partitioning=ds.partitioning(
            pa.schema([("support_id", pa.string()), ("day", pa.date32()), ("tmid", pa.string())]),
            flavor="hive",
        ),
        exclude_invalid_files=False,
    )
    files = records.files
    print(f"dataset built in {time.perf_counter() - started:.3f} s, listing {len(files)} files")
    folders = sorted({f.rsplit("/", 3)[1] for f in files if "day=" in f and "_empty" not in f})
    support_id = next(f for f in files if "support_id=S" in f).split("support_id=")[1][:5]
    day, other_day = folders[len(folders) // 2][4:], folders[len(folders) // 2 + 1][4:]
    tmid = next(f for f in files if f"day={day}" in f).split("tmid=")[1].split("/")[0]
    con = duckdb.connect()
    con.register("records", records)
    queries = {
        name: f"select count(*) from records {where}"
        for name, where in shapes(support_id, day, other_day).items()
    }
    queries["tmid pinned"] += f"'{tmid}'"
    queries["join, one side pinned"] = (
        "select count(*) from records r join (select distinct support_id, day, tmid "
        f"from records where support_id = '{support_id}' and day = '{day}') p "
        "on r.support_id = p.support_id and r.day = p.day and r.tmid = p.tmid"
    )
    print("| shape | files opened | of the dataset | s | count |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, query in queries.items():
        handler.opened = 0
        started = time.perf_counter()
        try:
            got = con.sql(query).fetchall()[0][0]
        except duckdb.Error as exc:
            got = f"error: {str(exc).splitlines()[0][:60]}"
        seconds = time.perf_counter() - started
        print(f"| {name} | {handler.opened} | {len(files)} | {seconds:.3f} | {got} |")


if __name__ == "__main__":
    main()

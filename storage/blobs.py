"""Opaque files kept in the warehouse (diagnostic bundles, oversized quarantined files),
stored encrypted like every table: a Parquet file of (chunk, bytes) rows, written and read in
bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from storage import crypto, parquet
from storage.roots import Root

CHUNK = 8 << 20
BLOB = pa.schema([("chunk", pa.int32()), ("data", pa.large_binary())])


def write_blob(root: Root, rel: str, source: IO[bytes]) -> int:
    """Copy a stream into an encrypted blob file, atomically; returns the bytes copied."""
    size = 0
    with root.open_write(rel) as sink:
        writer = pq.ParquetWriter(
            sink,
            BLOB,
            compression="none",
            encryption_properties=crypto.encryption_properties(),
            **parquet.ONE_PAGE_PER_COLUMN_CHUNK,
        )
        index = 0
        while block := source.read(CHUNK):
            writer.write_table(pa.table({"chunk": [index], "data": [block]}, schema=BLOB))
            size += len(block)
            index += 1
        writer.close()
    return size


def read_blob(root: Root, rel: str) -> Iterator[bytes]:
    """The blob's bytes, chunk by chunk."""
    with root.open_read(rel) as src:
        try:
            reader = pq.ParquetFile(src, decryption_properties=crypto.decryption_properties())
        except OSError as exc:
            raise crypto.explain_read_error(exc, root.url(rel)) from exc
        for group in range(reader.num_row_groups):
            yield from reader.read_row_group(group, columns=["data"])["data"].to_pylist()


def main(argv: list[str] | None = None) -> None:
    """`python -m storage.blobs ROOT REL OUT`: decrypt one blob (a diagnostic bundle for
    support, an oversized quarantined file) into a plain file OUT."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("root", help="the warehouse folder or s3:// prefix")
    parser.add_argument("rel", help="the blob's path inside the warehouse")
    parser.add_argument("out", help="where to write the plain bytes")
    args = parser.parse_args(argv)
    with open(args.out, "xb") as out:
        for chunk in read_blob(Root(args.root), args.rel):
            out.write(chunk)


if __name__ == "__main__":
    main()

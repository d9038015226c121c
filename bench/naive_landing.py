"""The naive peer: a straightforward landing script, for the benchmark to compare against.

    python -m bench.naive_landing INBOX CONTRACTS_FILE DAY OUT_FOLDER

What one would write first: walk the inbox, open each ZIP with `zipfile`, read each record
line with `csv` and `json.loads`, collect Python rows, and write one Parquet file per table
(`uploads`, `records`, `rejects`, same columns as the raw store's) with pyarrow. It applies
the contract's rules so that it lands the same rows as the pipeline on an empty warehouse
(`bench.run` checks that), but no journal, batching, partitioning or quarantine table.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import sys
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from storage import schemas

NAME_RE = re.compile(
    r"([0-9A-Z]{8}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{12})_([0-9]{15})-([0-9A-Za-z]{32})\.zip"
)
TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}")
SEQ_RE = re.compile(r"\d{1,20}")
JST = dt.timezone(dt.timedelta(hours=9))
MAX_LOG = 256 << 20


def main(inbox: str, contracts_file: str, day_text: str, out: str) -> None:
    with open(contracts_file, encoding="utf-8") as f:
        contracts = {c["support_id"] for c in yaml.safe_load(f)["contracts"]}
    day = dt.date.fromisoformat(day_text)
    candidates = []
    for support_id in sorted(contracts):
        folder = os.path.join(inbox, support_id)
        for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            m = NAME_RE.fullmatch(name)
            if m is None:
                continue
            try:
                sent = dt.datetime.strptime(m.group(2)[:14], "%Y%m%d%H%M%S")
            except ValueError:
                continue
            if (sent - dt.timedelta(hours=5)).date() == day:
                candidates.append((m.group(2), support_id, name, m.groups(), sent))
    uploads, records, rejects = [], [], []
    owners: dict[str, str] = {}  # the first contract to land a TMID owns it
    for sent15, support_id, name, (tmid, _, upload_id), sent in sorted(candidates):
        if owners.get(tmid, support_id) != support_id:
            continue
        with open(os.path.join(inbox, support_id, name), "rb") as f:
            data = f.read()
        log = read_member(data, sent15)
        if log is None:
            continue
        header = read_header(log, tmid)
        if header is BAD:
            continue
        owners[tmid] = support_id
        key = f"{tmid}_{sent15}-{upload_id}"
        base = {"support_id": support_id, "day": day, "tmid": tmid, "upload_key": key}
        n_rec, n_rej = land_lines(base, header, log, records, rejects)
        fields, charset = header or ({}, None)
        uploads.append(
            base
            | {
                "sent15": sent15,
                "upload_id": upload_id,
                "sent_at": sent.replace(microsecond=int(sent15[14]) * 100_000, tzinfo=JST),
                "computer": fields.get("computer"),
                "agent_version": fields.get("agent"),
                "charset": charset,
                "header": json.dumps(fields, ensure_ascii=False) if header else None,
                "zip_size": len(data),
                "log_size": len(log),
                "sha256": hashlib.sha256(data).hexdigest(),
                "records": n_rec,
                "rejects": n_rej,
                "batch_id": "naive",
                "landed_at": dt.datetime.now(dt.UTC),
                "zip_bytes": data,
            }
        )
    os.makedirs(out, exist_ok=True)
    for table, rows in (("uploads", uploads), ("records", records), ("rejects", rejects)):
        pq.write_table(
            pa.Table.from_pylist(rows, schema=schemas.TABLES[table]),
            os.path.join(out, f"{table}.parquet"),
            compression="zstd",
        )
    print(f"naive: {len(uploads)} uploads, {len(records)} records, {len(rejects)} rejects")


def read_member(data: bytes, sent15: str) -> bytes | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) != 1 or infos[0].filename != f"{sent15}.log":
                return None
            info = infos[0]
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                return None
            if info.file_size > MAX_LOG or info.file_size > 1000 * max(info.compress_size, 1):
                return None
            return archive.read(info)
    except Exception:
        return None


BAD = object()


def read_header(log: bytes, tmid: str):
    """(fields, codec) of the header line; None: no header; BAD: not landable."""
    bom = log.startswith(b"\xef\xbb\xbf")
    first = log[3 if bom else 0 :].split(b"\n", 1)[0].removesuffix(b"\r")
    if first.split(b"\t", 1)[0] != b"#ITLOG/2":
        return None
    charsets = [f[8:] for f in first.split(b"\t") if f.startswith(b"charset=")]
    codec = charsets[0].decode("ascii", "replace").strip().lower() if charsets else None
    if codec not in ("utf-8", "cp932") or (bom and codec != "utf-8"):
        return BAD
    fields: dict[str, str] = {}
    try:
        items = first.decode(codec).split("\t")[1:]
    except UnicodeDecodeError:
        return BAD
    for item in items:
        k, sep, v = item.partition("=")
        if not sep or not k or not k.isascii() or k in fields:
            return BAD
        fields[k] = v
    if any(k not in fields for k in ("tmid", "computer", "agent", "charset")):
        return BAD
    return BAD if fields["tmid"] != tmid else (fields, codec)


def land_lines(base, header, log, records, rejects) -> tuple[int, int]:
    """Every non-empty line after the header: a record row or a reject row."""
    lines = log.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    first_no = 1
    if header is not None:
        lines, first_no = lines[1:], 2
    good: list[tuple[int, bytes, str]] = []  # (line number, raw, text) of decodable lines
    bad: list[tuple[int, bytes, str]] = []  # (line number, raw, reason)
    for offset, raw in enumerate(lines):
        raw = raw.removesuffix(b"\r")
        if not raw:
            continue
        if header is None:
            bad.append((first_no + offset, raw, "no_header"))
            continue
        try:
            good.append((first_no + offset, raw, raw.decode(header[1])))
        except UnicodeDecodeError:
            bad.append((first_no + offset, raw, "undecodable"))
    reader = csv.reader((text for _, _, text in good), delimiter="\t", quoting=csv.QUOTE_NONE)
    n_rec = 0
    for (line_no, raw, _), fields in zip(good, reader, strict=True):
        reason, row = parse_fields(fields)
        if reason is None:
            records.append(base | {"line_no": line_no} | row)
            n_rec += 1
        else:
            bad.append((line_no, raw, reason))
    for line_no, raw, reason in sorted(bad):
        rejects.append(base | {"line_no": line_no, "reason": reason, "raw_line": raw})
    return n_rec, len(bad)


def parse_fields(fields: list[str]):
    if len(fields) != 6:
        return "field_count", None
    time_text, seq, type_, user, process, detail = fields
    if not TIME_RE.fullmatch(time_text):
        return "bad_time", None
    try:
        time = dt.datetime.fromisoformat(time_text).astimezone(dt.UTC)
    except ValueError:
        return "bad_time", None
    if not SEQ_RE.fullmatch(seq) or int(seq) >= 1 << 64:
        return "bad_seq", None
    if not type_:
        return "bad_type", None
    try:
        parsed = json.loads(detail)
    except ValueError:
        return "bad_detail", None
    if not isinstance(parsed, dict):
        return "bad_detail", None
    row = {"time": time, "seq": int(seq), "type": type_, "user": user, "process": process}
    return None, row | {"detail": detail}


if __name__ == "__main__":
    main(*sys.argv[1:5])

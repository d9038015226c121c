"""Decide the fate of a batch of inbox uploads and build the rows they land as (pure).

Every file ends in exactly one place: landed, duplicate or quarantined. The caller supplies what
the warehouse already holds (landed keys with their sha256, which contract owns each TMID) and
writes what comes back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from transforms.inbox import InboxEntry, not_a_file_detail
from transforms.log_header import SplitLog, split_log
from transforms.reasons import Quarantine
from transforms.service_day import JST
from transforms.upload_zip import BadUpload, extract_log

# Polars (and DuckDB, through `transforms.records`) only where rows are built: the landing
# process itself only decides and writes, and importing them there would delay the start of
# its worker processes, which do build the rows.
if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class InboxFile:
    entry: InboxEntry  # kind UPLOAD: support_id and name are set
    data: bytes


@dataclass(frozen=True)
class QuarantineItem:
    path: str
    support_id: str | None
    service_day: dt.date | None
    reason: Quarantine
    detail: str
    data: bytes | None  # None: too large to keep inline (stored beside, see storage)
    size: int
    sha256: str | None


# The landing log's columns that differ per file (see `storage/schemas.py`, LANDING_LOG).
FATES = pa.schema(
    [
        ("path", pa.string()),
        ("support_id", pa.string()),
        ("service_day", pa.date32()),
        ("upload_key", pa.string()),
        ("outcome", pa.string()),
        ("reason", pa.string()),
        ("sha256", pa.string()),
        ("size", pa.int64()),
    ]
)


class Fates:
    """Inbox files' outcomes, for the landing log: landed | duplicate | quarantined | diag.

    Kept as one tuple per file and handed on as an Arrow table (`table()`), not as an object
    per file: a batch has thousands of files, and an object each costs more to make, to send
    from a worker process and to turn into the log's columns than the log's write itself."""

    def __init__(self) -> None:
        self._rows: list[tuple] = []

    def add(
        self,
        *,
        path: str,
        support_id: str | None,
        service_day: dt.date | None,
        upload_key: str | None,
        outcome: str,
        reason: str | None,
        sha256: str | None,
        size: int,
    ) -> None:
        """One file's outcome: the arguments are `FATES`'s columns, kept in its order."""
        self._rows.append(
            (path, support_id, service_day, upload_key, outcome, reason, sha256, size)
        )

    def add_upload(self, file: InboxFile, sha: str, outcome: str, reason: str | None) -> None:
        """An upload that was read: landed, a duplicate, or quarantined for its content."""
        entry = file.entry
        self.add(
            path=entry.path,
            support_id=entry.support_id,
            service_day=entry.service_day,
            upload_key=entry.name.key if entry.name else None,
            outcome=outcome,
            reason=reason,
            sha256=sha,
            size=len(file.data),
        )

    def add_quarantined(self, item: QuarantineItem) -> None:
        """A quarantined inbox file."""
        self.add(
            path=item.path,
            support_id=item.support_id,
            service_day=item.service_day,
            upload_key=None,
            outcome="quarantined",
            reason=item.reason.value,
            sha256=item.sha256,
            size=item.size,
        )

    def add_diag(self, entry: InboxEntry, size: int) -> None:
        """A diagnostic bundle (stored as it is, never opened)."""
        self.add(
            path=entry.path,
            support_id=entry.support_id,
            service_day=entry.service_day,
            upload_key=entry.name.key,
            outcome="diag",
            reason=None,
            sha256=None,
            size=size,
        )

    def table(self) -> pa.Table:
        """The outcomes so far, in the order they were added (`FATES` columns)."""
        columns = list(zip(*self._rows, strict=True)) or [()] * len(FATES)
        arrays = [pa.array(c, f.type) for c, f in zip(columns, FATES, strict=True)]
        return pa.Table.from_arrays(arrays, schema=FATES)


@dataclass
class LandingContext:
    landed_sha: dict[str, str]  # upload_key -> sha256 of what landed before
    owners: dict[str, str]  # tmid -> owning support_id


@dataclass
class BatchResult:
    uploads: pl.DataFrame
    records: pl.DataFrame
    rejects: pl.DataFrame
    quarantined: list[QuarantineItem] = field(default_factory=list)
    fates: pa.Table = field(default_factory=lambda: Fates().table())  # `FATES` rows
    new_owners: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Landing:
    file: InboxFile
    sha256: str
    log_size: int  # the log itself is not kept: its body (in `split`) is what is parsed
    split: SplitLog
    computer: str | None
    agent: str | None
    charset: str | None
    header_json: str | None


def not_a_file(entry: InboxEntry, what: str) -> QuarantineItem:
    """An inbox entry found not to be a regular file ("a symbolic link", ...) when it was to
    be read: quarantined by name with an empty content, nothing of it read."""
    return QuarantineItem(
        path=entry.path,
        support_id=entry.support_id,
        service_day=entry.service_day,
        reason=Quarantine.NOT_A_FILE,
        detail=not_a_file_detail(what),
        data=b"",
        size=0,
        sha256=None,
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def triage_batch(
    files: list[InboxFile], context: LandingContext, landed_at: dt.datetime
) -> BatchResult:
    """Decide every file's fate; earlier SENT15 first, so the first sender claims a TMID."""
    ordered = sorted(files, key=lambda f: (f.entry.name.sent15, f.entry.support_id, f.entry.path))
    owners = dict(context.owners)
    landed_sha = dict(context.landed_sha)
    new_owners: dict[str, str] = {}
    landings: list[_Landing] = []
    quarantined: list[QuarantineItem] = []
    fates = Fates()
    for file in ordered:
        entry, name = file.entry, file.entry.name
        sha = sha256_hex(file.data)
        try:
            owner = owners.get(name.tmid)
            if owner is not None and owner != entry.support_id:
                raise BadUpload(
                    Quarantine.CROSS_CONTRACT_TMID,
                    # Not which one: this row is kept in the newcomer's contract partition.
                    f"TMID {name.tmid} already belongs to another contract",
                )
            prior = landed_sha.get(name.key)
            if prior == sha:
                fates.add_upload(file, sha, "duplicate", None)
                continue
            if prior is not None:
                raise BadUpload(
                    Quarantine.CONFLICT,
                    f"{name.key} already landed with sha256 {prior}, this one is {sha}",
                )
            landing = _open(file, sha)
        except BadUpload as bad:
            quarantined.append(_quarantine(file, sha, bad))
            fates.add_upload(file, sha, "quarantined", bad.reason.value)
            continue
        landed_sha[name.key] = sha
        if name.tmid not in owners:
            owners[name.tmid] = entry.support_id
            new_owners[name.tmid] = entry.support_id
        landings.append(landing)
        fates.add_upload(file, sha, "landed", None)
    uploads, records, rejects = _rows(landings, landed_at)
    return BatchResult(uploads, records, rejects, quarantined, fates.table(), new_owners)


def _open(file: InboxFile, sha: str) -> _Landing:
    name = file.entry.name
    log = extract_log(file.data, name)
    split = split_log(log, name)
    header = split.header
    return _Landing(
        file=file,
        sha256=sha,
        log_size=len(log),
        split=split,
        computer=header.computer if header else None,
        agent=header.agent if header else None,
        charset=header.charset if header else None,
        header_json=header.fields_json if header else None,
    )


def _rows(
    landings: list[_Landing], landed_at: dt.datetime
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    import polars as pl

    from transforms.records import LogBody, parse_bodies

    bodies = []
    for u, landing in enumerate(landings):
        split = landing.split
        bodies.append(
            LogBody(u, split.body, split.header and split.header.charset, split.first_line_no)
        )
    parsed = parse_bodies(bodies)
    meta = _upload_meta(landings)
    record_counts = parsed.records.group_by("u").len("records")
    reject_counts = parsed.rejects.group_by("u").len("rejects")
    keys = meta.select("u", "support_id", "day", "tmid", "upload_key")
    uploads = (
        meta.join(record_counts, on="u", how="left")
        .join(reject_counts, on="u", how="left")
        .with_columns(
            pl.col("records").fill_null(0).cast(pl.Int64),
            pl.col("rejects").fill_null(0).cast(pl.Int64),
            pl.lit(landed_at).cast(pl.Datetime("ms", "UTC")).alias("landed_at"),
        )
    )
    records = keys.join(parsed.records, on="u", how="inner").drop("u")
    rejects = keys.join(parsed.rejects, on="u", how="inner").drop("u")
    return uploads.drop("u"), records, rejects


def _upload_meta(landings: list[_Landing]) -> pl.DataFrame:
    import polars as pl

    schema = {
        "u": pl.UInt32,
        "support_id": pl.String,
        "day": pl.Date,
        "tmid": pl.String,
        "upload_key": pl.String,
        "sent15": pl.String,
        "upload_id": pl.String,
        "sent_at": pl.Datetime("ms", "UTC"),
        "computer": pl.String,
        "agent_version": pl.String,
        "charset": pl.String,
        "header": pl.String,
        "zip_size": pl.Int64,
        "log_size": pl.Int64,
        "sha256": pl.String,
        "zip_bytes": pl.Binary,
    }
    # Column lists rather than a dict per row: thousands of uploads per batch.
    entries = [landing.file.entry for landing in landings]
    names = [entry.name for entry in entries]
    sent_local = [name.sent_local for name in names]
    columns = {
        "u": range(len(landings)),
        "support_id": [entry.support_id for entry in entries],
        "day": [entry.service_day for entry in entries],
        "tmid": [name.tmid for name in names],
        "upload_key": [name.key for name in names],
        "sent15": [name.sent15 for name in names],
        "upload_id": [name.upload_id for name in names],
        "sent_at": [local.replace(tzinfo=JST).astimezone(dt.UTC) for local in sent_local],
        "computer": [landing.computer for landing in landings],
        "agent_version": [landing.agent for landing in landings],
        "charset": [landing.charset for landing in landings],
        "header": [landing.header_json for landing in landings],
        "zip_size": [len(landing.file.data) for landing in landings],
        "log_size": [landing.log_size for landing in landings],
        "sha256": [landing.sha256 for landing in landings],
        "zip_bytes": [landing.file.data for landing in landings],
    }
    return pl.DataFrame(columns, schema=schema)


def _quarantine(file: InboxFile, sha: str, bad: BadUpload) -> QuarantineItem:
    entry = file.entry
    return QuarantineItem(
        path=entry.path,
        support_id=entry.support_id,
        service_day=entry.service_day,
        reason=bad.reason,
        detail=bad.detail,
        data=file.data,
        size=len(file.data),
        sha256=sha,
    )

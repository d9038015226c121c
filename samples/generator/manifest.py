"""The manifest: what the pipeline must make of every inbox file a generator call wrote.

`SampleManifest` is the public record (tests and benchmarks compare the pipeline's results
with it); `InboxFile` pairs a file's bytes with its entry while the generator builds them.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any


@dataclass
class ManifestEntry:
    """What the pipeline must make of one inbox file."""

    path: str  # inbox-relative, posix
    support_id: str | None  # the inbox folder it sits in (None at the inbox root)
    outcome: str  # landed | quarantined | diag | duplicate
    reason: str | None  # Quarantine code when quarantined
    service_day: str | None  # ISO date of the name's SENT15, None when the name is not one
    tmid: str | None  # the file name's TMID
    computer: str | None  # header computer, when the pipeline gets to read the header
    records: int  # good records expected from it
    rejects: dict[str, int]  # Reject code -> count
    sha256: str
    agent: str | None = None
    charset: str | None = None
    reject_lines: list[list[Any]] = field(default_factory=list)  # [physical line no, reason]
    tags: list[str] = field(default_factory=list)  # which deliberate case(s) this file is


@dataclass
class SampleManifest:
    """Every inbox file written by a generator call, with what the pipeline must make of it."""

    params: dict[str, Any]
    entries: list[ManifestEntry]
    seq_gaps: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> SampleManifest:
        data = json.loads(text)
        return cls(
            params=data["params"],
            entries=[ManifestEntry(**e) for e in data["entries"]],
            seq_gaps=data.get("seq_gaps", []),
        )

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> SampleManifest:
        return cls.from_json(path.read_text(encoding="utf-8"))

    def select(
        self,
        *,
        outcome: str | None = None,
        reason: str | None = None,
        support_id: str | None = None,
        service_day: str | date | None = None,
        tag: str | None = None,
    ) -> list[ManifestEntry]:
        day = service_day.isoformat() if isinstance(service_day, date) else service_day
        return [
            e
            for e in self.entries
            if (outcome is None or e.outcome == outcome)
            and (reason is None or e.reason == reason)
            and (support_id is None or e.support_id == support_id)
            and (day is None or e.service_day == day)
            and (tag is None or tag in e.tags)
        ]

    def expected_counts(
        self, *, support_id: str | None = None, service_day: str | date | None = None
    ) -> dict[str, Any]:
        """Files per outcome, quarantines per reason, good records, rejects per reason."""
        entries = self.select(support_id=support_id, service_day=service_day)
        rejects: Counter[str] = Counter()
        for e in entries:
            rejects.update(e.rejects)
        return {
            "files": len(entries),
            "outcomes": dict(sorted(Counter(e.outcome for e in entries).items())),
            "quarantined": dict(
                sorted(Counter(e.reason for e in entries if e.outcome == "quarantined").items())
            ),
            "records": sum(e.records for e in entries),
            "rejects": dict(sorted(rejects.items())),
            "uploads_landed": sum(1 for e in entries if e.outcome == "landed"),
        }


@dataclass
class InboxFile:
    """One file the generator writes into the inbox, with its manifest entry."""

    path: str  # inbox-relative
    data: bytes
    entry: ManifestEntry


def new_entry(
    path: str,
    data: bytes,
    *,
    outcome: str,
    service_day: str | None,
    tmid: str | None,
    reason: str | None = None,
    computer: str | None = None,
    records: int = 0,
    reject_lines: Iterable[tuple[int, str]] = (),
    agent: str | None = None,
    charset: str | None = None,
    tags: Iterable[str] = (),
) -> ManifestEntry:
    """The entry of the file at `path` holding `data`; rejects are counted from their lines."""
    reject_list = [[n, str(r)] for n, r in reject_lines]
    return ManifestEntry(
        path=path,
        support_id=path.split("/")[0] if "/" in path else None,
        outcome=outcome,
        reason=None if reason is None else str(reason),
        service_day=service_day,
        tmid=tmid,
        computer=computer,
        records=records,
        rejects=dict(sorted(Counter(r for _, r in reject_list).items())),
        sha256=hashlib.sha256(data).hexdigest(),
        agent=agent,
        charset=charset,
        reject_lines=reject_list,
        tags=sorted(set(tags)),
    )

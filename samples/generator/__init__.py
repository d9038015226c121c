"""Realistic sample inboxes: agent uploads, bad inputs, contracts, org and ledger CSVs.

`generate_sample` writes what agents and the operator would put in front of the pipeline,
plus a `SampleManifest` saying what the pipeline must make of every inbox file (landed,
quarantined with which reason, a diagnostic bundle, how many good records and rejects).
`generate_resends` later adds re-sent uploads (duplicates and conflicts).

Everything is deterministic for a seed. Each terminal draws from its own
`random.Random(f"{seed}:...:{index}")`, so terminals can be generated in any order or in
worker processes, and one terminal's uploads can be rebuilt alone (that is how re-sends
recover the original bytes after the landing consumed the inbox).

The modules, each using only those above it: `vocabulary` (event types, time units, text
pools), `manifest`, `plan` (contracts, terminals, where the deliberate cases go), `writer`
(one terminal's records), `uploads` (per-terminal files, diagnostic bundles, re-sends),
`bad_files` (the table of quarantine cases), `operator_files` (contracts YAML, org and
ledger CSVs) and `sample` (`generate_sample`). Import from this package, not from them.
"""

from samples.generator.manifest import ManifestEntry, SampleManifest
from samples.generator.sample import generate_sample
from samples.generator.uploads import generate_resends
from samples.generator.vocabulary import (
    DAY_START_DS,
    DS_PER_DAY,
    EVENT_DETAIL_KEYS,
    GAP_SIZE,
    REJECT_CASES,
    UNKNOWN_TYPES,
)

__all__ = [
    "DAY_START_DS",
    "DS_PER_DAY",
    "EVENT_DETAIL_KEYS",
    "GAP_SIZE",
    "REJECT_CASES",
    "UNKNOWN_TYPES",
    "ManifestEntry",
    "SampleManifest",
    "generate_resends",
    "generate_sample",
]

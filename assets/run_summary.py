"""What the run of a one-op job (an order, retention, compaction, expiry) reports: a sentence
saying what it did, then its counts."""

import dagster as dg

# The metadata entry of an op's output that says in one sentence what the run did ("deleted 4
# partition folders ...", "nothing to delete ..."): the UI shows it with the output, the
# one-line console (pipelines/console.py) prints it with the counts that follow it.
SUMMARY = "summary"


def summarised(summary: str, metadata: dict[str, object]) -> dg.Output:
    """An op's output: the run's sentence first, then its counts (integers, shown by the
    console in this order) and the lists behind them."""
    return dg.Output(None, metadata={SUMMARY: summary, **metadata})


def plural(count: int, noun: str, nouns: str = "") -> str:
    """`1 day`, `3 days`: a count said with its noun (`nouns` when not the noun and an s)."""
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"

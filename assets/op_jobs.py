"""Jobs of one op: the orders, retention, compaction and hand-over jobs, and what their runs
report."""

import dagster as dg

# The metadata entry of an op's output that says in one sentence what the run did ("deleted 4
# partition folders ...", "nothing to delete ..."): the UI shows it with the output, the
# one-line console (pipelines/console.py) prints it with the counts that follow it.
SUMMARY = "summary"


def op_job(op: dg.OpDefinition, name: str, description: str) -> dg.JobDefinition:
    """A job running `op` once; its graph is named `<name>_graph`, as the UI has shown it."""
    graph = dg.GraphDefinition(name=f"{name}_graph", node_defs=[op])
    return graph.to_job(name=name, description=description)


def summarised(summary: str, metadata: dict[str, object]) -> dg.Output:
    """An op's output: the run's sentence first, then its counts (integers, shown by the
    console in this order) and the lists behind them."""
    return dg.Output(None, metadata={SUMMARY: summary, **metadata})


def plural(count: int, noun: str, nouns: str = "") -> str:
    """`1 day`, `3 days`: a count said with its noun (`nouns` when not the noun and an s)."""
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"

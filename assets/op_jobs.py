"""Jobs of one op: the orders, retention, compaction and hand-over jobs."""

import dagster as dg


def op_job(op: dg.OpDefinition, name: str, description: str) -> dg.JobDefinition:
    """A job running `op` once; its graph is named `<name>_graph`, as the UI has shown it."""
    graph = dg.GraphDefinition(name=f"{name}_graph", node_defs=[op])
    return graph.to_job(name=name, description=description)

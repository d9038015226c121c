"""The dashboard build's history inputs: each history day's folder is listed once for all its
terminals, and gives exactly the parts a listing per terminal-day gives, in the same order."""

import datetime as dt

from storage import compaction, dashboard_inputs, layout
from storage.contracts import load_contracts
from storage.roots import Root
from tests.assets.landing_helpers import sample_days


def per_terminal_day(wh: Root, table: str, support_id: str, history) -> list[str]:
    """What the build read before: one listing per (terminal, history day)."""
    return [
        rel
        for tmid, days in sorted(history.items())
        for before in days
        for rel in compaction.visible_parts(
            wh, layout.raw_partition(table, support_id, before, tmid)
        )
    ]


def test_history_parts_are_those_of_each_terminal_day(landed):
    base, manifest = landed
    wh = Root(str(base / "warehouse"))
    days = sample_days(manifest)
    contracts = [c.support_id for c in load_contracts(str(base / "contracts.yaml"))]
    # One day compacted (a merged part per terminal-day), the others as landed.
    for support_id in contracts:
        compaction.compact_day(wh, support_id, days[1])
    checked = 0
    for support_id in contracts:
        for day in [*days, days[-1] + dt.timedelta(days=1)]:
            inputs = dashboard_inputs.day_inputs(wh, support_id, day)
            history = inputs.history_days
            assert inputs.history_upload_parts == per_terminal_day(
                wh, "uploads", support_id, history
            )
            assert inputs.history_record_parts == per_terminal_day(
                wh, "records", support_id, history
            )
            checked += len(inputs.history_record_parts)
    assert checked >= 10  # not vacuous: the sample has history for several terminals

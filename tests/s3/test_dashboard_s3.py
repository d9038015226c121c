"""The dashboard on s3:// (moto's server on loopback): the same build, the same views, the same
portal reads and ledger export as on local folders."""

import shutil

from assets.dashboard import build as dashboard_build
from assets.landing.land import land_day
from storage import aggregates, duck, layout
from storage.contracts import load_contracts
from storage.roots import Root
from tests.assets.dashboard_fixture import DAY1, DAY2, write_inbox
from tests.conftest import upload_tree


def all_views(wh: Root) -> dict[str, list[tuple]]:
    con = duck.connect(wh)  # one connection: each creates every view over the root
    return {
        name: con.execute(f"select * exclude (build_id) from agg_{name} order by all").fetchall()
        for name in layout.AGGREGATES
    }


def test_the_dashboard_on_s3_equals_the_dashboard_on_local_folders(s3_env, tmp_path):
    bucket = s3_env
    local = tmp_path / "local"
    local.mkdir()
    write_inbox(local)
    upload_tree(local, bucket, "svc")  # inbox, contracts.yaml, org/ and ledger/ CSVs
    roots = {
        "s3": (Root(f"s3://{bucket}/svc/inbox"), Root(f"s3://{bucket}/wh")),
        "local": (Root(str(local / "inbox")), Root(str(local / "warehouse"))),
    }
    deliveries = {"s3": Root(f"s3://{bucket}/delivery"), "local": Root(str(local / "delivery"))}
    contracts = {
        "s3": load_contracts(f"s3://{bucket}/svc/contracts.yaml"),
        "local": load_contracts(str(local / "contracts.yaml")),
    }
    assert contracts["s3"][0].org_info.startswith("s3://")
    for where, (inbox, wh) in roots.items():
        for day in (DAY1, DAY2):
            land_day(inbox, wh, frozenset({"S1", "S2"}), day)
        for day in (DAY2, DAY1):
            built = dashboard_build.build_day(wh, contracts[where], day)
            assert all(b.matches_raw and b.org_problem is None for b in built), where
        for contract in contracts[where]:
            dashboard_build.export_ledger(wh, deliveries[where], contract)
    s3_wh, local_wh = roots["s3"][1], roots["local"][1]
    assert all_views(s3_wh) == all_views(local_wh)
    for name in layout.AGGREGATES:
        got = aggregates.read_aggregate(s3_wh, name, "S1", DAY1, DAY2).drop_columns("build_id")
        want = aggregates.read_aggregate(local_wh, name, "S1", DAY1, DAY2).drop_columns("build_id")
        assert got.equals(want), name
    assert (
        deliveries["s3"].read_bytes("exports/ledger/S1/ledger.csv")
        == (local / "delivery" / "exports" / "ledger" / "S1" / "ledger.csv").read_bytes()
    )
    shutil.rmtree(local)

"""Two trivial assets on the code location's default executor (`pipelines/executors.py`), as
jobs a run worker can reconstruct: `one_step` (the first asset) and `two_steps` (both). Each
step names the run's worker as the landing step does, and reports the process it ran in."""

import os

import dagster as dg

from assets.landing.dead_runs import name_worker
from pipelines.executors import build_executor


@dg.asset
def first(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    name_worker(context)
    return dg.MaterializeResult(metadata={"pid": os.getpid()})


@dg.asset(deps=[first])
def second(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    name_worker(context)
    return dg.MaterializeResult(metadata={"pid": os.getpid()})


def job_named(name: str) -> dg.JobDefinition:
    """`one_step` or `two_steps`, built from the environment like the code location."""
    return dg.Definitions(
        assets=[first, second],
        jobs=[
            dg.define_asset_job("one_step", selection=[first]),
            dg.define_asset_job("two_steps", selection=[first, second]),
        ],
        executor=build_executor(),
    ).resolve_job_def(name)


def run(name: str, home: str) -> str:
    """Run job `name` on the instance at `home` in this process (its run worker); its run id."""
    job = dg.build_reconstructable_job(__name__, "job_named", reconstructable_args=(name,))
    with dg.DagsterInstance.from_config(home) as instance:
        result = dg.execute_job(job, instance=instance)
        assert result.success
        return result.run_id

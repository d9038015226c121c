"""Which engine runs the steps of a run: chosen by configuration, never by code.

`IT360_EXECUTOR` is read when the Definitions are built (with the rest of the environment):

- unset or `multiprocess`: Dagster's default (`multi_or_in_process_executor`), steps in
  child processes of the run worker, but a plan of exactly one step in the run worker itself
  (a child would import and load the code location a second time for that one step);
- `celery`: `dagster_celery.celery_executor`, steps on Celery workers (`deploy/celery.yaml`);
- `k8s`: `dagster_k8s.k8s_job_executor`, one Kubernetes Job per step;
- anything else: the code location still loads (sensors, schedules and the UI stay up), and
  every run fails at its start with the one line that names the setting, not retried.

Every engine refuses, before any step, a run of Dagster's implicit job of every asset that
selects no asset: `dagster asset materialize --select 'group:rwa'` (a typo) resolves to no
asset, and Dagster reads an empty selection as "all of them" (docs/decisions.md).

The Celery broker and result backend come from `IT360_CELERY_BROKER` and
`IT360_CELERY_BACKEND` (e.g. `redis://host:6379/0` and `redis://host:6379/1`), read by the run
worker when a run starts; the workers read the same two variables through `deploy/celery.yaml`.
The `celery` and `k8s` choices need the `scale` extra (`pip install -e '.[scale]'`).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import dagster as dg

# Dagster's executor interface wants its retry mode, which Dagster exports only from this
# internal module (an upgrade may move it; tests/pipelines/test_configuration_errors.py runs
# the refusing executor). The refusing executor runs no step, so it retries none.
from dagster._core.execution.retries import RetryMode

# Dagster's in-process executor, which Dagster exports only as a definition (whose run config
# would have to be built and processed again); an upgrade may move it
# (tests/pipelines/test_executors.py runs it).
from dagster._core.executor.in_process import InProcessExecutor

from assets.landing.dead_runs import name_this_run_worker
from assets.retries import configuration_failure

CHOICES = ("multiprocess", "celery", "k8s")


def executor_choice() -> str:
    choice = (os.environ.get("IT360_EXECUTOR") or "multiprocess").strip().lower()
    if choice not in CHOICES:
        raise ValueError(f"IT360_EXECUTOR={choice!r}: expected one of {', '.join(CHOICES)}")
    return choice


class RefusingExecutor(dg.Executor):
    """Fails each run at its start with a configuration error, before any step: an unknown
    `IT360_EXECUTOR` names no engine to run steps on."""

    def __init__(self, error: ValueError) -> None:
        self.error = error

    @property
    def retries(self) -> RetryMode:
        return RetryMode.DISABLED

    def execute(self, plan_context, execution_plan):
        refuse_run(plan_context, self.error)


def refuse_run(plan_context, error: ValueError) -> None:
    """Fail the run before any step, in one line, and keep Dagster from retrying it: a run
    that fails outside a step is one its run retries would launch again. (A re-execution of
    the run from the UI inherits the tag: it is not retried either.)"""
    plan_context.instance.add_run_tags(plan_context.run_id, {"dagster/max_retries": "0"})
    raise configuration_failure(error)


def refusing_executor(error: ValueError) -> dg.ExecutorDefinition:
    @dg.executor(name="misconfigured")
    def misconfigured(_init_context: dg.InitExecutorContext) -> dg.Executor:
        return RefusingExecutor(error)

    return misconfigured


IMPLICIT_ASSET_JOB = "__ASSET_JOB"
NOTHING_SELECTED = ValueError(
    "the asset selection matches no asset (a misspelt group or asset?), and Dagster would "
    "run every asset: nothing was run (`python -m pipelines.run` lists the jobs)"
)


def selects_nothing(run: dg.DagsterRun) -> bool:
    """A run of the implicit asset job without a selection: what Dagster's CLI makes of a
    selection that matched no asset (the UI and the sensors always name their assets)."""
    return (
        run.job_name == IMPLICIT_ASSET_JOB
        and not run.asset_selection
        and not run.asset_check_selection
    )


class SelectionGuard(dg.Executor):
    """Dagster's own executor of the run, behind a check that the run selects something; a
    plan of exactly one step goes to `one_step` (the run worker itself) when given."""

    def __init__(self, inner: dg.Executor, one_step: dg.Executor | None = None) -> None:
        self.inner = inner
        self.one_step = one_step

    @property
    def retries(self) -> RetryMode:
        return self.inner.retries

    @property
    def step_dependency_config(self):
        return self.inner.step_dependency_config

    def get_step_event_or_retry_event(self, *args, **kwargs):
        return self.inner.get_step_event_or_retry_event(*args, **kwargs)

    def __getattr__(self, name: str):
        # An engine's own loop reads its executor back from the run's context (Celery's
        # `app_args()`, for one): everything else is the wrapped executor's.
        if name == "inner":  # not set yet (a copy being built): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    def execute(self, plan_context, execution_plan):
        if selects_nothing(plan_context.dagster_run):
            refuse_run(plan_context, NOTHING_SELECTED)
        # This is the run worker: named now, a kill at any later moment is found by the next
        # landing or inbox sensor tick (assets/landing/dead_runs.py).
        name_this_run_worker(plan_context.instance, plan_context.run_id)
        engine = self.inner
        if self.one_step is not None and len(execution_plan.step_keys_to_execute) == 1:
            engine = self.one_step
        return engine.execute(plan_context, execution_plan)


def in_process_twin(executor: dg.Executor) -> InProcessExecutor:
    """An in-process executor retrying and ordering steps as `executor` does."""
    return InProcessExecutor(
        retries=executor.retries, step_dependency_config=executor.step_dependency_config
    )


def guarded_executor(init_context: dg.InitExecutorContext) -> SelectionGuard:
    """Dagster's default executor of the run's config, guarded; in multiprocess mode (the
    default), a plan of one step runs in the run worker: a step process would spend more
    CPU importing and loading the code location (about 1.7 CPU s) than a no-op landing's
    step itself, and one step has nothing to run beside it (docs/decisions.md)."""
    inner = dg.multi_or_in_process_executor.executor_creation_fn(init_context)
    multiprocess = "multiprocess" in init_context.executor_config
    return SelectionGuard(inner, in_process_twin(inner) if multiprocess else None)


def guarded(
    engine: dg.ExecutorDefinition,
    creation: Callable[[dg.InitExecutorContext], SelectionGuard] | None = None,
) -> dg.ExecutorDefinition:
    """`engine` (same name, run config and requirements) refusing a run that selects nothing;
    `creation` builds the guarded executor, by default `engine`'s own behind the guard."""

    def guard_engine(init_context: dg.InitExecutorContext) -> SelectionGuard:
        return SelectionGuard(engine.executor_creation_fn(init_context))

    return dg.ExecutorDefinition(
        name=engine.name,
        config_schema=engine.config_schema,
        requirements=engine.get_requirements,
        executor_creation_fn=creation or guard_engine,
        description=engine.description,
    )


def guarded_default() -> dg.ExecutorDefinition:
    """Dagster's default executor refusing a run that selects nothing, and running a one-step
    plan in the run worker."""
    return guarded(dg.multi_or_in_process_executor, guarded_executor)


def build_executor() -> dg.ExecutorDefinition | None:
    """The Definitions' default executor: Dagster's own on one host (guarded), or the engine
    the setting names."""
    try:
        choice = executor_choice()
    except ValueError as error:
        return refusing_executor(error)
    if choice == "multiprocess":
        return guarded_default()
    if choice == "celery":
        from dagster_celery import celery_executor

        return guarded(celery_executor).configured(
            {
                "broker": {"env": "IT360_CELERY_BROKER"},
                "backend": {"env": "IT360_CELERY_BACKEND"},
                "config_source": {"broker_connection_retry_on_startup": True},
            },
            name="celery",
        )
    from dagster_k8s import k8s_job_executor

    return guarded(k8s_job_executor)

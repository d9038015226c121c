"""The operator's command: run one named job, checked before any run starts.

    python -m pipelines.run JOB [--day YYYY-MM-DD] [-c RUN_CONFIG.yaml ...] [--log-level LEVEL]

`dagster asset materialize --select ... --partition ...` checks what it is given only as far as
Dagster's own tracebacks go: a day outside the partitions is 48 lines that do not name the
range, and a selection that matches nothing (`group:rwa`) made a run of every asset (the
executor now refuses it: `pipelines/executors.py`). This command takes
a job's name instead of a selection and refuses, in one line and before a run exists, an
unknown job (naming the jobs and the asset group each runs), a day missing, malformed or
outside the service-day partitions (naming the range), a run-config file that is missing or
not YAML, a run config that does not fit the job (naming the example file) and a missing
`DAGSTER_HOME` (the run would go to a temporary instance no UI shows). A refusal
exits with 2, a failed run with 1.

The run goes through the instance (`$DAGSTER_HOME`) under the job's name, so the UI shows
which job ran, with the one-line console (`pipelines/console.py`) unless the run config names
its own loggers. The jobs are one step each, so with Dagster's default executor the step runs
in this process (a child process would import and load the code location a second time, ~3 s
of a no-op run; docs/performance.md; a job of several steps would run them one by one); a
configured engine (`IT360_EXECUTOR`) is used as it is.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from assets.retries import first_line
from pipelines.console import LEVELS
from transforms.service_day import parse_day

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
PARTITION_TAG = "dagster/partition"
# Dagster's default executor, which takes `in_process` as its run config.
DEFAULT_EXECUTOR = "multi_or_in_process_executor"
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}
REFUSED_EXIT = 2
FAILED_EXIT = 1


class Refused(Exception):
    """What the command refuses before a run starts; its message is the one line printed."""


def job_named(name: str) -> dg.JobDefinition:
    """The job `name` of the code location, built from the environment: how each process of
    the run (this one, a step's) reconstructs it, as Dagster's CLI does from its module."""
    from pipelines.definitions import build_definitions

    return build_definitions().resolve_job_def(name)


def job_list(repo: dg.RepositoryDefinition) -> str:
    """`build_dashboard (group dashboard, --day), compact_raw, ...`: every job the operator can
    run, with the asset group it materialises and whether it takes a day."""
    described = []
    for job in sorted(repo.get_all_jobs(), key=lambda j: j.name):
        if job.name.startswith("__"):  # Dagster's implicit job of every asset
            continue
        keys = job.asset_layer.executable_asset_keys if job.asset_layer else set()
        groups = sorted({repo.asset_graph.get(key).group_name for key in keys})
        notes = [f"group {', '.join(groups)}"] if groups else []
        notes += ["--day"] if job.partitions_def is not None else []
        described.append(f"{job.name} ({', '.join(notes)})" if notes else job.name)
    return ", ".join(described)


def choose_job(repo: dg.RepositoryDefinition, name: str) -> dg.JobDefinition:
    if name.startswith("__") or not repo.has_job(name):
        raise Refused(f"no job {name!r}; the jobs: {job_list(repo)}")
    return repo.get_job(name)


def checked_day(job: dg.JobDefinition, day: str | None) -> str | None:
    """The partition key of the run: `day`, which a partitioned job needs and must be one of
    its service days; None for a job of no day."""
    partitions = job.partitions_def
    if partitions is None:
        if day is not None:
            raise Refused(f"{job.name} runs no service day: run it without --day")
        return None
    keys = partitions.get_partition_keys()
    valid = f"a service day from {keys[0]} to {keys[-1]}" if keys else "no service day yet"
    if day is None:
        raise Refused(f"{job.name} runs one service day: give --day YYYY-MM-DD, {valid}")
    try:
        parse_day(day)  # strict: fromisoformat would also take 20240318 or 2024-W12-1
    except ValueError:
        raise Refused(f"--day {day!r} is not a day YYYY-MM-DD ({valid})") from None
    if day not in keys:
        raise Refused(f"--day {day} is outside the service-day partitions: {valid}")
    return day


def merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` laid on `base`, mapping by mapping (as Dagster merges its CLI's `-c` files)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merged(out[key], value)
        else:
            out[key] = value
    return out


def yaml_problem(exc: yaml.YAMLError) -> str:
    """`<problem> (line N)` of a YAML error, whose text is several lines."""
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if not problem:
        return first_line(str(exc))
    return f"{problem} (line {mark.line + 1})" if mark is not None else problem


def load_run_config(files: Sequence[str]) -> dict[str, Any]:
    run_config: dict[str, Any] = {}
    for name in files:
        try:
            loaded = yaml.safe_load(Path(name).read_text(encoding="utf-8"))
        except OSError as exc:
            raise Refused(f"-c {name}: {exc.strerror or exc}") from None
        except yaml.YAMLError as exc:
            raise Refused(f"-c {name} is not YAML: {yaml_problem(exc)}") from None
        if loaded is None:
            continue
        if not isinstance(loaded, Mapping):
            raise Refused(f"-c {name}: a run config is a mapping (ops:, loggers:), not a list")
        run_config = merged(run_config, loaded)
    return run_config


def examples_of(job_name: str) -> list[str]:
    """The example run-config files of a job (`examples/<job>*.yaml`), as paths to pass."""
    return [f"examples/{p.name}" for p in sorted(EXAMPLES.glob(f"{job_name}*.yaml"))]


def checked_run_config(job: dg.JobDefinition, run_config: dict[str, Any]) -> None:
    """Refuse a run config that does not fit the job (a missing order, a misspelt field), with
    Dagster's reason in one line and the job's example file."""
    try:
        dg.validate_run_config(job, run_config)
    except dg.DagsterInvalidConfigError as exc:
        reasons = "; ".join(" ".join(error.message.split()) for error in exc.errors)
        example = examples_of(job.name)
        hint = f" (example: -c {example[0]})" if example else ""
        raise Refused(f"the run config does not fit job {job.name}: {reasons}{hint}") from None


def run_config_for(job: dg.JobDefinition, files: Sequence[str], log_level: str) -> dict[str, Any]:
    """The run config of the files, over the one-line console and, with Dagster's default
    executor, the in-process step (see the module doc)."""
    defaults: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    given = load_run_config(files)
    # A run config that chooses its own execution keeps it (merging would give two choices).
    if job.executor_def.name == DEFAULT_EXECUTOR and "execution" not in given:
        defaults = merged(defaults, IN_PROCESS)
    if "loggers" in given:  # the run config names its own loggers: they replace the console
        defaults.pop("loggers")
    run_config = merged(defaults, given)
    checked_run_config(job, run_config)
    return run_config


def prepare(args: argparse.Namespace) -> tuple[dg.JobDefinition, str | None, dict[str, Any]]:
    """The job, its day and its run config, every one checked; `Refused` otherwise."""
    if not os.environ.get("DAGSTER_HOME"):
        # Dagster's CLI would use a temporary instance: a run the UI never shows.
        raise Refused(
            "DAGSTER_HOME is not set: it names the instance the UI shows (`. var/env.sh`)"
        )
    try:
        # Imported here: the service-day partitions read their settings at import.
        from pipelines.definitions import build_definitions

        definitions = build_definitions()
    except ValueError as exc:  # a setting that shapes the Definitions (IT360_NOW, ...)
        raise Refused(first_line(str(exc))) from None
    job = choose_job(definitions.get_repository_def(), args.job)
    day = checked_day(job, args.day)
    return job, day, run_config_for(job, args.config, args.log_level)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m pipelines.run",
        description="Run one job of the pipeline, checked before the run starts.",
    )
    p.add_argument("job", help="the job's name (land_uploads, retention_raw, ...)")
    p.add_argument("--day", help="the service day, YYYY-MM-DD (jobs of one day)")
    p.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        help="a run-config YAML file (examples/); several are merged in order",
    )
    p.add_argument("--log-level", choices=LEVELS, default="INFO", help="the console's level")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        job, day, run_config = prepare(args)
    except Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return REFUSED_EXIT
    result = dg.execute_job(
        dg.build_reconstructable_job(
            "pipelines.run", "job_named", reconstructable_args=(job.name,)
        ),
        instance=dg.DagsterInstance.get(),
        run_config=run_config,
        tags={PARTITION_TAG: day} if day else None,
    )
    # The console said how the run ended (its failure in one line).
    return 0 if result.success else FAILED_EXIT


if __name__ == "__main__":
    sys.exit(main())

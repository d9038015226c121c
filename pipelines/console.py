"""The CLI's console: one line per thing an operator acts on, errors without Dagster's stack.

Dagster's default console prints every event (at DEBUG) and each failure with its framework
stack, once for the step and again for the run: a wrong key was 72 lines. This logger prints a
line per materialization, op summary (what a housekeeping run did), failed check, retry and
run end, and the log messages of the assets at or above its level. A failed run's line names
its failed step, the step's message and the run id: the run's page in the UI keeps the whole
error with its stack. The run's lines are sure to show; a step's, when it runs in a child
process, are written through Dagster's capture of its output, which can drop a step's last
lines (`event_text`).

Dagster builds a run's loggers from its run config only (no run config: its own console), so
the operator's command (`pipelines/run.py`) names this logger in every run config it makes,
and a Dagster CLI run passes `-c examples/console.yaml`.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Mapping
from typing import Any

import dagster as dg

from assets.retries import first_line
from assets.run_summary import SUMMARY

PARTITION_TAG = "dagster/partition"
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
# Dagster writes this record attribute on every record it hands to a run's loggers (its JSON
# console logger reads the same one).
METADATA_ATTR = "dagster_meta"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FIGURES_SHOWN = 5
FAILED_STEPS = re.compile(r"Steps failed: \[([^\]]*)\]")


def failure_message(data: Any) -> str:
    """The one line of a step's or run's failure: the `Failure`'s description when user code
    gave one, else the user exception's `Type: message`, else Dagster's own message."""
    described = getattr(getattr(data, "user_failure_data", None), "description", None)
    if described:
        return first_line(described)
    error = getattr(data, "error", None)
    if error is None:
        return "no error recorded"
    while error.cause is not None and error.message.startswith("dagster."):
        # Dagster's wrapper (a step error, a retry request) says which step; its cause says
        # what happened.
        error = error.cause
    return error_line(error.message, error.cls_name)


def error_line(message: str, cls_name: str | None) -> str:
    """`Type: text` of an error's message, without the module path Python puts before the
    type; a `Failure`'s text alone (it is Dagster's way to fail with a message)."""
    line = first_line(message)
    qualified, sep, text = line.partition(": ")
    if not sep or not cls_name or qualified.rsplit(".", 1)[-1] != cls_name:
        return line
    return text if cls_name == "Failure" else f"{cls_name}: {text}"


def partition_of(tags: Mapping[str, str]) -> str:
    if PARTITION_TAG in tags:
        return tags[PARTITION_TAG]
    start, end = (tags.get(tag) for tag in RANGE_TAGS)
    return f"{start}...{end}" if start and end else ""


def failed_steps(run_message: str) -> list[str]:
    """The failed steps a run's failure names ("Steps failed: ['a', 'b']."), in its order."""
    listed = FAILED_STEPS.search(run_message or "")
    return re.findall(r"'([^']+)'", listed.group(1)) if listed else []


def run_failure_text(data: Any, run_id: str, run_message: str) -> str:
    """The run's failure, said once: its first failed step and that step's message (Dagster
    carries that step's event in the run's), the other failed steps by name, or the run's own
    error."""
    step_failure = getattr(data, "first_step_failure_event", None)
    if step_failure is None:
        return f"run {run_id} failed: {failure_message(data)}"
    message = failure_message(step_failure.event_specific_data)
    others = [s for s in failed_steps(run_message) if s != step_failure.step_key]
    also = f" (also failed: {', '.join(others)})" if others else ""
    return f"run {run_id} failed: {step_failure.step_key}: {message}{also}"


def figures(metadata: Mapping[str, Any]) -> list[str]:
    """`name value` of the first numbers of a metadata, which the assets and ops write first
    (the day's totals, a run's counts; docs/decisions.md)."""
    return [
        f"{key} {value.value}"
        for key, value in metadata.items()
        if isinstance(value, dg.IntMetadataValue | dg.FloatMetadataValue)
    ][:FIGURES_SHOWN]


def materialized_text(event: dg.DagsterEvent) -> str:
    """`materialized <asset> (<its first figures>)`: the asset's name when its step has another
    (a multi-asset), and the first numbers of its metadata."""
    name = event.asset_key.to_user_string()
    materialization = getattr(event.event_specific_data, "materialization", None)
    shown = figures(getattr(materialization, "metadata", None) or {})
    own_step = event.step_key == event.asset_key.to_python_identifier()
    said = "materialized" if own_step else f"materialized {name}"
    return f"{said} ({', '.join(shown)})" if shown else said


def output_text(event: dg.DagsterEvent) -> str | None:
    """`<what the run did> (<its counts>)` of an op's output that says it in its metadata
    (`assets/run_summary.summarised`: retention, compaction, expiry); None for other outputs."""
    metadata = getattr(event.event_specific_data, "metadata", None) or {}
    summary = metadata.get(SUMMARY)
    if not isinstance(summary, dg.TextMetadataValue):
        return None
    shown = figures(metadata)
    return f"{summary.value} ({', '.join(shown)})" if shown else summary.value


def event_text(
    event: dg.DagsterEvent, run_id: str, threshold: int, level: int
) -> tuple[int, str] | None:
    """What the console says of one Dagster event and at which level, or None to say nothing.
    Dagster logs most events at DEBUG; the ones an operator acts on are shown at INFO or above.

    A step's failure is said by its run's: a step in a child process writes into its captured
    output, which Dagster mirrors to the terminal with a `tail` it stops when the step ends, so
    a step's last lines can be lost (under load; seen for a failure, rarely for a
    materialization). The run's line is written by the run's own process, and always shows."""
    kind = event.event_type
    data = event.event_specific_data
    if kind == dg.DagsterEventType.STEP_FAILURE:
        return None
    if kind == dg.DagsterEventType.RUN_FAILURE:
        return logging.ERROR, run_failure_text(data, run_id, event.message or "")
    if kind == dg.DagsterEventType.RUN_CANCELED:
        return logging.WARNING, f"run {run_id} canceled: {first_line(event.message)}"
    if kind == dg.DagsterEventType.STEP_UP_FOR_RETRY:
        wait = getattr(data, "seconds_to_wait", None)
        after = f" in {wait:g} s" if wait else ""
        return logging.WARNING, f"will retry{after}: {failure_message(data)}"
    if kind == dg.DagsterEventType.RUN_SUCCESS:
        return logging.INFO, f"run {run_id} succeeded"
    if kind == dg.DagsterEventType.ASSET_MATERIALIZATION and event.asset_key:
        return logging.INFO, materialized_text(event)
    if kind == dg.DagsterEventType.STEP_OUTPUT:
        summary = output_text(event)
        if summary:
            return logging.INFO, summary
    if kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
        if data.passed:
            return None
        warn = data.severity == dg.AssetCheckSeverity.WARN
        return (logging.WARNING if warn else logging.ERROR), f"check {data.check_name} failed"
    if level >= threshold:
        return level, f"{kind.name}: {first_line(event.message)}"
    return None


def console_line(meta: Mapping[str, Any], level: int, created: float, threshold: int) -> str | None:
    """One console line for a record of Dagster's log manager (its metadata, level and time),
    or None. Pure: the logger below only writes what this returns."""
    event = meta.get("dagster_event")
    if event is not None:
        said = event_text(event, meta.get("run_id") or "", threshold, level)
    elif level >= threshold:
        said = level, first_line(meta.get("orig_message"))
    else:
        said = None
    if not said or not said[1]:
        return None
    shown_level, text = said
    where = " ".join(
        part for part in (meta.get("step_key"), partition_of(meta.get("job_tags") or {})) if part
    )
    stamp = time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(created))
    name = logging.getLevelName(shown_level)
    return f"{stamp} {name:<7} {where + ' ' if where else ''}{text}"


class ConsoleLineHandler(logging.Handler):
    def __init__(self, threshold: int) -> None:
        super().__init__(level=logging.NOTSET)
        self.threshold = threshold

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, METADATA_ATTR, None)
        if meta is None:
            return
        line = console_line(meta, record.levelno, record.created, self.threshold)
        if line is not None:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()


@dg.logger(
    config_schema={
        "log_level": dg.Field(
            # An enum: Dagster checks the run config before it makes a run, so a typo makes no
            # run (a check in the logger's body would leave one behind, never started).
            dg.Enum("ConsoleLevel", [dg.EnumValue(name) for name in LEVELS]),
            default_value="INFO",
            description="Log messages below this level are not shown; the events shown "
            "(materializations, failed checks, retries, failures, run ends) always are.",
        )
    },
    description="One line per materialization, failed check, retry, failure and run end; "
    "errors without their stack (the run's page in the UI keeps it).",
)
def one_line_console(init_context: dg.InitLoggerContext) -> logging.Logger:
    threshold = logging.getLevelName(init_context.logger_config["log_level"])
    # Dagster filters by the logger's level before the handler: let every event through and
    # leave the choice to console_line.
    logger = logging.Logger("it360.console", level=logging.DEBUG)
    logger.addHandler(ConsoleLineHandler(threshold))
    return logger

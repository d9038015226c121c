"""The one-line console (pipelines/console.py) on real runs: what it says of materializations,
failed checks, retries, failures and run ends, and that a failure is one line."""

import re

import dagster as dg
import pytest

from assets.run_summary import summarised
from pipelines.console import error_line, one_line_console
from pipelines.jobs import op_job

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}"
attempts: list[int] = []


@dg.asset(
    partitions_def=dg.DailyPartitionsDefinition(start_date="2024-03-01"),
    check_specs=[dg.AssetCheckSpec("rows_match", asset="landed")],
)
def landed(context: dg.AssetExecutionContext):
    context.log.info("43 files\nsecond line")
    context.log.debug("not shown at INFO")
    yield dg.MaterializeResult(
        metadata={"day_uploads": 481, "source": "inbox", "run_landed": 0},
        check_results=[
            dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN),
        ],
    )


@dg.asset
def refused():
    raise dg.Failure(
        description="configuration error (KeyError): wrong key\nmore", allow_retries=False
    )


@dg.asset
def crashed():
    raise ValueError("boom")


@dg.asset(key_prefix="pre")
def also_crashed():
    raise KeyError("S0009")


@dg.asset(key_prefix="pre")
def prefixed():
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset(retry_policy=dg.RetryPolicy(max_retries=1))
def flaky():
    attempts.append(1)
    if len(attempts) == 1:
        raise OSError("S3 said 503")


def run_lines(capsys, selection, level="INFO", partition=None) -> tuple[bool, str, list[str]]:
    selections = {
        "landed": ["landed"],
        "refused": ["refused"],
        "crashed": ["crashed"],
        "flaky": ["flaky"],
        "prefixed": ["pre/prefixed"],
        "two_crashed": ["crashed", "pre/also_crashed"],
    }
    defs = dg.Definitions(
        assets=[landed, refused, crashed, flaky, also_crashed, prefixed],
        jobs=[
            dg.define_asset_job(f"run_{name}", selection=keys) for name, keys in selections.items()
        ],
        loggers={"console": one_line_console},
    )
    job = defs.resolve_job_def(f"run_{selection}")
    capsys.readouterr()
    result = job.execute_in_process(
        run_config={"loggers": {"console": {"config": {"log_level": level}}}},
        partition_key=partition,
        raise_on_error=False,
    )
    lines = capsys.readouterr().err.splitlines()
    assert all(re.match(STAMP + " (INFO|WARNING|ERROR|DEBUG) ", line) for line in lines), lines
    return result.success, result.run_id, [re.sub(STAMP + " ", "", line) for line in lines]


@dg.op(name="tidy", config_schema={"removed": int})
def tidy_op(context: dg.OpExecutionContext):
    removed = context.op_config["removed"]
    said = f"deleted {removed} folders" if removed else "nothing to delete"
    return summarised(said, {"removed": removed, "paths": dg.MetadataValue.json([])})


@dg.op(name="plain")
def plain_op():
    return dg.Output(None, metadata={"rows": 3})


def console_job(job: dg.JobDefinition) -> dg.JobDefinition:
    defs = dg.Definitions(jobs=[job], loggers={"console": one_line_console})
    return defs.resolve_job_def(job.name)


def test_an_op_summary_is_one_line_with_its_counts(capsys):
    job = console_job(op_job(tidy_op, "tidy", "an op that says what it did"))
    for removed, said in ((2, "deleted 2 folders"), (0, "nothing to delete")):
        capsys.readouterr()
        result = job.execute_in_process(
            run_config={
                "ops": {"tidy": {"config": {"removed": removed}}},
                "loggers": {"console": {"config": {"log_level": "INFO"}}},
            },
        )
        lines = [re.sub(STAMP + " ", "", line) for line in capsys.readouterr().err.splitlines()]
        assert lines == [
            f"INFO    tidy {said} (removed {removed})",
            f"INFO    run {result.run_id} succeeded",
        ]


def test_an_output_without_a_summary_says_nothing(capsys):
    capsys.readouterr()
    job = console_job(op_job(plain_op, "plain", "an op of no summary"))
    result = job.execute_in_process(
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    )
    lines = [re.sub(STAMP + " ", "", line) for line in capsys.readouterr().err.splitlines()]
    assert lines == [f"INFO    run {result.run_id} succeeded"]


def test_a_failed_step_is_one_line_with_its_message_and_its_run(capsys):
    success, run_id, lines = run_lines(capsys, "refused")
    assert not success
    assert lines == [
        f"ERROR   run {run_id} failed: refused: configuration error (KeyError): wrong key"
    ]


def test_an_exception_is_its_type_and_message(capsys):
    _, run_id, lines = run_lines(capsys, "crashed")
    assert lines == [f"ERROR   run {run_id} failed: crashed: ValueError: boom"]


def test_the_other_failed_steps_are_named_after_the_first(capsys):
    _, run_id, lines = run_lines(capsys, "two_crashed")
    (line,) = lines
    first, other = (
        ("crashed", "pre__also_crashed")
        if "failed: crashed: ValueError: boom" in line
        else ("pre__also_crashed", "crashed")
    )
    assert line.startswith(f"ERROR   run {run_id} failed: {first}: ")
    assert line.endswith(f" (also failed: {other})")


def test_a_prefixed_asset_is_named_once(capsys):
    _, _, lines = run_lines(capsys, "prefixed")
    assert lines[0] == "INFO    pre__prefixed materialized (rows 3)"


def test_a_materialization_a_failed_check_and_the_log_messages_at_its_level(capsys):
    success, run_id, lines = run_lines(capsys, "landed", partition="2024-03-18")
    assert success
    assert lines == [
        "INFO    landed 2024-03-18 43 files",
        "INFO    landed 2024-03-18 materialized (day_uploads 481, run_landed 0)",
        "WARNING landed 2024-03-18 check rows_match failed",
        f"INFO    2024-03-18 run {run_id} succeeded",
    ]


def test_at_debug_it_says_every_event_still_one_line_each(capsys):
    _, _, lines = run_lines(capsys, "landed", level="DEBUG", partition="2024-03-18")
    assert "DEBUG   landed 2024-03-18 not shown at INFO" in lines
    assert any(line.startswith("DEBUG   landed 2024-03-18 STEP_START: ") for line in lines)


def test_a_retry_says_why(capsys):
    attempts.clear()
    success, _, lines = run_lines(capsys, "flaky")
    assert success and len(attempts) == 2
    assert "WARNING flaky will retry: OSError: S3 said 503" in lines


@pytest.mark.parametrize(
    ("message", "cls_name", "line"),
    [
        ("dagster._core.definitions.events.Failure: no key\n", "Failure", "no key"),
        ("builtins.ValueError: bad\nmore\n", "ValueError", "ValueError: bad"),
        ("ValueError: bad", "ValueError", "ValueError: bad"),
        ("something: else", "ValueError", "something: else"),
        ("", None, ""),
    ],
)
def test_an_error_line_drops_the_module_path_and_a_failures_type(message, cls_name, line):
    assert error_line(message, cls_name) == line

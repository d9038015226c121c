"""Operator notices: a failed run, and a daily file missing at its deadline.

They go through the same pluggable sender as publication notices (`pipelines.resources.
Notifier`: the outbox folder by default, SMTP when configured), to the operator address
IT360_OPERATOR_EMAIL. Each notice's time is the event's own (the run's end, the deadline), so
sending the same notice twice writes the same outbox file.
"""

from __future__ import annotations

import datetime as dt
import os

from storage.notices import Notice
from transforms.service_day import JST

DEFAULT_OPERATOR = "it360-ops@example.co.jp"
DEFAULT_GRACE_MINUTES = 60
DEFAULT_INTERVAL_SECONDS = 60


def operator_address() -> str:
    return os.environ.get("IT360_OPERATOR_EMAIL") or DEFAULT_OPERATOR


def deadline_grace() -> dt.timedelta:
    """How long after the daily publication time a missing file is reported."""
    minutes = float(os.environ.get("IT360_DAILY_DEADLINE_GRACE_MINUTES") or DEFAULT_GRACE_MINUTES)
    return dt.timedelta(minutes=minutes)


def notice_interval_seconds() -> int:
    """How often the failure and deadline sensors look (the spec: within 120 minutes)."""
    return int(os.environ.get("IT360_NOTICE_INTERVAL_SECONDS") or DEFAULT_INTERVAL_SECONDS)


def _jst(instant: dt.datetime) -> str:
    return f"{instant.astimezone(JST):%Y-%m-%d %H:%M:%S} JST"


def run_failure(
    *,
    run_id: str,
    job_name: str,
    partition: str | None,
    message: str,
    step_errors: list[str],
    failed_at: dt.datetime,
    will_retry: bool,
) -> Notice:
    what = f"{job_name} {partition}" if partition else job_name
    lines = [
        f"The Dagster run {run_id} of job {job_name} failed at {_jst(failed_at)}.",
        f"Partition (service day): {partition or '-'}",
        "",
        message,
    ]
    if step_errors:
        lines += ["", "Step errors:", *[f"- {e}" for e in step_errors]]
    lines += [
        "",
        "Dagster will retry the run automatically."
        if will_retry
        else "No automatic retry is left: re-run it once the cause is fixed (re-running is "
        "safe: landing is journalled and deliverables are atomic).",
    ]
    return Notice(
        to=operator_address(),
        subject=f"[IT360] run failed: {what}",
        body="\n".join(lines),
        kind="run_failure",
        support_id=None,
        at=failed_at,
    )


def missing_daily_file(
    *, support_id: str, day: dt.date, deadline: dt.datetime, why: str, file_path: str
) -> Notice:
    body = "\n".join(
        [
            f"The daily file of contract {support_id} for service day {day} is missing.",
            f"File: {file_path}",
            f"Deadline: {_jst(deadline)} (D+2 at the publication time, plus the grace period)",
            f"Found: {why}",
            "",
            "Check the publish_daily run of that partition (and its landing run); publishing "
            "the day again (publish_daily, partition "
            f"{day}) writes the file if it can.",
        ]
    )
    return Notice(
        to=operator_address(),
        subject=f"[IT360] daily file missing: {support_id} {day}",
        body=body,
        kind="missing_deliverable",
        support_id=support_id,
        at=deadline,
    )

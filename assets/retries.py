"""Retry policies of the steps that touch storage: a storage failure (an S3 error, a lock held
past its wait) is retried; a refusal or a configuration error raises `dg.Failure`, which
Dagster does not retry (`fails_once_on_configuration_error`)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

import dagster as dg

from storage.contracts import ContractsError
from storage.crypto import WarehouseKeyError

F = TypeVar("F", bound=Callable[..., Any])

# Landing: a run every sensor tick, so a short delay; recovery makes a retry safe.
LANDING_RETRY = dg.RetryPolicy(max_retries=2, delay=10)
# A day's build or publication: longer, it reads the whole day again.
BUILD_RETRY = dg.RetryPolicy(max_retries=2, delay=30)
# Ops of jobs (orders, retention, compaction, hand-overs): each step is safe to repeat.
STORAGE_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)

# Errors only a change of configuration cures: a missing, malformed or wrong warehouse key, a
# missing or invalid contracts file, a root that is not a readable folder. Retrying them
# costs minutes and buries the one line that says what to fix under repeated tracebacks.
# Storage errors (S3, locks) are not among them: they keep their retries.
CONFIGURATION_ERRORS: tuple[type[Exception], ...] = (
    WarehouseKeyError,
    ContractsError,
    PermissionError,
    NotADirectoryError,
)


def first_line(text: str | None) -> str:
    """The first line of a message that says something, stripped ("" for none)."""
    return next((line.strip() for line in (text or "").splitlines() if line.strip()), "")


def configuration_failure(exc: Exception) -> dg.Failure:
    """The step's failure: one line naming the setting to fix, no retry (step or run). Raised
    `from None`: the cause's traceback (storage and pyarrow frames) says nothing the line does
    not, and Dagster would print it twice (step and run failure)."""
    return dg.Failure(
        description=(
            f"configuration error ({type(exc).__name__}): "
            f"{first_line(str(exc)) or type(exc).__name__}"
        ),
        allow_retries=False,
    )


def fails_once_on_configuration_error(fn: F) -> F:
    """Wrap an asset's or op's body: a configuration error fails the step at once with its
    message, whatever the step's retry policy. Keeps the body a generator if it is one, since
    Dagster tells the two apart by the function."""
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def generator(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except CONFIGURATION_ERRORS as exc:
                raise configuration_failure(exc) from None

        return generator  # type: ignore[return-value]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CONFIGURATION_ERRORS as exc:
            raise configuration_failure(exc) from None

    return call  # type: ignore[return-value]

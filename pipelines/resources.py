"""The resources bound to the environment: where the roots are, the clock, the notice sender.

`build_storage()`, `build_clock()` and `build_notifier()` run when the Definitions are built
(never at import). A setting that is present is bound as a Dagster `EnvVar`, so its value is
read where the run executes and never written into the definitions (the SMTP password among
them); an absent one takes its default under ./var/, so a fresh checkout runs without any.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import dagster as dg

from assets.resources import Clock, Notifier, ServiceStorage

DEFAULTS = {
    "IT360_INBOX": "var/inbox",
    "IT360_WAREHOUSE": "var/warehouse",
    "IT360_DELIVERY": "var/delivery",
    "IT360_CONTRACTS": "var/contracts.yaml",
    # Not in the warehouse: a notice is a plain e-mail (it may name computers), and everything
    # the warehouse stores is encrypted. The outbox stands in for a mail server.
    "IT360_OUTBOX": "var/outbox",
}


def env_setting(name: str) -> str:
    """The setting's value now (its default if unset): for code that is not a resource."""
    return os.environ.get(name) or DEFAULTS.get(name, "")


def bound(name: str, default: str = "") -> str | dg.EnvVar:
    """The setting as an `EnvVar` if it is set, else its default."""
    return dg.EnvVar(name) if os.environ.get(name) else DEFAULTS.get(name, default)


# How a builder reads a setting: `bound` for the Definitions, `env_setting` for code that
# uses a resource outside a run (the demo), where an EnvVar would not be resolved.
Setting = Callable[[str], "str | dg.EnvVar"]


def build_storage(setting: Setting = bound) -> ServiceStorage:
    return ServiceStorage(
        inbox=setting("IT360_INBOX"),
        warehouse=setting("IT360_WAREHOUSE"),
        delivery=setting("IT360_DELIVERY"),
        contracts=setting("IT360_CONTRACTS"),
    )


def sensor_interval_seconds() -> int:
    return int(os.environ.get("IT360_SENSOR_INTERVAL_SECONDS", "120"))


def build_clock() -> Clock:
    return Clock(fixed=bound("IT360_NOW"))


def build_notifier(setting: Setting = bound) -> Notifier:
    # `host:port` is split here, so it cannot be an EnvVar; it is no secret.
    host, _, port = os.environ.get("IT360_SMTP", "").partition(":")
    return Notifier(
        outbox=setting("IT360_OUTBOX"),
        smtp_host=host,
        smtp_port=int(port or 25),
        smtp_user=setting("IT360_SMTP_USER"),
        smtp_password=setting("IT360_SMTP_PASSWORD"),
        smtp_starttls=os.environ.get("IT360_SMTP_STARTTLS", "") == "1",
    )


def daily_publish_cron() -> str:
    return os.environ.get("IT360_DAILY_PUBLISH_CRON", "0 6 * * *")

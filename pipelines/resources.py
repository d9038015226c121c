"""Resources: the storage roots and contracts (`ServiceStorage`), the clock (`Clock`,
`IT360_NOW`) and the notice sender (`Notifier`: SMTP or an outbox folder).

`build_storage()`, `build_clock()` and `build_notifier()` read the environment when the
Definitions are built (never at import), with defaults under ./var/ so a fresh checkout runs
without any setting.
"""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

from storage.contracts import Contract, load_contracts
from storage.notices import OutboxSender, Sender, SmtpSender
from storage.roots import Root
from transforms.service_day import parse_instant

DEFAULTS = {
    "IT360_INBOX": "var/inbox",
    "IT360_WAREHOUSE": "var/warehouse",
    "IT360_DELIVERY": "var/delivery",
    "IT360_CONTRACTS": "var/contracts.yaml",
    # Not in the warehouse: a notice is a plain e-mail (it may name computers), and everything
    # the warehouse stores is encrypted. The outbox stands in for a mail server.
    "IT360_OUTBOX": "var/outbox",
}


class ServiceStorage(dg.ConfigurableResource):
    """Where uploads arrive, where the warehouse lives, where deliverables go, and the
    contracts file; each a local path or an s3://bucket/prefix."""

    inbox: str
    warehouse: str
    delivery: str
    contracts: str

    def inbox_root(self) -> Root:
        return Root(self.inbox)

    def warehouse_root(self) -> Root:
        return Root(self.warehouse)

    def delivery_root(self) -> Root:
        return Root(self.delivery)

    def load_contracts(self) -> list[Contract]:
        return load_contracts(self.contracts)

    def contract(self, support_id: str) -> Contract:
        for contract in self.load_contracts():
            if contract.support_id == support_id:
                return contract
        raise dg.Failure(f"support_id {support_id!r} is not a contract of {self.contracts}")

    def contract_ids(self) -> frozenset[str]:
        return frozenset(c.support_id for c in self.load_contracts())


def env_setting(name: str) -> str:
    return os.environ.get(name) or DEFAULTS[name]


def build_storage() -> ServiceStorage:
    return ServiceStorage(
        inbox=env_setting("IT360_INBOX"),
        warehouse=env_setting("IT360_WAREHOUSE"),
        delivery=env_setting("IT360_DELIVERY"),
        contracts=env_setting("IT360_CONTRACTS"),
    )


def sensor_interval_seconds() -> int:
    return int(os.environ.get("IT360_SENSOR_INTERVAL_SECONDS", "120"))


class Clock(dg.ConfigurableResource):
    """The time the pipeline acts at: the real clock, or a fixed instant (ISO 8601 with
    offset) for tests and for replaying a past day's retention or spot order."""

    fixed: str = ""

    def now(self) -> dt.datetime:
        if self.fixed:
            return parse_instant(self.fixed)
        return dt.datetime.now(dt.UTC)


class Notifier(dg.ConfigurableResource):
    """Where notices go: an outbox folder (default) or an SMTP server (`smtp_host` set)."""

    outbox: str
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""

    def sender(self) -> Sender:
        if self.smtp_host:
            return SmtpSender(
                self.smtp_host,
                self.smtp_port,
                starttls=self.smtp_starttls,
                username=self.smtp_user or None,
                password=self.smtp_password or None,
            )
        return OutboxSender(Root(self.outbox), folder="")


def build_clock() -> Clock:
    return Clock(fixed=os.environ.get("IT360_NOW", ""))


def build_notifier() -> Notifier:
    smtp = os.environ.get("IT360_SMTP", "")  # host:port
    host, _, port = smtp.partition(":")
    return Notifier(
        outbox=env_setting("IT360_OUTBOX"),
        smtp_host=host,
        smtp_port=int(port or 25),
        smtp_user=os.environ.get("IT360_SMTP_USER", ""),
        smtp_password=os.environ.get("IT360_SMTP_PASSWORD", ""),
        smtp_starttls=os.environ.get("IT360_SMTP_STARTTLS", "") == "1",
    )


def daily_publish_cron() -> str:
    return os.environ.get("IT360_DAILY_PUBLISH_CRON", "0 6 * * *")

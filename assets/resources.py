"""The resources assets and ops are declared with: the storage roots and contracts
(`ServiceStorage`), the clock (`Clock`) and the notice sender (`Notifier`: SMTP or an outbox
folder). Their values come from the environment through `pipelines/resources.py`, which binds
them (Dagster `EnvVar`s, read when a run starts, never at import).
"""

from __future__ import annotations

import datetime as dt
import os

import dagster as dg

from storage.contracts import Contract, load_contracts
from storage.notices import OutboxSender, Sender, SmtpSender
from storage.roots import Root
from transforms.service_day import parse_instant


def folder_root(name: str, uri: str) -> Root:
    """A root, refused in one line that names it when it is a local file: the OS would
    otherwise name a path some folders below it (`.../_state/journal`)."""
    root = Root(uri)
    if root.is_local and os.path.exists(root.base) and not os.path.isdir(root.base):
        raise NotADirectoryError(f"the {name} root {uri} is a file, not a folder")
    return root


class ServiceStorage(dg.ConfigurableResource):
    """Where uploads arrive, where the warehouse lives, where deliverables go, and the
    contracts file; each a local path or an s3://bucket/prefix."""

    inbox: str
    warehouse: str
    delivery: str
    contracts: str

    def inbox_root(self) -> Root:
        return folder_root("inbox", self.inbox)

    def warehouse_root(self) -> Root:
        return folder_root("warehouse", self.warehouse)

    def delivery_root(self) -> Root:
        return folder_root("delivery", self.delivery)

    def load_contracts(self) -> list[Contract]:
        return load_contracts(self.contracts)

    def contract(self, support_id: str) -> Contract:
        for contract in self.load_contracts():
            if contract.support_id == support_id:
                return contract
        raise dg.Failure(f"support_id {support_id!r} is not a contract of {self.contracts}")

    def contract_ids(self) -> frozenset[str]:
        return frozenset(c.support_id for c in self.load_contracts())


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

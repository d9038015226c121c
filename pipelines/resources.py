"""Resources: the storage roots and the contracts, configured from the environment.

`build_resources()` reads the environment when Definitions are built (never at import), with
defaults under ./var/ so a fresh checkout runs without any setting.
"""

from __future__ import annotations

import os

import dagster as dg

from storage.contracts import Contract, load_contracts
from storage.roots import Root

DEFAULTS = {
    "IT360_INBOX": "var/inbox",
    "IT360_WAREHOUSE": "var/warehouse",
    "IT360_DELIVERY": "var/delivery",
    "IT360_CONTRACTS": "var/contracts.yaml",
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

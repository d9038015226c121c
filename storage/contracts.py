"""The contracts file (`IT360_CONTRACTS`): which support IDs exist and their options."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

import yaml

from storage.roots import Root
from transforms.names import RESERVED_PREFIX, is_contract_id, is_support_id


@dataclass(frozen=True)
class Contract:
    support_id: str
    daily_option: bool
    notify_to: str | None
    org_info: str | None  # URL/path resolved against the contracts file's folder
    asset_ledger: str | None


class ContractsError(ValueError):
    """The contracts file is missing or malformed (the message says where)."""


def load_contracts(uri: str) -> list[Contract]:
    folder_uri, file_name = posixpath.split(uri.rstrip("/"))
    root = Root(folder_uri or ".")
    try:
        document = yaml.safe_load(root.read_bytes(file_name)) or {}
    except FileNotFoundError as exc:
        raise ContractsError(f"contracts file not found: {uri}") from exc
    items = document.get("contracts")
    if not isinstance(items, list):
        raise ContractsError(f"{uri}: expected a top-level 'contracts:' list")
    contracts = [_contract(item, root, uri) for item in items]
    ids = [c.support_id for c in contracts]
    if len(set(ids)) != len(ids):
        raise ContractsError(f"{uri}: a support_id appears twice")
    return contracts


def _contract(item: object, root: Root, uri: str) -> Contract:
    if not isinstance(item, dict) or not is_support_id(str(item.get("support_id", ""))):
        raise ContractsError(f"{uri}: each contract needs a support_id [A-Za-z0-9_-]{{1,64}}")
    if not is_contract_id(str(item["support_id"])):
        raise ContractsError(
            f"{uri}: support_id {item['support_id']!r} starts with {RESERVED_PREFIX!r}, which"
            " is reserved for the service's own partitions"
        )

    def resolve(key: str) -> str | None:
        value = item.get(key)
        return root.url(str(value)) if value else None

    return Contract(
        support_id=str(item["support_id"]),
        daily_option=bool(item.get("daily_option", False)),
        notify_to=item.get("notify_to"),
        org_info=resolve("org_info"),
        asset_ledger=resolve("asset_ledger"),
    )

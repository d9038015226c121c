"""The support desk's job `collect_diag_bundles`: hand a contract's pending diagnostic bundles
to support, decrypted, and delete them from the service (the spec: a bundle is deleted "once
collected or 72 hours after arrival, whichever is first"; `retention_diag` does the second).

    run config: ops.collect_diag_bundles.config = {support_id, tmid (optional), to}

`to` is support's own folder or s3:// prefix; each bundle is written there as
`<S>/<inbox file name>` (atomically) before it is deleted, so a run stopped between the two
leaves the bundle in place and a re-run writes the same file again. A bundle collected is no
longer pending: the terminal's status stops reading `diagnosing` at the next dashboard build.
"""

import dagster as dg

from assets.resources import ServiceStorage
from assets.retries import STORAGE_RETRY
from storage import diag_hand_over, warehouse
from storage.roots import Root
from transforms.names import is_contract_id


class CollectConfig(dg.Config):
    support_id: str
    tmid: str = ""  # empty: every pending bundle of the contract
    to: str  # support's folder or s3:// prefix; never a customer-facing root


def _refusal(storage: ServiceStorage, config: CollectConfig) -> str | None:
    if not is_contract_id(config.support_id):
        return f"{config.support_id!r} is not a support ID"
    if config.support_id not in storage.contract_ids():
        return f"support_id {config.support_id!r} is not a contract of {storage.contracts}"
    to = Root(config.to)
    for name, root in (
        ("the delivery root", storage.delivery_root()),
        ("the warehouse", storage.warehouse_root()),
        ("the inbox", storage.inbox_root()),
    ):
        # The customer's deliverables, the service's own store or the agents' inbox: a
        # decrypted bundle in any of them would leave the restricted area.
        if diag_hand_over.overlaps(to, root):
            return f"`to` ({config.to}) overlaps {name} ({root.url()})"
    return None


@dg.op(name="collect_diag_bundles", retry_policy=STORAGE_RETRY)
def collect_diag_bundles_op(
    context: dg.OpExecutionContext, config: CollectConfig, storage: ServiceStorage
) -> dg.Output:
    """Decrypt the contract's pending bundles (one TMID's, or all) into `to`, then delete them."""
    refusal = _refusal(storage, config)
    if refusal:
        raise dg.Failure(description=f"not collected: {refusal}", allow_retries=False)
    wh, to = storage.warehouse_root(), Root(config.to)
    pending = warehouse.diag_bundle_files(wh, config.support_id, config.tmid or None)
    if not pending:
        which = f"{config.support_id}/{config.tmid}" if config.tmid else config.support_id
        raise dg.Failure(
            description=f"not collected: no diagnostic bundle of {which} is pending "
            "(bundles are deleted 72 hours after arrival)",
            allow_retries=False,
        )
    written, size = [], 0
    for rel, name in pending:
        handed = diag_hand_over.hand_over(wh, rel, to, config.support_id, name)
        size += handed.size
        context.log.info(f"collected {rel} -> {handed.url}")
        written.append(handed.url)
    return dg.Output(
        None,
        metadata={
            "collected": len(written),
            "bytes": size,
            "files": dg.MetadataValue.json(written),
        },
    )

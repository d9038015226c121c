"""The contracts file: support IDs with the reserved `_` prefix are refused, and inbox folders
with it are no contract's (their files are quarantined under `_invalid`)."""

import pytest

from storage.contracts import ContractsError, load_contracts
from transforms.inbox import Kind, classify
from transforms.reasons import Quarantine

NAME = "0123ABCD-4567-89EF-ABCD-0123456789AB_202403180900000-" + "a" * 32 + ".zip"


def write(tmp_path, ids):
    path = tmp_path / "contracts.yaml"
    path.write_text("contracts:\n" + "".join(f"  - support_id: '{i}'\n" for i in ids))
    return str(path)


def test_a_contract_id_may_hold_underscores_and_dashes(tmp_path):
    loaded = load_contracts(write(tmp_path, ["S0001", "a_b-C", "X_"]))
    assert [c.support_id for c in loaded] == ["S0001", "a_b-C", "X_"]


@pytest.mark.parametrize("reserved", ["_empty", "_invalid", "_abc"])
def test_a_contract_id_with_the_reserved_prefix_is_refused(tmp_path, reserved):
    with pytest.raises(ContractsError, match="reserved"):
        load_contracts(write(tmp_path, ["S0001", reserved]))


@pytest.mark.parametrize("folder", ["_empty", "_invalid", "_abc"])
def test_an_inbox_folder_with_the_reserved_prefix_is_no_contracts(folder):
    entry = classify(f"{folder}/{NAME}", frozenset({"S0001", folder}))
    assert entry.kind is Kind.REFUSED
    assert entry.reason is Quarantine.UNKNOWN_CONTRACT
    assert entry.support_id is None  # quarantined under `_invalid`, not in `folder`
    assert classify(f"S0001/{NAME}", frozenset({"S0001"})).kind is Kind.UPLOAD

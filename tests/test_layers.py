"""Imports run one way: pipelines/ -> assets/ -> (transforms/, storage/, sql/), and transforms/
imports nothing of the project but itself. Checked on the source text, so a moved module or a
function-level import cannot hide an arrow that runs back up."""

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PROJECT = {"assets", "pipelines", "storage", "transforms", "samples", "bench"}

# What each layer may import of the project (itself always).
ALLOWED = {
    "assets": {"storage", "transforms"},
    "storage": {"transforms"},
    "transforms": set(),
}


def imported_packages(path: Path) -> set[str]:
    """Top-level project packages that a module imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & PROJECT


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_a_layer_imports_only_the_layers_below_it(layer):
    offending = {
        str(path.relative_to(REPO)): sorted(imported_packages(path) - ALLOWED[layer] - {layer})
        for path in sorted((REPO / layer).rglob("*.py"))
    }
    assert {path: packages for path, packages in offending.items() if packages} == {}


def test_the_check_sees_an_arrow_back_up(tmp_path):
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from pipelines.resources import env_setting\n")
    assert imported_packages(module) == {"pipelines"}

"""The package's layers, checked on the source: the product never imports the emulator, the engine (pool,
pacer) imports nothing of the spec, the providers, the runners or the emulator."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "bulkcontacts"


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda path: str(path.relative_to(PACKAGE)))
def test_the_product_never_imports_the_emulator(path):
    assert not {name for name in imported(path) if name.startswith("bulkcontacts_emulator")}


@pytest.mark.parametrize("module", ["pool.py", "pacing.py"])
def test_the_engine_knows_no_spec_providers_runners_or_http(module):
    forbidden = (
        "bulkcontacts.config.spec",
        "bulkcontacts.providers",
        "bulkcontacts.jobs",
        "bulkcontacts.providers.http",
        "aiohttp",
    )
    assert not {name for name in imported(PACKAGE / module) if name.startswith(forbidden)}


def test_loading_the_cli_loads_no_emulator():
    code = "import sys, bulkcontacts.cli; print([m for m in sys.modules if m.startswith('bulkcontacts_emulator')])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"

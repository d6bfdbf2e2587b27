"""The package's layers, checked on the source: each folder imports only the layers below it, the product
never imports the emulator, and no function is longer than a screen unless a comment says why."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "bulkcontacts"
MODULES = sorted(PACKAGE.rglob("*.py"))
LONGEST_FUNCTION = 40

# What each folder may not import (its own layer and those below it are allowed).
ABOVE_STATE = (
    "bulkcontacts.config",
    "bulkcontacts.contacts",
    "bulkcontacts.engine",
    "bulkcontacts.io",
    "bulkcontacts.providers",
    "bulkcontacts.jobs",
    "bulkcontacts.ui",
)
FORBIDDEN = {
    "engine": ("bulkcontacts.", "aiohttp"),  # no spec, no contacts, no HTTP, no state: only itself
    "state": ABOVE_STATE,
    "contacts": (
        "bulkcontacts.engine",
        "bulkcontacts.state",
        "bulkcontacts.io",
        "bulkcontacts.providers",
        "bulkcontacts.jobs",
        "bulkcontacts.ui",
        "aiohttp",
    ),
    "config": (
        "bulkcontacts.engine",
        "bulkcontacts.state",
        "bulkcontacts.contacts",
        "bulkcontacts.io",
        "bulkcontacts.jobs",
        "bulkcontacts.ui",
        "aiohttp",
    ),
    "io": ("bulkcontacts.engine", "bulkcontacts.providers", "bulkcontacts.jobs", "aiohttp"),
    "providers": ("bulkcontacts.jobs", "bulkcontacts.state", "bulkcontacts.io", "bulkcontacts.ui"),
    # an export's pages: the providers' list APIs over the engine, committed to the state; never a job's wiring
    "paging": ("bulkcontacts.jobs", "bulkcontacts.io", "bulkcontacts.ui", "bulkcontacts.scale"),
    # the report reads a state directory and draws it: no job, no HTTP, no spec
    "report": (*ABOVE_STATE, "aiohttp"),
}


def imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def ids(path: Path) -> str:
    return str(path.relative_to(PACKAGE))


@pytest.mark.parametrize("path", MODULES, ids=ids)
def test_the_product_never_imports_the_emulator(path):
    assert not {name for name in imported(path) if name.startswith("bulkcontacts_emulator")}


@pytest.mark.parametrize("path", [path for path in MODULES if path.parent.name in FORBIDDEN], ids=ids)
def test_each_layer_imports_only_what_is_below_it(path):
    layer = path.parent.name
    own = f"bulkcontacts.{layer}"
    allowed_extra = {"bulkcontacts.errors", "bulkcontacts.text", "bulkcontacts"} if layer != "engine" else set()
    if path.name == "load.py" and layer == "config":
        allowed_extra.add("bulkcontacts.providers.registry")  # [source] is validated by its provider's model
    wrong = {
        name
        for name in imported(path)
        if name.startswith(FORBIDDEN[layer]) and not name.startswith(own) and name not in allowed_extra
    }
    assert not wrong, f"{ids(path)} ({layer}/) imports {sorted(wrong)}"


@pytest.mark.parametrize("path", MODULES, ids=ids)
def test_no_function_is_longer_than_a_screen_unless_a_comment_says_why(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION
        and "# long:" not in lines[node.lineno - 1]
    ]
    assert not long, f"{ids(path)}: {long}; split them, or say why on the def line (# long: why)"


# Filesystem work, by name: called directly in a coroutine it would stall every request in flight.
BLOCKING_CALLS = frozenset(
    {
        "open",
        "exists",
        "stat",
        "read_text",
        "write_text",
        "read_bytes",
        "write_bytes",
        "mkdir",
        "unlink",
        "rmtree",
        "replace",
        "save",
        "load",
        "create",
        "clear",
        "write_atomic",
        "sync",
        "is_file",
        "is_dir",
        "iterdir",
        "fsync",
    }
)


@pytest.mark.parametrize("path", sorted((PACKAGE / "jobs").glob("*.py")), ids=ids)
def test_no_blocking_filesystem_call_in_a_coroutine_of_jobs(path):
    """Such calls go through ``asyncio.to_thread`` (passed as a function, never called in the coroutine)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.AsyncFunctionDef):
            continue
        for call in (sub for sub in ast.walk(node) if isinstance(sub, ast.Call)):
            name = getattr(call.func, "attr", None) or getattr(call.func, "id", None)
            if name in BLOCKING_CALLS:
                found.append(f"{node.name}: line {call.lineno}: {ast.unparse(call)[:60]}")
    assert not found


def test_loading_the_cli_loads_no_emulator():
    code = "import sys, bulkcontacts.cli; print([m for m in sys.modules if m.startswith('bulkcontacts_emulator')])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "[]"


@pytest.mark.parametrize("path", [path for path in MODULES if path.parent.name != "scale"], ids=ids)
def test_only_the_entry_points_reach_the_distributed_layer(path):
    """``scale/`` drives jobs across workers; no job, state or engine module depends on it, only the two
    entry points: the CLI and the public API it is a client of."""
    wrong = {name for name in imported(path) if name.startswith("bulkcontacts.scale")}
    if path.name in ("cli.py", "api.py") and path.parent.name == "bulkcontacts":
        wrong -= {"bulkcontacts.scale.options", "bulkcontacts.scale.driver"}
    assert not wrong, f"{ids(path)} imports {sorted(wrong)}"

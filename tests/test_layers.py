"""The layer rule of DESIGN section 4, checked by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "src" / "socialcredit"

# What each layer may import from inside the project; dependencies point inward.
ALLOWED = {
    "domain": {"domain", "errors"},
    "rules": {"domain", "rules", "errors"},
    "kernel": {"domain", "rules", "kernel", "errors"},
    "ingest": {"domain", "rules", "kernel", "ingest", "errors"},
    "storage": {"domain", "storage", "errors"},
    "services": {
        "domain",
        "rules",
        "kernel",
        "ingest",
        "storage",
        "services",
        "rulebooks",
        "errors",
    },
    "simulate": {"domain", "rules", "kernel", "services", "simulate", "rulebooks", "errors"},
}
# The pure core does no I/O, reads no clock and draws no random numbers.
IMPURE = {
    "os",
    "sys",
    "io",
    "pathlib",
    "socket",
    "sqlite3",
    "subprocess",
    "shutil",
    "tempfile",
    "random",
    "secrets",
    "time",
    "asyncio",
    "http",
    "urllib",
    "importlib",
    "psycopg",
    "httpx",
    "requests",
    "fastapi",
    "uvicorn",
    "typer",
    "rich",
    "jinja2",
    "numpy.random",
}
CORE = ("domain", "rules", "kernel")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_inward(layer: str) -> None:
    wrong = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in modules(layer)
        for name in imports_of(path)
        if name.startswith("socialcredit.") and name.split(".")[1] not in ALLOWED[layer]
    }
    assert not wrong, sorted(wrong)


@pytest.mark.parametrize("layer", CORE)
def test_the_core_does_no_io(layer: str) -> None:
    wrong = {
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in modules(layer)
        for name in imports_of(path)
        if name.split(".")[0] in IMPURE or name in IMPURE
    }
    assert not wrong, sorted(wrong)


def test_only_entrypoints_import_the_composition_root() -> None:
    for path in PACKAGE.rglob("*.py"):
        top = path.relative_to(PACKAGE).parts[0]
        if top in ALLOWED:
            assert "socialcredit.bootstrap" not in imports_of(path), path


def test_the_walk_sees_every_layer() -> None:
    assert all(modules(layer) for layer in ALLOWED)

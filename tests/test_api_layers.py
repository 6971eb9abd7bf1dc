"""The API is an entrypoint (DESIGN section 4): it calls services and never reaches into
the store itself, and it shares no logic with the command line but through them."""

from __future__ import annotations

import ast

from tests.test_layers import PACKAGE, imports_of

API = sorted((PACKAGE / "api").glob("*.py"))
# The store's public package only (its type and `open_store`, for the pool), never a backend.
ALLOWED = {"socialcredit", "socialcredit.errors", "socialcredit.storage"}


def test_the_api_imports_services_and_never_storage_internals_or_the_cli() -> None:
    wrong = {
        f"{path.name} imports {name}"
        for path in API
        for name in imports_of(path)
        if name.startswith("socialcredit")
        and name not in ALLOWED
        and not name.startswith(("socialcredit.api", "socialcredit.services."))
        # The application mounts the portal, which is built on the endpoints.
        and not (path.name == "app.py" and name.startswith("socialcredit.web"))
    }
    assert not wrong, sorted(wrong)


def test_endpoints_call_no_store_method_but_through_a_service() -> None:
    calls = {
        f"{path.name}: store.{node.func.attr}"
        for path in API
        if path.name != "context.py"  # the pool opens and closes stores
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "store"
    }
    assert not calls, sorted(calls)


def test_the_api_package_is_small_modules() -> None:
    assert all(len(p.read_text(encoding="utf-8").splitlines()) < 400 for p in API)


def test_the_command_line_loads_the_web_stack_only_to_serve() -> None:
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        top = {
            name
            for node in tree.body
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in (
                [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            )
        }
        assert not {"fastapi", "uvicorn", "socialcredit.api"} & top, path.name


def test_the_walk_sees_the_api() -> None:
    assert {p.name for p in API} >= {"app.py", "auth.py", "errors.py", "context.py"}

"""The pages anyone may see: the home page, the methodology of every rulebook, and the
portal's own assets.

The rulebooks are those the ledger has published (`GET /rulebooks` gives the same, from the
same service); a ledger that has published none shows the packs bundled with the software.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Request, Response

from socialcredit.api.context import Stored
from socialcredit.api.errors import ApiError
from socialcredit.services.rulebooks import Catalog, bundled_catalog
from socialcredit.services.schemes import (
    published_catalog,
    published_rulebook,
    published_rulebooks,
)
from socialcredit.storage import Store
from socialcredit.web.methodology import methodology
from socialcredit.web.pages import PageRoute, render
from socialcredit.web.session import Visitor

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_ASSETS = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".ico": "image/x-icon"}


def _catalog(store: Store) -> tuple[Catalog, bool]:
    """The published rulebooks, or the bundled ones if none is; and whether published."""
    catalog = published_catalog(store)
    return (catalog, True) if catalog.books else (bundled_catalog(), False)


def _index(store: Store) -> tuple[list[dict[str, Any]], bool]:
    """A row per rulebook version: the published ones, or the bundled ones."""
    rows = published_rulebooks(store)
    if rows:
        return rows, True
    bundled = [
        {
            "id": v.id,
            "version": v.version,
            "effective": v.effective.isoformat(),
            "title": v.title,
            "jurisdiction": v.jurisdiction,
            "extends": v.extends,
            "membership": v.membership,
            "content_hash": None,
        }
        for versions in bundled_catalog().books.values()
        for v in versions
    ]
    return bundled, False


@router.get("/")
def home(request: Request, store: Stored, who: Visitor) -> Response:
    """What this is, how to sign in, and the rulebooks."""
    rows, published = _index(store)
    return render(request, "home.html", rulebooks=rows, published=published)


@router.get("/methodology")
def rulebooks(request: Request, store: Stored, who: Visitor) -> Response:
    """Every rulebook version, with a link to its methodology."""
    rows, published = _index(store)
    return render(request, "methodology_index.html", rulebooks=rows, published=published)


@router.get("/methodology/{rulebook}")
def rulebook(rulebook: str, request: Request, store: Stored, who: Visitor) -> Response:
    """One rulebook readably: its rules, lists, consequences, scale and grades, its
    published versions and what changed between them."""
    catalog, published = _catalog(store)
    plan = catalog.plan(rulebook)
    versions = published_rulebook(store, rulebook) if published else []
    return render(
        request,
        "methodology.html",
        book=methodology(plan),
        versions=versions,
        published=published,
    )


@router.get("/static/{name}")
def asset(name: str) -> Response:
    """A file the pages use, shipped in the package."""
    suffix = name[name.rfind(".") :] if "." in name else ""
    found = files("socialcredit.web").joinpath("static", name)
    if suffix not in _ASSETS or "/" in name or not found.is_file():
        raise ApiError(404, "not_found", f"no asset {name}")
    return Response(
        found.read_bytes(),
        media_type=_ASSETS[suffix],
        headers={"Cache-Control": "public, max-age=3600"},
    )

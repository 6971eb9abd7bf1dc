"""Rulebooks in a store: publishing versions, and the schemes the published ones make.

A scheme is a published rulebook that no other published rulebook extends (the leaf of a
chain such as cn-national <- cn-371003-wendeng). Every subject with events a scheme can
score gets a standing under it: a person in Wendeng has one under the district scheme and,
once they consent, one under the opt-in civic rewards scheme. A scheme considers the events
whose type its rules know and whose jurisdiction is one of its chain's (or not given).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from socialcredit.errors import UnknownRulebookError
from socialcredit.rules.loader import parse_rulebook
from socialcredit.rules.model import Rulebook
from socialcredit.rules.plan import Plan, build_plan
from socialcredit.rules.validate import check_plan
from socialcredit.services.rulebooks import Catalog, bundled_catalog
from socialcredit.storage import Published, Store

__all__ = [
    "Scheme",
    "publish",
    "publish_bundled",
    "published_catalog",
    "published_rulebook",
    "published_rulebooks",
    "schemes_of",
]


@dataclass(frozen=True)
class Scheme:
    """A published rulebook that scores subjects, with its plan and provenance labels."""

    id: str
    plan: Plan
    jurisdictions: frozenset[str]
    versions: tuple[str, ...]  # every `id@version` the plan is composed from

    @property
    def mandatory(self) -> bool:
        """Whether everyone is scored (True) or only those who consented (opt-in)."""
        return self.plan.latest.membership != "opt-in"


def published_catalog(store: Store) -> Catalog:
    """Every rulebook version published in the store, parsed from the stored text."""
    catalog = Catalog()
    for rulebook, version, text in (
        store.rulebook_versions().select("rulebook", "version", "text").iter_rows()
    ):
        catalog.add(parse_rulebook(text, f"{rulebook}@{version} (published)"))
    return catalog


def published_schemes(store: Store) -> list[Scheme]:
    """The schemes of every rulebook version published in the store (see `schemes_of`).

    Parsing and checking the rulebooks costs milliseconds, far more than a decision from
    warm caches, so it is done once per distinct set of published texts.
    """
    rows = store.rulebook_versions().select("rulebook", "version", "text").iter_rows()
    return list(_schemes_of_texts(tuple(rows)))


@lru_cache(maxsize=16)
def _schemes_of_texts(rows: tuple[tuple[str, str, str], ...]) -> tuple[Scheme, ...]:
    catalog = Catalog()
    for rulebook, version, text in rows:
        catalog.add(parse_rulebook(text, f"{rulebook}@{version} (published)"))
    return tuple(schemes_of(catalog))


def schemes_of(catalog: Catalog) -> list[Scheme]:
    """The schemes of a catalog: mandatory ones first, then by id."""
    extended = {v.extends for versions in catalog.books.values() for v in versions if v.extends}
    found = []
    for rulebook_id in sorted(set(catalog.books) - extended):
        plan = catalog.plan(rulebook_id)
        books = {v.key: v for segment in plan.segments for v in segment.versions}
        found.append(
            Scheme(
                rulebook_id,
                plan,
                frozenset(v.jurisdiction for v in books.values() if v.jurisdiction),
                tuple(sorted(books)),
            )
        )
    return sorted(found, key=lambda s: (not s.mandatory, s.id))


def _candidate(id_or_path: str, catalog: Catalog) -> list[Rulebook]:
    """The versions to publish: a file, or every bundled version of an id."""
    path = Path(id_or_path)
    if id_or_path.endswith(".toml") or path.is_file():
        if not path.is_file():
            raise UnknownRulebookError(f"{id_or_path}: no such file")
        return [parse_rulebook(path.read_text(encoding="utf-8"), str(path))]
    bundled = bundled_catalog().books
    if id_or_path not in bundled:
        known = ", ".join(sorted(bundled))
        raise UnknownRulebookError(
            f"no bundled rulebook {id_or_path!r} (bundled: {known}); give a TOML file to "
            "publish your own"
        )
    return bundled[id_or_path]


def publish(store: Store, id_or_path: str, *, published_at: datetime) -> list[Published]:
    """Check and publish a rulebook file, or every version of a bundled rulebook.

    The rulebook is checked composed with what is already published (its `extends` must be
    published first) and refused with every located problem; nothing is published then.
    """
    catalog = published_catalog(store)
    books = _candidate(id_or_path, catalog)
    for book in books:
        if book.extends and book.extends not in catalog.books:
            raise UnknownRulebookError(
                f"{book.id} extends {book.extends}, which is not published in this store; "
                f"publish {book.extends} first"
            )
        catalog.add(book)
    check_plan(build_plan(catalog.books, books[0].id))
    with store.atomic():
        return [
            store.publish_rulebook(
                book.id, book.version, book.effective, book.text, published_at=published_at
            )
            for book in books
        ]


def publish_bundled(store: Store, *, published_at: datetime) -> list[Published]:
    """Publish every bundled pack, each after what it extends."""
    bundled = bundled_catalog().books
    done: list[Published] = []
    order: list[str] = []

    def visit(rulebook_id: str) -> None:
        if rulebook_id in order:
            return
        for version in bundled[rulebook_id]:
            if version.extends:
                visit(version.extends)
        order.append(rulebook_id)

    for rulebook_id in sorted(bundled):
        visit(rulebook_id)
    for rulebook_id in order:
        for published in publish(store, rulebook_id, published_at=published_at):
            done.append(published)
    return done


def _version_row(stored: dict[str, Any]) -> dict[str, Any]:
    """A stored version as the public sees it: what it is and what it says it is."""
    book = parse_rulebook(stored["text"], f"{stored['rulebook']}@{stored['version']} (published)")
    return {
        "id": stored["rulebook"],
        "version": stored["version"],
        "effective": stored["effective"].isoformat(),
        "title": book.title,
        "jurisdiction": book.jurisdiction,
        "extends": book.extends,
        "membership": book.membership,
        "content_hash": stored["content_hash"],
        "published_at": stored["published_at"],
    }


def published_rulebooks(store: Store) -> list[dict[str, Any]]:
    """Every published rulebook version (without its text), by rulebook and effective date."""
    return [_version_row(row) for row in store.rulebook_versions().iter_rows(named=True)]


def published_rulebook(store: Store, rulebook: str) -> list[dict[str, Any]]:
    """Every published version of one rulebook with its full text, oldest first."""
    versions = store.rulebook_versions(rulebook)
    if versions.is_empty():
        known = ", ".join(store.rulebook_versions().get_column("rulebook").unique().sort())
        raise UnknownRulebookError(
            f"no published rulebook {rulebook!r} (published: {known or 'none'})"
        )
    return [{**_version_row(row), "text": row["text"]} for row in versions.iter_rows(named=True)]

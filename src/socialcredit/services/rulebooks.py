"""Find rulebooks, bundled or on disk, and turn one into a checked Plan."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from socialcredit.errors import Problem, RulebookError, UnknownRulebookError
from socialcredit.rulebooks import bundled_files
from socialcredit.rules.loader import parse_rulebook
from socialcredit.rules.model import Rulebook
from socialcredit.rules.plan import Plan, build_plan
from socialcredit.rules.validate import check_plan, problems_in

__all__ = ["Catalog", "bundled_catalog", "check_files", "plan_for"]


class Catalog:
    """Rulebook versions by id: the bundled packs plus any files given."""

    def __init__(self, books: Iterable[Rulebook] = ()) -> None:
        self.books: dict[str, list[Rulebook]] = {}
        for book in books:
            self.add(book)

    def add(self, book: Rulebook) -> None:
        """Add a version; a file given later replaces a bundled version of the same id."""
        versions = [v for v in self.books.get(book.id, []) if v.version != book.version]
        self.books[book.id] = sorted([*versions, book], key=lambda v: v.effective)

    def plan(self, rulebook_id: str) -> Plan:
        """The checked plan of one rulebook; raises RulebookError with every problem."""
        if rulebook_id not in self.books:
            known = ", ".join(sorted(self.books))
            raise UnknownRulebookError(f"no rulebook {rulebook_id!r} (known: {known})")
        return check_plan(build_plan(self.books, rulebook_id))


def _read(path: Path) -> Rulebook:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulebookError(
            [Problem(str(path), None, "", f"cannot read: {exc.strerror}")]
        ) from None
    return parse_rulebook(text, str(path))


def bundled_catalog() -> Catalog:
    """The packs shipped inside the package."""
    catalog = Catalog()
    for rulebook_id, versions in bundled_files().items():
        for item in versions:
            origin = f"{rulebook_id}/{item.name}"
            catalog.add(parse_rulebook(item.read_text(encoding="utf-8"), origin))
    return catalog


def plan_for(id_or_path: str, catalog: Catalog | None = None) -> Plan:
    """The plan of a bundled rulebook id, or of a TOML file (its `extends` from the bundle)."""
    catalog = catalog or bundled_catalog()
    path = Path(id_or_path)
    if id_or_path.endswith(".toml") or path.is_file():
        if not path.is_file():
            raise UnknownRulebookError(f"{id_or_path}: no such file")
        book = _read(path)
        catalog.add(book)
        return catalog.plan(book.id)
    return catalog.plan(id_or_path)


def check_files(paths: Iterable[Path]) -> list[Problem]:
    """Every located problem in the files given, each composed with what it extends."""
    catalog, problems, ids = bundled_catalog(), [], []
    for path in paths:
        try:
            book = _read(path)
        except RulebookError as exc:
            problems.extend(exc.problems)
            continue
        catalog.add(book)
        ids.append(book.id)
    for rulebook_id in dict.fromkeys(ids):
        try:
            problems.extend(problems_in(build_plan(catalog.books, rulebook_id)))
        except RulebookError as exc:
            problems.extend(exc.problems)
    return problems

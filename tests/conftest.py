"""Shared fixtures: the bundled plans and the test rulebooks under tests/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from socialcredit.rules.loader import parse_rulebook
from socialcredit.rules.plan import Plan
from socialcredit.services.rulebooks import Catalog, bundled_catalog

DATA = Path(__file__).parent / "data"


def catalog_with_test_books() -> Catalog:
    """The bundled packs plus every rulebook version under tests/data."""
    catalog = bundled_catalog()
    for path in sorted(DATA.glob("*/*.toml")):
        catalog.add(parse_rulebook(path.read_text(encoding="utf-8"), str(path)))
    return catalog


@pytest.fixture(scope="session")
def wendeng() -> Plan:
    return bundled_catalog().plan("cn-371003-wendeng")


@pytest.fixture(scope="session")
def mixed() -> Plan:
    return catalog_with_test_books().plan("test-mixed")

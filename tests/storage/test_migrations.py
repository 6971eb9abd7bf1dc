"""Numbered migrations: applied once, in order, recorded; a newer database is refused."""

from __future__ import annotations

import pytest

from socialcredit.errors import SchemaVersionError
from socialcredit.storage import Store, open_store
from socialcredit.storage.migrate import migrations_for
from tests.storage.conftest import Backend


def test_every_dialect_ships_the_same_numbered_migrations() -> None:
    numbers = {d: [(m.number, m.name) for m in migrations_for(d)] for d in ("sqlite", "postgres")}
    assert numbers["sqlite"] == numbers["postgres"]
    assert [n for n, _ in numbers["sqlite"]] == list(range(1, len(numbers["sqlite"]) + 1))


def test_opening_applies_every_migration_once_and_records_it(backend: Backend) -> None:
    with open_store(backend.target) as store:
        first = store.migrations()
    with open_store(backend.target) as store:
        second = store.migrations()
    shipped = migrations_for(backend.name)
    assert first.get_column("number").to_list() == [m.number for m in shipped]
    assert first.get_column("name").to_list() == [m.name for m in shipped]
    assert second.equals(first)


def test_a_database_migrated_by_a_newer_version_is_refused(backend: Backend) -> None:
    open_store(backend.target).close()
    backend.raw("INSERT INTO migrations (number, name) VALUES (9999, 'from_the_future')")
    with pytest.raises(SchemaVersionError, match="9999"):
        open_store(backend.target)


def test_the_due_process_lookups_are_indexed(store: Store, backend: Backend) -> None:
    listed = {
        "sqlite": "SELECT name FROM sqlite_master WHERE type = 'index'",
        "postgres": "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()",
    }[backend.name]
    names = {name for (name,) in backend.raw(listed)}
    assert {
        "decisions_by_subject",
        "decisions_by_party",
        "access_log_by_subject",
        "notice_deliveries_by_notice",
        "case_actions_by_ref",
    } <= names

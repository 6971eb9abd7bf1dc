"""One contract suite for every store backend: each test taking `store` runs once per backend.

SQLite runs everywhere. PostgreSQL runs when a server answers at `SOCIALCREDIT_TEST_POSTGRES`
(default: postgresql://postgres@127.0.0.1:5432/, trust auth); the session creates a
throwaway database, gives each test its own schema in it, and drops it at the end. Without
a server the PostgreSQL runs are skipped with the reason, never failed. A new backend joins
by adding a `Backend` to `BACKENDS`.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg
import pytest

from socialcredit.storage import Store, open_store

SERVER = os.environ.get("SOCIALCREDIT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/")


@dataclass(frozen=True)
class Backend:
    """Where a test's store lives, and a side door into it that bypasses the store, as a
    user with the database's own shell would have."""

    name: str
    target: str
    raw: Callable[[str], list[tuple[Any, ...]]]


def _sqlite_raw(path: Path) -> Callable[[str], list[tuple[Any, ...]]]:
    def run(sql: str) -> list[tuple[Any, ...]]:
        connection = sqlite3.connect(path, isolation_level=None)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    return run


def _postgres_raw(url: str) -> Callable[[str], list[tuple[Any, ...]]]:
    def run(sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(url, autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchall() if cursor.description else []

    return run


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throwaway database on the local server for this session, dropped afterwards."""
    try:
        admin = psycopg.connect(SERVER, autocommit=True, connect_timeout=3)
    except psycopg.Error as exc:
        pytest.skip(
            f"no PostgreSQL server at {SERVER} ({type(exc).__name__}); set "
            "SOCIALCREDIT_TEST_POSTGRES to run the PostgreSQL backend tests"
        )
    name = f"socialcredit_test_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
        try:
            yield SERVER.rstrip("/") + "/" + name
        finally:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


def _postgres_backend(request: pytest.FixtureRequest) -> Backend:
    database = request.getfixturevalue("postgres_database")
    schema = f"test_{secrets.token_hex(6)}"
    _postgres_raw(database)(f"CREATE SCHEMA {schema}")
    url = f"{database}?options={quote(f'-csearch_path={schema}')}"
    return Backend("postgres", url, _postgres_raw(url))


def _sqlite_backend(request: pytest.FixtureRequest) -> Backend:
    path = request.getfixturevalue("tmp_path") / "ledger.db"
    return Backend("sqlite", str(path), _sqlite_raw(path))


@pytest.fixture
def postgres_backend(request: pytest.FixtureRequest) -> Backend:
    """A fresh schema on the test server, for tests of what only PostgreSQL has."""
    return _postgres_backend(request)


BACKENDS = {"sqlite": _sqlite_backend, "postgres": _postgres_backend}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest) -> Backend:
    """A fresh, empty place for a store, once per backend."""
    return BACKENDS[request.param](request)


@pytest.fixture
def store(backend: Backend) -> Iterator[Store]:
    """A fresh store, once per backend."""
    with open_store(backend.target) as opened:
        yield opened

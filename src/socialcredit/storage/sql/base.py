"""The connection-level hooks a backend supplies, and what is built on them alone.

Statements use `?` placeholders (the PostgreSQL backend rewrites them). A backend says how
to open a transaction and take the write locks, run statements, insert a frame in bulk,
test a column against a list of values, and turn its driver's errors into StoreErrors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Any, Self

import polars as pl

from socialcredit.storage.frames import MIGRATION_SCHEMA, typed
from socialcredit.storage.migrate import to_apply

__all__ = ["SqlBase"]


class SqlBase(ABC):
    """What every part needs: the backend's hooks, transactions, reads, migrations."""

    dialect: str
    where: str  # the database as the user named it, for messages
    _open_transactions = 0

    # --- what a backend supplies ----------------------------------------------------------

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[None]:
        """One transaction that holds the database's write lock if it has a single one."""

    @abstractmethod
    def _lock_log(self) -> None:
        """Inside a transaction: keep other writers from appending events until it ends."""

    @abstractmethod
    def _lock_schema(self) -> None:
        """Inside a transaction: keep other openers from migrating until it ends."""

    @abstractmethod
    def _translated(self) -> AbstractContextManager[None]:
        """Driver errors raised inside become StoreErrors."""

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement."""

    @abstractmethod
    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query and return all its rows."""

    @abstractmethod
    def _run_script(self, sql: str) -> None:
        """Run the statements of a migration inside the current transaction."""

    @abstractmethod
    def _insert_frame(self, table: str, frame: pl.DataFrame) -> None:
        """Insert every row of a frame (columns named as in the table) in bulk."""

    @abstractmethod
    def _upsert_frame(self, table: str, frame: pl.DataFrame, key: Sequence[str]) -> None:
        """Insert every row of a frame in bulk, each replacing the stored row with the same
        `key` (the table's primary key) if there is one."""

    @abstractmethod
    def _among(self, column: str, values: list[str]) -> tuple[str, list[Any]]:
        """A condition "column is one of values" and its parameters."""

    @abstractmethod
    def _migrations_table(self) -> str:
        """DDL creating the `migrations` table if it does not exist."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection; the store cannot be used afterwards."""

    # --- opening and closing --------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Group several writes into one transaction: every one of them lands, or none."""
        with self._writing():
            yield

    @contextmanager
    def _writing(self) -> Iterator[None]:
        # A write inside `atomic` joins the open transaction instead of opening its own.
        if self._open_transactions:
            self._open_transactions += 1
            try:
                yield
            finally:
                self._open_transactions -= 1
            return
        with self._translated(), self._transaction():
            self._open_transactions = 1
            try:
                yield
            finally:
                self._open_transactions = 0

    def _migrate(self) -> None:
        """Apply the pending migrations; a store that cannot be migrated is closed."""
        try:
            self._apply_migrations()
        except BaseException:
            self.close()
            raise

    def _apply_migrations(self) -> None:
        with self._writing():
            self._lock_schema()
            self._execute(self._migrations_table())
            applied = {number for (number,) in self._fetch("SELECT number FROM migrations")}
            for migration in to_apply(self.dialect, applied, self.where):
                self._run_script(migration.sql)
                self._execute(
                    "INSERT INTO migrations (number, name) VALUES (?, ?)",
                    (migration.number, migration.name),
                )

    def migrations(self) -> pl.DataFrame:
        """Applied schema migrations: `number`, `name`, `applied_at`."""
        return self._read(
            "SELECT number, name, applied_at FROM migrations ORDER BY number", (), MIGRATION_SCHEMA
        )

    def _read(
        self, sql: str, params: Sequence[Any], schema: dict[str, pl.DataType]
    ) -> pl.DataFrame:
        with self._translated():
            return typed(self._fetch(sql, params), schema)

"""The embedded store: one SQLite file (stdlib sqlite3) in WAL mode.

Crash safety: WAL with `synchronous=FULL`, so every commit is on disk before it returns.
With NORMAL a power cut can lose the last commits although the database stays consistent;
a source told "new" would then never resend an event the log no longer holds. FULL costs
one fsync per transaction, and every write here is one transaction per batch, so bulk
appends barely notice it. Readers never block the writer and see only committed batches.

Page cache: an ingest batch inserts into b-trees keyed by subject or by (source, id), in no
order, so its writes land all over the indexes; SQLite's default cache (2 MiB) keeps
evicting and re-reading those pages. `CACHE_KIB` lets a connection keep up to that much of
them in memory (used only as pages are touched).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import polars as pl

from socialcredit.errors import (
    AppendOnlyError,
    RecordRejectedError,
    StoreError,
    StoreUnavailableError,
)
from socialcredit.storage.sql import SqlStore

__all__ = ["SQLiteStore"]

# The fact tables `change_stamp` follows. Their rows are never updated or deleted (the
# append-only triggers), so a rowid once given is never reused and the last one only grows.
STAMPED = (
    "events",
    "event_reviews",
    "case_actions",
    "rulebook_versions",
    "party_versions",
    "tokens",
    "token_revocations",
)
# How long a writer waits for another process's write transaction before giving up.
BUSY_TIMEOUT_SECONDS = 10.0
# A deferred log is started again from its beginning once it holds this many frames (of
# a page each, 4 KiB by default: 16 MiB), by a checkpoint that waits this long at most.
RESTART_FRAMES = 4096
RESTART_WAIT_MS = 20
# The page cache of a connection, at most (see the module docstring).
CACHE_KIB = 256 * 1024


class SQLiteStore(SqlStore):
    """The store in one SQLite file; ":memory:" gives a private in-memory store."""

    dialect = "sqlite"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.where = os.fspath(path)
        try:
            # Autocommit mode: transactions are opened explicitly (BEGIN IMMEDIATE), so the
            # driver never opens or commits one behind the store's back. A store is used by
            # one thread at a time, but not always the same one: the HTTP server lends its
            # open stores to whichever worker thread serves a request.
            self._connection = sqlite3.connect(
                path, isolation_level=None, timeout=BUSY_TIMEOUT_SECONDS, check_same_thread=False
            )
            self._connection.execute("PRAGMA journal_mode = WAL")
            self._connection.execute("PRAGMA synchronous = FULL")
            self._connection.execute("PRAGMA foreign_keys = ON")
            self._connection.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        except sqlite3.Error as exc:
            raise StoreUnavailableError(
                f"cannot open the SQLite store at {self.where}: {exc}; check that the "
                "directory exists and is writable, or point SOCIALCREDIT_DB elsewhere"
            ) from exc
        self._migrate()

    def close(self) -> None:
        """Release the connection; the store cannot be used afterwards."""
        self._connection.close()

    def defer_checkpoints(self) -> None:
        """No automatic checkpoint on this connection's commits (`wal_autocheckpoint` 0):
        with the default, the commit that takes the log past a thousand pages copies them
        all into the database and syncs it before it returns, a stall of many milliseconds
        on whichever request made it."""
        with self._translated():
            self._connection.execute("PRAGMA wal_autocheckpoint = 0")

    def checkpoint(self) -> None:
        """A passive checkpoint: copies the frames no reader still needs, waits for nobody.
        Under a steady stream of commits a passive checkpoint never finds the log wholly
        copied when a writer starts, so the log would never start again from its beginning
        and would grow without end: once it holds more than RESTART_FRAMES frames, a restart
        checkpoint, which holds new writers back for the few frames left to copy (waiting at
        most RESTART_WAIT_MS for the writer and readers before it gives up until next time)."""
        with self._translated():
            _, frames, _ = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if frames <= RESTART_FRAMES:
                return
            self._connection.execute(f"PRAGMA busy_timeout = {RESTART_WAIT_MS}")
            try:
                self._connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchall()
            finally:
                self._connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000:.0f}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes SQLite's single write lock at once, so the head read at the start
        # of an append is still the head when its records are inserted.
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
            raise
        self._connection.execute("COMMIT")

    def change_stamp(self) -> dict[str, int]:
        """The last rowid of each fact table a decision or a sign-in reads: a b-tree's
        rightmost key, so each costs a few page reads however large the table."""
        sql = ", ".join(f"(SELECT coalesce(max(rowid), 0) FROM {t})" for t in STAMPED)
        with self._translated():
            row = self._connection.execute(f"SELECT {sql}").fetchone()
        return dict(zip(STAMPED, row, strict=True))

    def _lock_log(self) -> None:
        """BEGIN IMMEDIATE already holds the database's one write lock."""

    def _lock_schema(self) -> None:
        """BEGIN IMMEDIATE already holds the database's one write lock."""

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise _store_error(exc, self.where) from exc

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._connection.execute(sql, params)

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._connection.execute(sql, params).fetchall()

    def _run_script(self, sql: str) -> None:
        # Not executescript(): it commits first, and a migration must share the transaction
        # that records it. complete_statement() finds where each statement (triggers
        # included) ends.
        statement = ""
        for line in sql.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                self._connection.execute(statement)
                statement = ""

    def _insert_frame(self, table: str, frame: pl.DataFrame, verb: str = "INSERT") -> None:
        marks = ", ".join("?" * frame.width)
        self._connection.executemany(
            f"{verb} INTO {table} ({', '.join(frame.columns)}) VALUES ({marks})", sql_rows(frame)
        )

    def _upsert_frame(self, table: str, frame: pl.DataFrame, key: Sequence[str]) -> None:
        # REPLACE swaps the row in place in the key's b-tree: no separate DELETE pass.
        self._insert_frame(table, frame, "INSERT OR REPLACE")

    def _among(self, column: str, values: list[str]) -> tuple[str, list[Any]]:
        # One JSON array parameter, whatever the number of values (SQLite caps parameters).
        return f"{column} IN (SELECT value FROM json_each(?))", [json.dumps(values)]

    def _migrations_table(self) -> str:
        return (
            "CREATE TABLE IF NOT EXISTS migrations (number INTEGER PRIMARY KEY, "
            "name TEXT NOT NULL, applied_at TEXT NOT NULL "
            "DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
        )


_LOCAL, _UTC = pl.Datetime("us"), pl.Datetime("us", "UTC")
# Below this many rows a frame's values are turned into the stored text one by one: Polars
# costs about a tenth of a millisecond a call however small the frame, which a group of
# decisions, recorded while its askers wait, would pay per column.
SMALL_FRAME = 64


def sql_rows(frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    """The frame's rows as SQLite stores them: times as ISO 8601 text (UTC instants with
    "+00:00", wall-clock times without an offset, to the microsecond), booleans as 0 or 1.
    A small frame is converted value by value, a large one column-wise; both give the same
    text."""
    dtypes = frame.dtypes
    if frame.height > SMALL_FRAME:
        return frame.with_columns(
            pl.col(_LOCAL).dt.strftime("%Y-%m-%dT%H:%M:%S%.6f"),
            pl.col(_UTC).dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00"),
            pl.col(pl.Boolean).cast(pl.Int8),
        ).rows()
    converted = [i for i, dtype in enumerate(dtypes) if dtype in (_LOCAL, _UTC, pl.Boolean)]
    rows = frame.rows()
    if not converted:
        return rows
    out = []
    for row in rows:
        values = list(row)
        for i in converted:
            value = values[i]
            if isinstance(value, datetime):
                values[i] = value.isoformat(timespec="microseconds")
            elif isinstance(value, bool):
                values[i] = int(value)
        out.append(tuple(values))
    return out


def _store_error(exc: sqlite3.Error, where: str) -> StoreError:
    message = str(exc)
    if "append-only" in message:
        return AppendOnlyError(
            f"{message}: facts are never changed or removed; record a correction instead"
        )
    if isinstance(exc, sqlite3.IntegrityError):
        return RecordRejectedError(
            f"the store refused a row ({message}); nothing of this write was kept"
        )
    if "locked" in message or "busy" in message:
        return StoreUnavailableError(
            f"the SQLite store at {where} stayed locked by another writer for "
            f"{BUSY_TIMEOUT_SECONDS:g} s ({message}); retry when it has finished"
        )
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in message:
        return StoreUnavailableError(f"{where} is not a SQLite database ({message})")
    return StoreError(f"the SQLite store at {where} failed: {message}")

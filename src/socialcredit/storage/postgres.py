"""The server store: PostgreSQL through psycopg 3, with COPY for every bulk insert.

An append locks the events table against other writers (readers go on) for the length of
its transaction: the hash chain is one sequence, so two batches cannot be chained at once.
Under that lock the stored records sharing a key with the batch are read (one query per
source), outcomes and hashes are computed in Polars, and the new records are COPYed straight
into `events`; no staging table is needed, since nothing else can insert meanwhile.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import polars as pl
import psycopg

from socialcredit.errors import (
    AppendOnlyError,
    RecordRejectedError,
    StoreError,
    StoreUnavailableError,
)
from socialcredit.storage.sql import SqlStore

__all__ = ["PostgresStore"]

# The SQLSTATE the append-only trigger raises (see the 0001 migration).
APPEND_ONLY_STATE = "SC001"
# Any fixed number: the advisory lock that serialises migrations between openers.
_MIGRATION_LOCK = 0x5C_0001
_COPY_ROWS = 100_000
# Fact tables without a seq that `change_stamp` counts (append-only: a count only grows).
_COUNTED = ("rulebook_versions", "party_versions", "tokens", "token_revocations")


class PostgresStore(SqlStore):
    """The store in a PostgreSQL database named by a `postgresql://` URL."""

    dialect = "postgres"

    def __init__(self, url: str) -> None:
        self.where = _without_password(url)
        try:
            # No server-side prepared statements: a plan cached while the log was small
            # (a scan of a near-empty table) turns quadratic once the log is large.
            self._connection = psycopg.connect(url, autocommit=True, prepare_threshold=None)
            # Cached standings come back as UTC instants, whatever the server's default.
            self._connection.execute("SET TIME ZONE 'UTC'")
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreUnavailableError(
                f"cannot reach the PostgreSQL store at {self.where}: {reason}; check that the "
                "server is running and that SOCIALCREDIT_DB names the right database and user"
            ) from exc
        self._migrate()

    def close(self) -> None:
        """Release the connection; the store cannot be used afterwards."""
        self._connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._connection.transaction():
            yield

    def defer_checkpoints(self) -> None:
        """The server checkpoints its own log, apart from any commit."""

    def checkpoint(self) -> None:
        """The server checkpoints its own log."""

    def change_stamp(self) -> dict[str, int]:
        """The last seq of events and case actions (an index's end), and the row count of
        the other, small, append-only fact tables."""
        parts = [
            "(SELECT coalesce(max(seq), 0) FROM events)",
            "(SELECT count(*) FROM event_reviews)",
            "(SELECT coalesce(max(seq), 0) FROM case_actions)",
            *(f"(SELECT count(*) FROM {t})" for t in _COUNTED),
        ]
        with self._translated():
            row = self._connection.execute(f"SELECT {', '.join(parts)}").fetchone()
        assert row is not None
        names = ("events", "event_reviews", "case_actions", *_COUNTED)
        return {name: int(value) for name, value in zip(names, row, strict=True)}

    def _lock_log(self) -> None:
        # SHARE ROW EXCLUSIVE conflicts with itself and with every write, not with reads.
        self._execute("LOCK TABLE events IN SHARE ROW EXCLUSIVE MODE")

    def _lock_schema(self) -> None:
        self._execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            raise _store_error(exc, self.where) from exc

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._connection.execute(_placeholders(sql), params or None)

    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._connection.execute(_placeholders(sql), params or None).fetchall()

    def _run_script(self, sql: str) -> None:
        # Without parameters psycopg sends the script as one simple query: many statements.
        self._connection.execute(sql)

    def _insert_frame(self, table: str, frame: pl.DataFrame) -> None:
        # CSV as PostgreSQL reads it: text always quoted, so that an unquoted empty field
        # is NULL and a quoted empty one is the empty string.
        copy_sql = f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT csv)"
        with self._connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for part in frame.iter_slices(_COPY_ROWS):
                copy.write(
                    part.write_csv(include_header=False, quote_style="non_numeric", null_value="")
                )

    def _upsert_frame(self, table: str, frame: pl.DataFrame, key: Sequence[str]) -> None:
        # COPY cannot replace rows, so the stored rows with the frame's keys go first; the
        # keys travel as one JSON text that Polars writes, not as arrays psycopg would
        # adapt value by value.
        names = ", ".join(key)
        record = ", ".join(f"{name} text" for name in key)
        keys = frame.select(pl.col(name).cast(pl.String) for name in key).write_json()
        self._execute(
            f"DELETE FROM {table} WHERE ({names}) IN "
            f"(SELECT * FROM json_to_recordset(?::json) AS k({record}))",
            [keys],
        )
        self._insert_frame(table, frame)

    def _among(self, column: str, values: list[str]) -> tuple[str, list[Any]]:
        # A semi-join on the elements of one JSON array parameter: `= ANY(array)` would scan
        # the array per row, and a text[] parameter is adapted by psycopg value by value.
        return f"{column} IN (SELECT json_array_elements_text(?::json))", [json.dumps(values)]

    def _migrations_table(self) -> str:
        return (
            "CREATE TABLE IF NOT EXISTS migrations (number integer PRIMARY KEY, "
            "name text NOT NULL, applied_at text NOT NULL "
            "DEFAULT (now() AT TIME ZONE 'UTC')::text)"
        )


def _placeholders(sql: str) -> str:
    # The store's SQL has no other question marks and no percent signs.
    return sql.replace("?", "%s")


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _store_error(exc: psycopg.Error, where: str) -> StoreError:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if exc.sqlstate == APPEND_ONLY_STATE:
        return AppendOnlyError(
            f"{message}: facts are never changed or removed; record a correction instead"
        )
    if isinstance(exc, psycopg.IntegrityError):
        return RecordRejectedError(
            f"the store refused a row ({message}); nothing of this write was kept"
        )
    if isinstance(exc, psycopg.OperationalError):
        return StoreUnavailableError(f"the PostgreSQL store at {where} failed: {message}")
    return StoreError(f"the PostgreSQL store at {where} failed: {message}")

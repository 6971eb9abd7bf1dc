"""The store contract written once in SQL; a backend supplies the connection-level parts.

Statements use `?` placeholders (the PostgreSQL backend rewrites them). A backend says how
to open a transaction and take the write locks, run statements, insert a frame in bulk,
test a column against a list of values, and turn its driver's errors into StoreErrors.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import date, datetime
from types import TracebackType
from typing import Any, Literal, Self

import polars as pl

from socialcredit.errors import PublishConflictError, RecordRejectedError, ReviewError
from socialcredit.storage.appending import KEY, batch_of, classify, iso_text, new_records
from socialcredit.storage.chain import GENESIS, canonical_forms, canonical_json, content_hash
from socialcredit.storage.contract import (
    CASE_ACTION_COLUMNS,
    ENTRY_CACHE_COLUMNS,
    EVENT_COLUMNS,
    SENT_FIELDS,
    STANDING_CACHE_COLUMNS,
    Appended,
    ChainBreak,
    ChainHead,
    Published,
    Source,
)
from socialcredit.storage.frames import (
    CASE_ACTION_SCHEMA,
    ENTRY_CACHE_SCHEMA,
    EVENT_SCHEMA,
    MIGRATION_SCHEMA,
    RULEBOOK_SCHEMA,
    STANDING_CACHE_SCHEMA,
    SUBJECT_SCHEMA,
    typed,
)
from socialcredit.storage.migrate import to_apply
from socialcredit.storage.verify import chunk_breaks

__all__ = ["SqlStore"]

_EVENTS = ", ".join(EVENT_COLUMNS)
_STORED = ", ".join(["seq", *SENT_FIELDS])
_STORED_SCHEMA = {"seq": pl.Int64(), **dict.fromkeys(SENT_FIELDS, pl.String())}
_SOURCE = "id, name, trust, allowed, credential_hash"


class SqlStore(ABC):
    """The shared SQL of both backends. Every public method is one transaction."""

    dialect: str
    where: str  # the database as the user named it, for messages

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
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> None: ...

    @abstractmethod
    def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def _run_script(self, sql: str) -> None:
        """Run the statements of a migration inside the current transaction."""

    @abstractmethod
    def _insert_frame(self, table: str, frame: pl.DataFrame) -> None:
        """Insert every row of a frame (columns named as in the table) in bulk."""

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
    def _writing(self) -> Iterator[None]:
        with self._translated(), self._transaction():
            yield

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

    # --- events ---------------------------------------------------------------------------

    def append_events(self, events: pl.DataFrame, *, recorded_at: datetime) -> Appended:
        """Append a batch in one transaction; per-row outcomes new, exists or conflict."""
        batch = batch_of(events)
        with self._writing():
            self._lock_log()
            head = self._head()
            classified = classify(batch, self._stored_with_keys(batch), head)
            records = new_records(classified, head, iso_text(recorded_at))
            self._insert_frame("events", records)
        if records.height:
            head = ChainHead(int(records.item(-1, "seq")), str(records.item(-1, "hash")))
        return Appended(classified.select(*KEY, "outcome", "seq", "differing"), head)

    def _stored_with_keys(self, batch: pl.DataFrame) -> pl.DataFrame:
        """The stored records sharing a key with the batch, one query per source."""
        rows: list[tuple[Any, ...]] = []
        by_source = batch.drop_nulls(KEY).group_by("source").agg(pl.col("id").unique())
        for source, ids in by_source.iter_rows():
            condition, params = self._among("id", ids)
            rows += self._fetch(
                f"SELECT {_STORED} FROM events WHERE source = ? AND {condition}", [source, *params]
            )
        return typed(rows, _STORED_SCHEMA)

    def head(self) -> ChainHead:
        """The position and hash of the last event (0 and GENESIS when there are none)."""
        with self._translated():
            return self._head()

    def _head(self) -> ChainHead:
        last = self._fetch("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        return ChainHead(int(last[0][0]), str(last[0][1])) if last else ChainHead(0, GENESIS)

    def event_count(self) -> int:
        """How many events are stored."""
        with self._translated():
            return int(self._fetch("SELECT count(*) FROM events")[0][0])

    def events_for(self, subjects: Iterable[str]) -> pl.DataFrame:
        """Every event about these subjects in log order, with `review` of pending ones."""
        condition, params = self._among("e.subject", list(subjects))
        columns = ", ".join(f"e.{name}" for name in EVENT_COLUMNS)
        return self._read(
            f"SELECT {columns}, r.decision FROM events AS e "
            "LEFT JOIN event_reviews AS r ON r.source = e.source AND r.id = e.id "
            f"WHERE {condition} ORDER BY e.seq",
            params,
            {**EVENT_SCHEMA, "review": pl.String()},
        )

    def events_between(self, first: int, last: int) -> pl.DataFrame:
        """Events at positions `first` to `last`, both included, in log order."""
        return self._read(
            f"SELECT {_EVENTS} FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq",
            (first, last),
            EVENT_SCHEMA,
        )

    def pending_events(self) -> pl.DataFrame:
        """Pending events that no one has reviewed yet, in log order."""
        columns = ", ".join(f"e.{name}" for name in EVENT_COLUMNS)
        return self._read(
            f"SELECT {columns} FROM events AS e WHERE e.status = 'pending' AND NOT EXISTS "
            "(SELECT 1 FROM event_reviews AS r WHERE r.source = e.source AND r.id = e.id) "
            "ORDER BY e.seq",
            (),
            EVENT_SCHEMA,
        )

    def review_event(
        self,
        source: str,
        id: str,
        *,
        decision: Literal["approve", "reject"],
        reviewer: str,
        reason: str,
        reviewed_at: datetime,
    ) -> None:
        """Record the one review of a pending event."""
        with self._writing():
            found = self._fetch(
                "SELECT e.status, r.decision FROM events AS e LEFT JOIN event_reviews AS r "
                "ON r.source = e.source AND r.id = e.id WHERE e.source = ? AND e.id = ?",
                (source, id),
            )
            if not found:
                raise ReviewError(f"no event {source}/{id} is stored; check the source and id")
            if found[0][0] != "pending":
                raise ReviewError(
                    f"event {source}/{id} was accepted when recorded; "
                    "only pending events are reviewed"
                )
            if found[0][1] is not None:
                raise ReviewError(
                    f"event {source}/{id} was already reviewed ({found[0][1]}); a review is final"
                )
            self._execute(
                "INSERT INTO event_reviews (source, id, decision, reviewer, reason, reviewed_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (source, id, decision, reviewer, reason, iso_text(reviewed_at)),
            )

    def verify_chain(self, chunk_size: int = 100_000) -> list[ChainBreak]:
        """Recompute every hash in log order, a chunk at a time; the broken records."""
        breaks: list[ChainBreak] = []
        before = ChainHead(0, GENESIS)
        while True:
            chunk = self._read(
                f"SELECT {_EVENTS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                (before.seq, chunk_size),
                EVENT_SCHEMA,
            )
            if chunk.is_empty():
                return breaks
            breaks += chunk_breaks(chunk, before, canonical_forms(chunk))
            before = ChainHead(int(chunk.item(-1, "seq")), str(chunk.item(-1, "hash")))

    # --- rulebooks ------------------------------------------------------------------------

    def publish_rulebook(
        self, rulebook: str, version: str, effective: date, text: str, *, published_at: datetime
    ) -> Published:
        """Store a rulebook version's text; the same again is "exists", other text is refused."""
        digest = content_hash(text)
        with self._writing():
            stored = self._fetch(
                "SELECT effective, content_hash FROM rulebook_versions "
                "WHERE rulebook = ? AND version = ?",
                (rulebook, version),
            )
            if stored and tuple(stored[0]) == (effective.isoformat(), digest):
                return Published(rulebook, version, digest, "exists")
            if stored:
                raise PublishConflictError(
                    f"rulebook {rulebook} version {version} is already published with other "
                    f"content (sha256 {stored[0][1]}, effective {stored[0][0]}); "
                    "a published version never changes: publish the change as a new version"
                )
            self._execute(
                "INSERT INTO rulebook_versions "
                "(rulebook, version, effective, content_hash, text, published_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (rulebook, version, effective.isoformat(), digest, text, iso_text(published_at)),
            )
        return Published(rulebook, version, digest, "new")

    def rulebook_versions(self, rulebook: str | None = None) -> pl.DataFrame:
        """Published versions (all, or of one rulebook), by rulebook then effective date."""
        where, params = ("WHERE rulebook = ?", [rulebook]) if rulebook else ("", [])
        return self._read(
            f"SELECT {', '.join(RULEBOOK_SCHEMA)} FROM rulebook_versions {where} "
            "ORDER BY rulebook, effective, version",
            params,
            RULEBOOK_SCHEMA,
        )

    # --- sources and subjects -------------------------------------------------------------

    def register_source(self, source: Source, *, registered_at: datetime) -> str:
        """Add a source or a new version of it: "new", "updated", or "exists" if unchanged."""
        with self._writing():
            latest = self._fetch(
                f"SELECT {_SOURCE}, version FROM sources WHERE id = ?", (source.id,)
            )
            if latest and _source(latest[0]) == source:
                return "exists"
            version = int(latest[0][-1]) + 1 if latest else 1
            self._execute(
                "INSERT INTO source_versions (source, version, name, trust, allowed, "
                "credential_hash, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    source.id,
                    version,
                    source.name,
                    source.trust,
                    canonical_json(list(source.allowed)),
                    source.credential_hash,
                    iso_text(registered_at),
                ),
            )
        return "updated" if latest else "new"

    def sources(self) -> list[Source]:
        """Every registered source as its latest version has it, by id."""
        with self._translated():
            return [
                _source(row) for row in self._fetch(f"SELECT {_SOURCE} FROM sources ORDER BY id")
            ]

    def source(self, id: str) -> Source | None:
        """One source as its latest version has it, or None."""
        with self._translated():
            found = self._fetch(f"SELECT {_SOURCE} FROM sources WHERE id = ?", (id,))
        return _source(found[0]) if found else None

    def register_subjects(self, subjects: pl.DataFrame, *, registered_at: datetime) -> int:
        """Register subjects (`id`, `kind`); how many were new. A changed kind is refused."""
        given = subjects.select("id", "kind").unique("id", keep="first", maintain_order=True)
        with self._writing():
            condition, params = self._among("id", given.get_column("id").to_list())
            stored = typed(
                self._fetch(
                    f"SELECT id, kind, registered_at FROM subjects WHERE {condition}", params
                ),
                SUBJECT_SCHEMA,
            )
            clash = given.join(stored, on="id", suffix="_stored").filter(
                pl.col("kind") != pl.col("kind_stored")
            )
            if not clash.is_empty():
                id_, kind, was = clash.row(0)[:3]
                raise RecordRejectedError(
                    f"subject {id_} is registered as {was}, not {kind}; a subject's kind never "
                    f"changes ({clash.height} such subject(s) in this batch, none registered)"
                )
            new = given.join(stored, on="id", how="anti").with_columns(
                registered_at=pl.lit(iso_text(registered_at))
            )
            self._insert_frame("subjects", new)
        return new.height

    def subjects(self, ids: Iterable[str] | None = None) -> pl.DataFrame:
        """Registered subjects (all, or these): `id`, `kind`, `registered_at`."""
        condition, params = ("1 = 1", []) if ids is None else self._among("id", list(ids))
        return self._read(
            f"SELECT id, kind, registered_at FROM subjects WHERE {condition} ORDER BY id",
            params,
            SUBJECT_SCHEMA,
        )

    # --- case actions ---------------------------------------------------------------------

    def append_case_actions(self, actions: pl.DataFrame) -> int:
        """Append case actions (`kind`, `subject`, `ref`, `data` JSON text, `at`); how many."""
        rows = actions.select(
            "kind",
            "subject",
            pl.col("ref") if "ref" in actions.columns else pl.lit(None, pl.String).alias("ref"),
            pl.col("data") if "data" in actions.columns else pl.lit("{}").alias("data"),
            _iso(actions, "at"),
        )
        with self._writing():
            self._insert_frame("case_actions", rows)
        return rows.height

    def case_actions_for(self, subjects: Iterable[str]) -> pl.DataFrame:
        """Case actions about these subjects in the order they were appended."""
        condition, params = self._among("subject", list(subjects))
        return self._read(
            f"SELECT {', '.join(CASE_ACTION_COLUMNS)} FROM case_actions "
            f"WHERE {condition} ORDER BY seq",
            params,
            CASE_ACTION_SCHEMA,
        )

    # --- caches ---------------------------------------------------------------------------

    def replace_caches(
        self,
        subjects: Iterable[str],
        entries: pl.DataFrame,
        standings: pl.DataFrame,
        *,
        as_of: datetime,
        log_position: int,
        rulebooks: Sequence[str],
    ) -> None:
        """Replace the cached entries and standings of these subjects in one transaction."""
        names = list(subjects)
        provenance = {
            "log_position": pl.lit(log_position, pl.Int64),
            "rulebooks": pl.lit(canonical_json(list(rulebooks))),
        }
        for frame, label in ((entries, "entries"), (standings, "standings")):
            strays = frame.filter(~pl.col("subject").is_in(names)).get_column("subject").unique()
            if strays.len():
                raise ValueError(
                    f"{label} for subjects not being replaced: {strays.head(3).to_list()}"
                )
        entries = entries.select(*ENTRY_CACHE_COLUMNS[:-2], **provenance)
        standings = standings.select(
            *STANDING_CACHE_COLUMNS[:-3],
            as_of=pl.lit(as_of).dt.convert_time_zone("UTC"),
            **provenance,
        )
        with self._writing():
            condition, params = self._among("subject", names)
            self._execute(f"DELETE FROM entries WHERE {condition}", params)
            self._execute(f"DELETE FROM standings WHERE {condition}", params)
            self._insert_frame("entries", entries)
            self._insert_frame("standings", standings)

    def entries_for(self, subjects: Iterable[str]) -> pl.DataFrame:
        """Cached entries of these subjects, with their provenance."""
        condition, params = self._among("subject", list(subjects))
        return self._read(
            f"SELECT {', '.join(ENTRY_CACHE_COLUMNS)} FROM entries WHERE {condition} "
            "ORDER BY subject, valid_from, source, event_id, rule",
            params,
            ENTRY_CACHE_SCHEMA,
        )

    def standings_for(self, subjects: Iterable[str]) -> pl.DataFrame:
        """Cached standings of these subjects, with their provenance."""
        condition, params = self._among("subject", list(subjects))
        return self._read(
            f"SELECT {', '.join(STANDING_CACHE_COLUMNS)} FROM standings "
            f"WHERE {condition} ORDER BY subject",
            params,
            STANDING_CACHE_SCHEMA,
        )


def _source(row: Sequence[Any]) -> Source:
    id_, name, trust, allowed, credential_hash = row[:5]
    return Source(id_, name, trust, tuple(json.loads(allowed)), credential_hash)


def _iso(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A time column as the store's ISO text: aware datetimes in UTC, text as given."""
    dtype = frame.schema[name]
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            raise ValueError(f"{name} must be timezone-aware")
        return pl.col(name).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
    return pl.col(name).cast(pl.String)

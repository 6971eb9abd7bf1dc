"""The event log in SQL: batches appended under the write lock, reads, reviews, verification."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

import polars as pl

from socialcredit.errors import ReviewError
from socialcredit.storage.appending import KEY, batch_of, classify, iso_text, new_records
from socialcredit.storage.chain import GENESIS, canonical_forms
from socialcredit.storage.contract import (
    EVENT_COLUMNS,
    SENT_FIELDS,
    Appended,
    ChainBreak,
    ChainHead,
)
from socialcredit.storage.frames import EVENT_SCHEMA, typed
from socialcredit.storage.sql.base import SqlBase
from socialcredit.storage.verify import chunk_breaks

__all__ = ["EventLog"]

_EVENTS = ", ".join(EVENT_COLUMNS)
_STORED = ", ".join(["seq", *SENT_FIELDS])
_STORED_SCHEMA = {"seq": pl.Int64(), **dict.fromkeys(SENT_FIELDS, pl.String())}


class EventLog(SqlBase):
    """The hash-chained, append-only log of events and the reviews of pending ones."""

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

    def event(self, source: str, id: str) -> pl.DataFrame:
        """The event stored under `(source, id)` with its `review`, as one row or none."""
        columns = ", ".join(f"e.{name}" for name in EVENT_COLUMNS)
        return self._read(
            f"SELECT {columns}, r.decision FROM events AS e "
            "LEFT JOIN event_reviews AS r ON r.source = e.source AND r.id = e.id "
            "WHERE e.source = ? AND e.id = ?",
            (source, id),
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

    def review_count(self) -> int:
        """How many reviews of pending events are stored."""
        with self._translated():
            return int(self._fetch("SELECT count(*) FROM event_reviews")[0][0])

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

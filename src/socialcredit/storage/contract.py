"""The store contract: what every backend does, and the records it hands back.

Facts (events, reviews, rulebook versions, source and party versions, subjects, case
actions, decisions, the access log, notice deliveries, API tokens and their revocations)
are only ever appended; the database refuses UPDATE and DELETE on them. Entries and
standings are caches derived from the facts, replaced per subject, each row naming the log
position and rulebook versions it was computed from. Every write is one transaction: it
lands whole or not at all. Bulk data goes in and out as Polars frames.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Literal, Protocol, Self

import polars as pl

from socialcredit.domain.events import ENTRY_COLUMNS, STANDING_COLUMNS

__all__ = [
    "ACCESS_COLUMNS",
    "CASE_ACTION_COLUMNS",
    "DECISION_COLUMNS",
    "DELIVERY_COLUMNS",
    "ENTRY_CACHE_COLUMNS",
    "EVENT_COLUMNS",
    "SENT_FIELDS",
    "STANDING_CACHE_COLUMNS",
    "Appended",
    "ChainBreak",
    "ChainHead",
    "Party",
    "Published",
    "Registered",
    "Source",
    "Store",
    "Token",
]

# What a source sends; `(source, id)` is the idempotency key and the rest is compared.
SENT_FIELDS = ("source", "id", "subject", "type", "occurred_at", "jurisdiction", "act", "data")
EVENT_COLUMNS = (
    "seq",
    *SENT_FIELDS[:5],
    "recorded_at",
    *SENT_FIELDS[5:],
    "status",
    "prev_hash",
    "hash",
)
CASE_ACTION_COLUMNS = ("seq", "kind", "subject", "ref", "data", "at")
# An eligibility answer, the facts and rulebooks it saw, and when it was given.
DECISION_COLUMNS = (
    "seq",
    "decision_id",
    "party",
    "subject",
    "purpose",
    "outcome",
    "reasons",
    "rulebooks",
    "log_position",
    "as_of",
    "decided_at",
)
ACCESS_COLUMNS = ("seq", "who", "role", "subject", "what", "purpose", "at")
DELIVERY_COLUMNS = ("seq", "notice", "channel", "status", "detail", "at")
# The entry and standing columns under the scheme that derived them, plus provenance.
ENTRY_CACHE_COLUMNS = ("scheme", *ENTRY_COLUMNS, "log_position", "rulebooks")
STANDING_CACHE_COLUMNS = ("scheme", *STANDING_COLUMNS, "as_of", "log_position", "rulebooks")
Outcome = Literal["new", "exists", "conflict"]
Registered = Literal["new", "updated", "exists"]


@dataclass(frozen=True)
class ChainHead:
    """The last record of the log: its position and hash (seq 0 and GENESIS when empty)."""

    seq: int
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    """One record whose hash, link to the record before, or position is not as it should be."""

    seq: int
    source: str
    id: str
    problem: str

    def __str__(self) -> str:
        return f"seq {self.seq} ({self.source}/{self.id}): {self.problem}"


@dataclass(frozen=True)
class Appended:
    """What one batch did. `outcomes` has a row per input row, in input order: `source`,
    `id`, `outcome` ("new", "exists" or "conflict"), `seq` (the position of the record
    stored under that key, by this batch or before) and `differing` (the names of the
    fields that differ from it, for a conflict)."""

    outcomes: pl.DataFrame
    head: ChainHead

    def count(self, outcome: Outcome) -> int:
        """How many rows of the batch had this outcome."""
        return int((self.outcomes.get_column("outcome") == outcome).sum())

    @property
    def conflicts(self) -> pl.DataFrame:
        """The rows whose `(source, id)` is stored, or earlier in the batch, with other content."""
        return self.outcomes.filter(pl.col("outcome") == "conflict")


@dataclass(frozen=True)
class Published:
    """A rulebook version as stored, and whether this call stored it ("new") or not."""

    rulebook: str
    version: str
    content_hash: str
    outcome: Literal["new", "exists"]


@dataclass(frozen=True)
class Source:
    """An accountable source: who it is, how far it is trusted, what it may report.

    `allowed` lists the event types or domains it may report; a low-trust source's events
    are stored as pending until corroborated or reviewed.
    """

    id: str
    name: str
    trust: Literal["high", "low"]
    allowed: tuple[str, ...]
    credential_hash: str | None = None


@dataclass(frozen=True)
class Party:
    """A relying party: who it is and the consequence purposes it may ask about
    ("rail.ticket", "hotel.luxury"); it gets decisions for those purposes and no others."""

    id: str
    name: str
    purposes: tuple[str, ...]
    credential_hash: str | None = None


@dataclass(frozen=True)
class Token:
    """A bearer token for the HTTP API as stored: its public id, the role and principal it
    acts as (a source id, a party id, a subject id, or a person's name for admin and
    reviewer), the SHA-256 `digest` of the whole token (never the token itself), and when it
    was issued and, if it was, revoked."""

    id: str
    role: str
    principal: str
    digest: str
    created_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str | None = None


class Store(Protocol):
    """The append-only ledger of facts and the caches derived from it."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Close the store."""

    def close(self) -> None:
        """Release the connection; the store cannot be used afterwards."""

    def migrations(self) -> pl.DataFrame:
        """Applied schema migrations: `number`, `name`, `applied_at`."""

    def defer_checkpoints(self) -> None:
        """From now on, leave folding the write-ahead log into the database to `checkpoint`
        rather than to whichever commit finds the log long: a server calls `checkpoint`
        from a thread of its own, so that no commit on a request's path waits for it. A
        backend whose server manages its own log does nothing."""

    def checkpoint(self) -> None:
        """Fold what the write-ahead log holds into the database, as far as it can without
        waiting for any reader or writer. A backend whose server manages its own log does
        nothing."""

    def atomic(self) -> AbstractContextManager[None]:
        """Group several writes into one transaction: every one of them lands, or none.
        Writes inside it join it instead of committing on their own."""

    # --- events ---------------------------------------------------------------------------

    def append_events(self, events: pl.DataFrame, *, recorded_at: datetime) -> Appended:
        """Append a batch in one transaction: new rows get the next positions and extend
        the hash chain; a stored `(source, id)` with the same content is "exists", with
        other content "conflict" naming the fields. Columns: `source`, `id`, `subject`,
        `type`, `occurred_at` (ISO text as sent), `status` ("accepted" or "pending"), and
        optionally `jurisdiction`, `act`, `data` (canonical JSON text, default "{}")."""

    def head(self) -> ChainHead:
        """The position and hash of the last event."""

    def event_count(self) -> int:
        """How many events are stored."""

    def events_for(self, subjects: Iterable[str]) -> pl.DataFrame:
        """Every event about these subjects in log order, with the `review` decision of
        pending ones ("approve", "reject", or null while unreviewed)."""

    def event(self, source: str, id: str) -> pl.DataFrame:
        """The event stored under `(source, id)` with its `review`, as one row (none if
        there is no such event)."""

    def events_between(self, first: int, last: int) -> pl.DataFrame:
        """Events at positions `first` to `last`, both included, in log order."""

    def pending_events(self) -> pl.DataFrame:
        """Pending events that no one has reviewed yet, in log order."""

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

    def review_count(self) -> int:
        """How many reviews of pending events are stored."""

    def verify_chain(self, chunk_size: int = 100_000) -> list[ChainBreak]:
        """Recompute every hash in log order, a chunk at a time; the broken records."""

    def change_stamp(self) -> dict[str, int]:
        """How far each fact table a decision or a sign-in reads has grown, cheaply: for
        `events`, `event_reviews`, `case_actions`, `rulebook_versions`, `party_versions`,
        `tokens` and `token_revocations`, a number that grows with every row appended and
        with nothing else (`events` and `case_actions`: the last seq). Facts are never
        changed or removed, so an unchanged stamp means no such fact was added."""

    # --- rulebooks, sources, subjects, case actions -------------------------------------------

    def publish_rulebook(
        self, rulebook: str, version: str, effective: date, text: str, *, published_at: datetime
    ) -> Published:
        """Store a rulebook version's text; the same text again is "exists", other text
        under the same id and version is refused."""

    def rulebook_versions(self, rulebook: str | None = None) -> pl.DataFrame:
        """Published versions (all, or of one rulebook), by rulebook then effective date."""

    def register_source(self, source: Source, *, registered_at: datetime) -> Registered:
        """Add a source or a new version of it: "new", "updated", or "exists" if unchanged."""

    def sources(self) -> list[Source]:
        """Every registered source as its latest version has it."""

    def source(self, id: str) -> Source | None:
        """One source as its latest version has it, or None."""

    def register_subjects(self, subjects: pl.DataFrame, *, registered_at: datetime) -> int:
        """Register subjects (`id`, `kind`); returns how many were new. Known ones with the
        same kind are left as they are; a different kind is refused."""

    def subjects(self, ids: Iterable[str] | None = None) -> pl.DataFrame:
        """Registered subjects (all, or these): `id`, `kind`, `registered_at`."""

    def append_case_actions(self, actions: pl.DataFrame) -> int:
        """Append case actions (`kind`, `subject`, `ref`, `data` JSON text, `at`)."""

    def case_actions_for(
        self,
        subjects: Iterable[str] | None = None,
        *,
        refs: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        after: int | None = None,
    ) -> pl.DataFrame:
        """Case actions about these subjects (or all), with these refs (or any), of these
        kinds (or any), appended after the seq `after` (or ever), in the order they were
        appended."""

    # --- relying parties, decisions, access, notice deliveries --------------------------------

    def register_party(self, party: Party, *, registered_at: datetime) -> Registered:
        """Add a relying party or a new version of it: "new", "updated", or "exists" if
        unchanged. Earlier versions are kept."""

    def parties(self) -> list[Party]:
        """Every registered relying party as its latest version has it, by id."""

    def party(self, id: str) -> Party | None:
        """One relying party as its latest version has it, or None."""

    def append_decisions(self, decisions: pl.DataFrame) -> int:
        """Append eligibility decisions in one transaction; how many. Columns:
        `decision_id` (unique), `party`, `subject`, `purpose`, `outcome` ("allow", "deny",
        or "refused" for a purpose the party is not registered for), `reasons` (JSON text),
        `rulebooks` (a list of rulebook@version, or its JSON text), `log_position`, and the
        instants `as_of` and `decided_at` (aware datetimes, or ISO text with an offset)."""

    def decisions_for(
        self, subjects: Iterable[str] | None = None, party: str | None = None
    ) -> pl.DataFrame:
        """Decisions about these subjects (or all), given to one party (or any), in the
        order they were appended; `rulebooks` as a list, times as UTC instants."""

    def append_access(self, reads: pl.DataFrame) -> int:
        """Append reads of personal data in one transaction; how many. Columns: `who` (the
        principal), `role`, `subject`, `what` ("decision", "score", "explain", ...),
        `purpose` (optional), `at` (an aware datetime, or ISO text with an offset)."""

    def access_for(self, subject: str) -> pl.DataFrame:
        """Every logged read of one subject's data, in the order it was logged."""

    def append_deliveries(self, deliveries: pl.DataFrame) -> int:
        """Append attempts to deliver notices in one transaction; how many. Columns:
        `notice` (the ref of a stored case action; an unknown one refuses the batch),
        `channel` ("inbox" or "email"), `status` ("sent" or "failed"), `detail` (optional),
        `at` (an aware datetime, or ISO text with an offset)."""

    def deliveries_for(self, notices: Iterable[str]) -> pl.DataFrame:
        """Every delivery attempt of these notices (case action refs), in order."""

    # --- API tokens ---------------------------------------------------------------------------

    def add_token(self, token: Token) -> None:
        """Store a new token (its revocation fields are ignored); an id already stored is
        refused."""

    def token(self, id: str) -> Token | None:
        """One token by its id, with its revocation if it has one, or None."""

    def tokens(self) -> list[Token]:
        """Every token, revoked ones included, in the order they were issued."""

    def revoke_token(self, id: str, *, reason: str | None, revoked_at: datetime) -> None:
        """Record the one revocation of a token; an unknown or already revoked token is
        refused."""

    # --- caches -------------------------------------------------------------------------------

    def replace_caches(
        self,
        scheme: str,
        subjects: Iterable[str],
        entries: pl.DataFrame,
        standings: pl.DataFrame,
        *,
        as_of: datetime,
        log_position: int,
        rulebooks: Sequence[str],
        keep_entries: Iterable[str] = (),
    ) -> None:
        """Replace the cached entries and standings of these subjects under one scheme (a
        rulebook id), in one transaction. Subjects in `keep_entries` keep their cached
        entries, and `entries` holds only the ones to add to theirs."""

    def entries_for(
        self, subjects: Iterable[str] | None = None, scheme: str | None = None
    ) -> pl.DataFrame:
        """Cached entries of these subjects (or of all), under one scheme or all, with their
        provenance, by scheme, subject and time."""

    def standings_for(
        self, subjects: Iterable[str] | None = None, scheme: str | None = None
    ) -> pl.DataFrame:
        """Cached standings of these subjects (or of all), under one scheme or all, with
        their provenance, by scheme and subject."""

    def drop_caches(self, keep: Iterable[str] = ()) -> None:
        """Remove every cached entry and standing of the schemes not in `keep`."""

"""The ledger: append-only, hash-chained facts and the caches derived from them.

Two backends keep the same contract (`Store`): SQLite, the embedded default (a file path,
or ":memory:"), and PostgreSQL (a `postgresql://` URL). Opening applies any pending schema
migration; nothing connects until `open_store` is called.

    store = open_store(target_from_env(os.environ))  # SOCIALCREDIT_DB, or ./socialcredit.db
    with store:
        appended = store.append_events(batch, recorded_at=clock())
        appended.outcomes          # per row: source, id, outcome, seq, differing
        appended.count("new"), appended.conflicts, appended.head
        store.events_for(["371003199003071236"])    # Polars, log order, with `review`
        store.events_between(1, 1000), store.event_count(), store.head()
        store.verify_chain()       # [] when every hash rechecks

`batch` is a Polars frame of text columns: `source`, `id`, `subject`, `type`,
`occurred_at` (ISO 8601 as sent), `status` ("accepted", or "pending" for low-trust
sources), and optionally `jurisdiction`, `act` and `data` (JSON text written by
`canonical_json`, default "{}"). A batch lands whole or not at all; a stored
`(source, id)` is "exists" if its content is the same and "conflict" (with the differing
field names) if not, and is never stored twice. Pending events are settled with
`review_event` and listed by `pending_events`.

Rulebooks: `publish_rulebook(id, version, effective, text, published_at=...)` and
`rulebook_versions()`. Registries: `register_source(Source(...), registered_at=...)`,
`sources()`, `source(id)`, `register_subjects(frame, registered_at=...)`, `subjects()`.
Due process: `append_case_actions(frame)`, `case_actions_for(subjects, refs=...)`;
relying parties `register_party(Party(...), registered_at=...)`, `parties()`, `party(id)`;
`append_decisions(frame)`, `decisions_for(subjects, party=...)`; the access log
`append_access(frame)`, `access_for(subject)`; the notice outbox `append_deliveries(frame)`,
`deliveries_for(notice_refs)`; API tokens `add_token(Token(...))`, `token(id)`, `tokens()`,
`revoke_token(id, reason=..., revoked_at=...)`. Caches:
`replace_caches(subjects, entries, standings, as_of=..., log_position=..., rulebooks=[...])`,
`entries_for(subjects)`, `standings_for(subjects)`.

Times are passed in (`recorded_at`, `published_at`, ...), never read from a clock here.
Every driver error comes out as a `socialcredit.errors.StoreError`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from socialcredit.storage.chain import GENESIS, canonical_json
from socialcredit.storage.contract import (
    Appended,
    ChainBreak,
    ChainHead,
    Party,
    Published,
    Source,
    Store,
    Token,
)

__all__ = [
    "DEFAULT_DB",
    "GENESIS",
    "Appended",
    "ChainBreak",
    "ChainHead",
    "Party",
    "Published",
    "Source",
    "Store",
    "Token",
    "canonical_json",
    "open_store",
    "target_from_env",
]

DEFAULT_DB = "./socialcredit.db"
_POSTGRES = ("postgresql://", "postgres://")


def target_from_env(environ: Mapping[str, str]) -> str:
    """The store `SOCIALCREDIT_DB` names, or the default SQLite file."""
    return environ.get("SOCIALCREDIT_DB") or DEFAULT_DB


def open_store(target: str | os.PathLike[str]) -> Store:
    """Open (and migrate) the store at a SQLite path or a `postgresql://` URL."""
    text = os.fspath(target)
    # Backends are imported on demand, so the SQLite path never loads psycopg.
    if text.startswith(_POSTGRES):
        from socialcredit.storage.postgres import PostgresStore

        return PostgresStore(text)
    from socialcredit.storage.sqlite import SQLiteStore

    return SQLiteStore(text)

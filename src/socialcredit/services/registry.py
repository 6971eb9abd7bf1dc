"""The source and subject registries, and the review of pending events, as an operator
uses them."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import polars as pl

from socialcredit.domain.identifiers import (
    SubjectKind,
    check_uscc,
    validate_opaque_id,
    validate_resident_id,
)
from socialcredit.domain.taxonomy import DOMAINS
from socialcredit.errors import SocialCreditError, UnknownRecordError
from socialcredit.services.derive import counting_events, refresh_caches
from socialcredit.services.record import ledger_of
from socialcredit.storage import Source, Store

__all__ = ["REVIEW_COLUMNS", "add_source", "add_subject", "awaiting_review", "review"]

# What a reviewer sees of a pending event.
REVIEW_COLUMNS = ("seq", "source", "id", "subject", "type", "occurred_at", "data")


def add_source(
    store: Store,
    id: str,
    *,
    name: str | None,
    trust: Literal["high", "low"],
    allow: Sequence[str],
    credential: str | None,
    registered_at: datetime,
) -> str:
    """Register a source (or a new version of it); "new", "updated" or "exists".

    Every name it is allowed must be an event type of a published rulebook or a domain.
    """
    if not allow:
        raise SocialCreditError(
            f"say what {id} may report: --allow with event types or domains "
            f"(domains: {', '.join(sorted(DOMAINS))})"
        )
    types = ledger_of(store).known_types()
    unknown = [a for a in allow if a not in types and a not in DOMAINS]
    if unknown:
        raise SocialCreditError(
            f"--allow {', '.join(unknown)}: neither an event type of a published rulebook nor "
            f"a domain ({', '.join(sorted(DOMAINS))})"
        )
    digest = hashlib.sha256(credential.encode()).hexdigest() if credential else None
    source = Source(id, name or id, trust, tuple(sorted(set(allow))), digest)
    return store.register_source(source, registered_at=registered_at)


def add_subject(store: Store, id: str, kind: str, *, registered_at: datetime) -> tuple[str, str]:
    """Register one subject with an explicit kind; returns (id as stored, "new" or "exists")."""
    if kind == SubjectKind.PERSON:
        id = validate_resident_id(id)
    elif kind == SubjectKind.ORGANISATION:
        id = check_uscc(id).code
    elif kind == SubjectKind.OPAQUE:
        id = validate_opaque_id(id)
    else:
        raise SocialCreditError(f"kind {kind!r} is not person, organisation or opaque")
    added = store.register_subjects(
        pl.DataFrame({"id": [id], "kind": [kind]}), registered_at=registered_at
    )
    return id, "new" if added else "exists"


def awaiting_review(store: Store) -> pl.DataFrame:
    """Pending events no reviewer has decided and no second source has corroborated, with
    the `REVIEW_COLUMNS`."""
    pending = store.pending_events()
    if pending.is_empty():
        return pending.select(REVIEW_COLUMNS)
    stored = store.events_for(pending.get_column("subject").unique().to_list())
    counting = counting_events(stored).select("source", "id")
    return pending.join(counting, on=["source", "id"], how="anti").select(REVIEW_COLUMNS)


def review(
    store: Store,
    source: str,
    id: str,
    *,
    decision: Literal["approve", "reject"],
    reviewer: str,
    reason: str,
    at: datetime,
) -> str:
    """Record a reviewer's decision on a pending event and re-derive its subject, together."""
    found = store.event(source, id)
    if found.is_empty():
        raise UnknownRecordError(f"no event {source}/{id} is stored; check the source and id")
    schemes = ledger_of(store).schemes
    with store.atomic():
        store.review_event(
            source, id, decision=decision, reviewer=reviewer, reason=reason, reviewed_at=at
        )
        subject = str(found.item(0, "subject")) if found.height else None
        if subject is not None:
            refresh_caches(store, schemes, [subject], at)
    return subject or ""

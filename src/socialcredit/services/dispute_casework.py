"""Case actions on a dispute: the subject opens it and adds information; the source answers;
the platform's reviewer may remove the entry the source cannot substantiate.

Each is an append-only fact with its own timestamp, so disputes handled elsewhere can be
loaded with the dates they really happened. A dispute is of one entry the subject has: the
event behind it must be theirs and make an entry under a published scheme; an event already
under an unresolved dispute, or already removed by one, is not disputed again. An answer
that the dispute's state does not admit (after the deadline removed the entry) is still
recorded, and the history says it had no effect and why. A withdrawal, or the reviewer's
removal, re-derives the subject's caches in the same transaction, so they follow the facts
at once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import polars as pl

from socialcredit.errors import SocialCreditError, UnknownRecordError
from socialcredit.services.case_actions import append_case_action
from socialcredit.services.derive import derive, refresh_caches
from socialcredit.services.disputes import (
    DISPUTE_OPENED,
    INFORMATION_ADDED,
    REVIEWER_DECIDED,
    SOURCE_ANSWERED,
    SubjectDispute,
    dispute_ref,
    disputes_for,
    event_seq_of,
    settled,
)
from socialcredit.services.schemes import Scheme, published_schemes
from socialcredit.storage import Store

__all__ = [
    "add_information",
    "answer_dispute",
    "dispute_dict",
    "disputes_of",
    "find_dispute",
    "open_dispute",
    "review_dispute",
]


def _schemes(store: Store) -> list[Scheme]:
    schemes = published_schemes(store)
    if not schemes:
        raise SocialCreditError(
            "no rulebook is published in this store; run `socialcredit init` first"
        )
    return schemes


def find_dispute(store: Store, ref: str, as_of: datetime) -> SubjectDispute:
    """The dispute a ref names, as of a moment."""
    seq = event_seq_of(ref)
    if seq is None:
        raise SocialCreditError(f"{ref!r} is not a dispute ref (X-<log position of the event>)")
    event = store.events_between(seq, seq)
    if event.is_empty():
        raise UnknownRecordError(f"no event is stored at log position {seq} (dispute {ref})")
    subject = str(event.item(0, "subject"))
    for found in disputes_for(store, _schemes(store), [subject], as_of):
        if found.ref == ref:
            return found
    raise UnknownRecordError(f"no dispute {ref}: the event at log position {seq} is not disputed")


def _entry(
    stored: pl.DataFrame,
    schemes: list[Scheme],
    source: str,
    event_id: str,
    rule: str | None,
    at: datetime,
) -> tuple[Scheme, str]:
    """The scheme and rule of the entry the event makes (the first, if rule is not given)."""
    for scheme in schemes:
        entries = derive(stored, scheme, at).entries.filter(
            (pl.col("source") == source) & (pl.col("event_id") == event_id)
        )
        if rule is not None:
            entries = entries.filter(pl.col("rule") == rule)
        if entries.height:
            return scheme, str(entries.item(0, "rule"))
    which = f"entry {rule}" if rule else "entry"
    raise SocialCreditError(
        f"event {source}/{event_id} makes no {which} under the published rulebooks (pending, "
        "voided, or of a type no rule scores); `socialcredit explain` shows why"
    )


def open_dispute(
    store: Store,
    subject: str,
    *,
    source: str,
    event_id: str,
    rule: str | None,
    grounds: str,
    at: datetime,
) -> SubjectDispute:
    """Record the subject's dispute of the entry an event of theirs makes; the dispute."""
    if not grounds.strip():
        raise SocialCreditError("say why the entry is wrong: --grounds")
    schemes = _schemes(store)
    events = store.events_for([subject])
    event = events.filter((pl.col("source") == source) & (pl.col("id") == event_id))
    if event.is_empty():
        raise SocialCreditError(
            f"{subject} has no event {source}/{event_id}; `socialcredit explain {subject}` "
            "lists the events behind each entry"
        )
    disputes = disputes_for(store, schemes, [subject], at)
    earlier = [d for d in disputes if (d.source, d.event_id) == (source, event_id)]
    for before in earlier:
        if before.removed:
            raise SocialCreditError(
                f"event {source}/{event_id} was already removed by dispute {before.ref}"
            )
        if before.shown and not before.dispute.resolved:
            raise SocialCreditError(
                f"event {source}/{event_id} is already disputed: {before.ref} "
                f"({before.dispute.state})"
            )
    shown = [d for d in disputes if d.shown]
    scheme, found_rule = _entry(settled(events, shown), schemes, source, event_id, rule, at)
    ref = dispute_ref(int(event.item(0, "seq")), len(earlier))
    data = {
        "scheme": scheme.id,
        "source": source,
        "event_id": event_id,
        "rule": found_rule,
        "grounds": grounds,
    }
    append_case_action(store, DISPUTE_OPENED, subject, ref, data, at)
    return find_dispute(store, ref, at)


def _after_opening(found: SubjectDispute, at: datetime) -> None:
    if at < found.opened_at:
        raise SocialCreditError(
            f"{at.isoformat()} is before dispute {found.ref} was opened "
            f"({found.opened_at.isoformat()})"
        )


def add_information(store: Store, ref: str, info: str, *, at: datetime) -> SubjectDispute:
    """Record information the subject adds to a dispute (within the 30 days it gives the
    source 45); the dispute as of `at`."""
    if not info.strip():
        raise SocialCreditError("say what information is added: --info")
    found = find_dispute(store, ref, at)
    _after_opening(found, at)
    append_case_action(store, INFORMATION_ADDED, found.subject, ref, {"info": info}, at)
    return find_dispute(store, ref, at)


def answer_dispute(
    store: Store,
    ref: str,
    outcome: Literal["confirmed", "withdrawn"],
    reasons: str,
    *,
    at: datetime,
) -> SubjectDispute:
    """Record the source's answer; a withdrawal re-derives the subject's caches with it, in
    one transaction. The dispute as of `at`."""
    if outcome not in ("confirmed", "withdrawn"):
        raise SocialCreditError(f"an answer confirms or withdraws, not {outcome!r}")
    if not reasons.strip():
        raise SocialCreditError("say why the source confirms or withdraws: --reason")
    found = find_dispute(store, ref, at)
    _after_opening(found, at)
    data = {"outcome": outcome, "reasons": reasons, "by": found.source}
    with store.atomic():
        append_case_action(store, SOURCE_ANSWERED, found.subject, ref, data, at)
        if outcome == "withdrawn":
            refresh_caches(store, _schemes(store), [found.subject], at)
    return find_dispute(store, ref, at)


def review_dispute(
    store: Store,
    ref: str,
    outcome: Literal["removed", "left_to_source"],
    reasons: str,
    *,
    by: str,
    at: datetime,
) -> SubjectDispute:
    """Record the reviewer's decision on an unresolved dispute: the entry removed in the
    subject's favour (its caches re-derived with it, in one transaction), or left to the
    source. The dispute as of `at`."""
    if outcome not in ("removed", "left_to_source"):
        raise SocialCreditError(f"a reviewer removes or leaves to the source, not {outcome!r}")
    if not reasons.strip():
        raise SocialCreditError("say why the reviewer decides so: reasons")
    found = find_dispute(store, ref, at)
    _after_opening(found, at)
    if found.dispute.resolved:
        raise SocialCreditError(
            f"dispute {ref} is already resolved ({found.dispute.state}): nothing is left to decide"
        )
    data = {"outcome": outcome, "reasons": reasons, "by": by}
    with store.atomic():
        append_case_action(store, REVIEWER_DECIDED, found.subject, ref, data, at)
        if outcome == "removed":
            refresh_caches(store, _schemes(store), [found.subject], at)
    return find_dispute(store, ref, at)


def disputes_of(store: Store, subject: str, as_of: datetime) -> list[SubjectDispute]:
    """Every dispute of the subject that shows as of a moment, oldest first."""
    schemes = published_schemes(store)
    return [d for d in disputes_for(store, schemes, [subject], as_of) if d.shown]


def _aware(found: SubjectDispute, wall: datetime | None) -> str | None:
    return None if wall is None else wall.replace(tzinfo=ZoneInfo(found.timezone)).isoformat()


def _day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def dispute_dict(found: SubjectDispute) -> dict[str, Any]:
    """A dispute as JSON: what is disputed, where it stands, its deadlines and history."""
    dispute = found.dispute
    opened = dispute.opened
    return {
        "ref": found.ref,
        "subject": found.subject,
        "scheme": opened.scheme,
        "source": opened.source,
        "event_id": opened.event_id,
        "rule": opened.rule,
        "grounds": opened.grounds,
        "state": str(dispute.state) if dispute.state else None,
        "disputed": found.shown,
        "counts": dispute.counts,
        "resolved": dispute.resolved,
        "opened_at": _aware(found, opened.at),
        "notify_source_by": _day(dispute.notify_source_by),
        "resolve_by": _day(dispute.resolve_by),
        "tell_subject_by": _day(dispute.tell_subject_by),
        "source_notified_at": _aware(found, dispute.source_notified_at),
        "resolved_at": _aware(found, dispute.resolved_at),
        "outcome_sent_at": _aware(found, dispute.outcome_sent_at),
        "steps": [
            {"at": _aware(found, s.at), "state": str(s.state), "reason": s.reason, "cause": s.cause}
            for s in dispute.steps
        ],
    }

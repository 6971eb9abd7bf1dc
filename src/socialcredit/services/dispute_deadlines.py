"""The deadline job's work on disputes, with a clock passed in.

As of `now`, for every dispute: a source not yet told of it is notified (a case action and
a delivery to the source); an entry its source did not confirm in time has its removal
recorded; a resolved dispute's outcome goes to the subject (a case action, a delivery to
the subject's inbox and a copy to the source); and once the event is removed, every relying
party denied on the strength of it is told (`corrections`). The subjects whose events were
removed are re-derived in the same transaction, so the caches follow the facts and `verify`
finds nothing. What was done is recorded, so running the job again does nothing new.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from socialcredit.domain.disputes import State
from socialcredit.services.corrections import DECISION_CORRECTED, Correction, correct_decisions
from socialcredit.services.derive import refresh_caches
from socialcredit.services.disputes import (
    DISPUTE_ACTIONS,
    OUTCOME_SENT,
    REMOVAL_RECORDED,
    SOURCE_NOTIFIED,
    SubjectDispute,
    disputes_from,
)
from socialcredit.services.schemes import Scheme
from socialcredit.storage import Store

__all__ = ["DisputesTended", "tend_disputes"]

HOW_TO_ANSWER = (
    "Confirm the event as reported or withdraw it, with reasons, before the deadline: "
    "`socialcredit dispute answer REF --confirm|--withdraw --reason TEXT`. An event not "
    "confirmed by then is removed from the subject's record."
)
_EFFECT = {
    State.CONFIRMED: "the entry stands",
    State.WITHDRAWN: "the entry is removed",
    State.REMOVED_UNVERIFIED: "the entry is removed",
    State.REMOVED_BY_REVIEWER: "the entry is removed",
}


@dataclass
class DisputesTended:
    """What one run did to disputes, by dispute ref."""

    source_notices: list[str] = field(default_factory=list)
    removals: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    rederived: list[str] = field(default_factory=list)  # subjects

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "source_notices": self.source_notices,
            "removals": self.removals,
            "outcomes": self.outcomes,
            "corrections": [c.as_dict() for c in self.corrections],
            "rederived": self.rederived,
        }


@dataclass
class _Batch:
    """The case actions and deliveries of one run, appended together."""

    now: datetime
    actions: list[dict[str, str]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, found: SubjectDispute, data: dict[str, Any], *to: str) -> None:
        self.actions.append(
            {
                "kind": kind,
                "subject": found.subject,
                "ref": found.ref,
                "data": json.dumps(data, ensure_ascii=False, default=str),
                "at": self.now.isoformat(),
            }
        )
        for whom in to:
            self.deliveries.append(
                {
                    "notice": found.ref,
                    "channel": "inbox",
                    "status": "sent",
                    "detail": f"{kind} to {whom}",
                    "at": self.now,
                }
            )

    def append(self, store: Store) -> None:
        if self.actions:
            store.append_case_actions(pl.DataFrame(self.actions))
        if self.deliveries:
            store.append_deliveries(pl.DataFrame(self.deliveries))


def _about(found: SubjectDispute) -> dict[str, Any]:
    opened = found.dispute.opened
    return {
        "dispute": found.ref,
        "subject": found.subject,
        "scheme": opened.scheme,
        "event": f"{opened.source}/{opened.event_id}",
        "rule": opened.rule,
    }


def _resolution(found: SubjectDispute) -> str:
    """Why the dispute ended as it did: the step that resolved it."""
    state = found.dispute.state
    return next((s.reason for s in found.dispute.steps if s.state is state), "")


def _source_notice(found: SubjectDispute) -> dict[str, Any]:
    return {
        **_about(found),
        "to": found.source,
        "grounds": found.dispute.opened.grounds,
        "answer_by": found.dispute.resolve_by.isoformat(),
        "how_to_answer": HOW_TO_ANSWER,
    }


def _outcome(found: SubjectDispute) -> dict[str, Any]:
    state = found.dispute.state
    assert state is not None
    resolved = found.dispute.resolved_at
    return {
        **_about(found),
        "to": "subject",
        "outcome": str(state),
        "effect": _EFFECT[state],
        "resolved_at": found.instant(resolved).isoformat() if resolved else None,
        "why": _resolution(found),
    }


def _tend(found: SubjectDispute, batch: _Batch, done: DisputesTended) -> bool:
    """Add what is due for one dispute to the batch; True if its subject is to be re-derived."""
    dispute = found.dispute
    rederive = False
    if dispute.owes_source_notice:
        batch.add(SOURCE_NOTIFIED, found, _source_notice(found), found.source)
        done.source_notices.append(found.ref)
    if dispute.state is State.REMOVED_UNVERIFIED and not found.removal_recorded:
        removed_at = found.removed_at
        assert removed_at is not None, "a removed dispute has its moment"
        data = {**_about(found), "removed_at": removed_at.isoformat(), "why": _resolution(found)}
        batch.add(REMOVAL_RECORDED, found, data)
        done.removals.append(found.ref)
        rederive = True
    if dispute.owes_outcome:
        batch.add(OUTCOME_SENT, found, _outcome(found), "the subject", found.source)
        done.outcomes.append(found.ref)
        rederive = rederive or found.removed
    return rederive


def tend_disputes(
    store: Store,
    schemes: list[Scheme],
    *,
    now: datetime,
) -> DisputesTended:
    """Act on every dispute as of `now` (see the module); idempotent."""
    actions = store.case_actions_for(kinds=(*DISPUTE_ACTIONS, DECISION_CORRECTED))
    told = set(actions.filter(pl.col("kind") == DECISION_CORRECTED).get_column("ref"))
    timezones = {s.id: s.plan.timezone for s in schemes}
    disputes = disputes_from(actions.filter(pl.col("kind").is_in(DISPUTE_ACTIONS)), timezones, now)
    done = DisputesTended()
    batch = _Batch(now)
    with store.atomic():
        rederive = sorted({d.subject for d in disputes if d.shown and _tend(d, batch, done)})
        batch.append(store)
        for found in disputes:
            if found.shown and found.removed:
                done.corrections += correct_decisions(store, schemes, found, now=now, told=told)
        refresh_caches(store, schemes, rederive, now)
    done.rederived = rederive
    return done

"""The reviewer's work, in one list: appeals against listings awaiting review, disputes the
source has not answered, repair applications awaiting the platform's answer or the
authority's decision, and pending events awaiting a review.

Each item names its kind, its ref (the one the action on it takes), its subject, since when
it waits and, where the law sets one, by when it is owed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from socialcredit.domain.listing import State as ListingState
from socialcredit.services.disputes import DISPUTE_OPENED, disputes_for
from socialcredit.services.listings import listings_for
from socialcredit.services.registry import awaiting_review
from socialcredit.services.repair import repair_applications
from socialcredit.services.schemes import Scheme, published_schemes
from socialcredit.storage import Store

__all__ = ["QueueItem", "review_queue"]


@dataclass(frozen=True)
class QueueItem:
    """One case awaiting someone's action."""

    kind: str  # "appeal", "dispute", "repair" or "pending_event"
    ref: str
    subject: str
    state: str
    since: str  # ISO 8601, with its offset
    due: str | None = None


def _with_action(store: Store, kinds: tuple[str, ...]) -> list[str]:
    actions = store.case_actions_for(kinds=kinds)
    return sorted(set(actions.get_column("subject")))


def _appeals(store: Store, schemes: list[Scheme], as_of: datetime) -> list[QueueItem]:
    subjects = _with_action(store, ("listing.appeal",))
    return [
        QueueItem(
            "appeal",
            s.ref,
            s.subject,
            str(s.listing.state),
            s.listing.steps[-1].at.replace(tzinfo=s.timezone).isoformat(),
        )
        for s in listings_for(store, schemes, subjects, as_of)
        if s.listing.state is ListingState.UNDER_APPEAL
    ]


def _disputes(store: Store, schemes: list[Scheme], as_of: datetime) -> list[QueueItem]:
    subjects = _with_action(store, (DISPUTE_OPENED,))
    return [
        QueueItem(
            "dispute",
            d.ref,
            d.subject,
            str(d.dispute.state),
            d.opened_at.isoformat(),
            None if d.dispute.resolve_by is None else d.dispute.resolve_by.isoformat(),
        )
        for d in disputes_for(store, schemes, subjects, as_of)
        if d.shown and not d.dispute.resolved
    ]


def _repairs(store: Store) -> list[QueueItem]:
    items = []
    for app in repair_applications(store):
        if app.due is not None:
            since = app.accepted_at or app.applied_at
            items.append(
                QueueItem(
                    "repair",
                    app.id,
                    app.subject,
                    app.state,
                    since.isoformat(),
                    app.due[1].isoformat(),
                )
            )
    return items


def _pending(store: Store) -> list[QueueItem]:
    return [
        QueueItem(
            "pending_event", f"{r['source']}/{r['id']}", r["subject"], "pending", r["occurred_at"]
        )
        for r in awaiting_review(store).to_dicts()
    ]


def review_queue(store: Store, as_of: datetime) -> list[QueueItem]:
    """Every case awaiting review as of a moment: appeals, disputes, repairs, pending events,
    each kind oldest first."""
    schemes = published_schemes(store)
    return [
        *_appeals(store, schemes, as_of),
        *_disputes(store, schemes, as_of),
        *_repairs(store),
        *_pending(store),
    ]

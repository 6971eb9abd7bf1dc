"""Disputes as the store's case actions give them, and the events they take out of derivation.

A subject disputes the event behind one of its entries. Each dispute is a set of case
actions under one ref, `X-<log position of the event>` (`-2`, `-3`, ... for a later dispute
of the same event): opened, information added, the source's answer, the reviewer's decision,
the source notified, the removal recorded, the outcome sent. The domain folds them
(`domain.disputes`); times given to it are wall-clock times in the timezone of the scheme
the disputed entry is under.

A source confirms or withdraws the event it reported, not one rule's reading of it, so a
dispute that ends in removal (withdrawn, removed by the platform's reviewer, or not
confirmed in time) takes the event out of every derivation made as of a moment at or after
the removal: under every scheme and at every moment, as a void does. `settled` marks those
events in a stored frame (status "removed": they count for nothing and corroborate
nothing), and every path that derives (caches, ingest, recompute, verify, readings,
decisions, listings) derives from the settled frame. A standing is thereby a function of
(events, rulebooks, case actions, as_of).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from socialcredit.domain.cases import (
    DisputeFact,
    DisputeOpened,
    InformationAdded,
    OutcomeSent,
    ReviewerDecided,
    SourceAnswered,
    SourceNotified,
)
from socialcredit.domain.disputes import Dispute, dispute_history
from socialcredit.kernel.reference import local
from socialcredit.services.schemes import Scheme
from socialcredit.storage import Store

__all__ = [
    "DISPUTE_ACTIONS",
    "DISPUTE_OPENED",
    "INFORMATION_ADDED",
    "OUTCOME_SENT",
    "REMOVAL_RECORDED",
    "REMOVED",
    "REVIEWER_DECIDED",
    "SOURCE_ANSWERED",
    "SOURCE_NOTIFIED",
    "SubjectDispute",
    "dispute_ref",
    "disputed_events",
    "disputes_for",
    "disputes_from",
    "event_seq_of",
    "settle",
    "settled",
]

DISPUTE_OPENED = "dispute.opened"
INFORMATION_ADDED = "dispute.information_added"
SOURCE_ANSWERED = "dispute.answered"
REVIEWER_DECIDED = "dispute.reviewed"
SOURCE_NOTIFIED = "dispute.source_notified"
REMOVAL_RECORDED = "dispute.removed"
OUTCOME_SENT = "dispute.outcome_sent"
DISPUTE_ACTIONS = (
    DISPUTE_OPENED,
    INFORMATION_ADDED,
    SOURCE_ANSWERED,
    REVIEWER_DECIDED,
    SOURCE_NOTIFIED,
    REMOVAL_RECORDED,
    OUTCOME_SENT,
)
# The status a settled frame gives an event a dispute removed (stored: accepted or pending).
REMOVED = "removed"

# A log position is a 64-bit integer: more digits name no event and could not be looked up.
_REF = re.compile(r"^X-([0-9]{1,18})(?:-([0-9]+))?$")


def dispute_ref(event_seq: int, earlier: int) -> str:
    """The ref of a dispute of the event at `event_seq`, after `earlier` disputes of it."""
    return f"X-{event_seq}" if earlier == 0 else f"X-{event_seq}-{earlier + 1}"


def event_seq_of(ref: str) -> int | None:
    """The log position of the disputed event a ref names; None if it is no dispute ref."""
    match = _REF.match(ref)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class SubjectDispute:
    """One dispute of one subject's event as of a moment, with what the deadline job did."""

    ref: str
    subject: str
    timezone: str
    dispute: Dispute
    removal_recorded: bool = False

    @property
    def source(self) -> str:
        """The source that reported the disputed event."""
        return self.dispute.opened.source

    @property
    def event_id(self) -> str:
        """The disputed event's id at its source."""
        return self.dispute.opened.event_id

    @property
    def removed(self) -> bool:
        """True once the dispute took the event out: withdrawn, or removed by the reviewer
        or unverified."""
        return not self.dispute.counts

    @property
    def shown(self) -> bool:
        """True if the event shows as disputed as of the dispute's moment."""
        return self.dispute.disputed_at(self.dispute.as_of)

    def instant(self, wall: datetime) -> datetime:
        """A wall-clock time of this dispute as an aware moment."""
        return wall.replace(tzinfo=ZoneInfo(self.timezone))

    @property
    def opened_at(self) -> datetime:
        """When the dispute was opened, as an aware moment."""
        return self.instant(self.dispute.opened.at)

    @property
    def removed_at(self) -> datetime | None:
        """When the event was taken out, as an aware moment; None while it counts."""
        if not self.removed or self.dispute.resolved_at is None:
            return None
        return self.instant(self.dispute.resolved_at)


def _fact(kind: str, name: str, data: Mapping[str, Any], at: datetime) -> DisputeFact | None:
    if kind == SOURCE_NOTIFIED:
        return SourceNotified(name, at)
    if kind == INFORMATION_ADDED:
        return InformationAdded(name, at, summary=str(data.get("info", "")))
    if kind == SOURCE_ANSWERED:
        return SourceAnswered(
            name, at, outcome=data["outcome"], reasons=str(data.get("reasons", ""))
        )
    if kind == REVIEWER_DECIDED:
        return ReviewerDecided(
            name,
            at,
            by=str(data["by"]),
            outcome=data["outcome"],
            reasons=str(data.get("reasons", "")),
        )
    if kind == OUTCOME_SENT:
        return OutcomeSent(name, at)
    return None  # the removal recorded: the deadline removes the entry, not the record of it


def _opened(name: str, data: Mapping[str, Any], at: datetime) -> DisputeOpened:
    return DisputeOpened(
        name,
        at,
        scheme=str(data["scheme"]),
        source=str(data["source"]),
        event_id=str(data["event_id"]),
        rule=str(data["rule"]),
        grounds=str(data.get("grounds", "")),
    )


def disputes_from(
    actions: pl.DataFrame, timezones: Mapping[str, str], as_of: datetime
) -> list[SubjectDispute]:
    """Every dispute in these case actions (`case_actions_for` rows) as of `as_of`, in the
    order they were opened. `timezones` names each scheme's timezone (UTC if unknown)."""
    rows = actions.filter(pl.col("kind").is_in(DISPUTE_ACTIONS)).sort("seq")
    opened: dict[str, tuple[str, DisputeOpened]] = {}
    facts: dict[str, list[DisputeFact]] = {}
    recorded: set[str] = set()
    for seq, kind, subject, ref, data, at in rows.select(
        "seq", "kind", "subject", "ref", "data", "at"
    ).iter_rows():
        found = json.loads(data)
        moment = datetime.fromisoformat(at)
        if kind == DISPUTE_OPENED:
            zone = timezones.get(str(found["scheme"]), "UTC")
            opened[ref] = (subject, _opened(f"{kind}#{seq}", found, local(moment, zone)))
            continue
        if ref not in opened:
            continue  # an action on no dispute: nothing to fold it into
        zone = timezones.get(opened[ref][1].scheme, "UTC")
        if kind == REMOVAL_RECORDED:
            recorded.add(ref)
        fact = _fact(kind, f"{kind}#{seq}", found, local(moment, zone))
        if fact is not None:
            facts.setdefault(ref, []).append(fact)
    found_disputes = []
    for ref, (subject, dispute_opened) in opened.items():
        zone = timezones.get(dispute_opened.scheme, "UTC")
        history = dispute_history(dispute_opened, facts.get(ref, []), as_of=local(as_of, zone))
        found_disputes.append(SubjectDispute(ref, subject, zone, history, ref in recorded))
    return found_disputes


def _timezones(schemes: Iterable[Scheme]) -> dict[str, str]:
    return {s.id: s.plan.timezone for s in schemes}


def disputes_for(
    store: Store, schemes: Iterable[Scheme], subjects: Sequence[str], as_of: datetime
) -> list[SubjectDispute]:
    """Every dispute of these subjects as of `as_of` (those opened later too, with no steps)."""
    if not subjects:
        return []
    actions = store.case_actions_for(subjects)
    return disputes_from(actions, _timezones(schemes), as_of)


def settled(stored: pl.DataFrame, disputes: Iterable[SubjectDispute]) -> pl.DataFrame:
    """`stored` (`events_for` rows) with every event a dispute removed marked `REMOVED`."""
    gone = sorted({f"{d.source}\x1f{d.event_id}" for d in disputes if d.removed})
    if not gone:
        return stored
    key = pl.concat_str(["source", "id"], separator="\x1f")
    return stored.with_columns(
        status=pl.when(key.is_in(gone)).then(pl.lit(REMOVED)).otherwise(pl.col("status"))
    )


def settle(
    store: Store, schemes: Iterable[Scheme], stored: pl.DataFrame, as_of: datetime
) -> pl.DataFrame:
    """`stored` (every stored event of some subjects) as derivation as of `as_of` reads it:
    with the events that disputes removed by then marked `REMOVED`."""
    subjects = stored.get_column("subject").unique().to_list()
    return settled(stored, disputes_for(store, schemes, subjects, as_of))


def disputed_events(disputes: Iterable[SubjectDispute]) -> pl.DataFrame:
    """The events shown as disputed as of the disputes' moment, each with its latest
    dispute: `source`, `event_id`, `dispute` (the ref), `dispute_state`."""
    latest = {(d.source, d.event_id): d for d in disputes if d.shown}
    return pl.DataFrame(
        [(source, event, d.ref, str(d.dispute.state)) for (source, event), d in latest.items()],
        schema={
            "source": pl.String,
            "event_id": pl.String,
            "dispute": pl.String,
            "dispute_state": pl.String,
        },
        orient="row",
    )

"""Credit repair applications: the subject corrects the conduct, commits, and asks to be
taken off a list or to have a penalty repaired; the authority decides with reasons.

The national measures for administrative penalties set the clocks: the platform answers an
application within 10 working days of receiving it (accepting it for the authority, or
refusing it), and the authority decides within 3 working days of the acceptance. Working
days are China's (`domain/calendar.py`), counted in the timezone of the scheme the target
belongs to. Every step is a case action with its own timestamp, all under the
application's ref (`R-...`), so history can be imported with its real dates:

    repair.application  the subject's commitment and proof, and what is to be repaired
    repair.acceptance   the platform's answer: accepted for the authority's decision
    repair.decision     approved or rejected, with reasons and who decided
    notice.repair_decision  the outcome, in the subject's inbox (and email, by the outbox)

What an approval does depends on the target. A listing (`L-...`, a blacklist in effect)
is taken off at once: a `listing.early_removal` case action is appended through
`casework.act_on_listing`, and the listing's history shows it. A points entry (a penalty
named by its source and event id) ends at the moment of approval: every derivation reads
the approval from the case actions (`derive.repairs_for`) and gives each penalty entry of
the event still in force then `ended_at` the approval (wall-clock in the scheme's
timezone) and `ended_by` the application, so it counts up to the approval and not after.
The subject's caches are re-derived in the approval's transaction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import polars as pl

from socialcredit.domain.calendar import closes_at
from socialcredit.domain.durations import Duration
from socialcredit.errors import SocialCreditError, UnknownRecordError
from socialcredit.services.case_actions import append_case_action
from socialcredit.services.casework import act_on_listing, find_listing
from socialcredit.services.derive import (
    REPAIR_APPLICATION,
    REPAIR_DECISION,
    derive,
    refresh_caches,
    repaired,
    repairs_for,
)
from socialcredit.services.disputes import settle
from socialcredit.services.listings import wall_clock
from socialcredit.services.schemes import published_schemes
from socialcredit.storage import Store

__all__ = [
    "AUTHORITY_DECIDES_WITHIN",
    "PLATFORM_ANSWERS_WITHIN",
    "REPAIR_ACTIONS",
    "RepairApplication",
    "accept_repair",
    "apply_for_repair",
    "decide_repair",
    "repair_application",
    "repair_applications",
    "repair_deadlines",
]

PLATFORM_ANSWERS_WITHIN = Duration(working_days=10)
AUTHORITY_DECIDES_WITHIN = Duration(working_days=3)
APPLICATION, ACCEPTANCE, DECISION = REPAIR_APPLICATION, "repair.acceptance", REPAIR_DECISION
NOTICE = "notice.repair_decision"
REPAIR_ACTIONS = (APPLICATION, ACCEPTANCE, DECISION, NOTICE)
State = Literal["applied", "accepted", "approved", "rejected"]


@dataclass(frozen=True)
class RepairDecision:
    """The authority's recorded decision."""

    outcome: Literal["approved", "rejected"]
    reasons: str
    by: str
    at: datetime


@dataclass(frozen=True)
class RepairApplication:
    """One application as its case actions show it."""

    id: str
    subject: str
    target: dict[str, Any]  # {"listing": ref} or {"source", "event_id", "entries"}
    commitment: str
    proof: str
    applied_at: datetime
    timezone: str
    accepted_at: datetime | None = None
    accepted_by: str | None = None
    decision: RepairDecision | None = None

    @property
    def state(self) -> State:
        """Where the application stands."""
        if self.decision is not None:
            return self.decision.outcome
        return "applied" if self.accepted_at is None else "accepted"

    @property
    def answer_by(self) -> datetime:
        """The moment the platform's time to answer runs out."""
        return _closes(self.applied_at, PLATFORM_ANSWERS_WITHIN, self.timezone)

    @property
    def decide_by(self) -> datetime | None:
        """The moment the authority's time to decide runs out, once accepted."""
        if self.accepted_at is None:
            return None
        return _closes(self.accepted_at, AUTHORITY_DECIDES_WITHIN, self.timezone)

    @property
    def due(self) -> tuple[str, datetime] | None:
        """Who owes the next step and by when; None once decided."""
        if self.decision is not None:
            return None
        if self.decide_by is None:
            return "the platform must answer", self.answer_by
        return "the authority must decide", self.decide_by

    def overdue_at(self, now: datetime) -> bool:
        """Whether the step owed has passed its deadline at `now`."""
        return self.due is not None and now >= self.due[1]

    @property
    def target_text(self) -> str:
        """What is to be repaired, in words."""
        if "listing" in self.target:
            return f"listing {self.target['listing']}"
        return f"entry {self.target['source']}/{self.target['event_id']}"

    def as_dict(self, now: datetime | None = None) -> dict[str, Any]:
        """JSON-ready; with `now`, whether the step owed is overdue then."""
        due = self.due
        decision = self.decision
        return {
            "application": self.id,
            "subject": self.subject,
            "target": self.target,
            "state": self.state,
            "commitment": self.commitment,
            "proof": self.proof,
            "applied_at": self.applied_at.isoformat(),
            "answer_by": self.answer_by.isoformat(),
            "accepted_at": self.accepted_at.isoformat() if self.accepted_at else None,
            "accepted_by": self.accepted_by,
            "decide_by": self.decide_by.isoformat() if self.decide_by else None,
            "owed": None if due is None else {"what": due[0], "by": due[1].isoformat()},
            "overdue": None if now is None else self.overdue_at(now),
            "decision": None
            if decision is None
            else {
                "outcome": decision.outcome,
                "reasons": decision.reasons,
                "by": decision.by,
                "at": decision.at.isoformat(),
            },
        }


def _closes(start: datetime, length: Duration, timezone: str) -> datetime:
    return closes_at(start.astimezone(ZoneInfo(timezone)), length)


# --- reading applications from case actions ----------------------------------------------------


def _fold(rows: pl.DataFrame) -> list[RepairApplication]:
    """Applications from their case actions, in the order they were filed."""
    found: dict[str, RepairApplication] = {}
    ordered = rows.filter(pl.col("kind").is_in([APPLICATION, ACCEPTANCE, DECISION])).sort("seq")
    for kind, subject, ref, text, at in ordered.select(
        "kind", "subject", "ref", "data", "at"
    ).iter_rows():
        data, when = json.loads(text), datetime.fromisoformat(at)
        if kind == APPLICATION:
            zone = data["timezone"]
            local = when.astimezone(ZoneInfo(zone))
            found[ref] = RepairApplication(
                ref, subject, data["target"], data["commitment"], data["proof"], local, zone
            )
            continue
        if ref not in found:
            continue
        when = when.astimezone(ZoneInfo(found[ref].timezone))
        if kind == ACCEPTANCE:
            found[ref] = replace(found[ref], accepted_at=when, accepted_by=data["by"])
        else:
            decision = RepairDecision(data["outcome"], data["reasons"], data["by"], when)
            found[ref] = replace(found[ref], decision=decision)
    return list(found.values())


def repair_applications(store: Store, subjects: list[str] | None = None) -> list[RepairApplication]:
    """Every repair application of these subjects (or of everyone), in filing order."""
    rows = store.case_actions_for(subjects)
    return _fold(rows.filter(pl.col("kind").is_in(REPAIR_ACTIONS)))


def repair_application(store: Store, id: str) -> RepairApplication:
    """One application by its ref."""
    found = _fold(store.case_actions_for(refs=[id]))
    if not found:
        raise UnknownRecordError(f"no repair application {id!r}")
    return found[0]


def repair_deadlines(store: Store, now: datetime) -> list[str]:
    """One line for every undecided application whose platform answer or authority decision
    is past its deadline at `now`; for the deadline job to report."""
    lines = []
    for app in repair_applications(store):
        if app.due is not None and app.overdue_at(now):
            what, by = app.due
            lines.append(
                f"{app.id} ({app.subject}, {app.target_text}): {what} by {by.isoformat()}; overdue"
            )
    return lines


# --- applying ----------------------------------------------------------------------------------


def _listing_target(store: Store, ref: str, at: datetime) -> tuple[str, dict[str, Any], str]:
    listed = find_listing(store, ref, at)
    zone = listed.scheme.plan.timezone
    if listed.definition.kind != "black":
        raise SocialCreditError(
            f"{ref} is on the redlist {listed.definition.id}: nothing to repair"
        )
    if not listed.listing.in_effect_at(wall_clock(at, zone)):
        raise SocialCreditError(
            f"{ref} is not in effect at {at.isoformat()} (state {listed.listing.state}): only a "
            "listing in effect can be repaired; before it takes effect, appeal it with "
            "`socialcredit listing appeal`"
        )
    return listed.subject, {"listing": ref}, zone


def _entry_target(
    store: Store, subject: str, key: str, at: datetime
) -> tuple[str, dict[str, Any], str]:
    source, _, event_id = key.partition("/")
    stored = store.events_for([subject])
    event = stored.filter((pl.col("source") == source) & (pl.col("id") == event_id))
    if not event_id or event.is_empty():
        raise SocialCreditError(
            f"no event {key!r} about {subject} is stored; name a penalty by SOURCE/EVENT_ID "
            "or a listing by its ref L-<log position>-<list>"
        )
    penalties: list[dict[str, Any]] = []
    zone = "UTC"
    schemes = published_schemes(store)
    derivable = repaired(settle(store, schemes, stored, at), repairs_for(store, [subject]))
    for scheme in schemes:
        local = wall_clock(at, scheme.plan.timezone)
        end = pl.min_horizontal("valid_until", "ended_at")
        found = derive(derivable, scheme, at).entries.filter(
            (pl.col("source") == source)
            & (pl.col("event_id") == event_id)
            & (pl.col("status") == "counted")
            & ((pl.col("applied_points") < 0) | pl.col("grade").is_not_null())
            & (pl.col("valid_from") <= local)
            & (end.is_null() | (end > local))
        )
        for rule, points, grade in found.select("rule", "applied_points", "grade").iter_rows():
            penalties.append({"scheme": scheme.id, "rule": rule, "points": points, "grade": grade})
            zone = scheme.plan.timezone
    if not penalties:
        raise SocialCreditError(
            f"{key} gives {subject} no penalty that counts at {at.isoformat()}: only a "
            "deduction or a direct grade still in force can be repaired"
        )
    subject = str(event.item(0, "subject"))
    return subject, {"source": source, "event_id": event_id, "entries": penalties}, zone


def _key(target: dict[str, Any]) -> tuple[str, ...]:
    """What an application is about, whatever entries it found at the time."""
    if "listing" in target:
        return (target["listing"],)
    return (target["source"], target["event_id"])


def apply_for_repair(
    store: Store,
    target: str,
    *,
    commitment: str,
    proof: str,
    at: datetime,
    subject: str | None = None,
) -> RepairApplication:
    """File the subject's application to repair a listing (`L-...`) or a penalty entry
    (`SOURCE/EVENT_ID`, with the subject named); the platform's clock starts at `at`."""
    if not commitment.strip() or not proof.strip():
        raise SocialCreditError("a repair application needs a credit commitment and proof")
    if target.startswith("L-"):
        owner, what, zone = _listing_target(store, target, at)
        if subject is not None and subject != owner:
            raise SocialCreditError(f"{target} is a listing of {owner}, not of {subject}")
    elif subject is None:
        raise SocialCreditError(f"say whose entry {target} is with --subject")
    else:
        owner, what, zone = _entry_target(store, subject, target, at)
    earlier = repair_applications(store, [owner])
    open_ = [a for a in earlier if _key(a.target) == _key(what) and a.decision is None]
    if open_:
        raise SocialCreditError(
            f"{open_[0].id} already asks to repair {open_[0].target_text}; it is {open_[0].state}"
        )
    named = f"{owner}\x1f{target}\x1f{at.isoformat()}\x1f{len(earlier)}"
    digest = hashlib.sha256(named.encode()).hexdigest()
    ref = f"R-{digest[:12]}"
    data = {"target": what, "commitment": commitment, "proof": proof, "timezone": zone}
    append_case_action(store, APPLICATION, owner, ref, data, at)
    return repair_application(store, ref)


def _open(store: Store, id: str, at: datetime) -> RepairApplication:
    app = repair_application(store, id)
    if app.decision is not None:
        raise SocialCreditError(
            f"{id} was already {app.decision.outcome} by {app.decision.by} at "
            f"{app.decision.at.isoformat()}"
        )
    if at < (app.accepted_at or app.applied_at):
        raise SocialCreditError(f"{at.isoformat()} is before {id}'s last step")
    return app


def accept_repair(store: Store, id: str, *, by: str, at: datetime) -> RepairApplication:
    """The platform's answer: the application is complete and goes to the authority, whose
    3 working days start at `at`."""
    app = _open(store, id, at)
    if app.accepted_at is not None:
        raise SocialCreditError(f"{id} was already accepted by {app.accepted_by}")
    append_case_action(store, ACCEPTANCE, app.subject, id, {"by": by}, at)
    return repair_application(store, id)


def decide_repair(
    store: Store, id: str, *, approve: bool, reasons: str, by: str, at: datetime
) -> RepairApplication:
    """Approve or reject an application with reasons; tell the subject. Approving a listing
    repair removes the listing early; approving an entry repair ends the penalty at `at`
    and re-derives the subject's caches (see the module docstring)."""
    app = _open(store, id, at)
    if not reasons.strip():
        raise SocialCreditError("a repair decision needs its reasons")
    outcome = "approved" if approve else "rejected"
    effect = "none"
    with store.atomic():
        append_case_action(
            store, DECISION, app.subject, id, {"outcome": outcome, "reasons": reasons, "by": by}, at
        )
        if approve and "listing" in app.target:
            ref = app.target["listing"]
            why = f"credit repair {id} approved by {by}: {reasons}"
            act_on_listing(store, ref, "listing.early_removal", {"reasons": why}, at=at)
            effect = f"the listing {ref} is removed"
        elif approve:
            effect = _end_penalty(store, app, at)
        notice = {
            "application": id,
            "target": app.target_text,
            "outcome": outcome,
            "reasons": reasons,
            "by": by,
            "effect": effect,
        }
        append_case_action(store, NOTICE, app.subject, id, notice, at)
        store.append_deliveries(
            pl.DataFrame([{"notice": id, "channel": "inbox", "status": "sent", "at": at}])
        )
    return repair_application(store, id)


def _end_penalty(store: Store, app: RepairApplication, at: datetime) -> str:
    """Re-derive the subject now that the approval is recorded; what it ended, in words."""
    derived = refresh_caches(store, published_schemes(store), [app.subject], at)
    ended = sum(d.entries.filter(pl.col("ended_by") == app.id).height for d in derived)
    if not ended:
        return f"{app.target_text} had stopped counting before the approval: nothing to end"
    return f"{app.target_text} no longer counts from {at.isoformat()}"

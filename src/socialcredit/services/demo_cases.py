"""The demo's due process, each step a fact with its own time: notices of past listings,
disputes and their answers, repair applications, appeals, a relying party's questions.

Times are given relative to the build (`now`): a notice the day after the court's order, a
dispute some hours ago, so that the store reads as a district a year into the system.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

import polars as pl

from socialcredit.domain.listing import State
from socialcredit.errors import SocialCreditError
from socialcredit.services.case_actions import case_action
from socialcredit.services.casework import appeal_listing, listings_of
from socialcredit.services.decide import decide
from socialcredit.services.demo_script import DemoScript, DisputePlan
from socialcredit.services.dispute_casework import answer_dispute, open_dispute
from socialcredit.services.listings import SubjectListing, listed_subjects, listings_for
from socialcredit.services.repair import accept_repair, apply_for_repair
from socialcredit.services.schemes import published_schemes
from socialcredit.services.tick import notice_text
from socialcredit.storage import Store

__all__ = [
    "ask_about_some",
    "file_repairs",
    "lodge_appeals",
    "open_disputes",
    "proposed_listings",
    "serve_past_notices",
]

# Listings proposed this recently are left for the tick to serve notice of, so that their
# appeal windows are open when the demo starts; older ones were served the day after.
RECENT = timedelta(days=7)
NOTICE_AFTER = timedelta(days=1)
APPEAL_GROUNDS = (
    "the judgment was performed in full before the order; the receipt is attached",
    "I was never served with the judgment: the address on file is not mine",
    "the amount was settled with the creditor; the settlement agreement is attached",
)


def proposed_listings(store: Store) -> list[str]:
    """The subjects some event proposes a listing for (a scan of the whole log, so done once:
    the demo's due process adds no event)."""
    return listed_subjects(store, published_schemes(store))


def _listings(store: Store, subjects: list[str], as_of: datetime) -> list[SubjectListing]:
    return listings_for(store, published_schemes(store), subjects, as_of)


def serve_past_notices(store: Store, subjects: list[str], now: datetime) -> int:
    """Serve the notice of every listing of these subjects proposed more than `RECENT`
    before `now`, the day after its trigger, if nothing had happened to it by then; how
    many were served."""
    actions, deliveries = [], []
    for listed in _listings(store, subjects, now):
        steps = listed.listing.steps
        if not steps or steps[0].state is not State.PROPOSED or not listed.definition.notice:
            continue
        local = steps[0].at + NOTICE_AFTER
        served = local.replace(tzinfo=listed.timezone)
        if served >= now - RECENT + NOTICE_AFTER or (len(steps) > 1 and steps[1].at <= local):
            continue
        actions.append(
            case_action(
                "listing.notice", listed.subject, listed.ref, notice_text(listed, served), served
            )
        )
        deliveries.append(
            {"notice": listed.ref, "channel": "inbox", "status": "sent", "at": served}
        )
    if actions:
        with store.atomic():
            store.append_case_actions(pl.DataFrame(actions))
            store.append_deliveries(pl.DataFrame(deliveries))
    return len(actions)


def open_disputes(
    store: Store, plans: Sequence[DisputePlan], now: datetime
) -> tuple[list[str], int]:
    """Open the disputes and record the answers given; their refs, and how many answered.
    A plan whose event makes no entry any more (voided since) is passed over."""
    refs, answered = [], 0
    for plan in sorted(plans, key=lambda p: p.opened_before, reverse=True):
        at = now - plan.opened_before
        try:
            found = open_dispute(
                store,
                plan.subject,
                source=plan.source,
                event_id=plan.event_id,
                rule=None,
                grounds=plan.grounds,
                at=at,
            )
        except SocialCreditError:
            continue
        refs.append(found.ref)
        if plan.answer is not None:
            reasons = {
                "confirmed": "checked against the officer's report and the camera record",
                "withdrawn": "reported against the wrong person: the plate was misread",
            }[plan.answer]
            answer_dispute(store, found.ref, plan.answer, reasons, at=at + plan.opened_before / 2)
            answered += 1
    return refs, answered


def _listing_in_effect(
    store: Store, script: DemoScript, subjects: list[str], at: datetime
) -> SubjectListing | None:
    for subject in subjects:
        if subject == script.featured:
            continue
        for listed in listings_of(store, subject, at):
            local = at.astimezone(listed.timezone).replace(tzinfo=None)
            if listed.definition.kind == "black" and listed.listing.in_effect_at(local):
                return listed
    return None


def file_repairs(store: Store, script: DemoScript, subjects: list[str], now: datetime) -> list[str]:
    """A listing in effect (of one of these subjects) and a penalty (or two penalties),
    applied for a day ago; the first application accepted by the platform since. Their
    ids."""
    applied = now - timedelta(days=1)
    ids = []
    listed = _listing_in_effect(store, script, subjects, applied)
    if listed is not None:
        found = apply_for_repair(
            store,
            listed.ref,
            commitment="I will perform the judgment and keep to the court's orders",
            proof="bank transfer of the full amount to the court's account",
            at=applied,
            subject=listed.subject,
        )
        ids.append(found.id)
    for plan in script.repairs:
        if len(ids) >= 2:
            break
        try:
            found = apply_for_repair(
                store,
                f"{plan.source}/{plan.event_id}",
                commitment=plan.commitment,
                proof=plan.proof,
                at=applied,
                subject=plan.subject,
            )
        except SocialCreditError:
            continue
        ids.append(found.id)
    if ids:
        accept_repair(store, ids[0], by=script.operator, at=now - timedelta(hours=2))
    return ids


def lodge_appeals(
    store: Store, script: DemoScript, subjects: list[str], at: datetime
) -> tuple[list[str], dict[str, int]]:
    """Appeal one in `appeal_every` of these subjects' listings whose window is open (the
    featured citizen's always); the refs appealed, and every listing counted by its state
    after."""
    listings = _listings(store, subjects, at)
    states = Counter(str(s.listing.state) for s in listings)
    noticed = sorted((s for s in listings if s.listing.state is State.NOTICED), key=_ref)
    appealed: list[str] = []
    for i, listed in enumerate(noticed):
        if listed.subject == script.featured or i % script.appeal_every == 0:
            grounds = APPEAL_GROUNDS[len(appealed) % len(APPEAL_GROUNDS)]
            after = appeal_listing(store, listed.ref, grounds, at=at)
            states[str(listed.listing.state)] -= 1
            states[str(after.listing.state)] += 1
            appealed.append(listed.ref)
    return appealed, {state: n for state, n in sorted(states.items()) if n}


def _ref(listed: SubjectListing) -> str:
    return listed.ref


def ask_about_some(store: Store, script: DemoScript, subjects: list[str], at: datetime) -> int:
    """The rail operator asks about the featured citizen and the first few of these
    subjects, so that the access logs and decisions have something in them; how many
    decisions."""
    asked = [script.featured, *subjects[:3]]
    for subject in dict.fromkeys(asked):
        decide(
            store,
            party=script.rail,
            subject=subject,
            purpose=script.rail_purpose,
            as_of=at,
            decided_at=at,
        )
    return len(dict.fromkeys(asked))

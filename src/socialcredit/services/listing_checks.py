"""`verify` for listings: what the listing facts, folded, contradict.

Listing states are not cached: every reader folds them from the events and case actions
(`services.listings`), as scores are derived from events. What can still go wrong lies in
the facts themselves, above all in history imported with its own dates: a case action
naming no listing, or a fold that puts someone on a list in a way the lifecycle forbids.
Each check here restates a rule of the lifecycle on the folded result, independently of
the fold, so that a fault in either shows:

- a listing in effect was noticed first (where its list requires notice), and took effect
  no earlier than its appeal window closed, unless an appeal was decided before then;
- nobody was listed for a trigger that came before their eighteenth birthday;
- every listing case action names a listing some trigger proposed.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from socialcredit.domain.identifiers import ADULT_AGE, is_adult_on, is_resident_id
from socialcredit.domain.listing import State
from socialcredit.services.listings import (
    LISTING_ACTIONS,
    SubjectListing,
    list_rule,
    listed_subjects,
    listings_for,
)
from socialcredit.services.schemes import published_schemes
from socialcredit.storage import Store

__all__ = ["check_listings"]


def _faults(found: SubjectListing) -> list[str]:
    listing = found.listing
    start = listing.effective_from
    if start is None:
        return []
    faults = []
    notice = listing.notice
    appealed = any(step.state is State.UNDER_APPEAL for step in listing.steps)
    if notice is None and list_rule(found.definition).notice:
        faults.append(f"{found.ref}: in effect from {start} without a notice")
    elif notice is not None and start < notice.appeal_closes and not appealed:
        faults.append(
            f"{found.ref}: in effect from {start}, before its appeal window closed "
            f"({notice.appeal_closes})"
        )
    if is_resident_id(found.subject) and listing.steps:
        trigger_day = listing.steps[0].at.date()
        if not is_adult_on(found.subject, trigger_day):
            faults.append(f"{found.ref}: lists a minor (under {ADULT_AGE} on {trigger_day})")
    return faults


def check_listings(store: Store, as_of: datetime) -> list[str]:
    """Every fault in the listing facts as of `as_of` (see the module); empty if none."""
    schemes = published_schemes(store)
    subjects = listed_subjects(store, schemes)
    found = listings_for(store, schemes, subjects, as_of) if subjects else []
    faults = [fault for listing in found for fault in _faults(listing)]
    known = {listing.ref for listing in found}
    acted = store.case_actions_for(kinds=LISTING_ACTIONS)
    orphans = acted.filter(~pl.col("ref").is_in(sorted(known))).select("ref", "kind", "seq")
    faults += [
        f"{ref}: {kind} (case action {seq}) names no listing any trigger proposed"
        for ref, kind, seq in orphans.iter_rows()
    ]
    return faults

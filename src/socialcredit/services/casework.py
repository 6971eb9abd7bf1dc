"""Case actions on a listing: appeal, review, early removal, correction.

Each is an append-only fact with its own timestamp, so a court's past listings can be loaded
with the dates they really happened. An action that the listing's state does not admit (an
appeal after the window closed, a review without an appeal) is still recorded, and the
listing's history says it had no effect and why.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from socialcredit.errors import SocialCreditError, UnknownRecordError
from socialcredit.services.case_actions import append_case_action
from socialcredit.services.listings import LISTING_ACTIONS, SubjectListing, listings_for
from socialcredit.services.schemes import published_schemes
from socialcredit.storage import Store

__all__ = [
    "act_on_listing",
    "appeal_listing",
    "find_listing",
    "listing_dict",
    "listings_of",
    "review_listing",
]

# A log position is a 64-bit integer: more digits name no event and could not be looked up.
_REF = re.compile(r"^L-([0-9]{1,18})-(.+)$")


def find_listing(store: Store, ref: str, as_of: datetime) -> SubjectListing:
    """The listing a ref names, as of a moment."""
    match = _REF.match(ref)
    if match is None:
        raise SocialCreditError(f"{ref!r} is not a listing ref (L-<log position>-<list id>)")
    seq = int(match.group(1))
    trigger = store.events_between(seq, seq)
    if trigger.is_empty():
        raise UnknownRecordError(f"no event is stored at log position {seq} (listing {ref})")
    subject = str(trigger.item(0, "subject"))
    schemes = published_schemes(store)
    for listed in listings_for(store, schemes, [subject], as_of):
        if listed.ref == ref:
            return listed
    raise UnknownRecordError(f"the event at log position {seq} proposes no listing {ref}")


def act_on_listing(
    store: Store, ref: str, kind: str, data: dict[str, Any], *, at: datetime
) -> SubjectListing:
    """Record one case action on a listing and return the listing as of `at`."""
    if kind not in LISTING_ACTIONS:
        raise SocialCreditError(f"{kind!r} is not a listing action ({', '.join(LISTING_ACTIONS)})")
    listed = find_listing(store, ref, at)
    append_case_action(store, kind, listed.subject, ref, data, at=at)
    return find_listing(store, ref, at)


def listings_of(store: Store, subject: str, as_of: datetime) -> list[SubjectListing]:
    """Every listing of a subject under the published schemes, as of a moment."""
    return listings_for(store, published_schemes(store), [subject], as_of)


def appeal_listing(store: Store, ref: str, grounds: str, *, at: datetime) -> SubjectListing:
    """Record the subject's appeal against a listing; the listing as of `at`."""
    if not grounds.strip():
        raise SocialCreditError("say why the listing is wrong: the grounds of the appeal")
    return act_on_listing(store, ref, "listing.appeal", {"grounds": grounds}, at=at)


def review_listing(
    store: Store, ref: str, outcome: str, reasons: str, *, reviewer: str, at: datetime
) -> SubjectListing:
    """Record a reviewer's decision on an appeal: the listing upheld or overturned."""
    if outcome not in ("upheld", "overturned"):
        raise SocialCreditError(f"a review upholds or overturns, not {outcome!r}")
    if not reasons.strip():
        raise SocialCreditError("say why the listing is upheld or overturned: the reasons")
    data = {"outcome": outcome, "reasons": reasons, "reviewer": reviewer}
    return act_on_listing(store, ref, "listing.review", data, at=at)


def listing_dict(listed: SubjectListing) -> dict[str, Any]:
    """A listing as JSON: the list, its trigger, where it stands, its notice and history."""
    listing = listed.listing
    notice = listing.notice
    return {
        "ref": listed.ref,
        "scheme": listed.scheme.id,
        "subject": listed.subject,
        "list": listed.definition.id,
        "kind": listed.definition.kind,
        "trigger": {"source": listed.trigger[0], "id": listed.trigger[1]},
        "state": str(listing.state) if listing.state else None,
        "in_effect": listing.in_effect_at(listing.as_of),
        "effective_from": listing.effective_from,
        "ends": listing.ends,
        "removal_due": listing.removal_due,
        "notice": None
        if notice is None
        else {
            "served_at": notice.served_at,
            "reasons": notice.reasons,
            "appeal_by": notice.appeal_by,
            "how_to_appeal": notice.how_to_appeal,
        },
        "steps": [
            {"at": s.at, "state": str(s.state), "reason": s.reason, "cause": s.cause}
            for s in listing.steps
        ],
    }

"""Case actions on a listing: appeal, review, early removal, correction.

Each is an append-only fact with its own timestamp, so a court's past listings can be loaded
with the dates they really happened. An action that the listing's state does not admit (an
appeal after the window closed, a review without an appeal) is still recorded, and the
listing's history says it had no effect and why.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import polars as pl

from socialcredit.errors import SocialCreditError
from socialcredit.services.listings import LISTING_ACTIONS, SubjectListing, listings_for
from socialcredit.services.schemes import published_catalog, schemes_of
from socialcredit.storage import Store

__all__ = ["act_on_listing", "find_listing"]

_REF = re.compile(r"^L-(\d+)-(.+)$")


def find_listing(store: Store, ref: str, as_of: datetime) -> SubjectListing:
    """The listing a ref names, as of a moment."""
    match = _REF.match(ref)
    if match is None:
        raise SocialCreditError(f"{ref!r} is not a listing ref (L-<log position>-<list id>)")
    seq = int(match.group(1))
    trigger = store.events_between(seq, seq)
    if trigger.is_empty():
        raise SocialCreditError(f"no event is stored at log position {seq} (listing {ref})")
    subject = str(trigger.item(0, "subject"))
    schemes = schemes_of(published_catalog(store))
    for listed in listings_for(store, schemes, [subject], as_of):
        if listed.ref == ref:
            return listed
    raise SocialCreditError(f"the event at log position {seq} proposes no listing {ref}")


def act_on_listing(
    store: Store, ref: str, kind: str, data: dict[str, Any], *, at: datetime
) -> SubjectListing:
    """Record one case action on a listing and return the listing as of `at`."""
    if kind not in LISTING_ACTIONS:
        raise SocialCreditError(f"{kind!r} is not a listing action ({', '.join(LISTING_ACTIONS)})")
    listed = find_listing(store, ref, at)
    store.append_case_actions(
        pl.DataFrame(
            [
                {
                    "kind": kind,
                    "subject": listed.subject,
                    "ref": ref,
                    "data": json.dumps(data, ensure_ascii=False),
                    "at": at.isoformat(),
                }
            ]
        )
    )
    return find_listing(store, ref, at)

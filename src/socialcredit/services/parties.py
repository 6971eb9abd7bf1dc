"""Relying parties: registered with the purposes they may ask about, and nothing more."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from socialcredit.errors import SocialCreditError
from socialcredit.services.decide import known_purposes
from socialcredit.services.schemes import published_schemes
from socialcredit.storage import Party, Store
from socialcredit.storage.contract import Registered

__all__ = ["add_party"]


def add_party(
    store: Store, id: str, *, name: str | None, purposes: Sequence[str], registered_at: datetime
) -> Registered:
    """Register a relying party (or a new version of it) for purposes some published scheme
    names a consequence for; "new", "updated" or "exists"."""
    if not purposes:
        raise SocialCreditError(f"party {id}: give at least one --purpose it may ask about")
    known = known_purposes(published_schemes(store))
    unknown = sorted(set(purposes) - known)
    if unknown:
        raise SocialCreditError(
            f"party {id}: no published rulebook has a consequence for {', '.join(unknown)}; "
            f"known purposes: {', '.join(sorted(known)) or 'none'}"
        )
    party = Party(id, name or id, tuple(sorted(set(purposes))))
    return store.register_party(party, registered_at=registered_at)

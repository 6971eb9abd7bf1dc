"""The store's events derived under rulebooks that need not be published, for comparing them.

Each plan is treated as a scheme of its own (its jurisdictions those of the versions it is
composed of) and every subject the store knows is derived under it, a chunk of subjects at a
time, exactly as caches are derived: disputes (raised under the published schemes) settled
and approved repairs marked as of the moment asked about. Nothing is written to the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from socialcredit.rules.plan import Plan
from socialcredit.services.derive import Derived, derive, repaired, repairs_for
from socialcredit.services.disputes import settle
from socialcredit.services.recompute import CHUNK_SUBJECTS, all_subjects
from socialcredit.services.schemes import Scheme, published_schemes
from socialcredit.storage import Store

__all__ = ["derived_in_store", "scheme_for"]


def scheme_for(plan: Plan) -> Scheme:
    """A plan as a scheme: the events it considers are those of its chain's jurisdictions."""
    books = {v.key: v for segment in plan.segments for v in segment.versions}
    jurisdictions = frozenset(v.jurisdiction for v in books.values() if v.jurisdiction)
    return Scheme(plan.rulebook, plan, jurisdictions, tuple(sorted(books)))


def derived_in_store(
    store: Store,
    plans: Sequence[Plan],
    as_of: datetime,
    *,
    chunk_subjects: int = CHUNK_SUBJECTS,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[list[Derived]]:
    """For each chunk of the store's subjects, what each plan derives for them as of
    `as_of`, in the order of `plans`; `progress` is called with the subjects done and all."""
    schemes = [scheme_for(plan) for plan in plans]
    published = published_schemes(store)  # the schemes disputes were raised under
    subjects = all_subjects(store)
    for start in range(0, len(subjects), chunk_subjects):
        chunk = subjects[start : start + chunk_subjects]
        stored = settle(store, [*schemes, *published], store.events_for(chunk), as_of)
        stored = repaired(stored, repairs_for(store, chunk))
        yield [derive(stored, scheme, as_of) for scheme in schemes]
        if progress:
            progress(start + len(chunk), len(subjects))

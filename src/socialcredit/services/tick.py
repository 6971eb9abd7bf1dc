"""The deadline job: act on every due-process clock that has run, with a clock passed in.

A listing that a trigger proposed and nobody has served notice of gets its written notice
now: the reasons, the rule, the evidence, the last day to appeal and how. Everything else a
listing's clock does (an appeal window closing, a period ending, a removal falling due)
follows from the facts and the time, and needs no action. Disputes are tended by
`dispute_deadlines`: sources notified, unverified entries removed and their subjects
re-derived, outcomes sent, relying parties told of decisions since corrected. Repair
applications past a deadline are reported, and when SMTP is configured every notice in an
inbox is also sent by email. Running the job again does nothing new: what it acts on is
what has not been acted on yet.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from socialcredit.domain.calendar import closes_at
from socialcredit.domain.listing import State
from socialcredit.services.case_actions import case_action
from socialcredit.services.dispute_deadlines import DisputesTended, tend_disputes
from socialcredit.services.listings import (
    SubjectListing,
    listed_subjects,
    listings_for,
    wall_clock,
)
from socialcredit.services.outbox import send_email_notices
from socialcredit.services.repair import repair_deadlines
from socialcredit.services.schemes import published_schemes
from socialcredit.storage import Store

__all__ = ["Ticked", "notice_text", "tick"]

CHUNK_SUBJECTS = 20_000
HOW_TO_APPEAL = (
    "Appeal in writing before the window closes with `socialcredit listing appeal REF "
    "--grounds TEXT` (or at the portal); a reviewer decides and records the reasons. Until "
    "the window closes the listing has no effect."
)


@dataclass
class Ticked:
    """What one run did."""

    now: datetime
    notices: list[str] = field(default_factory=list)  # listing refs served notice
    disputes: DisputesTended = field(default_factory=DisputesTended)
    repairs_overdue: list[str] = field(default_factory=list)  # applications past a deadline
    emailed: int = 0  # notices sent by email (when SMTP is configured)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "now": self.now.isoformat(),
            "notices": self.notices,
            "disputes": self.disputes.as_dict(),
            "repairs_overdue": self.repairs_overdue,
            "emailed": self.emailed,
        }


def notice_text(listed: SubjectListing, now: datetime) -> dict[str, object]:
    """The written notice of a proposed listing, served at `now`."""
    definition = listed.definition
    local = wall_clock(now, listed.scheme.plan.timezone)
    closes = closes_at(local, definition.appeal_window)
    title = definition.title or definition.id
    return {
        "listing": listed.ref,
        "list": definition.id,
        "reasons": (
            f"{listed.trigger[0]} reported {listed.trigger[1]}, which under "
            f"{listed.scheme.id} puts you on the {title} for {definition.period.text}"
        ),
        "evidence": [f"{listed.trigger[0]}/{listed.trigger[1]}"],
        "appeal_window": definition.appeal_window.text,
        "appeal_closes": closes.isoformat(),
        "how_to_appeal": HOW_TO_APPEAL,
    }


def tick(
    store: Store, *, now: datetime, progress: Callable[[int, int], None] | None = None
) -> Ticked:
    """Serve every notice that is due as of `now` and tend every dispute; idempotent."""
    schemes = published_schemes(store)
    done = Ticked(now)
    subjects = listed_subjects(store, schemes)
    for start in range(0, len(subjects), CHUNK_SUBJECTS):
        chunk = subjects[start : start + CHUNK_SUBJECTS]
        due = [
            s
            for s in listings_for(store, schemes, chunk, now)
            if s.listing.state is State.PROPOSED and s.definition.notice
        ]
        if due:
            _serve(store, due, now)
            done.notices += [s.ref for s in due]
        if progress:
            progress(min(start + CHUNK_SUBJECTS, len(subjects)), len(subjects))
    done.disputes = tend_disputes(store, schemes, now=now)
    done.repairs_overdue = repair_deadlines(store, now)
    done.emailed = send_email_notices(store, now)
    return done


def _serve(store: Store, due: list[SubjectListing], now: datetime) -> None:
    actions = pl.DataFrame(
        [case_action("listing.notice", s.subject, s.ref, notice_text(s, now), now) for s in due]
    )
    deliveries = pl.DataFrame(
        [{"notice": s.ref, "channel": "inbox", "status": "sent", "at": now} for s in due]
    )
    with store.atomic():
        store.append_case_actions(actions)
        store.append_deliveries(deliveries)

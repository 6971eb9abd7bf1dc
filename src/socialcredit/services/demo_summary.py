"""What a demo store holds, read back from it: the counts of what the build did, the grade
distribution, the review queue, and the featured citizen's record explained line by line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import polars as pl

from socialcredit.errors import SocialCreditError
from socialcredit.services.casework import listings_of
from socialcredit.services.demo import DemoBuilt
from socialcredit.services.demo_script import DemoScript
from socialcredit.services.reading import read_subject
from socialcredit.services.review_queue import review_queue
from socialcredit.services.schemes import Scheme, published_schemes
from socialcredit.services.statements import explanation
from socialcredit.storage import Store

__all__ = ["demo_summary", "featured_record", "grade_distribution"]

# What the summary keeps of each of the featured citizen's entries.
ENTRY_FIELDS = (
    "valid_from",
    "valid_until",
    "source",
    "event_id",
    "rule",
    "applied_points",
    "doubled",
    "counts",
    "expired",
    "disputed",
    "dispute",
    "dispute_state",
    "reason",
)


def _scheme(store: Store, rulebook: str) -> Scheme:
    for scheme in published_schemes(store):
        if scheme.id == rulebook:
            return scheme
    raise SocialCreditError(f"the demo's rulebook {rulebook} is not published in this store")


def grade_distribution(store: Store, rulebook: str) -> list[dict[str, Any]]:
    """People by grade under the rulebook, best grade first. The people without an event it
    scores have no cached standing; they are at the baseline, and counted in its grade."""
    segment = _scheme(store, rulebook).plan.latest
    if segment.grades is None:
        return []
    standings = store.standings_for(scheme=rulebook).filter(pl.col("grade").is_not_null())
    counts = dict(standings.group_by("grade").len().iter_rows())
    people = store.subjects().filter(pl.col("kind") == "person").height
    if segment.scale is not None and people > standings.height:
        baseline = segment.grades.grade_of(segment.scale.baseline)
        counts[baseline] = counts.get(baseline, 0) + people - standings.height
    total = sum(counts.values()) or 1
    return [
        {
            "grade": name,
            "people": counts.get(name, 0),
            "share": round(counts.get(name, 0) / total, 4),
        }
        for name in segment.grades.names
    ]


def featured_record(store: Store, subject: str, rulebook: str, as_of: datetime) -> dict[str, Any]:
    """One citizen's standing under the rulebook, every entry with its reason, their
    disputes and their listings, as of a moment."""
    explained = explanation(read_subject(store, subject, as_of))
    scheme = next(s for s in explained["schemes"] if s["rulebook"] == rulebook)
    return {
        "subject": subject,
        "score": scheme["score"],
        "grade": scheme["grade"],
        "as_of": scheme["as_of"],
        "entries": [{k: e.get(k) for k in ENTRY_FIELDS} for e in scheme["entries"]],
        "disputes": explained["disputes"],
        "listings": [
            {"ref": s.ref, "list": s.definition.id, "state": str(s.listing.state)}
            for s in listings_of(store, subject, as_of)
        ],
    }


def _queue(store: Store, as_of: datetime) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in review_queue(store, as_of):
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return counts


def demo_summary(
    store: Store, script: DemoScript, built: DemoBuilt, as_of: datetime
) -> dict[str, Any]:
    """The build's counts and timings beside what the store now shows."""
    ingested = built.ingested
    ticked = built.ticked
    return {
        "rulebook": script.rulebook,
        "people": len(script.people),
        "events": {
            "rows": ingested.rows if ingested else 0,
            "new": ingested.new if ingested else 0,
            "pending": ingested.pending if ingested else 0,
            "quarantined": ingested.quarantined if ingested else 0,
            "stored": store.event_count(),
        },
        "listings": built.listings,
        "notices": {
            "past": built.past_notices,
            "tick": len(ticked.notices) if ticked else 0,
        },
        "disputes": {"opened": len(built.disputes), "answered": built.answered},
        "appeals": len(built.appeals),
        "repairs": len(built.repairs),
        "decisions": built.decisions,
        "review_queue": _queue(store, as_of),
        "grades": grade_distribution(store, script.rulebook),
        "featured": featured_record(store, script.featured, script.rulebook, as_of),
        "seconds": built.seconds,
    }

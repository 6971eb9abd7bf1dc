"""The operator's dashboard: the ledger's size and head (what `socialcredit verify` prints),
how subjects spread over the grades of each scheme, how many are on each list and how the
lists moved month by month, and the work waiting for review.

Aggregates only: no subject is named, so showing it is no read of anyone's record. Every
figure is derived from the facts as of now by the services the command line uses.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Depends, Request, Response

from socialcredit.api.auth import Caller
from socialcredit.api.context import Now, Stored
from socialcredit.services.figures import ledger_figures
from socialcredit.services.impact import derived_in_store
from socialcredit.services.listings import SubjectListing, listed_subjects, listings_for
from socialcredit.services.review_queue import review_queue
from socialcredit.services.schemes import Scheme, published_schemes
from socialcredit.storage import Store
from socialcredit.web.charts import Bar, bar_chart
from socialcredit.web.i18n import translations
from socialcredit.web.pages import PageRoute, lang_of, render
from socialcredit.web.session import signed_in

__all__ = ["ListFigures", "grade_distribution", "list_figures", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Operator = Annotated[Caller, Depends(signed_in("admin"))]
MONTHS_OF_FLOWS = 6
_LEFT = frozenset({"overturned", "expired", "removed", "corrected", "not_listed"})


def grade_distribution(
    store: Store, schemes: list[Scheme], now: datetime
) -> dict[str, Counter[str]]:
    """For each scheme, how many subjects hold each grade now (None: not scored)."""
    counts: dict[str, Counter[str]] = {s.id: Counter() for s in schemes}
    for chunk in derived_in_store(store, [s.plan for s in schemes], now):
        for derived in chunk:
            grades = derived.standings.select(
                pl.when(pl.col("scored")).then(pl.col("grade")).otherwise(None)
            ).to_series()
            counts[derived.scheme.id].update(g or "" for g in grades.to_list())
    return counts


@dataclass
class ListFigures:
    """One list: how many listings stand in each state now, and the monthly flows."""

    list_id: str
    kind: str
    states: Counter[str] = field(default_factory=Counter)
    in_effect: int = 0
    joined: Counter[str] = field(default_factory=Counter)  # month -> took effect
    left: Counter[str] = field(default_factory=Counter)  # month -> ended


def _month(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def _add(figures: ListFigures, listed: SubjectListing) -> None:
    listing = listed.listing
    figures.states[str(listing.state)] += 1
    figures.in_effect += listing.in_effect_at(listing.as_of)
    if listing.effective_from is not None:
        figures.joined[_month(listing.effective_from)] += 1
    ended = [s for s in listing.steps if str(s.state) in _LEFT]
    if ended:
        figures.left[_month(ended[-1].at)] += 1


def list_figures(store: Store, schemes: list[Scheme], now: datetime) -> list[ListFigures]:
    """Every list's figures as of now, by list id."""
    found: dict[str, ListFigures] = {}
    for listed in listings_for(store, schemes, listed_subjects(store, schemes), now):
        definition = listed.definition
        figures = found.setdefault(definition.id, ListFigures(definition.id, definition.kind))
        _add(figures, listed)
    return [found[k] for k in sorted(found)]


def _months(now: datetime, count: int) -> list[str]:
    year, month, found = now.year, now.month, []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


def _charts(
    request: Request, schemes: list[Scheme], grades: dict[str, Counter[str]]
) -> list[dict[str, Any]]:
    words = translations(lang_of(request))
    shown = []
    for scheme in schemes:
        names = list(scheme.plan.latest.grades.names) if scheme.plan.latest.grades else []
        counts = grades[scheme.id]
        rows = [(name, counts.get(name, 0)) for name in names]
        unscored = counts.get("", 0)
        svg = bar_chart(
            f"grades-{scheme.id}",
            [Bar(name, n) for name, n in rows],
            title=words.gettext("Subjects by grade under %(scheme)s") % {"scheme": scheme.id},
            description=words.gettext(
                "One bar per grade, best first, with the number of subjects who hold it now. "
                "The table beside it gives the same figures."
            ),
        )
        shown.append({"scheme": scheme.id, "rows": rows, "unscored": unscored, "svg": svg})
    return shown


@router.get("/operator")
def dashboard(request: Request, store: Stored, now: Now, who: Operator) -> Response:
    """The ledger, the grades, the lists and the queue, as of now."""
    schemes = published_schemes(store)
    queue = review_queue(store, now)
    return render(
        request,
        "operator.html",
        figures=ledger_figures(store),
        grades=_charts(request, schemes, grade_distribution(store, schemes, now)),
        lists=list_figures(store, schemes, now),
        months=_months(now, MONTHS_OF_FLOWS),
        queue=Counter(item.kind for item in queue),
        now=now,
    )

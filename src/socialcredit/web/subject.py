"""The subject's own pages: `/me` shows everything the ledger holds about the signed-in
subject, and its forms dispute an entry, add information to a dispute, appeal a listing,
apply for credit repair, and give or withdraw consent.

Each part of the page and each form calls the API's endpoint function for the same thing
(`GET /subjects/{subject}/explain`, `POST /listings/{ref}/appeal`, ...), as the signed-in
subject: the same service call, the same checks, the same refusals. A subject acts only as
themself; no page takes another subject's id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request, Response

from socialcredit.api import consent as consent_api
from socialcredit.api import decisions as decisions_api
from socialcredit.api import disputes as disputes_api
from socialcredit.api import listings as listings_api
from socialcredit.api import repairs as repairs_api
from socialcredit.api import subjects as subjects_api
from socialcredit.api.auth import Caller
from socialcredit.api.context import Now, Stored
from socialcredit.errors import UnknownRecordError
from socialcredit.services.consent import consent_of
from socialcredit.services.schemes import published_schemes
from socialcredit.services.statements import read_known_subject, statement
from socialcredit.storage import Store
from socialcredit.web.charts import Mark, Point, line_chart
from socialcredit.web.i18n import translations
from socialcredit.web.pages import PageRoute, lang_of, redirect, render, validated
from socialcredit.web.session import Posted, signed_in

__all__ = ["router", "score_history"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Subject = Annotated[Caller, Depends(signed_in("subject"))]
MONTHS_SHOWN = 12


def _month_ends(now: datetime, zone: ZoneInfo, months: int) -> list[datetime]:
    """The last moment of each of the `months - 1` months before now's, and now."""
    local = now.astimezone(zone)
    year, month = local.year, local.month
    found = [now]
    for _ in range(months - 1):
        found.append(datetime(year, month, 1, tzinfo=zone) - timedelta(microseconds=1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return sorted(found)


def score_history(
    store: Store, subject: str, scheme: str, now: datetime, months: int = MONTHS_SHOWN
) -> list[dict[str, Any]]:
    """The subject's standing under one scheme at each month end of the last months and
    now: what `GET /subjects/{subject}/score?as_of=...&rulebook=...` gives at each."""
    zone = ZoneInfo(next(s.plan.timezone for s in published_schemes(store) if s.id == scheme))
    found = []
    for moment in _month_ends(now, zone, months):
        try:
            found.append(statement(read_known_subject(store, subject, moment, scheme)))
        except UnknownRecordError:
            continue
    return found


def _chart(
    request: Request, store: Store, subject: str, shown: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The score over the last months with the scheme's entries marked, and the figures."""
    words = translations(lang_of(request))
    history = [h for h in score_history(store, subject, shown["rulebook"], now) if h["scored"]]
    points = [
        Point(datetime.fromisoformat(h["as_of"]), h["score"], h["as_of"][:7]) for h in history
    ]
    start = points[0].at if points else now
    marks = [
        Mark(
            datetime.fromisoformat(e["valid_from"]),
            e["applied_points"] < 0 or e.get("kind") == "grade",
            f"{e['valid_from'][:10]}: {e['reason']}",
        )
        for e in shown["entries"]
        if e["valid_from"] and datetime.fromisoformat(e["valid_from"]) >= start
    ]
    scheme = next(s for s in published_schemes(store) if s.id == shown["rulebook"])
    grades = scheme.plan.latest.grades
    svg = line_chart(
        "score-chart",
        points,
        marks,
        grades.bands if grades else (),
        title=words.gettext("Your score at each month end"),
        description=words.gettext(
            "A line of your score over the last twelve months; each entry is marked where it "
            "began, red for a deduction and green for a bonus. The table below gives the same "
            "figures."
        ),
    )
    return {"svg": svg, "history": history}


def _record(request: Request, store: Store, who: Caller, now: datetime) -> dict[str, Any]:
    """Everything about the subject, each part from the API endpoint that gives it."""
    me = who.principal
    try:
        explained = subjects_api.explain(me, store, now, who).model_dump()
    except UnknownRecordError:
        explained = None
    chart = (
        _chart(request, store, me, explained, now) if explained and explained["scored"] else None
    )
    return {
        "subject": me,
        "explained": explained,
        "chart": chart,
        "notices": [n.model_dump() for n in subjects_api.notices(me, store, now, who)],
        "access": [r.model_dump() for r in subjects_api.access(me, store, now, who)],
        "decisions": [d.model_dump() for d in decisions_api.made(me, store, now, who)],
        "listings": [s.model_dump(by_alias=True) for s in listings_api.listed(me, store, now, who)],
        "disputes": [d.model_dump() for d in disputes_api.listed(me, store, now, who)],
        "repairs": [r.model_dump() for r in repairs_api.listed(me, store, now, who)],
        "consents": [c.as_dict() for c in consent_of(store, me, now)],
    }


@router.get("/me")
def me(request: Request, store: Stored, now: Now, who: Subject) -> Response:
    """The subject's record: standing, score over time, entries, listings, disputes,
    repairs, consent, notices, decisions and who asked."""
    return render(request, "me.html", **_record(request, store, who, now))


@router.post("/me/disputes")
def dispute(store: Stored, now: Now, who: Subject, form: Posted) -> Response:
    """Dispute one of the subject's entries (`POST /subjects/{subject}/disputes`)."""
    body = validated(
        disputes_api.DisputeRequest,
        source=form.get("source", ""),
        event_id=form.get("event_id", ""),
        rule=form.get("rule") or None,
        grounds=form.get("grounds", "").strip(),
    )
    disputes_api.open_(who.principal, body, store, now, who)
    return redirect("/me?done=dispute#disputes")


@router.post("/me/disputes/{ref}/information")
def inform(ref: str, store: Stored, now: Now, who: Subject, form: Posted) -> Response:
    """Add information to one of the subject's disputes (`POST /disputes/{ref}/information`)."""
    body = validated(disputes_api.InformationRequest, info=form.get("info", "").strip())
    disputes_api.inform(ref, body, store, now, who)
    return redirect("/me?done=information#disputes")


@router.post("/me/listings/{ref}/appeal")
def appeal(ref: str, store: Stored, now: Now, who: Subject, form: Posted) -> Response:
    """Appeal against one of the subject's listings (`POST /listings/{ref}/appeal`)."""
    body = validated(listings_api.AppealRequest, grounds=form.get("grounds", "").strip())
    listings_api.appeal(ref, body, store, now, who)
    return redirect("/me?done=appeal#listings")


@router.post("/me/repairs")
def repair(store: Stored, now: Now, who: Subject, form: Posted) -> Response:
    """Apply to repair a listing or a penalty (`POST /subjects/{subject}/repairs`)."""
    body = validated(
        repairs_api.RepairRequest,
        target=form.get("target", ""),
        commitment=form.get("commitment", "").strip(),
        proof=form.get("proof", "").strip(),
    )
    repairs_api.apply(who.principal, body, store, now, who)
    return redirect("/me?done=repair#repairs")


@router.post("/me/consent")
def consent(store: Stored, now: Now, who: Subject, form: Posted) -> Response:
    """Give or withdraw consent to an opt-in scheme (`POST` or `DELETE
    /subjects/{subject}/consent`)."""
    rulebook = form.get("rulebook", "")
    if form.get("action") == "withdraw":
        consent_api.withdraw(who.principal, rulebook, store, now, who)
        return redirect("/me?done=consent_withdrawn#consent")
    body = validated(consent_api.ConsentRequest, rulebook=rulebook)
    consent_api.give(who.principal, body, store, now, who)
    return redirect("/me?done=consent_given#consent")

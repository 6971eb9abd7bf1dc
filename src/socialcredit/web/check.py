"""The relying party's page: ask whether a subject is eligible for one purpose, and see
the answer with its reasons, exactly as `POST /decisions` gives it: never a score, an entry
or a dossier. A purpose the party is not registered for is refused, and the refusal is
recorded like any decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from socialcredit.api import decisions as decisions_api
from socialcredit.api.auth import Caller
from socialcredit.api.context import Now, Stored
from socialcredit.services.decide import known_purposes
from socialcredit.services.schemes import published_schemes
from socialcredit.storage import Store
from socialcredit.web.pages import PageRoute, render, validated
from socialcredit.web.session import Posted, signed_in

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Party = Annotated[Caller, Depends(signed_in("relying_party"))]


def _purposes(store: Store) -> list[str]:
    return sorted(known_purposes(published_schemes(store)))


@router.get("/check")
def ask_form(request: Request, store: Stored, who: Party) -> Response:
    """The form: a subject and a purpose."""
    return render(request, "check.html", purposes=_purposes(store), answer=None, asked={})


@router.post("/check")
def ask(request: Request, store: Stored, now: Now, who: Party, form: Posted) -> Response:
    """The decision, as of now, recorded for the subject to see."""
    question = validated(
        decisions_api.Question,
        subject=form.get("subject", "").strip(),
        purpose=form.get("purpose", ""),
    )
    answer = decisions_api.ask(question, store, now, who).model_dump()
    return render(
        request,
        "check.html",
        purposes=_purposes(store),
        answer=answer,
        asked=question.model_dump(),
    )

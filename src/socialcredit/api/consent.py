"""Consent to opt-in schemes: the subject gives it (scored from then on, with the records
already held) or withdraws it (unscored from then on, records kept). Only the subject
themself acts; a mandatory scheme needs no consent and refuses it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from socialcredit.api.auth import Caller, reading_subject
from socialcredit.api.context import Now, Stored
from socialcredit.api.errors import ERROR_RESPONSES, ErrorBody
from socialcredit.services.consent import SchemeConsent, give_consent, withdraw_consent

__all__ = ["router"]

router = APIRouter(prefix="/subjects/{subject}/consent", tags=["consent"])

Self = Annotated[Caller, Depends(reading_subject())]

_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    400: {
        "model": ErrorBody,
        "description": "No such opt-in scheme, a mandatory one, or nothing to change.",
    },
}


class ConsentRequest(BaseModel):
    """The opt-in scheme consented to."""

    rulebook: str = Field(min_length=1, max_length=200, description="A published rulebook id.")


class ConsentStep(BaseModel):
    """One consent event."""

    type: str = Field(description="`consent.given` or `consent.withdrawn`.")
    at: str
    source: str
    id: str


class Consent(BaseModel):
    """The subject's consent to one opt-in scheme: whether it holds now, and its history."""

    rulebook: str
    subject: str
    as_of: str
    consenting: bool
    steps: list[ConsentStep]


def _shown(found: SchemeConsent) -> Consent:
    return Consent.model_validate(found.as_dict())


@router.post("", status_code=201, summary="Give consent to an opt-in scheme", responses=_ERRORS)
def give(subject: str, body: ConsentRequest, store: Stored, now: Now, who: Self) -> Consent:
    """Record the subject's consent from now: the scheme scores them from then on."""
    return _shown(give_consent(store, subject, body.rulebook, at=now, recorded_at=now))


@router.delete("/{rulebook}", summary="Withdraw consent to an opt-in scheme", responses=_ERRORS)
def withdraw(subject: str, rulebook: str, store: Stored, now: Now, who: Self) -> Consent:
    """Withdraw the subject's consent from now: unscored from then on, records kept."""
    return _shown(withdraw_consent(store, subject, rulebook, at=now, recorded_at=now))

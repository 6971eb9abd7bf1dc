"""Who is calling: the bearer token, and what its role and principal may do.

Roles and what each may call in this API:

    admin           everything but submitting events, asking for decisions and the
                    subject's own acts (disputes, appeals, consent, repair applications)
    reviewer        any subject's score, explanation, history, listings, disputes and
                    repairs; the review queue, appeal reviews, early removals and
                    corrections of listings, repair acceptances and decisions
    source          submit events (only the types it is registered for); answer disputes
                    of its own events
    relying_party   decisions, for the purposes it is registered for
    subject         its own record, decisions about it, and its own disputes, appeals,
                    consent and repair applications; nobody else's

A subject's token that names another subject is refused before anything is read, with the
same answer whether that subject exists or not; one that names a record by its ref
(`concerning`) is refused alike whether the ref names another's record or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from socialcredit.api.context import Stored
from socialcredit.api.errors import ApiError
from socialcredit.errors import AuthenticationError, SocialCreditError, StoreError
from socialcredit.services.tokens import authenticate

__all__ = ["Caller", "caller", "concerning", "reading_subject", "requiring"]

T = TypeVar("T")

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="A token issued by `socialcredit token create --role ROLE --principal ID`.",
)


@dataclass(frozen=True)
class Caller:
    """The principal a request acts as, and in which role."""

    role: str
    principal: str
    token: str  # the token's public id


def caller(
    store: Stored,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Caller:
    """The caller the bearer token names; 401 without a valid, unrevoked token."""
    if credentials is None:
        raise ApiError(
            401,
            "missing_token",
            "this endpoint needs a token: send `Authorization: Bearer <token>` with a token "
            "from `socialcredit token create`",
        )
    try:
        token = authenticate(store, credentials.credentials)
    except AuthenticationError as exc:
        raise ApiError(401, "invalid_token", str(exc)) from None
    return Caller(token.role, token.principal, token.id)


Authenticated = Annotated[Caller, Depends(caller)]


def _refuse_role(who: Caller, roles: tuple[str, ...]) -> ApiError:
    return ApiError(
        403,
        "forbidden_role",
        f"a {who.role} token may not make this request; it needs a token of role "
        f"{' or '.join(roles)}",
    )


def requiring(*roles: str) -> Callable[[Caller], Caller]:
    """A dependency: the caller, if its role is one of `roles`; 403 otherwise."""

    def check(who: Authenticated) -> Caller:
        if who.role not in roles:
            raise _refuse_role(who, roles)
        return who

    return check


def reading_subject(*roles: str) -> Callable[[str, Caller], Caller]:
    """A dependency for `/subjects/{subject}/...`: the subject themself, or a caller of one
    of `roles`; 403 otherwise."""

    def check(subject: str, who: Authenticated) -> Caller:
        if who.role == "subject":
            if who.principal != subject:
                # Not the id asked for: a refusal must not tell whose record was sought.
                raise ApiError(
                    403,
                    "not_own_record",
                    "a subject's token reads only that subject's own record",
                )
            return who
        if who.role not in roles:
            raise _refuse_role(who, ("subject (own record)", *roles))
        return who

    return check


def concerning(who: Caller, find: Callable[[], T], subject_of: Callable[[T], str], what: str) -> T:
    """The record `find` looks up by its ref, if the caller may read it: any, for a caller
    that is not a subject (a lookup error stands: 404, 400); a subject's own only, refused
    alike whether the ref names another subject's record, nothing, or is no ref at all."""
    if who.role != "subject":
        return find()
    try:
        found: T | None = find()
    except StoreError:
        raise  # a fault of the store, not an answer about the record
    except SocialCreditError:
        found = None
    if found is None or subject_of(found) != who.principal:
        raise ApiError(
            403, "not_own_record", f"a subject's token reads only that subject's own {what}"
        )
    return found

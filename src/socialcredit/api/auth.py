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

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from socialcredit.api.context import reading_store
from socialcredit.api.errors import ApiError
from socialcredit.errors import AuthenticationError, SocialCreditError, StoreError
from socialcredit.services.tokens import SignedIn

__all__ = ["Caller", "acting_as", "caller", "concerning", "reading_subject", "requiring"]

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
    # The stamp of tokens and revocations the token was last checked against, when it was
    # found in memory (`acting_as`); None when checked against the store's latest.
    mark: tuple[int, int] | None = None


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
) -> Caller:
    """The caller the bearer token names; 401 without a valid, unrevoked token.

    Tokens already seen are remembered (`SignedIn`) until the store's tokens or revocations
    change, which its change stamp, read at every request, shows: a revocation takes effect
    from the first request after it is committed. The lookups are small indexed reads on
    the server's reading store, made on the event loop without a thread hop."""
    return signed_in(request, credentials)


def signed_in(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Caller:
    """The caller of `credentials` (see `caller`); 401 without a valid, unrevoked token."""
    if credentials is None:
        raise _missing_token()
    tokens: SignedIn = request.app.state.signed_in
    try:
        token = tokens.authenticate(reading_store(request), credentials.credentials)
    except AuthenticationError as exc:
        raise ApiError(401, "invalid_token", str(exc)) from None
    return Caller(token.role, token.principal, token.id)


def _missing_token() -> ApiError:
    return ApiError(
        401,
        "missing_token",
        "this endpoint needs a token: send `Authorization: Bearer <token>` with a token "
        "from `socialcredit token create`",
    )


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


def acting_as(*roles: str) -> Callable[..., Awaitable[Caller]]:
    """`requiring`, in one dependency on the event loop, with the token found in memory
    (`SignedIn.remembered`) and no read of the store: for an endpoint whose writer checks,
    inside the transaction that records its answer, that the token was not revoked since
    (`Caller.mark`)."""

    async def check(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    ) -> Caller:
        if credentials is None:
            raise _missing_token()
        tokens: SignedIn = request.app.state.signed_in
        try:
            token, mark = tokens.remembered(reading_store(request), credentials.credentials)
        except AuthenticationError as exc:
            raise ApiError(401, "invalid_token", str(exc)) from None
        if token.role not in roles:
            raise _refuse_role(Caller(token.role, token.principal, token.id), roles)
        return Caller(token.role, token.principal, token.id, mark)

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

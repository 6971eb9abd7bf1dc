"""Signing in to the portal, and the form token every POST carries.

A visitor signs in by pasting a token `socialcredit token create` issued. It is checked by
the same service as the API's bearer tokens (`services.tokens.authenticate`) and kept in an
HttpOnly, SameSite=Strict cookie, so the page's own code cannot read it and another site
cannot send it; each request checks it again, so a revoked token signs nobody in from then
on. Pages act as the token's principal in its role, with the API's role checks.

Every form posts a token tied to the session (an HMAC of the session's token), or before
signing in to a random value held in a cookie of its own; a POST without the right one is
refused with `invalid_form_token` and changes nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request, Response

from socialcredit.api.auth import Caller, requiring
from socialcredit.api.context import Stored
from socialcredit.api.errors import ApiError
from socialcredit.errors import AuthenticationError
from socialcredit.services.tokens import authenticate

__all__ = [
    "CSRF_FIELD",
    "Form",
    "Posted",
    "SignInNeededError",
    "Visitor",
    "csrf_token",
    "end_session",
    "form_cookie",
    "set_form_cookie",
    "signed_in",
    "start_session",
    "visitor",
]

SESSION_COOKIE = "sc_session"
FORM_COOKIE = "sc_form"
CSRF_FIELD = "csrf"
MAX_FORM_BYTES = 64 * 1024

Form = dict[str, str]


class SignInNeededError(Exception):
    """A page that needs a signed-in visitor was asked for without a session."""


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def start_session(request: Request, response: Response, bearer: str) -> None:
    """Keep the token in the session cookie; forget the sign-in form's token."""
    response.set_cookie(
        SESSION_COOKIE,
        bearer,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
        path="/",
    )
    response.delete_cookie(FORM_COOKIE, path="/", httponly=True, samesite="strict")


def end_session(response: Response) -> None:
    """Forget the session."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def form_cookie(request: Request) -> str | None:
    """A new value for the cookie the sign-in form's token is checked against, for a
    visitor without a session or that cookie; None when none is needed. The page sets it
    (`set_form_cookie`) and its forms carry it at once."""
    if request.cookies.get(SESSION_COOKIE) or request.cookies.get(FORM_COOKIE):
        return None
    value = secrets.token_urlsafe(32)
    request.state.form_cookie = value
    return value


def set_form_cookie(request: Request, response: Response, value: str) -> None:
    """Send the form cookie `form_cookie` made."""
    response.set_cookie(
        FORM_COOKIE, value, httponly=True, samesite="strict", secure=_secure(request), path="/"
    )


def csrf_token(request: Request) -> str:
    """The token this visitor's forms carry: tied to the session, or to the form cookie."""
    bearer = request.cookies.get(SESSION_COOKIE)
    if bearer:
        return hmac.new(bearer.encode(), b"socialcredit-form", hashlib.sha256).hexdigest()
    return request.cookies.get(FORM_COOKIE) or str(getattr(request.state, "form_cookie", ""))


def visitor(request: Request, store: Stored) -> Caller | None:
    """The signed-in caller, None without a session; 401 for a token no longer valid."""
    request.state.caller = None
    bearer = request.cookies.get(SESSION_COOKIE)
    if not bearer:
        return None
    try:
        token = authenticate(store, bearer)
    except AuthenticationError as exc:
        raise ApiError(401, "invalid_token", str(exc)) from None
    who = Caller(token.role, token.principal, token.id)
    request.state.caller = who
    return who


Visitor = Annotated[Caller | None, Depends(visitor)]


def signed_in(*roles: str) -> Callable[[Caller | None], Caller]:
    """A dependency: the signed-in caller if its role is one of `roles` (the API's own
    check, `requiring`); a visitor without a session is sent to sign in."""
    check = requiring(*roles)

    def signed(who: Visitor) -> Caller:
        if who is None:
            raise SignInNeededError
        return check(who)

    return signed


async def _posted(request: Request) -> Form:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise ApiError(422, "invalid_request", f"the form is over {MAX_FORM_BYTES} bytes")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise ApiError(422, "invalid_request", "the form is not UTF-8 text") from None
    form: Form = {}
    for name, value in pairs:
        form.setdefault(name, value)
    expected = csrf_token(request)
    sent = form.get(CSRF_FIELD, "").encode()
    if not expected or not hmac.compare_digest(sent, expected.encode()):
        raise ApiError(
            403,
            "invalid_form_token",
            "the form's token is missing or not this session's; reload the page and send "
            "the form again",
        )
    return form


Posted = Annotated[Form, Depends(_posted)]

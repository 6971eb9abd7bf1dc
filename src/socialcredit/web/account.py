"""Signing in and out of the portal (see `session` for how a session is kept)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from socialcredit.api.context import Stored
from socialcredit.errors import AuthenticationError
from socialcredit.services.tokens import authenticate
from socialcredit.web.pages import PageRoute, redirect, render
from socialcredit.web.session import Posted, Visitor, end_session, start_session

__all__ = ["HOME_OF", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

# Where each role starts after signing in.
HOME_OF = {
    "subject": "/me",
    "reviewer": "/review",
    "admin": "/operator",
    "relying_party": "/check",
    "source": "/",
}


def _local(target: str | None) -> str | None:
    """`target` if it is a path on this site (never another site's address)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return None


@router.get("/sign-in")
def sign_in_form(request: Request, store: Stored, who: Visitor) -> Response:
    """The form to paste a token into."""
    return render(request, "sign_in.html", next=_local(request.query_params.get("next")) or "")


@router.post("/sign-in")
def sign_in(request: Request, store: Stored, form: Posted) -> Response:
    """Check the token as the API does; keep it in the session cookie and go on."""
    bearer = form.get("token", "").strip()
    next_page = _local(form.get("next")) or ""
    if not bearer:
        code, message = "missing_token", "paste the token `socialcredit token create` printed"
    else:
        try:
            token = authenticate(store, bearer)
        except AuthenticationError as exc:
            code, message = "invalid_token", str(exc)
        else:
            response = redirect(next_page or HOME_OF.get(token.role, "/"))
            start_session(request, response, bearer)
            return response
    return render(request, "sign_in.html", status=401, next=next_page, code=code, message=message)


@router.get("/sign-out")
def sign_out_form(request: Request, store: Stored, who: Visitor) -> Response:
    """A page with the button that signs out."""
    return render(request, "sign_out.html")


@router.post("/sign-out")
def sign_out(request: Request, form: Posted) -> Response:
    """Forget the session."""
    response = redirect("/?done=signed_out")
    end_session(response)
    return response

"""Rendering pages: the templates, the visitor's language, and errors as friendly pages.

Every page route is a `PageRoute`: an error it raises is answered by the API's own handler
for that error (so the status and the stable code are the API's), then shown as a page in
the visitor's language with that code and message, instead of as JSON. A page that needs a
session, asked for without one, sends the visitor to sign in.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar
from urllib.parse import quote

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import NullTranslations
from fastapi import Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from socialcredit.api.errors import ApiError
from socialcredit.domain.durations import Duration
from socialcredit.rules.diff import toml_text
from socialcredit.web import words
from socialcredit.web.i18n import (
    LANG_COOKIE,
    LANGUAGES,
    N_,
    html_lang,
    language_of,
    translations,
)
from socialcredit.web.session import (
    SESSION_COOKIE,
    SignInNeededError,
    csrf_token,
    end_session,
    form_cookie,
    set_form_cookie,
)

__all__ = ["DONE", "PageRoute", "lang_of", "redirect", "render", "validated"]

_log = logging.getLogger(__name__)
M = TypeVar("M")

# Every page loads only what the package serves, cannot be framed by another site, posts
# forms only to this site, and tells no other site which page (with whose id) linked to it.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; object-src 'none'; frame-ancestors 'none'; "
        "form-action 'self'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

# What a form did, shown on the page it leads back to (`?done=KEY`).
DONE = {
    "signed_out": N_("You are signed out."),
    "dispute": N_("Your dispute is recorded. The entry shows as disputed from now on."),
    "information": N_("Your information is added to the dispute."),
    "appeal": N_("Your appeal is recorded. A reviewer will decide it."),
    "repair": N_("Your application for credit repair is recorded."),
    "consent_given": N_("Your consent is recorded."),
    "consent_withdrawn": N_("Your consent is withdrawn. Your records are kept."),
    "reviewed": N_("The decision is recorded."),
    "accepted": N_("The application is accepted for decision."),
}

# A sentence for each stable error code, in the visitor's language; the API's message,
# which says exactly what was wrong, is shown beside it.
ERRORS = {
    "rejected": N_("The request was refused."),
    "missing_token": N_("You need to sign in to see this page."),
    "invalid_token": N_("Your sign-in is no longer valid. Please sign in again."),
    "forbidden_role": N_("Your role may not use this page."),
    "not_own_record": N_("You may act only on your own record."),
    "purpose_not_registered": N_("You are not registered for this purpose."),
    "not_found": N_("There is no such page or record."),
    "method_not_allowed": N_("This page does not take that kind of request."),
    "conflict": N_("This contradicts what is already recorded."),
    "invalid_request": N_("Something in the form is missing or not valid."),
    "invalid_form_token": N_("The form has expired or did not come from this site."),
    "store_unavailable": N_("The ledger cannot be reached just now. Please try again later."),
    "internal_error": N_("Something went wrong on our side."),
}


def lang_of(request: Request) -> str:
    """The language to answer this request in."""
    return language_of(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        request.headers.get("accept-language"),
    )


def _when(value: object, lang: str, *, time: bool = True) -> str:
    """A moment (ISO text, datetime or date) in the visitor's language; "" for None."""
    if value is None or value == "":
        return ""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            try:
                moment = date.fromisoformat(value)
            except ValueError:
                return value
    if isinstance(moment, datetime):
        if not time:
            return format_date(moment.date(), "medium", locale=lang)
        zone = moment.tzinfo
        text = format_datetime(moment, "medium", tzinfo=zone, locale=lang)
        return f"{text} ({moment.strftime('%z')[:3]}:{moment.strftime('%z')[3:]})" if zone else text
    if isinstance(moment, date):
        return format_date(moment, "medium", locale=lang)
    return str(value)


def _duration(length: Duration, words: NullTranslations) -> str:
    """A rulebook's duration in words: "2 years", "3 working days"."""
    if length.working_days:
        n = length.working_days
        return words.ngettext("%(num)d working day", "%(num)d working days", n) % {"num": n}
    if length.months and not length.days:
        if length.months % 12 == 0:
            n = length.months // 12
            return words.ngettext("%(num)d year", "%(num)d years", n) % {"num": n}
        n = length.months
        return words.ngettext("%(num)d month", "%(num)d months", n) % {"num": n}
    n = length.days
    return words.ngettext("%(num)d day", "%(num)d days", n) % {"num": n}


def _signed(points: object, lang: str) -> str:
    number = int(points)  # type: ignore[call-overload]
    return ("+" if number > 0 else "") + format_decimal(number, locale=lang)


@cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("socialcredit.web", "templates"),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    env.filters["when"] = lambda v: _when(v, lang)
    env.filters["day"] = lambda v: _when(v, lang, time=False)
    env.filters["signed"] = lambda v: _signed(v, lang)
    env.filters["number"] = lambda v: format_decimal(v, locale=lang)
    env.filters["url"] = lambda v: quote(str(v), safe="")
    env.filters["duration"] = lambda v: _duration(v, translations(lang))
    env.globals["toml"] = toml_text
    env.globals["domain_names"] = words.DOMAINS
    env.globals["purpose_names"] = words.PURPOSES
    env.globals["role_names"] = words.ROLES
    env.globals["state_names"] = words.STATES
    env.globals["notice_names"] = words.NOTICES
    env.globals["name_in"] = words.name_in
    return env


def render(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A page from a template, in the visitor's language, with what every page shows."""
    lang = lang_of(request)
    new_form_cookie = form_cookie(request)
    done = DONE.get(request.query_params.get("done", ""))
    page = (
        _environment(lang)
        .get_template(template)
        .render(
            lang=lang,
            html_lang=html_lang(lang),
            languages=LANGUAGES,
            who=getattr(request.state, "caller", None),
            csrf=csrf_token(request),
            path=request.url.path,
            done=done,
            **context,
        )
    )
    response = HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)
    chosen = request.query_params.get("lang")
    if chosen is not None and chosen in LANGUAGES:
        response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="lax", path="/")
    if new_form_cookie:
        set_form_cookie(request, response, new_form_cookie)
    return response


def redirect(url: str) -> RedirectResponse:
    """See other: where a form sends the visitor after it did its work."""
    return RedirectResponse(url, status_code=303)


def validated(model: type[M], **fields: object) -> M:
    """The API's request model of these form fields; 422 naming every problem."""
    try:
        return model(**fields)
    except ValidationError as exc:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        raise ApiError(422, "invalid_request", "; ".join(problems)) from None


# --- errors --------------------------------------------------------------------------------------


def _api_handler(request: Request, exc: Exception) -> Callable[..., Any] | None:
    handlers: dict[Any, Callable[..., Any]] = request.app.exception_handlers
    return next((handlers[c] for c in type(exc).__mro__ if c in handlers), None)


async def _as_api_answers(request: Request, exc: Exception) -> tuple[int, str, str, dict[str, str]]:
    """The status, code and message the API answers this error with."""
    handler = _api_handler(request, exc)
    if handler is None:
        return 500, "internal_error", str(exc), {}
    answer = handler(request, exc)
    if inspect.isawaitable(answer):
        answer = await answer
    assert isinstance(answer, Response)
    error = json.loads(bytes(answer.body))["error"]
    kept = {k: v for k, v in answer.headers.items() if k.lower() == "allow"}
    return answer.status_code, error["code"], error["message"], kept


async def _page_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, SignInNeededError):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if request.method == "GET":
            return redirect(f"/sign-in?next={quote(target, safe='')}")
        exc = ApiError(401, "missing_token", "sign in first: this form needs a session")
    status, code, message, headers = await _as_api_answers(request, exc)
    if status >= 500:
        _log.error("page %s %s failed", request.method, request.url.path, exc_info=exc)
    page = render(
        request,
        "error.html",
        status=status,
        code=code,
        message=message,
        explanation=ERRORS.get(code, ERRORS["rejected"]),
    )
    page.headers.update(headers)
    if code == "invalid_token" and request.cookies.get(SESSION_COOKIE):
        end_session(page)
    return page


class PageRoute(APIRoute):
    """A route whose errors are pages: the API's status and code, shown in HTML."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer the request, with every error it raises shown as a page."""
        scope = {**scope, "starlette.exception_handlers": ({Exception: _page_error}, {})}
        await super().handle(scope, receive, send)

"""Every error the API answers with, as JSON: `{"error": {"code": ..., "message": ...}}`.

The code is stable (clients branch on it); the message says what was wrong and what to fix.
No error is an HTML page, and bad input is never a 500:

    status  code                    when
    400     rejected                the request is well-formed but a service refused it
    401     missing_token           no `Authorization: Bearer ...` header
    401     invalid_token           the token is malformed, unknown or revoked
    403     forbidden_role          the token's role may not call this endpoint
    403     not_own_record          a subject's token asked about another subject
    403     purpose_not_registered  a relying party asked for a purpose it is not registered
                                    for (the refusal is recorded like any decision)
    404     not_found               no such endpoint, subject, rulebook, event, listing,
                                    dispute or repair application
    405     method_not_allowed      the endpoint exists, the method does not
    409     conflict                the request contradicts a fact (a review already made, ...)
    422     invalid_request         the body, path or query fails validation (every problem,
                                    with where it is)
    503     store_unavailable       the store cannot be reached; retry later
    500     internal_error          a fault of the server, never of the request

Project errors (`socialcredit.errors`) raised by services become one of these by their
class; endpoints raise `ApiError` for what they decide themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from socialcredit.errors import (
    AuthenticationError,
    RecordRejectedError,
    ReviewError,
    RulebookError,
    SchemaVersionError,
    SocialCreditError,
    StoreError,
    StoreUnavailableError,
    UnknownRecordError,
    UnknownRulebookError,
)

__all__ = ["ERROR_RESPONSES", "ApiError", "ErrorBody", "install_error_handlers"]


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str = Field(description="A stable code to branch on, e.g. `not_own_record`.")
    message: str = Field(description="What was wrong and what to do about it.")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


def _described(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


# The error responses every authenticated endpoint may give, for the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _described("No bearer token, or one that is malformed, unknown or revoked."),
    403: _described("The token's role or principal may not make this request."),
    422: _described("The request fails validation; the message names every problem."),
}


class ApiError(Exception):
    """An error response an endpoint decides on: status, stable code, message."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


# Most specific first: the first class an error is an instance of gives its status and code.
_BY_CLASS: tuple[tuple[type[SocialCreditError], int, str], ...] = (
    (AuthenticationError, 401, "invalid_token"),
    (UnknownRecordError, 404, "not_found"),
    (UnknownRulebookError, 404, "not_found"),
    (StoreUnavailableError, 503, "store_unavailable"),
    (SchemaVersionError, 503, "store_unavailable"),
    (ReviewError, 409, "conflict"),
    (RecordRejectedError, 409, "conflict"),
    (StoreError, 503, "store_unavailable"),
    (RulebookError, 422, "invalid_request"),
)


def _body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON response for one error."""
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer", **(headers or {})}
    return JSONResponse(_body(code, message), status_code=status, headers=headers)


def _from_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers)


def _from_project_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SocialCreditError)
    for kind, status, code in _BY_CLASS:
        if isinstance(exc, kind):
            return error_response(status, code, str(exc))
    return error_response(400, "rejected", str(exc))


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "request"


def _from_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # The location and the rule broken, never the input itself: it may be someone's data.
    problems = [f"{_location(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()]
    shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if problems[10:] else "")
    return error_response(422, "invalid_request", shown or "the request is not valid")


def _from_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    method, path = request.method, request.url.path
    if exc.status_code == 404:
        return error_response(
            404, "not_found", f"no endpoint {method} {path}; /openapi.json lists them"
        )
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return error_response(
            405,
            "method_not_allowed",
            f"{method} is not allowed on {path}" + (f"; use {allowed}" if allowed else ""),
            exc.headers,
        )
    return error_response(exc.status_code, f"http_{exc.status_code}", str(exc.detail))


def _from_fault(request: Request, exc: Exception) -> JSONResponse:
    return error_response(
        500,
        "internal_error",
        "the server failed to answer (a fault of the server, not of the request); the "
        "operator finds the cause in the server's log",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of `app` as JSON with a stable code."""
    app.add_exception_handler(ApiError, _from_api_error)
    app.add_exception_handler(SocialCreditError, _from_project_error)
    app.add_exception_handler(RequestValidationError, _from_validation)
    app.add_exception_handler(HTTPException, _from_http)
    app.add_exception_handler(Exception, _from_fault)

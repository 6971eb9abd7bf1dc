"""The authorisation matrix: every endpoint, called by every role, with no token, with a
revoked, a forged and a malformed token, and by a subject about another subject. Each gets
exactly the status its role allows (never a 500), every error is the JSON error format, and
a refusal never carries the record, or even the id, of the subject asked about."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.api_support import (
    CIVIC,
    DEFAULTERS,
    PENDING,
    TRAFFIC,
    World,
    apply_for_a_repair,
    consent_to,
    fine,
    list_a_defaulter,
    open_a_dispute,
    shared_template,
    world_from,
)
from tests.scenario import ADULT

SIGNED_IN = ("admin", "reviewer", "source", "low_source", "relying_party", "subject")
# "other_subject" is a subject's token used on ADULT's record: a subject, not ADULT.
CALLERS = (None, *SIGNED_IN, "other_subject", "revoked", "forged", "malformed")
NOT_SIGNED_IN = (None, "revoked", "forged", "malformed")

Call = Callable[[World, str | None], Any]


def public() -> dict[str | None, int]:
    return dict.fromkeys(CALLERS, 200)


def only(*allowed: str, success: int = 200) -> dict[str | None, int]:
    """`success` for the roles allowed (a subject on their own record), 403 for other
    signed-in callers, 401 without a valid token."""
    expected: dict[str | None, int] = dict.fromkeys(NOT_SIGNED_IN, 401)
    for caller in (*SIGNED_IN, "other_subject"):
        expected[caller] = success if caller in allowed else 403
    return expected


REVIEW = f"/pending/{PENDING[0]}/{PENDING[1]}"


def nobody() -> dict[str | None, int]:
    """404 for every caller: a public path that answers nothing yet."""
    return dict.fromkeys(CALLERS, 404)


def on_listing(action: str, body: dict[str, str]) -> Call:
    """A call on ADULT's listing, listed first."""
    return lambda w, c: w.post(f"/listings/{list_a_defaulter(w)}/{action}", c, json=body)


def on_dispute(action: str, body: dict[str, str]) -> Call:
    """A call on ADULT's dispute, opened first."""
    return lambda w, c: w.post(f"/disputes/{open_a_dispute(w)}/{action}", c, json=body)


def on_repair(action: str, body: dict[str, str] | None = None) -> Call:
    """A call on ADULT's repair application, filed first."""
    return lambda w, c: w.post(f"/repairs/{apply_for_a_repair(w)}/{action}", c, json=body)


def withdrawing(w: World, c: str | None) -> Any:
    consent_to(w)
    return w.delete(f"/subjects/{ADULT}/consent/{CIVIC}", c)


MATRIX: dict[tuple[str, str], tuple[Call, dict[str | None, int]]] = {
    ("GET", "/health"): (lambda w, c: w.get("/health", c), public()),
    ("GET", "/metrics"): (lambda w, c: w.get("/metrics", c), public()),
    ("GET", "/rulebooks"): (lambda w, c: w.get("/rulebooks", c), public()),
    ("GET", "/rulebooks/{rulebook}"): (
        lambda w, c: w.get("/rulebooks/cn-national", c),
        public(),
    ),
    # No list is marked as published (the rulebook format has no mark for it yet).
    ("GET", "/lists/{list_id}/{subject}"): (
        lambda w, c: w.get(f"/lists/{DEFAULTERS}/{ADULT}", c),
        nobody(),
    ),
    ("POST", "/events"): (
        lambda w, c: w.post("/events", c, json={"events": [fine("tj-77", ADULT)]}),
        only("source", "low_source"),
    ),
    ("GET", "/subjects/{subject}/score"): (
        lambda w, c: w.get(f"/subjects/{ADULT}/score", c),
        only("admin", "reviewer", "subject"),
    ),
    ("GET", "/subjects/{subject}/explain"): (
        lambda w, c: w.get(f"/subjects/{ADULT}/explain", c),
        only("admin", "reviewer", "subject"),
    ),
    ("GET", "/subjects/{subject}/history"): (
        lambda w, c: w.get(f"/subjects/{ADULT}/history", c),
        only("admin", "reviewer", "subject"),
    ),
    ("GET", "/subjects/{subject}/access"): (
        lambda w, c: w.get(f"/subjects/{ADULT}/access", c),
        only("admin", "subject"),
    ),
    ("GET", "/subjects/{subject}/notices"): (
        lambda w, c: w.get(f"/subjects/{ADULT}/notices", c),
        only("admin", "subject"),
    ),
    ("POST", "/decisions"): (
        lambda w, c: w.post("/decisions", c, json={"subject": ADULT, "purpose": "air_travel"}),
        only("relying_party", success=201),
    ),
    ("GET", "/subjects/{subject}/decisions"): (
        lambda w, c: w.get(f"/subjects/{ADULT}/decisions", c),
        only("admin", "subject"),
    ),
    ("GET", "/subjects/{subject}/listings"): (
        lambda w, c: w.get(f"/subjects/{ADULT}/listings", c),
        only("admin", "reviewer", "subject"),
    ),
    ("GET", "/listings/{ref}"): (
        lambda w, c: w.get(f"/listings/{list_a_defaulter(w)}", c),
        only("admin", "reviewer", "subject"),
    ),
    ("POST", "/listings/{ref}/removal"): (
        on_listing("removal", {"reasons": "the judgment was performed"}),
        only("admin", "reviewer"),
    ),
    ("POST", "/listings/{ref}/correction"): (
        on_listing("correction", {"reasons": "another person of the same name"}),
        only("admin", "reviewer"),
    ),
    ("POST", "/listings/{ref}/appeal"): (
        on_listing("appeal", {"grounds": "the judgment was performed"}),
        only("subject"),
    ),
    ("POST", "/listings/{ref}/review"): (
        on_listing("review", {"outcome": "upheld", "reasons": "not performed"}),
        only("admin", "reviewer"),
    ),
    ("POST", "/subjects/{subject}/disputes"): (
        lambda w, c: w.post(
            f"/subjects/{ADULT}/disputes",
            c,
            json={"source": TRAFFIC, "event_id": "tj-1", "grounds": "I was not driving"},
        ),
        only("subject", success=201),
    ),
    ("GET", "/subjects/{subject}/disputes"): (
        lambda w, c: w.get(f"/subjects/{ADULT}/disputes", c),
        only("admin", "reviewer", "subject"),
    ),
    ("GET", "/disputes/{ref}"): (
        lambda w, c: w.get(f"/disputes/{open_a_dispute(w)}", c),
        only("admin", "reviewer", "subject"),
    ),
    ("POST", "/disputes/{ref}/information"): (
        on_dispute("information", {"info": "a photo of the car"}),
        only("subject"),
    ),
    ("POST", "/disputes/{ref}/answer"): (
        on_dispute("answer", {"answer": "confirm", "reason": "camera record"}),
        only("source"),
    ),
    ("POST", "/disputes/{ref}/review"): (
        on_dispute("review", {"outcome": "removed", "reasons": "no photo of the plate"}),
        only("admin", "reviewer"),
    ),
    ("POST", "/subjects/{subject}/consent"): (
        lambda w, c: w.post(f"/subjects/{ADULT}/consent", c, json={"rulebook": CIVIC}),
        only("subject", success=201),
    ),
    ("DELETE", "/subjects/{subject}/consent/{rulebook}"): (withdrawing, only("subject")),
    ("POST", "/subjects/{subject}/repairs"): (
        lambda w, c: w.post(
            f"/subjects/{ADULT}/repairs",
            c,
            json={"target": f"{TRAFFIC}/tj-1", "commitment": "drive well", "proof": "paid"},
        ),
        only("subject", success=201),
    ),
    ("GET", "/repairs/{application}"): (
        lambda w, c: w.get(f"/repairs/{apply_for_a_repair(w)}", c),
        only("admin", "reviewer", "subject"),
    ),
    ("POST", "/repairs/{application}/accept"): (on_repair("accept"), only("admin", "reviewer")),
    ("POST", "/repairs/{application}/decision"): (
        on_repair("decision", {"outcome": "rejected", "reasons": "not yet paid"}),
        only("admin", "reviewer"),
    ),
    ("GET", "/subjects/{subject}/repairs"): (
        lambda w, c: w.get(f"/subjects/{ADULT}/repairs", c),
        only("admin", "reviewer", "subject"),
    ),
    ("GET", "/review/queue"): (lambda w, c: w.get("/review/queue", c), only("admin", "reviewer")),
    ("GET", "/pending"): (lambda w, c: w.get("/pending", c), only("admin", "reviewer")),
    ("POST", "/pending/{source}/{event_id}/approve"): (
        lambda w, c: w.post(f"{REVIEW}/approve", c, json={"reason": "seen by a warden"}),
        only("admin", "reviewer"),
    ),
    ("POST", "/pending/{source}/{event_id}/reject"): (
        lambda w, c: w.post(f"{REVIEW}/reject", c, json={"reason": "nobody else heard it"}),
        only("admin", "reviewer"),
    ),
}


@pytest.fixture
def world(tmp_path: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def _label(caller: str | None) -> str:
    return caller or "no-token"


@pytest.mark.parametrize("caller", CALLERS, ids=_label)
@pytest.mark.parametrize("endpoint", list(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_each_caller_gets_what_its_role_allows(
    world: World, endpoint: tuple[str, str], caller: str | None
) -> None:
    call, expected = MATRIX[endpoint]
    response = call(world, caller)
    assert response.status_code == expected[caller], response.text
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"code", "message"}
        assert error["code"]
        assert error["message"]
        assert ADULT not in response.text
    if response.status_code == 401:
        assert response.headers["WWW-Authenticate"] == "Bearer"
    if caller == "other_subject":
        assert ADULT not in response.text


def test_the_matrix_covers_every_endpoint_the_schema_documents(world: World) -> None:
    paths = world.get("/openapi.json").json()["paths"]
    documented = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert documented == set(MATRIX)


def test_a_subject_refused_another_record_learns_nothing_of_whether_it_exists(
    world: World,
) -> None:
    known = world.get(f"/subjects/{ADULT}/score", "other_subject")
    unknown = world.get("/subjects/371003199901010000/score", "other_subject")
    assert known.status_code == unknown.status_code == 403
    assert known.json() == unknown.json()

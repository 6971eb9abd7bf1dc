"""Every error is JSON with a stable code and a message that says what to fix: unknown
endpoints, wrong methods, bodies that fail validation, malformed JSON, bad queries. Bad
input is never a 500, and a fault of the server is a 500 in the same format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from socialcredit.api import create_app
from socialcredit.api.context import StorePool
from socialcredit.errors import ReviewError, StoreUnavailableError
from tests.api_support import NOW, World, shared_template, world_from
from tests.scenario import ADULT


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def error_of(response: Any, status: int) -> dict[str, str]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, dict[str, str]] = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    return body["error"]


def test_an_unknown_endpoint_is_a_json_404_that_points_at_the_schema(world: World) -> None:
    error = error_of(world.get("/subjects"), 404)
    assert error["code"] == "not_found"
    assert "/openapi.json" in error["message"]


def test_a_wrong_method_is_a_json_405_naming_the_allowed_one(world: World) -> None:
    response = world.client.delete("/health")
    error = error_of(response, 405)
    assert error["code"] == "method_not_allowed"
    assert "GET" in error["message"]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({}, "body.events: Field required"),
        ({"events": []}, "body.events: List should have at least 1 item"),
        ({"events": "all of them"}, "body.events: Input should be a valid list"),
        ([1, 2], "body: Input should be a valid dictionary"),
    ],
)
def test_a_body_that_fails_validation_names_every_problem_and_where(
    world: World, body: Any, where: str
) -> None:
    error = error_of(world.post("/events", "source", json=body), 422)
    assert error["code"] == "invalid_request"
    assert where in error["message"]


def test_a_batch_over_the_limit_is_refused_whole(world: World) -> None:
    events = [{"id": str(i)} for i in range(10_001)]
    error = error_of(world.post("/events", "source", json={"events": events}), 422)
    assert "at most 10000" in error["message"]


def test_malformed_json_is_a_422_not_a_500(world: World) -> None:
    response = world.client.post(
        "/events",
        content=b'{"events": [',
        headers={**world.auth("source"), "Content-Type": "application/json"},
    )
    error = error_of(response, 422)
    assert error["code"] == "invalid_request"
    assert "JSON" in error["message"]


def test_a_validation_message_never_repeats_the_input(world: World) -> None:
    response = world.post("/decisions", "relying_party", json={"subject": 12345678, "purpose": ""})
    error = error_of(response, 422)
    assert "body.subject" in error["message"]
    assert "body.purpose" in error["message"]
    assert "12345678" not in response.text


@pytest.mark.parametrize(
    "as_of",
    ["yesterday", "2026-13-01T00:00:00+08:00", "2026-03-01T00:00:00", "9999-12-31T23:59:59+14:00"],
)
def test_a_bad_moment_is_a_422(world: World, as_of: str) -> None:
    response = world.get(f"/subjects/{ADULT}/score", "subject", params={"as_of": as_of})
    error = error_of(response, 422)
    assert error["code"] == "invalid_request"
    assert "as_of" in error["message"]


@pytest.mark.parametrize(
    "subject",
    ["%00", "x" * 5000, "'; DROP TABLE events; --", "../../etc/passwd", "😀", "%2F"],
)
def test_odd_subject_ids_are_answered_never_with_a_500(world: World, subject: str) -> None:
    for what in ("score", "explain", "access", "notices"):
        response = world.get(f"/subjects/{subject}/{what}", "admin")
        assert response.status_code in (200, 404), response.text
        assert response.headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer sc__", "Bearer sc_x_y_z", "bearer  sc"],
)
def test_odd_authorization_headers_are_a_401(world: World, header: str) -> None:
    response = world.client.get(f"/subjects/{ADULT}/score", headers={"Authorization": header})
    error = error_of(response, 401)
    assert error["code"] in ("missing_token", "invalid_token")


def test_a_store_that_cannot_be_opened_fails_the_factory_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailableError, match="missing"):
        create_app(str(tmp_path / "missing" / "ledger.db"), lambda: NOW)


def test_a_fault_of_the_server_is_a_json_500_that_hides_the_details(world: World) -> None:
    def broken() -> Any:
        raise RuntimeError("secret internals")

    world.app.state.clock = broken
    with TestClient(world.app, raise_server_exceptions=False) as client:
        response = client.get(f"/subjects/{ADULT}/score", headers=world.auth("admin"))
    error = error_of(response, 500)
    assert error["code"] == "internal_error"
    assert "secret internals" not in response.text


def _fail_while_borrowed(pool: StorePool, error: Exception) -> object:
    """The store lent when `error` was raised while holding it."""
    lent: list[object] = []

    def hold_and_fail() -> None:
        with pool.borrowed() as store:
            lent.append(store)
            raise error

    with pytest.raises(type(error)):
        hold_and_fail()
    return lent[0]


def test_the_pool_lends_again_a_store_that_refused_and_replaces_one_that_failed(
    tmp_path: Path,
) -> None:
    pool = StorePool(str(tmp_path / "ledger.db"))
    with pool.borrowed() as first:
        pass
    assert _fail_while_borrowed(pool, ReviewError("already reviewed")) is first
    assert _fail_while_borrowed(pool, StoreUnavailableError("connection lost")) is first
    with pool.borrowed() as fresh:
        assert fresh is not first
    pool.close()

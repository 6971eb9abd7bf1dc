"""The reviewer's queue over HTTP: pending events listed, approved or rejected once with a
reason, the subject re-derived at once; the reviewer is the token's principal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from socialcredit.storage import open_store
from tests.api_support import PENDING, REPORTER, TRAFFIC, World, shared_template, world_from
from tests.scenario import ADULT

REVIEW = f"/pending/{PENDING[0]}/{PENDING[1]}"


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def score(world: World) -> Any:
    return world.get(f"/subjects/{ADULT}/score", "subject").json()["score"]


def test_the_queue_lists_what_awaits_review_with_its_data(world: World) -> None:
    response = world.get("/pending", "reviewer")
    assert response.status_code == 200
    [event] = response.json()
    assert (event["source"], event["id"], event["subject"], event["type"]) == (
        REPORTER,
        "noise-1",
        ADULT,
        "public_order.noise",
    )
    assert event["data"] == {}


def test_listing_the_queue_is_logged_as_a_read_of_each_subject_in_it(world: World) -> None:
    world.get("/pending", "reviewer")
    log = world.get(f"/subjects/{ADULT}/access", "subject").json()
    assert [(r["who"], r["what"]) for r in log] == [("reviewer-wang", "pending event")]


def test_an_approved_event_counts_at_once_and_leaves_the_queue(world: World) -> None:
    before = score(world)
    response = world.post(f"{REVIEW}/approve", "reviewer", json={"reason": "a warden heard it"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "source": REPORTER,
        "id": "noise-1",
        "decision": "approve",
        "reviewer": "reviewer-wang",
        "subject": ADULT,
    }
    assert score(world) < before
    assert world.get("/pending", "admin").json() == []
    with open_store(world.store) as store:
        stored = store.event(REPORTER, "noise-1")
    assert stored.item(0, "review") == "approve"


def test_a_rejected_event_never_counts(world: World) -> None:
    before = score(world)
    response = world.post(f"{REVIEW}/reject", "admin", json={"reason": "nobody else heard it"})
    assert response.status_code == 200
    assert response.json()["reviewer"] == "operator-li"
    assert score(world) == before
    explained = world.get(f"/subjects/{ADULT}/explain", "subject").json()
    assert explained["not_scored"][0]["why"] == "rejected by a reviewer"


def test_a_review_is_final(world: World) -> None:
    world.post(f"{REVIEW}/approve", "reviewer", json={"reason": "heard"})
    again = world.post(f"{REVIEW}/reject", "reviewer", json={"reason": "changed my mind"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert "already reviewed" in again.json()["error"]["message"]


def test_an_accepted_event_is_not_reviewed(world: World) -> None:
    response = world.post(f"/pending/{TRAFFIC}/tj-1/approve", "reviewer", json={"reason": "x"})
    assert response.status_code == 409
    assert "only pending events are reviewed" in response.json()["error"]["message"]


def test_an_unknown_event_is_not_found(world: World) -> None:
    response = world.post(f"/pending/{REPORTER}/noise-99/approve", "reviewer", json={"reason": "x"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_review_needs_a_reason(world: World) -> None:
    response = world.post(f"{REVIEW}/approve", "reviewer", json={"reason": ""})
    assert response.status_code == 422
    assert "body.reason" in response.json()["error"]["message"]

"""Credit repair over HTTP: the subject applies for their own penalty or listing, a reviewer
accepts the application for the authority, and a reviewer or admin decides it; each step is
recorded as the token's principal, and an approval ends the penalty at once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api_support import (
    TRAFFIC,
    World,
    apply_for_a_repair,
    shared_template,
    world_from,
)
from tests.scenario import ADULT

APPLICATION = {"target": f"{TRAFFIC}/tj-1", "commitment": "drive well", "proof": "paid"}


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def score(world: World) -> Any:
    return world.get(f"/subjects/{ADULT}/score", "subject").json()["score"]


def test_a_subject_applies_and_the_platform_owes_an_answer(world: World) -> None:
    response = world.post(f"/subjects/{ADULT}/repairs", "subject", json=APPLICATION)
    assert response.status_code == 201, response.text
    repair = response.json()
    assert repair["state"] == "applied"
    assert repair["owed"]["what"] == "the platform must answer"
    listed = world.get(f"/subjects/{ADULT}/repairs", "subject").json()
    assert [r["application"] for r in listed] == [repair["application"]]


def test_a_second_application_for_the_same_penalty_is_refused(world: World) -> None:
    apply_for_a_repair(world)
    again = world.post(f"/subjects/{ADULT}/repairs", "subject", json=APPLICATION)
    assert again.status_code == 400
    assert "already asks to repair" in again.json()["error"]["message"]


def test_a_subject_cannot_repair_another_subjects_penalty(world: World) -> None:
    theirs = {**APPLICATION, "target": f"{TRAFFIC}/tj-2"}
    response = world.post(f"/subjects/{ADULT}/repairs", "subject", json=theirs)
    assert response.status_code == 400


def test_accepted_and_approved_the_penalty_ends_and_the_score_rises(world: World) -> None:
    ref = apply_for_a_repair(world)
    before = score(world)
    accepted = world.post(f"/repairs/{ref}/accept", "reviewer")
    assert accepted.status_code == 200, accepted.text
    assert (accepted.json()["state"], accepted.json()["accepted_by"]) == (
        "accepted",
        "reviewer-wang",
    )
    body = {"outcome": "approved", "reasons": "the fine is paid"}
    decided = world.post(f"/repairs/{ref}/decision", "admin", json=body)
    assert decided.status_code == 200, decided.text
    assert decided.json()["decision"]["by"] == "operator-li"
    assert score(world) > before


def test_a_decided_application_is_not_decided_again(world: World) -> None:
    ref = apply_for_a_repair(world)
    body = {"outcome": "rejected", "reasons": "no proof"}
    assert world.post(f"/repairs/{ref}/decision", "reviewer", json=body).status_code == 200
    again = world.post(f"/repairs/{ref}/decision", "reviewer", json=body)
    assert again.status_code == 400
    assert "already rejected" in again.json()["error"]["message"]


def test_an_unknown_application_is_not_found(world: World) -> None:
    response = world.post("/repairs/R-000000000000/accept", "reviewer")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_decision_is_approved_or_rejected(world: World) -> None:
    ref = apply_for_a_repair(world)
    body = {"outcome": "maybe", "reasons": "unsure"}
    response = world.post(f"/repairs/{ref}/decision", "reviewer", json=body)
    assert response.status_code == 422
    assert "body.outcome" in response.json()["error"]["message"]


def test_a_reviewer_reading_repairs_is_logged_for_the_subject(world: World) -> None:
    apply_for_a_repair(world)
    assert len(world.get(f"/subjects/{ADULT}/repairs", "reviewer").json()) == 1
    reads = world.get(f"/subjects/{ADULT}/access", "subject").json()
    assert ("reviewer-wang", "repairs") in [(r["who"], r["what"]) for r in reads]

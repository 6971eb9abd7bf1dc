"""Disputes over HTTP: the subject disputes an entry of theirs and adds information, the
source whose event it is confirms or withdraws it, and the subject, an admin or a reviewer
lists them; nobody else acts on another's dispute, and bad input is a 4xx, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api_support import TRAFFIC, World, open_a_dispute, shared_template, world_from
from tests.scenario import ADULT, OTHER_ADULT

GROUNDS = {"source": TRAFFIC, "event_id": "tj-1", "grounds": "I was not driving"}


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def entries(world: World) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = world.get(f"/subjects/{ADULT}/explain", "subject").json()[
        "entries"
    ]
    return found


def test_a_subject_disputes_an_entry_and_it_shows_as_disputed_at_once(world: World) -> None:
    response = world.post(f"/subjects/{ADULT}/disputes", "subject", json=GROUNDS)
    assert response.status_code == 201, response.text
    dispute = response.json()
    assert dispute["state"] == "open"
    assert (dispute["source"], dispute["event_id"], dispute["rule"]) == (
        TRAFFIC,
        "tj-1",
        "traffic.fine",
    )
    assert dispute["resolve_by"] == "2026-07-01"
    assert [e["dispute"] for e in entries(world) if e["event_id"] == "tj-1"] == [dispute["ref"]]
    listed = world.get(f"/subjects/{ADULT}/disputes", "subject").json()
    assert [d["ref"] for d in listed] == [dispute["ref"]]


def test_an_entry_already_under_dispute_is_not_disputed_again(world: World) -> None:
    open_a_dispute(world)
    again = world.post(f"/subjects/{ADULT}/disputes", "subject", json=GROUNDS)
    assert again.status_code == 400
    assert "already disputed" in again.json()["error"]["message"]


def test_a_subject_cannot_dispute_an_event_that_is_not_theirs(world: World) -> None:
    theirs = {**GROUNDS, "event_id": "tj-2"}
    response = world.post(f"/subjects/{ADULT}/disputes", "subject", json=theirs)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "rejected"


def test_a_dispute_without_grounds_is_invalid_and_names_the_field(world: World) -> None:
    response = world.post(f"/subjects/{ADULT}/disputes", "subject", json={**GROUNDS, "grounds": ""})
    assert response.status_code == 422
    assert "body.grounds" in response.json()["error"]["message"]


def test_the_subject_adds_information_to_their_own_dispute(world: World) -> None:
    ref = open_a_dispute(world)
    response = world.post(f"/disputes/{ref}/information", "subject", json={"info": "a photo"})
    assert response.status_code == 200, response.text
    dispute = response.json()
    assert dispute["resolve_by"] == "2026-07-16"  # 45 days for the source, not 30
    assert "a photo" in dispute["steps"][-1]["reason"]


def test_another_subject_is_refused_alike_for_a_dispute_that_exists_or_not(
    world: World,
) -> None:
    ref = open_a_dispute(world)
    known = world.post(f"/disputes/{ref}/information", "other_subject", json={"info": "x"})
    unknown = world.post("/disputes/X-999/information", "other_subject", json={"info": "x"})
    assert known.status_code == unknown.status_code == 403
    assert known.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_own_record"
    assert ADULT not in known.text


def test_a_withdrawal_by_the_source_removes_the_entry_at_once(world: World) -> None:
    ref = open_a_dispute(world)
    before = world.get(f"/subjects/{ADULT}/score", "subject").json()["score"]
    body = {"answer": "withdraw", "reason": "wrong plate read"}
    response = world.post(f"/disputes/{ref}/answer", "source", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["counts"] is False
    assert world.get(f"/subjects/{ADULT}/score", "subject").json()["score"] > before
    assert not [e for e in entries(world) if e["event_id"] == "tj-1"]


def test_a_confirmation_keeps_the_entry(world: World) -> None:
    ref = open_a_dispute(world)
    body = {"answer": "confirm", "reason": "camera record"}
    response = world.post(f"/disputes/{ref}/answer", "source", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["counts"] is True
    assert response.json()["resolved"] is True


def test_only_the_source_of_the_event_answers(world: World) -> None:
    ref = open_a_dispute(world)
    body = {"answer": "withdraw", "reason": "not mine to say"}
    response = world.post(f"/disputes/{ref}/answer", "low_source", json=body)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_own_record"


def test_an_answer_is_confirm_or_withdraw(world: World) -> None:
    ref = open_a_dispute(world)
    body = {"answer": "maybe", "reason": "unsure"}
    response = world.post(f"/disputes/{ref}/answer", "source", json=body)
    assert response.status_code == 422
    assert "body.answer" in response.json()["error"]["message"]


def test_a_reviewer_reading_disputes_is_logged_for_the_subject(world: World) -> None:
    open_a_dispute(world)
    assert len(world.get(f"/subjects/{ADULT}/disputes", "reviewer").json()) == 1
    reads = world.get(f"/subjects/{ADULT}/access", "subject").json()
    assert ("reviewer-wang", "disputes") in [(r["who"], r["what"]) for r in reads]


def test_a_subject_without_disputes_has_an_empty_list(world: World) -> None:
    response = world.get(f"/subjects/{OTHER_ADULT}/disputes", "admin")
    assert response.status_code == 200
    assert response.json() == []

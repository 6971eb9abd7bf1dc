"""Disputes over HTTP: the subject disputes an entry of theirs and adds information, the
source whose event it is confirms or withdraws it, the platform's reviewer removes an entry
its source cannot substantiate or leaves the dispute to the source, and the subject, an
admin or a reviewer lists them; nobody else acts on another's dispute, and bad input is a
4xx, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from socialcredit.services.dispute_casework import answer_dispute
from socialcredit.services.tick import tick
from socialcredit.storage import open_store
from tests.api_support import NOW, TRAFFIC, World, open_a_dispute, shared_template, world_from
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


REMOVE = {"outcome": "removed", "reasons": "the source holds no photo of the plate"}


def _tick(world: World) -> None:
    with open_store(world.store) as store:
        tick(store, now=NOW)


def test_the_reviewer_removes_an_entry_its_source_cannot_substantiate(world: World) -> None:
    ref = open_a_dispute(world)
    before = world.get(f"/subjects/{ADULT}/score", "subject").json()["score"]
    response = world.post(f"/disputes/{ref}/review", "reviewer", json=REMOVE)
    assert response.status_code == 200, response.text
    dispute = response.json()
    assert (dispute["state"], dispute["counts"], dispute["resolved"]) == (
        "removed_by_reviewer",
        False,
        True,
    )
    assert "reviewer-wang" in dispute["steps"][-1]["reason"]
    assert "the source holds no photo of the plate" in dispute["steps"][-1]["reason"]
    assert world.get(f"/subjects/{ADULT}/score", "subject").json()["score"] > before
    assert not [e for e in entries(world) if e["event_id"] == "tj-1"]
    queue = world.get("/review/queue", "reviewer").json()
    assert ref not in [item["ref"] for item in queue]


def test_the_outcome_of_the_reviewers_removal_reaches_the_subject(world: World) -> None:
    ref = open_a_dispute(world)
    world.post(f"/disputes/{ref}/review", "reviewer", json=REMOVE)
    _tick(world)
    notices = world.get(f"/subjects/{ADULT}/notices", "subject").json()
    outcomes = [n["data"] for n in notices if n["kind"] == "dispute.outcome_sent"]
    assert len(outcomes) == 1
    assert outcomes[0]["outcome"] == "removed_by_reviewer"
    assert outcomes[0]["effect"] == "the entry is removed"
    assert "reviewer-wang" in outcomes[0]["why"]
    assert world.get(f"/disputes/{ref}", "subject").json()["outcome_sent_at"] is not None


def test_the_reviewer_leaves_a_dispute_to_the_source_and_it_stays_open(world: World) -> None:
    ref = open_a_dispute(world)
    body = {"outcome": "left_to_source", "reasons": "the camera record is for the police"}
    response = world.post(f"/disputes/{ref}/review", "reviewer", json=body)
    assert response.status_code == 200, response.text
    dispute = response.json()
    assert (dispute["state"], dispute["counts"], dispute["resolved"]) == ("open", True, False)
    assert "left the dispute to the source" in dispute["steps"][-1]["reason"]
    queue = world.get("/review/queue", "reviewer").json()
    assert ref in [item["ref"] for item in queue]
    answer = {"answer": "confirm", "reason": "camera record"}
    confirmed = world.post(f"/disputes/{ref}/answer", "source", json=answer).json()
    assert confirmed["state"] == "confirmed"


def test_a_dispute_already_resolved_is_not_decided_again(world: World) -> None:
    ref = open_a_dispute(world)
    world.post(f"/disputes/{ref}/answer", "source", json={"answer": "confirm", "reason": "seen"})
    response = world.post(f"/disputes/{ref}/review", "admin", json=REMOVE)
    assert response.status_code == 400
    assert "already resolved (confirmed)" in response.json()["error"]["message"]
    assert [e["event_id"] for e in entries(world)].count("tj-1") == 1


def test_a_source_answering_after_the_reviewers_removal_changes_nothing(world: World) -> None:
    ref = open_a_dispute(world)
    world.post(f"/disputes/{ref}/review", "reviewer", json=REMOVE)
    with open_store(world.store) as store:
        late = answer_dispute(store, ref, "confirmed", "camera record", at=NOW + timedelta(days=1))
    assert (str(late.dispute.state), late.dispute.counts) == ("removed_by_reviewer", False)
    assert "has no effect" in str(late.dispute.steps[-1].reason)


def test_a_review_of_no_dispute_is_not_found(world: World) -> None:
    response = world.post("/disputes/X-999/review", "reviewer", json=REMOVE)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_reviewers_decision_is_removed_or_left_to_source_with_reasons(world: World) -> None:
    ref = open_a_dispute(world)
    wrong = world.post(f"/disputes/{ref}/review", "reviewer", json={**REMOVE, "outcome": "x"})
    assert wrong.status_code == 422
    assert "body.outcome" in wrong.json()["error"]["message"]
    bare = world.post(f"/disputes/{ref}/review", "reviewer", json={**REMOVE, "reasons": ""})
    assert bare.status_code == 422
    assert "body.reasons" in bare.json()["error"]["message"]

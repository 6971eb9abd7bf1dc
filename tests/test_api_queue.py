"""The review queue over HTTP: appeals awaiting review, open disputes, repair applications
awaiting a decision and pending events, in one list by kind and ref; each leaves the queue
once acted on, and listing it is logged as a read of each subject in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api_support import (
    PENDING,
    World,
    apply_for_a_repair,
    list_a_defaulter,
    open_a_dispute,
    shared_template,
    world_from,
)
from tests.scenario import ADULT, OTHER_ADULT


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def queued(world: World, caller: str = "reviewer") -> list[tuple[str, str]]:
    response = world.get("/review/queue", caller)
    assert response.status_code == 200, response.text
    return [(i["kind"], i["ref"]) for i in response.json()]


def test_a_fresh_world_has_only_its_pending_event_queued(world: World) -> None:
    assert queued(world) == [("pending_event", f"{PENDING[0]}/{PENDING[1]}")]


def test_a_dispute_and_a_repair_join_the_queue_with_their_refs(world: World) -> None:
    dispute = open_a_dispute(world)
    repair = apply_for_a_repair(world, OTHER_ADULT, "tj-2")
    found = queued(world, "admin")
    assert ("dispute", dispute) in found
    assert ("repair", repair) in found


def test_an_answered_dispute_and_a_decided_repair_leave_the_queue(world: World) -> None:
    dispute = open_a_dispute(world)
    repair = apply_for_a_repair(world, OTHER_ADULT, "tj-2")
    answer = {"answer": "confirm", "reason": "camera record"}
    world.post(f"/disputes/{dispute}/answer", "source", json=answer)
    world.post(f"/repairs/{repair}/decision", "reviewer", json=_rejected())
    assert {kind for kind, _ in queued(world)} == {"pending_event"}


def _rejected() -> dict[str, Any]:
    return {"outcome": "rejected", "reasons": "no proof"}


def test_an_appeal_is_queued_until_it_is_decided(world: World) -> None:
    ref = list_a_defaulter(world, noticed=True)
    world.post(f"/listings/{ref}/appeal", "subject", json={"grounds": "the debt is paid"})
    assert ("appeal", ref) in queued(world)
    decided = {"outcome": "overturned", "reasons": "the judgment was performed"}
    world.post(f"/listings/{ref}/review", "reviewer", json=decided)
    assert ("appeal", ref) not in queued(world)


def test_a_listing_not_under_appeal_is_not_queued(world: World) -> None:
    list_a_defaulter(world)
    assert "appeal" not in {kind for kind, _ in queued(world)}


def test_reading_the_queue_is_logged_for_each_subject_in_it(world: World) -> None:
    open_a_dispute(world)
    queued(world)
    reads = world.get(f"/subjects/{ADULT}/access", "subject").json()
    assert ("reviewer-wang", "review queue") in [(r["who"], r["what"]) for r in reads]


def test_the_queue_is_for_reviewers_and_admins_only(world: World) -> None:
    for caller in ("subject", "source", "relying_party"):
        response = world.get("/review/queue", caller)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden_role"

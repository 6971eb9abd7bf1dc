"""Listings over HTTP: the subject, an admin or a reviewer sees a subject's listings, the
listed subject appeals, a reviewer or admin decides, recorded as the token's principal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from socialcredit.storage import open_store
from tests.api_support import (
    COURT,
    DEFAULTERS,
    World,
    list_a_defaulter,
    shared_template,
    world_from,
)
from tests.scenario import ADULT, OTHER_ADULT


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def test_a_subject_sees_their_listing_with_its_trigger_and_history(world: World) -> None:
    ref = list_a_defaulter(world)
    response = world.get(f"/subjects/{ADULT}/listings", "subject")
    assert response.status_code == 200
    [listing] = response.json()
    assert (listing["ref"], listing["list"], listing["state"]) == (ref, DEFAULTERS, "proposed")
    assert listing["trigger"]["source"] == COURT
    assert listing["steps"][0]["state"] == "proposed"


def test_a_reviewer_reading_listings_is_logged_for_the_subject(world: World) -> None:
    list_a_defaulter(world)
    assert len(world.get(f"/subjects/{ADULT}/listings", "reviewer").json()) == 1
    reads = world.get(f"/subjects/{ADULT}/access", "subject").json()
    assert ("reviewer-wang", "listings") in [(r["who"], r["what"]) for r in reads]


def test_the_listed_subject_appeals_and_the_appeal_is_recorded(world: World) -> None:
    ref = list_a_defaulter(world)
    response = world.post(f"/listings/{ref}/appeal", "subject", json={"grounds": "paid"})
    assert response.status_code == 200, response.text
    assert response.json()["steps"][-1]["cause"].startswith("listing.appeal")


def test_another_subject_may_not_appeal_whether_the_listing_exists_or_not(
    world: World,
) -> None:
    ref = list_a_defaulter(world)
    known = world.post(f"/listings/{ref}/appeal", "other_subject", json={"grounds": "x"})
    unknown = world.post("/listings/L-999-x/appeal", "other_subject", json={"grounds": "x"})
    assert known.status_code == unknown.status_code == 403
    assert known.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_own_record"
    assert ADULT not in known.text


def test_the_review_records_the_tokens_principal_as_reviewer(world: World) -> None:
    ref = list_a_defaulter(world)
    world.post(f"/listings/{ref}/appeal", "subject", json={"grounds": "paid"})
    body = {"outcome": "overturned", "reasons": "the judgment was performed"}
    response = world.post(f"/listings/{ref}/review", "reviewer", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["steps"][-1]["cause"].startswith("listing.review")


def test_an_appeal_in_time_is_under_appeal_and_an_overturn_ends_the_listing(
    world: World,
) -> None:
    ref = list_a_defaulter(world, noticed=True)
    appealed = world.post(f"/listings/{ref}/appeal", "subject", json={"grounds": "paid"})
    assert appealed.json()["state"] == "under_appeal"
    body = {"outcome": "overturned", "reasons": "the judgment was performed"}
    reviewed = world.post(f"/listings/{ref}/review", "admin", json=body)
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["state"] == "overturned"
    assert "operator-li" in reviewed.json()["steps"][-1]["reason"]


def test_a_review_is_upheld_or_overturned(world: World) -> None:
    ref = list_a_defaulter(world)
    body = {"outcome": "quashed", "reasons": "because"}
    response = world.post(f"/listings/{ref}/review", "reviewer", json=body)
    assert response.status_code == 422
    assert "body.outcome" in response.json()["error"]["message"]


def test_a_review_of_no_listing_is_not_found(world: World) -> None:
    body = {"outcome": "upheld", "reasons": "because"}
    response = world.post("/listings/L-999-x/review", "reviewer", json=body)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_review_of_a_malformed_ref_is_rejected_not_a_fault(world: World) -> None:
    body = {"outcome": "upheld", "reasons": "because"}
    response = world.post("/listings/nonsense/review", "admin", json=body)
    assert response.status_code == 400
    assert "listing ref" in response.json()["error"]["message"]


def test_a_subject_never_listed_has_no_listing(world: World) -> None:
    assert world.get(f"/subjects/{OTHER_ADULT}/listings", "admin").json() == []


def _acted_by(world: World, ref: str) -> list[tuple[str, str]]:
    with open_store(world.store) as store:
        kinds = ["listing.early_removal", "listing.correction"]
        actions = store.case_actions_for([ADULT], refs=[ref], kinds=kinds)
    return [(kind, json.loads(data)["by"]) for kind, data in actions.select("kind", "data").rows()]


def test_a_listing_in_effect_is_taken_off_early_as_the_tokens_principal(
    world: World,
) -> None:
    ref = list_a_defaulter(world, noticed=True)
    body = {"reasons": "the judgment was performed"}
    response = world.post(f"/listings/{ref}/removal", "reviewer", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "removed"
    assert response.json()["in_effect"] is False
    assert "the judgment was performed" in response.json()["steps"][-1]["reason"]
    assert _acted_by(world, ref) == [("listing.early_removal", "reviewer-wang")]


def test_a_wrongful_listing_is_corrected(world: World) -> None:
    ref = list_a_defaulter(world, noticed=True)
    body = {"reasons": "another person of the same name"}
    response = world.post(f"/listings/{ref}/correction", "admin", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "corrected"
    assert _acted_by(world, ref) == [("listing.correction", "operator-li")]


def test_a_removal_of_a_listing_no_longer_live_is_recorded_without_effect(
    world: World,
) -> None:
    ref = list_a_defaulter(world, noticed=True)
    world.post(f"/listings/{ref}/removal", "admin", json={"reasons": "paid"})
    response = world.post(f"/listings/{ref}/removal", "admin", json={"reasons": "paid again"})
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "removed"
    assert "no effect: the listing is already removed" in response.json()["steps"][-1]["reason"]


@pytest.mark.parametrize("action", ["removal", "correction"])
def test_an_action_needs_reasons_and_a_listing(world: World, action: str) -> None:
    ref = list_a_defaulter(world)
    empty = world.post(f"/listings/{ref}/{action}", "admin", json={"reasons": ""})
    assert empty.status_code == 422
    assert "body.reasons" in empty.json()["error"]["message"]
    missing = world.post(f"/listings/L-999-x/{action}", "admin", json={"reasons": "paid"})
    assert missing.status_code == 404

"""`POST /decisions`: a relying party gets allow or deny with plain-word reasons for the
purposes it is registered for, never a score, an entry or what a reason rests on; any other
purpose is a 403 that is recorded like any decision."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from socialcredit.services.decide import decide
from socialcredit.storage import open_store
from tests.api_support import HOTEL, NOW, World, shared_template, world_from
from tests.scenario import ADULT


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def ask(world: World, purpose: str, subject: str = ADULT) -> Any:
    return world.post("/decisions", "relying_party", json={"subject": subject, "purpose": purpose})


def test_a_registered_purpose_gets_an_answer_with_reasons_and_rulebook_versions(
    world: World,
) -> None:
    response = ask(world, "air_travel")
    assert response.status_code == 201, response.text
    answer = response.json()
    assert set(answer) == {
        "decision_id",
        "subject",
        "purpose",
        "decision",
        "reasons",
        "rulebooks",
        "decided_at",
    }
    assert answer["decision"] == "allow"
    assert answer["reasons"] == ["not on the list dishonest-judgment-defaulters"]
    assert "cn-national@2017.1" in answer["rulebooks"]
    assert answer["decision_id"].startswith("D-")


def test_a_grade_based_answer_names_the_grade_and_never_the_score_or_entries(
    world: World,
) -> None:
    answer = ask(world, "merchant_discounts").json()
    assert answer["decision"] == "deny"
    [reason] = answer["reasons"]
    assert reason == "grade A from records in civic, health_donation is not at least AA"
    text = str(answer)
    for hidden in ("980", "1000", "score", "points", "tj-1", "traffic"):
        assert hidden not in text


def test_the_answer_is_the_decision_the_store_recorded(world: World) -> None:
    answer = ask(world, "air_travel").json()
    with open_store(world.store) as store:
        recorded = store.decisions_for([ADULT], party=HOTEL)
    assert recorded.get_column("decision_id").to_list() == [answer["decision_id"]]
    assert recorded.item(0, "outcome") == "allow"


def test_an_unregistered_purpose_is_refused_and_the_refusal_is_recorded(world: World) -> None:
    response = ask(world, "rail_g_train")
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "purpose_not_registered"
    assert "registered: air_travel, merchant_discounts" in error["message"]
    with open_store(world.store) as store:
        recorded = store.decisions_for([ADULT], party=HOTEL)
        reads = store.access_for(ADULT)
    assert recorded.get_column("outcome").to_list() == ["refused"]
    assert recorded.item(0, "decision_id") in error["message"]
    assert reads.get_column("purpose").to_list() == ["rail_g_train"]


def test_the_api_decides_as_decide_does(world: World) -> None:
    answer = ask(world, "merchant_discounts").json()
    with open_store(world.store) as store:
        direct = decide(
            store,
            party=HOTEL,
            subject=ADULT,
            purpose="merchant_discounts",
            as_of=NOW,
            decided_at=NOW,
        )
    assert direct.answer() == answer

"""`POST /decisions` through the server's decision desk: answers from memory that are still
`decide`'s answers after another process changes the store, and tokens remembered for
sign-in that stop working as soon as they are revoked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from socialcredit.services.decide import decide
from socialcredit.services.ingest import ingest_records
from socialcredit.services.registry import add_source
from socialcredit.services.tokens import revoke_token
from socialcredit.storage import open_store
from tests.api_support import HOTEL, NOW, World, shared_template, world_from
from tests.scenario import ADULT, OTHER_ADULT


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def ask(world: World, purpose: str, subject: str = ADULT) -> Any:
    return world.post("/decisions", "relying_party", json={"subject": subject, "purpose": purpose})


def token_id(bearer: str) -> str:
    return bearer.split("_")[1]


def test_the_server_answers_from_its_desk(world: World) -> None:
    desk = world.app.state.desk
    assert desk is not None
    assert desk.holds(ADULT, NOW)
    assert ask(world, "merchant_discounts").status_code == 201


def test_facts_added_by_another_process_reach_the_next_answer(world: World) -> None:
    before = ask(world, "merchant_discounts").json()
    assert before["decision"] == "deny"
    heroics = [
        {
            "id": f"hero-{i}",
            "subject": ADULT,
            "type": "civic.heroic_act",
            "occurred_at": f"2026-05-{10 + i}T09:00:00+08:00",
            "jurisdiction": "371003",
        }
        for i in range(8)
    ]
    with open_store(world.store) as store:
        add_source(
            store,
            "civic.wendeng",
            name=None,
            trust="high",
            allow=["civic"],
            credential=None,
            registered_at=NOW,
        )
        ingest_records(store, heroics, source="civic.wendeng", recorded_at=NOW)
    after = ask(world, "merchant_discounts").json()
    with open_store(world.store) as store:
        direct = decide(
            store,
            party=HOTEL,
            subject=ADULT,
            purpose="merchant_discounts",
            as_of=NOW,
            decided_at=NOW,
        )
        stored = store.decisions_for([ADULT], party=HOTEL)
    assert after == direct.answer()
    assert after["reasons"] != before["reasons"]
    # `decide` asked the same question at the same instant over the same log: a retry.
    assert stored.get_column("decision_id").to_list() == [
        before["decision_id"],
        after["decision_id"],
    ]


def test_a_revoked_relying_party_token_is_refused_at_once_and_nothing_is_recorded(
    world: World,
) -> None:
    assert ask(world, "air_travel").status_code == 201  # the token is now remembered
    with open_store(world.store) as store:
        revoke_token(
            store, token_id(world.tokens["relying_party"]), reason="leaked", revoked_at=NOW
        )
    response = ask(world, "air_travel", OTHER_ADULT)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert "revoked" in response.json()["error"]["message"]
    with open_store(world.store) as store:
        assert store.decisions_for([OTHER_ADULT]).is_empty()
        assert store.access_for(OTHER_ADULT).is_empty()


def test_a_revoked_token_is_refused_at_once_on_every_other_endpoint(world: World) -> None:
    assert world.get(f"/subjects/{ADULT}/score", "subject").status_code == 200
    with open_store(world.store) as store:
        revoke_token(store, token_id(world.tokens["subject"]), reason="lost", revoked_at=NOW)
    response = world.get(f"/subjects/{ADULT}/score", "subject")
    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_a_refused_purpose_is_recorded_through_the_desk_as_decide_records_it(
    world: World,
) -> None:
    response = ask(world, "rail_g_train")
    assert response.status_code == 403
    with open_store(world.store) as store:
        direct = decide(
            store, party=HOTEL, subject=ADULT, purpose="rail_g_train", as_of=NOW, decided_at=NOW
        )
        stored = store.decisions_for([ADULT], party=HOTEL)
    assert direct.decision_id in response.json()["error"]["message"]
    assert stored.get_column("outcome").to_list() == ["refused"]

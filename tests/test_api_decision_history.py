"""The subject's view of decisions about them: every relying party's question, refusals
included, with the outcome, the reasons and when; an admin's reading of it is logged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api_support import HOTEL, NOW, World, shared_template, world_from
from tests.scenario import ADULT, OTHER_ADULT


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def ask(world: World, purpose: str, subject: str = ADULT) -> None:
    world.post("/decisions", "relying_party", json={"subject": subject, "purpose": purpose})


def test_the_subject_sees_each_decision_about_them(world: World) -> None:
    ask(world, "air_travel")
    ask(world, "air_travel", OTHER_ADULT)
    response = world.get(f"/subjects/{ADULT}/decisions", "subject")
    assert response.status_code == 200
    [made] = response.json()
    assert (made["party"], made["purpose"], made["decision"]) == (HOTEL, "air_travel", "allow")
    assert made["reasons"]
    assert made["decided_at"].startswith(NOW.date().isoformat())


def test_a_refused_question_is_on_the_subjects_record_too(world: World) -> None:
    ask(world, "rail_g_train")
    [made] = world.get(f"/subjects/{ADULT}/decisions", "subject").json()
    assert made["decision"] == "refused"


def test_an_admin_reading_decisions_is_logged_for_the_subject(world: World) -> None:
    assert world.get(f"/subjects/{ADULT}/decisions", "admin").json() == []
    reads = world.get(f"/subjects/{ADULT}/access", "subject").json()
    assert ("operator-li", "decisions") in [(r["who"], r["what"]) for r in reads]


def test_a_reviewer_does_not_see_decisions(world: World) -> None:
    response = world.get(f"/subjects/{ADULT}/decisions", "reviewer")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden_role"

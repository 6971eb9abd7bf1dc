"""Consent over HTTP: the subject gives and withdraws consent to an opt-in scheme; a
mandatory or unknown scheme, or nothing to withdraw, is refused with what to do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api_support import CIVIC, World, consent_to, shared_template, world_from
from tests.scenario import ADULT


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def test_a_subject_gives_consent_and_is_scored_by_the_scheme(world: World) -> None:
    response = world.post(f"/subjects/{ADULT}/consent", "subject", json={"rulebook": CIVIC})
    assert response.status_code == 201, response.text
    assert response.json()["consenting"] is True
    assert [s["type"] for s in response.json()["steps"]] == ["consent.given"]
    civic = world.get(f"/subjects/{ADULT}/score", "subject", params={"rulebook": CIVIC}).json()
    assert civic["scored"] is True


def test_a_subject_withdraws_consent_and_the_history_keeps_both(world: World) -> None:
    consent_to(world)
    response = world.delete(f"/subjects/{ADULT}/consent/{CIVIC}", "subject")
    assert response.status_code == 200, response.text
    assert response.json()["consenting"] is False
    assert [s["type"] for s in response.json()["steps"]] == ["consent.given", "consent.withdrawn"]


def test_consent_given_twice_is_refused(world: World) -> None:
    consent_to(world)
    again = world.post(f"/subjects/{ADULT}/consent", "subject", json={"rulebook": CIVIC})
    assert again.status_code == 400
    assert "already consents" in again.json()["error"]["message"]


def test_nothing_to_withdraw_is_refused(world: World) -> None:
    response = world.delete(f"/subjects/{ADULT}/consent/{CIVIC}", "subject")
    assert response.status_code == 400
    assert "nothing to withdraw" in response.json()["error"]["message"]


def test_a_mandatory_scheme_takes_no_consent(world: World) -> None:
    response = world.post(
        f"/subjects/{ADULT}/consent", "subject", json={"rulebook": "cn-371003-wendeng"}
    )
    assert response.status_code == 400
    assert "mandatory" in response.json()["error"]["message"]


def test_a_missing_rulebook_is_invalid(world: World) -> None:
    response = world.post(f"/subjects/{ADULT}/consent", "subject", json={})
    assert response.status_code == 422
    assert "body.rulebook" in response.json()["error"]["message"]


def test_nobody_else_consents_for_the_subject(world: World) -> None:
    for caller in ("admin", "other_subject"):
        response = world.post(f"/subjects/{ADULT}/consent", caller, json={"rulebook": CIVIC})
        assert response.status_code == 403

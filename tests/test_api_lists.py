"""The public lookup on published lists: no token, one subject at a time, the least that
publication needs (subject, list, since, basis), each lookup logged for the subject; and no
list answers unless its rulebook marks it as published, which no bundled list does."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from socialcredit.api import create_app, lists
from tests.api_support import (
    DEFAULTERS,
    NOW,
    World,
    list_a_defaulter,
    shared_template,
    world_from,
)
from tests.scenario import ADULT, OTHER_ADULT

LATER = NOW + timedelta(days=30)  # the appeal window of a notice served at NOW has closed


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> None:
    """The court's list marked as published, as a rulebook that could say so would."""
    monkeypatch.setattr(lists, "open_to_lookup", lambda definition: definition.id == DEFAULTERS)


def later(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(str(world.store), lambda: LATER)) as client:
        yield client


def public_reads(world: World) -> list[dict[str, Any]]:
    reads: list[dict[str, Any]] = world.get(f"/subjects/{ADULT}/access", "subject").json()
    return [r for r in reads if r["role"] == "public"]


def test_no_bundled_list_is_open_to_lookup_even_for_a_listed_subject(world: World) -> None:
    list_a_defaulter(world, noticed=True)
    response = world.get(f"/lists/{DEFAULTERS}/{ADULT}")
    assert response.status_code == 404
    assert "is not published" in response.json()["error"]["message"]
    assert ADULT not in response.text
    assert public_reads(world) == []


def test_a_list_in_no_published_rulebook_is_not_found(world: World) -> None:
    response = world.get(f"/lists/no-such-list/{ADULT}")
    assert response.status_code == 404
    assert "in no published rulebook" in response.json()["error"]["message"]


@pytest.mark.usefixtures("published")
def test_a_listing_in_effect_on_a_published_list_shows_the_least_publication_needs(
    world: World,
) -> None:
    list_a_defaulter(world, noticed=True)
    [client] = later(world)
    response = client.get(f"/lists/{DEFAULTERS}/{ADULT}")
    assert response.status_code == 200, response.text
    found = response.json()
    assert set(found) == {"subject", "list", "since", "basis"}
    assert (found["subject"], found["list"], found["since"]) == (ADULT, DEFAULTERS, "2026-06-12")
    assert "Supreme People's Court" in found["basis"]
    assert "cn-national@2017.1" in found["basis"]


@pytest.mark.usefixtures("published")
def test_every_lookup_on_a_published_list_is_logged_found_or_not(world: World) -> None:
    list_a_defaulter(world, noticed=True)
    for client in later(world):
        assert client.get(f"/lists/{DEFAULTERS}/{ADULT}").status_code == 200
        assert client.get(f"/lists/{DEFAULTERS}/{OTHER_ADULT}").status_code == 404
    [read] = public_reads(world)
    assert (read["who"], read["what"]) == ("public", f"public lookup on {DEFAULTERS}")
    reads = world.get(f"/subjects/{OTHER_ADULT}/access", "other_subject").json()
    assert [r["who"] for r in reads] == ["public"]


@pytest.mark.usefixtures("published")
def test_a_listing_not_yet_in_effect_is_not_shown(world: World) -> None:
    list_a_defaulter(world, noticed=True)  # the appeal window is still open at NOW
    response = world.get(f"/lists/{DEFAULTERS}/{ADULT}")
    assert response.status_code == 404
    assert ADULT not in response.text

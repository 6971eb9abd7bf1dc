"""A subject's history over HTTP: the score and grade at each month end of a range, or at
each moment an entry starts or stops counting, each point the score asked for at that
moment; ranges too long to read are refused, never slow."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from socialcredit.services.dispute_casework import review_dispute
from socialcredit.storage import open_store
from tests.api_support import NOW, World, open_a_dispute, shared_template, world_from
from tests.scenario import ADULT

WENDENG = "cn-371003-wendeng"
FROM = "2026-01-01T00:00:00+08:00"
TO = "2026-05-01T00:00:00+08:00"


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def series(world: World, caller: str = "subject", **params: str) -> list[dict[str, Any]]:
    response = world.get(f"/subjects/{ADULT}/history", caller, params=params)
    assert response.status_code == 200, response.text
    [wendeng] = [s for s in response.json()["schemes"] if s["rulebook"] == WENDENG]
    points: list[dict[str, Any]] = wendeng["points"]
    return points


def each_is_the_score_asked_for(world: World, points: list[dict[str, Any]]) -> None:
    for point in points:
        asked = world.get(
            f"/subjects/{ADULT}/score",
            "admin",
            params={"as_of": point["as_of"], "rulebook": WENDENG},
        ).json()
        assert (asked["score"], asked["grade"]) == (point["score"], point["grade"])


def test_each_month_end_shows_the_standing_then_and_the_fine_from_its_month(
    world: World,
) -> None:
    points = series(world, **{"from": FROM, "to": TO})
    assert [(p["as_of"][:10], p["score"]) for p in points] == [
        ("2026-01-31", 1000),
        ("2026-02-28", 1000),
        ("2026-03-31", 980),
        ("2026-04-30", 980),
        ("2026-05-01", 980),
    ]
    assert points[0]["as_of"] == "2026-01-31T23:59:59.999999+08:00"
    assert points[-1]["as_of"] == TO


def test_by_change_the_points_are_the_start_each_entry_boundary_and_the_end(
    world: World,
) -> None:
    points = series(world, every="change", **{"from": FROM, "to": TO})
    assert [(p["as_of"], p["points"]) for p in points] == [
        (FROM, 0),
        ("2026-03-01T09:30:00+08:00", -20),
        (TO, -20),
    ]


def test_every_point_is_the_score_asked_for_at_its_moment(world: World) -> None:
    each_is_the_score_asked_for(world, series(world, "admin", every="change", **{"from": FROM}))


def test_the_default_range_is_the_year_up_to_now(world: World) -> None:
    response = world.get(f"/subjects/{ADULT}/history", "subject").json()
    assert (response["from"], response["to"]) == (
        "2025-06-01T08:00:00Z",
        "2026-06-01T08:00:00Z",
    )
    assert len(response["schemes"][0]["points"]) == 13


def test_a_reviewer_reading_the_history_is_logged_for_the_subject(world: World) -> None:
    series(world, "reviewer")
    reads = world.get(f"/subjects/{ADULT}/access", "subject").json()
    assert ("reviewer-wang", "history") in [(r["who"], r["what"]) for r in reads]


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"from": "2000-01-01T00:00:00+08:00"}, "narrow it"),
        ({"from": TO, "to": FROM}, "query.from"),
        ({"from": "2026-01-01T00:00:00"}, "give an offset"),
        ({"to": "1800-01-01T00:00:00+08:00"}, "query.to"),
        ({"every": "week"}, "query.every"),
    ],
)
def test_a_range_that_cannot_be_read_is_refused_with_what_to_fix(
    world: World, params: dict[str, str], says: str
) -> None:
    response = world.get(f"/subjects/{ADULT}/history", "subject", params=params)
    assert response.status_code == 422, response.text
    assert says in response.json()["error"]["message"]


def test_an_unknown_subject_has_no_history(world: World) -> None:
    response = world.get("/subjects/371003199901010000/history", "admin")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_points_on_either_side_of_a_dispute_removal_each_read_the_events_counting_then(
    world: World,
) -> None:
    ref = open_a_dispute(world)
    with open_store(world.store) as store:
        review_dispute(
            store, ref, "removed", "no evidence", by="reviewer-wang", at=NOW + timedelta(days=2)
        )
    around = {"from": FROM, "to": "2026-08-01T00:00:00+08:00"}
    points = series(world, "admin", **around)
    scores = {p["as_of"][:10]: p["score"] for p in points}
    assert (scores["2026-05-31"], scores["2026-06-30"], scores["2026-07-31"]) == (980, 1000, 1000)
    each_is_the_score_asked_for(world, points)

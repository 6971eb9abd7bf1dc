"""`POST /events`: a source's batch recorded as one, a result per event with its line and
reason, idempotent, and only the types and the name the source is registered for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api_support import REPORTER, TRAFFIC, World, fine, shared_template, world_from
from tests.scenario import ADULT, OTHER_ADULT


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def submit(world: World, *events: Any, caller: str = "source") -> dict[str, Any]:
    response = world.post("/events", caller, json={"events": list(events)})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def outcomes(body: dict[str, Any]) -> list[tuple[int, str]]:
    return [(row["line"], row["outcome"]) for row in body["rows"]]


def test_new_events_are_recorded_and_count_at_once(world: World) -> None:
    body = submit(world, fine("tj-10", ADULT, "2026-04-01T10:00:00+08:00"))
    assert body["source"] == TRAFFIC
    assert body["counts"] == {"new": 1, "pending": 0, "exists": 0, "rejected": 0}
    assert body["rows"] == [
        {"line": 1, "id": "tj-10", "outcome": "new", "field": None, "reason": None, "warnings": []}
    ]
    score = world.get(f"/subjects/{ADULT}/score", "subject").json()
    assert score["score"] == 1000 - 20 - 40  # the second fine within validity is doubled


def test_sending_the_same_batch_again_changes_nothing(world: World) -> None:
    event = fine("tj-11", OTHER_ADULT, "2026-04-02T10:00:00+08:00")
    assert outcomes(submit(world, event)) == [(1, "new")]
    assert outcomes(submit(world, event)) == [(1, "exists")]
    assert world.get("/health").json()["head_seq"] == 4


def test_the_same_id_with_other_content_is_rejected_naming_what_differs(world: World) -> None:
    body = submit(world, {**fine("tj-1", ADULT), "data": {"amount_cny": 5000}})
    [row] = body["rows"]
    assert (row["outcome"], row["field"]) == ("rejected", "id")
    assert "data differ" in row["reason"]


def test_bad_events_are_rejected_with_line_and_reason_and_the_good_ones_kept(
    world: World,
) -> None:
    body = submit(
        world,
        fine("tj-20", ADULT, "2026-04-03T10:00:00+08:00"),
        {"id": "tj-21", "type": "traffic.fine", "occurred_at": "2026-04-03"},
        "not an event",
        {**fine("tj-22", ADULT), "type": "traffic.speeding_on_the_moon"},
        {**fine("tj-23", ADULT), "occurred_at": "last tuesday"},
        {**fine("tj-24", ADULT), "data": {"amount_cny": 800}, "source": REPORTER},
        {**fine("tj-25", "371003199003071230")},
        fine("tj-26", OTHER_ADULT, "2026-04-04T10:00:00+08:00"),
    )
    rows = {row["line"]: row for row in body["rows"]}
    assert outcomes(body) == [
        (1, "new"),
        (2, "rejected"),
        (3, "rejected"),
        (4, "rejected"),
        (5, "rejected"),
        (6, "rejected"),
        (7, "rejected"),
        (8, "new"),
    ]
    assert (rows[2]["field"], rows[2]["reason"]) == ("subject", "missing")
    assert rows[3]["reason"] == "not a JSON object"
    assert "unknown event type" in rows[4]["reason"]
    assert rows[5]["field"] == "occurred_at"
    assert rows[6]["field"] == "source"
    assert REPORTER in rows[6]["reason"]
    assert rows[7]["field"] == "subject"
    assert body["counts"] == {"new": 2, "pending": 0, "exists": 0, "rejected": 6}


def test_a_source_reports_only_the_types_it_is_registered_for(world: World) -> None:
    body = submit(world, fine("r-1", ADULT), caller="low_source")
    [row] = body["rows"]
    assert row["outcome"] == "rejected"
    assert f"source {REPORTER} is not allowed to report traffic.fine" in row["reason"]


def test_a_low_trust_source_s_events_wait_for_review(world: World) -> None:
    noise = {
        "id": "noise-2",
        "subject": OTHER_ADULT,
        "type": "public_order.noise",
        "occurred_at": "2026-05-01T23:00:00+08:00",
        "jurisdiction": "371003",
    }
    body = submit(world, noise, caller="low_source")
    assert outcomes(body) == [(1, "pending")]
    queue = world.get("/pending", "reviewer").json()
    assert ("noise-2", OTHER_ADULT) in [(e["id"], e["subject"]) for e in queue]


def test_keys_of_the_recorder_s_own_columns_are_ignored(world: World) -> None:
    body = submit(world, {**fine("tj-30", ADULT), "_line": "7", "_problem": "none"})
    assert outcomes(body) == [(1, "new")]


@pytest.mark.parametrize(
    "odd",
    [{"*": None}, {"^id$": "x"}, {"data": {"amount_cny": 800, "*": 1}}],
    ids=["star", "pattern", "data-star"],
)
def test_a_field_named_like_a_column_pattern_is_rejected_and_the_rest_kept(
    world: World, odd: dict[str, Any]
) -> None:
    body = submit(world, {**fine("tj-40", ADULT), **odd}, fine("tj-41", ADULT))
    assert outcomes(body) == [(1, "rejected"), (2, "new")]
    assert "cannot be a column name" in body["rows"][0]["reason"]

"""A subject's record over HTTP: score, explanation, notices and access log, the same data
as `socialcredit score --json` and `explain --json`; reads by anyone but the subject are
logged for the subject to see."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.api_support import HOTEL, World, shared_template, world_from
from tests.cli_support import run
from tests.scenario import ADULT


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from world_from(shared_template(tmp_path_factory), tmp_path)


def ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def test_a_subject_reads_their_score_under_each_scheme(world: World) -> None:
    score = ok(world.get(f"/subjects/{ADULT}/score", "subject"))
    assert (score["subject"], score["rulebook"], score["score"], score["grade"]) == (
        ADULT,
        "cn-371003-wendeng",
        980,
        "A",
    )
    assert [s["rulebook"] for s in score["schemes"]] == ["cn-371003-wendeng", "civic-rewards"]
    assert score["schemes"][1]["scored"] is False


def test_the_api_gives_what_the_command_line_gives(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCIALCREDIT_DB", str(world.store))
    moment = "2026-06-01T16:00:00+08:00"
    for what in ("score", "explain"):
        api = ok(world.get(f"/subjects/{ADULT}/{what}", "subject", params={"as_of": moment}))
        cli = run(what, ADULT, "--json", "--as-of", moment)
        assert cli.exit_code == 0, cli.output
        assert api == json.loads(cli.stdout)


def test_an_explanation_gives_every_entry_with_its_reason_and_what_counts_for_nothing(
    world: World,
) -> None:
    explained = ok(world.get(f"/subjects/{ADULT}/explain", "subject"))
    [entry] = explained["entries"]
    assert (entry["event_id"], entry["applied_points"], entry["counts"]) == ("tj-1", -20, True)
    assert entry["reason"].startswith("traffic.fine (cn-371003-wendeng@2020.1)")
    [pending] = explained["not_scored"]
    assert pending["id"] == "noise-1"
    assert pending["why"].startswith("pending")


def test_a_reading_as_of_a_later_moment_lets_an_expired_entry_go(world: World) -> None:
    later = {"as_of": "2027-07-01T00:00:00+08:00"}
    assert ok(world.get(f"/subjects/{ADULT}/score", "subject", params=later))["score"] == 1000
    explained = ok(world.get(f"/subjects/{ADULT}/explain", "subject", params=later))
    assert explained["entries"][0]["expired"] is True


def test_one_scheme_only_when_asked(world: World) -> None:
    score = ok(world.get(f"/subjects/{ADULT}/score", "admin", params={"rulebook": "civic-rewards"}))
    assert [s["rulebook"] for s in score["schemes"]] == ["civic-rewards"]


def test_a_subject_with_no_record_is_not_found(world: World) -> None:
    response = world.get("/subjects/371003199901010000/score", "admin")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_reads_by_others_are_logged_and_the_subject_s_own_are_not(world: World) -> None:
    ok(world.get(f"/subjects/{ADULT}/score", "subject"))
    ok(world.get(f"/subjects/{ADULT}/score", "reviewer"))
    ok(world.get(f"/subjects/{ADULT}/explain", "admin"))
    log = ok(world.get(f"/subjects/{ADULT}/access", "subject"))
    assert [(r["who"], r["role"], r["what"]) for r in log] == [
        ("reviewer-wang", "reviewer", "score"),
        ("operator-li", "admin", "explain"),
    ]
    assert log[0]["at"].startswith("2026-06-01T08:00:00")


def test_a_denial_reaches_the_subject_s_notices_and_the_party_s_read_their_log(
    world: World,
) -> None:
    asked = world.post(
        "/decisions", "relying_party", json={"subject": ADULT, "purpose": "merchant_discounts"}
    )
    assert asked.json()["decision"] == "deny"
    [notice] = ok(world.get(f"/subjects/{ADULT}/notices", "subject"))
    assert notice["kind"] == "notice.adverse_action"
    assert notice["data"]["party"] == HOTEL
    assert notice["deliveries"][0]["channel"] == "inbox"
    log = ok(world.get(f"/subjects/{ADULT}/access", "subject"))
    assert (HOTEL, "relying_party", "decision", "merchant_discounts") in [
        (r["who"], r["role"], r["what"], r["purpose"]) for r in log
    ]


def test_an_admin_reads_any_subject_s_notices_and_that_is_logged(world: World) -> None:
    assert ok(world.get(f"/subjects/{ADULT}/notices", "admin")) == []
    log = ok(world.get(f"/subjects/{ADULT}/access", "subject"))
    assert [(r["who"], r["what"]) for r in log] == [("operator-li", "notices")]


def test_requests_served_at_once_each_get_a_store_of_their_own(world: World) -> None:
    def read(_: int) -> int:
        response = world.get(f"/subjects/{ADULT}/explain", "reviewer")
        return int(response.status_code)

    with ThreadPoolExecutor(max_workers=6) as threads:
        statuses = list(threads.map(read, range(24)))
    assert statuses == [200] * 24
    log = ok(world.get(f"/subjects/{ADULT}/access", "subject"))
    assert len(log) == 24

"""The court's list of dishonest judgment defaulters as a user drives it through the command:
a listing event, a notice, the appeal window, decisions for rail and air, performance,
removal within three working days, and the subject's view of who asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli_support import Clock, event, ingest, ndjson, run, store_with
from tests.scenario import ADULT, MINOR, OTHER_ADULT

LIST = "dishonest-judgment-defaulters"


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return store_with(
        tmp_path,
        monkeypatch,
        ("init",),
        ("source", "add", "court.wendeng", "--allow", "judicial"),
        ("party", "add", "rail.12306", "--purpose", "rail_g_train"),
        ("party", "add", "air.caac", "--purpose", "air_travel"),
    )


def court(i: int, when: str, type_: str, subject: str = ADULT, case: str = "c-1") -> dict[str, Any]:
    return event(i, when, subject, source="court.wendeng", type=type_, data={"case_no": case})


def decide(subject: str, purpose: str, party: str) -> tuple[int, dict[str, Any]]:
    result = run("decide", subject, purpose, "--party", party, "--json")
    assert result.stdout.strip(), result.output
    return result.exit_code, json.loads(result.stdout)


def listing(ref: str) -> dict[str, Any]:
    result = run("listing", "get", ref, "--json")
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def test_a_defaulter_is_noticed_listed_denied_and_removed_after_performing(
    clock: Clock, tmp_path: Path
) -> None:
    ingest(
        ndjson(
            tmp_path / "a.ndjson", court(1, "2026-03-02T09:00:00+08:00", "court.defaulter_listed")
        )
    )
    ref = f"L-1-{LIST}"
    assert listing(ref)["state"] == "proposed"
    # Nothing counts before the notice and its window: the decision allows.
    assert decide(ADULT, "air_travel", "air.caac")[1]["decision"] == "allow"

    clock.set("2026-03-03T10:00:00+08:00")
    ticked = json.loads(run("tick", "--json").stdout)
    assert ticked["notices"] == [ref]
    assert json.loads(run("tick", "--json").stdout)["notices"] == []  # idempotent
    noticed = listing(ref)
    assert noticed["state"] == "noticed"
    assert noticed["notice"]["appeal_by"] == "2026-03-13"
    inbox = json.loads(run("notices", ADULT, "--json").stdout)
    assert [(n["kind"], n["ref"]) for n in inbox] == [("listing.notice", ref)]
    assert "appeal" in inbox[0]["data"]["how_to_appeal"]
    assert [(d["channel"], d["status"]) for d in inbox[0]["deliveries"]] == [("inbox", "sent")]

    clock.set("2026-03-13T20:00:00+08:00")  # the last day to appeal: still no effect
    assert decide(ADULT, "rail_g_train", "rail.12306")[0] == 0

    clock.set("2026-03-16T09:00:00+08:00")
    code, denied = decide(ADULT, "rail_g_train", "rail.12306")
    assert (code, denied["decision"]) == (1, "deny")
    [reason] = denied["reasons"]
    assert reason["holds"]
    assert ref in reason["text"]
    assert reason["basis"][0]["source"] == "court.wendeng"
    assert "cn-national@2017.1" in denied["rulebooks"]
    assert decide(ADULT, "air_travel", "air.caac")[1]["decision"] == "deny"
    adverse = [
        n
        for n in json.loads(run("notices", ADULT, "--json").stdout)
        if n["kind"] == "notice.adverse_action"
    ]
    assert len(adverse) == 2
    assert adverse[0]["data"]["sources"] == ["court.wendeng"]
    assert "dispute" in adverse[0]["data"]["how_to_dispute"]

    # Performed on Wednesday 1 April 2026; Qingming (4-6 April) is not a working day, so the
    # third working day after is Tuesday 7 April.
    clock.set("2026-04-01T15:00:00+08:00")
    ingest(
        ndjson(
            tmp_path / "b.ndjson", court(2, "2026-04-01T11:00:00+08:00", "court.judgment_performed")
        )
    )
    clock.set("2026-04-07T18:00:00+08:00")
    assert decide(ADULT, "rail_g_train", "rail.12306")[1]["decision"] == "deny"
    clock.set("2026-04-08T00:00:00+08:00")
    assert decide(ADULT, "rail_g_train", "rail.12306")[1]["decision"] == "allow"
    assert listing(ref)["state"] == "removed"

    asked = json.loads(run("access", ADULT, "--json").stdout)
    assert [(a["who"], a["purpose"]) for a in asked] == [
        ("air.caac", "air_travel"),
        ("rail.12306", "rail_g_train"),
        ("rail.12306", "rail_g_train"),
        ("air.caac", "air_travel"),
        ("rail.12306", "rail_g_train"),
        ("rail.12306", "rail_g_train"),
    ]


def test_an_appeal_overturned_keeps_the_subject_off_the_list(clock: Clock, tmp_path: Path) -> None:
    ingest(
        ndjson(
            tmp_path / "a.ndjson",
            court(1, "2026-03-02T09:00:00+08:00", "court.defaulter_listed", OTHER_ADULT),
        )
    )
    ref = f"L-1-{LIST}"
    clock.set("2026-03-03T10:00:00+08:00")
    run("tick")
    clock.set("2026-03-05T10:00:00+08:00")
    appealed = run("listing", "appeal", ref, "--grounds", "the judgment was paid", "--json")
    assert appealed.exit_code == 0, appealed.output
    assert json.loads(appealed.stdout)["state"] == "under_appeal"
    clock.set("2026-03-20T10:00:00+08:00")
    assert decide(OTHER_ADULT, "air_travel", "air.caac")[1]["decision"] == "allow"
    overturned = run(
        "listing",
        "review",
        ref,
        "--outcome",
        "overturned",
        "--reason",
        "receipt shown",
        "--reviewer",
        "judge-wang",
        "--json",
    )
    assert json.loads(overturned.stdout)["state"] == "overturned"
    assert decide(OTHER_ADULT, "air_travel", "air.caac")[1]["decision"] == "allow"


def test_a_minor_is_never_listed(clock: Clock, tmp_path: Path) -> None:
    ingest(
        ndjson(
            tmp_path / "a.ndjson",
            court(1, "2025-06-01T09:00:00+08:00", "court.defaulter_listed", MINOR),
        )
    )
    clock.set("2026-03-03T10:00:00+08:00")
    assert json.loads(run("tick", "--json").stdout)["notices"] == []
    assert listing(f"L-1-{LIST}")["state"] == "not_listed"
    assert decide(MINOR, "air_travel", "air.caac")[1]["decision"] == "allow"


def test_a_party_asking_for_a_purpose_it_is_not_registered_for_is_refused_and_logged(
    clock: Clock,
) -> None:
    code, refused = decide(ADULT, "air_travel", "rail.12306")
    assert (code, refused["decision"]) == (3, "refused")
    assert "not registered" in refused["reasons"][0]["text"]
    asked = json.loads(run("access", ADULT, "--json").stdout)
    assert [(a["who"], a["purpose"]) for a in asked] == [("rail.12306", "air_travel")]


def test_a_party_cannot_register_for_a_purpose_no_rulebook_names(clock: Clock) -> None:
    result = run("party", "add", "bank.x", "--purpose", "social_media_posting")
    assert result.exit_code == 2
    assert "no published rulebook has a consequence for social_media_posting" in result.stderr

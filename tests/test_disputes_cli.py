"""Disputes as a user drives them through the command: a wrong fine disputed, the source
notified, the entry removed when the source does not confirm it in time, the score
recovered, the caches following, and the relying party denied in between told."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from socialcredit.storage import open_store
from tests.cli_support import Clock, event, ingest, ndjson, run, score, store_with, verify
from tests.scenario import ADULT, OTHER_ADULT

HONOURS = "community_honours_nomination"


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return store_with(
        tmp_path,
        monkeypatch,
        ("init",),
        ("source", "add", "police.wendeng", "--allow", "public_order"),
        ("source", "add", "traffic.weihai", "--allow", "traffic"),
        ("source", "add", "court.wendeng", "--allow", "judicial"),
        ("party", "add", "honours.wendeng", "--purpose", HONOURS),
        ("party", "add", "air.caac", "--purpose", "air_travel"),
    )


def fine(i: int, day: str, type_: str, subject: str = ADULT) -> dict[str, Any]:
    return event(i, f"{day}T09:00:00+08:00", subject, source="police.wendeng", type=type_, data={})


def seat_hogging_record(tmp_path: Path) -> None:
    """Two seat-hogging fines and a parking ticket, then a wrong seat-hogging fine (tj-4):
    1000 - 50 - 50 - 5 - 50 = 845, grade C, which denies an honours nomination."""
    ingest(
        ndjson(
            tmp_path / "fines.ndjson",
            fine(1, "2025-11-10", "public_order.seat_hogging"),
            fine(2, "2025-12-15", "public_order.seat_hogging"),
            fine(3, "2026-01-05", "public_order.illegal_parking"),
            fine(4, "2026-02-20", "public_order.seat_hogging"),
        )
    )


def cli_json(*args: str) -> Any:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def wendeng(subject: str = ADULT) -> tuple[int, str]:
    found = score(subject, "--rulebook", "cn-371003-wendeng")
    return found["score"], found["grade"]


def decide(purpose: str, party: str, subject: str = ADULT) -> dict[str, Any]:
    result = run("decide", subject, purpose, "--party", party, "--json")
    assert result.stdout.strip(), result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def tick() -> dict[str, Any]:
    found: dict[str, Any] = cli_json("tick")["disputes"]
    return found


def open_dispute(event_id: str, source: str = "police.wendeng", *extra: str) -> dict[str, Any]:
    found: dict[str, Any] = cli_json(
        "dispute", "open", ADULT, "--source", source, "--event", event_id,
        "--grounds", "I was not on that train: the seat number was misread", *extra,
    )  # fmt: skip
    return found


def explained_entry(event_id: str) -> dict[str, Any]:
    explained = cli_json("explain", ADULT, "--rulebook", "cn-371003-wendeng")
    [entry] = [e for e in explained["entries"] if e["event_id"] == event_id]
    return entry


def case_actions(tmp_path: Path, kind: str) -> list[dict[str, Any]]:
    with open_store(tmp_path / "ledger.db") as store:
        found = store.case_actions_for([ADULT]).filter(pl.col("kind") == kind)
        return [{**row, "data": json.loads(row["data"])} for row in found.to_dicts()]


def deliveries(tmp_path: Path, ref: str) -> list[str]:
    with open_store(tmp_path / "ledger.db") as store:
        return store.deliveries_for([ref]).get_column("detail").to_list()


NOTHING = {"source_notices": [], "removals": [], "outcomes": [], "corrections": [], "rederived": []}


def test_a_wrong_fine_the_source_never_confirms_is_removed_after_day_30_and_the_party_told(
    clock: Clock, tmp_path: Path
) -> None:
    seat_hogging_record(tmp_path)
    assert wendeng() == (845, "C")
    before = decide(HONOURS, "honours.wendeng")  # denied before the dispute, on tj-4 among others
    assert before["decision"] == "deny"

    clock.set("2026-03-02T11:00:00+08:00")
    opened = open_dispute("tj-4")
    assert (opened["ref"], opened["state"], opened["rule"]) == (
        "X-4",
        "open",
        "public_order.seat_hogging",
    )
    assert (opened["notify_source_by"], opened["resolve_by"]) == ("2026-03-09", "2026-04-01")
    entry = explained_entry("tj-4")
    assert (entry["disputed"], entry["dispute"], entry["dispute_state"]) == (True, "X-4", "open")
    assert not explained_entry("tj-1")["disputed"]
    assert "[counts, disputed X-4: open]" in run("explain", ADULT).stdout
    assert wendeng() == (845, "C")  # disputed, the entry still counts

    clock.set("2026-03-03T09:00:00+08:00")
    assert tick()["source_notices"] == ["X-4"]
    assert tick() == NOTHING
    [told] = case_actions(tmp_path, "dispute.source_notified")
    assert told["data"]["to"] == "police.wendeng"
    assert told["data"]["answer_by"] == "2026-04-01"
    assert deliveries(tmp_path, "X-4") == ["dispute.source_notified to police.wendeng"]

    clock.set("2026-03-10T15:00:00+08:00")
    during = decide(HONOURS, "honours.wendeng")
    assert during["decision"] == "deny"
    [reason] = during["reasons"]
    assert reason["disputed"] == ["X-4"]
    assert "disputed by the subject: police.wendeng/tj-4 (X-4, source_notified)" in reason["text"]
    [flagged] = [b for b in reason["basis"] if b["event_id"] == "tj-4"]
    assert flagged["dispute"] == "X-4"

    clock.set("2026-04-01T23:00:00+08:00")  # the last of the 30 days: the entry still stands
    assert tick() == NOTHING
    assert wendeng() == (845, "C")

    clock.set("2026-04-02T09:00:00+08:00")
    assert wendeng() == (895, "B")  # the facts no longer give the entry...
    assert not verify()[1]["ok"]  # ...and the caches lag behind until the deadline job runs
    ticked = tick()
    assert ticked["removals"] == ["X-4"]
    assert ticked["outcomes"] == ["X-4"]
    assert ticked["rederived"] == [ADULT]
    corrected = {c["decision_id"]: c for c in ticked["corrections"]}
    assert set(corrected) == {before["decision_id"], during["decision_id"]}
    assert {c["party"] for c in corrected.values()} == {"honours.wendeng"}
    assert {c["decision_now"] for c in corrected.values()} == {"allow"}
    assert tick() == NOTHING
    code, checked = verify()
    assert (code, checked["ok"]) == (0, True), checked

    assert wendeng() == (895, "B")
    assert decide(HONOURS, "honours.wendeng")["decision"] == "allow"
    shown = cli_json("dispute", "show", "X-4")
    assert (shown["state"], shown["counts"], shown["resolved_at"]) == (
        "removed_unverified",
        False,
        "2026-04-02T00:00:00+08:00",
    )
    explained = cli_json("explain", ADULT, "--rulebook", "cn-371003-wendeng")
    assert "tj-4" not in {e["event_id"] for e in explained["entries"]}
    [removed] = [e for e in explained["not_scored"] if e["id"] == "tj-4"]
    assert removed["why"] == "removed by dispute X-4 (removed_unverified)"

    [outcome] = case_actions(tmp_path, "dispute.outcome_sent")
    assert (outcome["data"]["outcome"], outcome["data"]["effect"]) == (
        "removed_unverified",
        "the entry is removed",
    )
    notices = {
        n["data"]["decision_id"]: n for n in case_actions(tmp_path, "notice.decision_corrected")
    }
    notice = notices[during["decision_id"]]
    assert notice["data"]["to"] == "honours.wendeng"
    assert (notice["data"]["decision_was"], notice["data"]["decision_now"]) == ("deny", "allow")
    assert "police.wendeng/tj-4" in notice["data"]["what_changed"]
    assert notices[before["decision_id"]]["data"]["rested_on_record"]
    assert deliveries(tmp_path, notice["ref"]) == ["to honours.wendeng"]


def test_a_confirmed_entry_stands_shown_as_disputed_and_nobody_is_corrected(
    clock: Clock, tmp_path: Path
) -> None:
    seat_hogging_record(tmp_path)
    assert decide(HONOURS, "honours.wendeng")["decision"] == "deny"
    open_dispute("tj-4")
    clock.set("2026-03-05T10:00:00+08:00")
    answered = cli_json(
        "dispute", "answer", "X-4", "--confirm", "--reason", "ticket photo shows the subject"
    )
    assert (answered["state"], answered["counts"]) == ("confirmed", True)
    assert answered["tell_subject_by"] == "2026-03-12"
    ticked = tick()
    assert ticked["outcomes"] == ["X-4"]
    assert (ticked["corrections"], ticked["rederived"], ticked["removals"]) == ([], [], [])
    assert wendeng() == (845, "C")
    entry = explained_entry("tj-4")
    assert (entry["disputed"], entry["dispute_state"]) == (True, "confirmed")
    clock.set("2026-05-01T10:00:00+08:00")  # long past day 30: a confirmed entry stays
    assert tick() == NOTHING
    assert wendeng()[1] == "C"
    assert verify()[1]["ok"]


def test_a_withdrawn_entry_is_removed_at_once_and_the_caches_follow(
    clock: Clock, tmp_path: Path
) -> None:
    seat_hogging_record(tmp_path)
    clock.set("2026-03-03T10:00:00+08:00")
    denied = decide(HONOURS, "honours.wendeng")
    open_dispute("tj-4")
    clock.set("2026-03-04T10:00:00+08:00")
    answered = cli_json(
        "dispute", "answer", "X-4", "--withdraw", "--reason", "the seat number was misread"
    )
    assert (answered["state"], answered["counts"]) == ("withdrawn", False)
    assert wendeng() == (895, "B")
    assert verify()[1]["ok"]  # the answer re-derived the subject with it
    ticked = tick()
    assert ticked["source_notices"] == []  # answered before it was due: nothing to tell
    assert ticked["outcomes"] == ["X-4"]
    assert [c["decision_id"] for c in ticked["corrections"]] == [denied["decision_id"]]
    assert tick() == NOTHING
    again = run("dispute", "open", ADULT, "--source", "police.wendeng", "--event", "tj-4",
                "--grounds", "again")  # fmt: skip
    assert again.exit_code == 2
    assert "already removed by dispute X-4" in again.stderr


def test_the_reviewer_removes_an_unsubstantiated_entry_from_the_command(
    clock: Clock, tmp_path: Path
) -> None:
    seat_hogging_record(tmp_path)
    clock.set("2026-03-03T10:00:00+08:00")
    open_dispute("tj-4")
    both = run("dispute", "review", "X-4", "--remove", "--leave", "--reason", "r", "--by", "w")
    assert both.exit_code == 2
    assert "exactly one of --remove and --leave" in both.stderr
    left = cli_json("dispute", "review", "X-4", "--leave", "--reason", "ask the police",
                    "--by", "reviewer-wang")  # fmt: skip
    assert left["counts"] is True
    clock.set("2026-03-04T10:00:00+08:00")
    removed = cli_json("dispute", "review", "X-4", "--remove", "--reason", "no record of it",
                       "--by", "reviewer-wang")  # fmt: skip
    assert (removed["state"], removed["counts"]) == ("removed_by_reviewer", False)
    assert wendeng() == (895, "B")
    assert verify()[1]["ok"]
    assert tick()["outcomes"] == ["X-4"]
    again = run("dispute", "review", "X-4", "--leave", "--reason", "r", "--by", "w")
    assert again.exit_code == 2
    assert "already resolved" in again.stderr


def test_information_added_within_30_days_gives_the_source_45(clock: Clock, tmp_path: Path) -> None:
    seat_hogging_record(tmp_path)
    open_dispute("tj-4")
    clock.set("2026-03-20T10:00:00+08:00")
    informed = cli_json("dispute", "inform", "X-4", "--info", "my ticket for another train")
    assert informed["resolve_by"] == "2026-04-16"
    clock.set("2026-04-02T09:00:00+08:00")
    assert tick()["removals"] == []
    assert wendeng() == (845, "C")
    clock.set("2026-04-16T23:59:00+08:00")
    assert tick()["removals"] == []
    clock.set("2026-04-17T00:00:00+08:00")
    assert tick()["removals"] == ["X-4"]
    assert wendeng() == (895, "B")
    assert verify()[1]["ok"]


def test_caches_made_after_a_removal_leave_the_event_out(clock: Clock, tmp_path: Path) -> None:
    seat_hogging_record(tmp_path)
    open_dispute("tj-4")
    clock.set("2026-04-05T10:00:00+08:00")
    tick()
    ingest(ndjson(tmp_path / "more.ndjson", fine(5, "2026-04-04", "public_order.illegal_parking")))
    assert wendeng() == (885, "B")  # -10: a second parking ticket doubles
    assert verify()[1]["ok"]
    with open_store(tmp_path / "ledger.db") as store:
        cached = store.entries_for([ADULT], scheme="cn-371003-wendeng")
    assert "tj-4" not in cached.get_column("event_id").to_list()
    changes = cli_json("recompute")
    assert [(c["score_changed"], c["grade_changed"]) for c in changes] == [(0, 0), (0, 0)]
    assert verify()[1]["ok"]


def test_a_court_listing_event_withdrawn_on_dispute_lists_nobody(
    clock: Clock, tmp_path: Path
) -> None:
    listed = event(1, "2026-03-02T09:00:00+08:00", source="court.wendeng",
                   type="court.defaulter_listed", data={"case_no": "c-1"})  # fmt: skip
    ingest(ndjson(tmp_path / "court.ndjson", listed))
    opened = open_dispute("tj-1", "court.wendeng")
    assert opened["rule"] == "court.defaulter_listed"
    cli_json("dispute", "answer", "X-1", "--withdraw", "--reason", "wrong person: namesake")
    clock.set("2026-03-20T10:00:00+08:00")
    assert cli_json("tick")["notices"] == []
    assert cli_json("listing", "show", ADULT) == []
    assert decide("air_travel", "air.caac")["decision"] == "allow"


def test_a_dispute_needs_an_event_of_the_subject_and_one_at_a_time(
    clock: Clock, tmp_path: Path
) -> None:
    seat_hogging_record(tmp_path)
    ingest(
        ndjson(tmp_path / "other.ndjson", fine(9, "2026-01-05", "public_order.noise", OTHER_ADULT))
    )
    for event_id, source in (("tj-9", "police.wendeng"), ("nope", "police.wendeng"), ("tj-4", "x")):
        refused = run("dispute", "open", ADULT, "--source", source, "--event", event_id,
                      "--grounds", "not mine")  # fmt: skip
        assert refused.exit_code == 2
        assert f"{ADULT} has no event {source}/{event_id}" in refused.stderr
    open_dispute("tj-4")
    twice = run("dispute", "open", ADULT, "--source", "police.wendeng", "--event", "tj-4",
                "--grounds", "twice")  # fmt: skip
    assert twice.exit_code == 2
    assert "already disputed: X-4 (open)" in twice.stderr
    neither = run("dispute", "answer", "X-4", "--reason", "?")
    assert neither.exit_code == 2
    early = run("dispute", "inform", "X-4", "--info", "x", "--at", "2026-03-01T10:00:00+08:00")
    assert early.exit_code == 2
    assert "before dispute X-4 was opened" in early.stderr
    assert [d["ref"] for d in cli_json("dispute", "show", ADULT)] == ["X-4"]
    assert run("dispute", "show", "X-99").exit_code == 2

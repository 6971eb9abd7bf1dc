"""Credit repair as a subject and an authority drive it through the command: a listed
defaulter applies with a commitment and proof, the platform answers and the authority
approves within their working-day deadlines, the listing comes off and decisions allow
again; an approved repair of a penalty entry ends it at the approval, and the score
recovers from then on; late answers are reported as overdue."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from socialcredit.services.eligibility import eligibility_from_store
from socialcredit.services.repair import repair_deadlines
from socialcredit.storage import open_store
from tests.cli_support import Clock, event, ingest, ndjson, run, score, store_with, verify
from tests.scenario import ADULT, OTHER_ADULT

LIST = "dishonest-judgment-defaulters"
HONOURS = "community_honours_nomination"
REF = f"L-1-{LIST}"


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return store_with(
        tmp_path,
        monkeypatch,
        ("init",),
        ("source", "add", "court.wendeng", "--allow", "judicial"),
        ("source", "add", "traffic.weihai", "--allow", "traffic"),
        ("source", "add", "police.wendeng", "--allow", "public_order"),
        ("party", "add", "rail.12306", "--purpose", "rail_g_train"),
        ("party", "add", "honours.wendeng", "--purpose", HONOURS),
    )


def ok(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def rail(subject: str = ADULT) -> str:
    result = run("decide", subject, "rail_g_train", "--party", "rail.12306", "--json")
    return str(json.loads(result.stdout)["decision"])


def listed(clock: Clock, tmp_path: Path, subject: str = ADULT) -> None:
    """A defaulter listing noticed on 3 March 2026, in effect from 14 March."""
    trigger = event(
        1,
        "2026-03-02T09:00:00+08:00",
        subject,
        source="court.wendeng",
        type="court.defaulter_listed",
        data={"case_no": "c-1"},
    )
    ingest(ndjson(tmp_path / "court.ndjson", trigger))
    clock.set("2026-03-03T10:00:00+08:00")
    assert ok("tick")["notices"] == [REF]


def approved(clock: Clock, target: str, subject: str, at: str | None = None) -> str:
    """A repair of `target` applied for, accepted and approved (at `at` if given); its ref."""
    app = str(
        ok("repair", "apply", target, "--subject", subject, "--commitment", "c", "--proof", "p")[
            "application"
        ]
    )
    ok("repair", "accept", app, "--by", "credit-china")
    if at is not None:
        clock.set(at)
    ok("repair", "decide", app, "--approve", "--reason", "paid", "--by", "traffic-office")
    return app


def deadlines(tmp_path: Path, now: str) -> list[str]:
    with open_store(tmp_path / "ledger.db") as store:
        return repair_deadlines(store, datetime.fromisoformat(now))


def test_an_approved_repair_takes_a_listing_off_and_decisions_allow_again(
    clock: Clock, tmp_path: Path
) -> None:
    listed(clock, tmp_path)
    clock.set("2026-03-16T09:00:00+08:00")
    assert rail() == "deny"

    clock.set("2026-03-17T09:00:00+08:00")
    applied = ok(
        "repair", "apply", REF, "--commitment", "I will honour judgments", "--proof", "receipt 7"
    )
    app = applied["application"]
    assert (applied["state"], applied["subject"], applied["target"]) == (
        "applied",
        ADULT,
        {"listing": REF},
    )
    # Ten working days from Tuesday 17 March: the platform answers by Tuesday 31 March.
    assert applied["answer_by"] == "2026-04-01T00:00:00+08:00"
    assert applied["owed"]["what"] == "the platform must answer"
    assert rail() == "deny"  # applying alone changes nothing

    clock.set("2026-03-18T10:00:00+08:00")
    accepted = ok("repair", "accept", app, "--by", "credit-china")
    # Three working days from Wednesday 18 March: the authority decides by Monday 23 March.
    assert (accepted["state"], accepted["decide_by"]) == ("accepted", "2026-03-24T00:00:00+08:00")

    clock.set("2026-03-20T15:00:00+08:00")
    approved = ok(
        "repair", "decide", app, "--approve", "--reason", "judgment performed", "--by", "judge-li"
    )
    assert approved["state"] == "approved"
    assert approved["decision"]["by"] == "judge-li"
    assert approved["overdue"] is False
    assert ok("listing", "get", REF)["state"] == "removed"
    assert rail() == "allow"

    [shown] = json.loads(run("repair", "show", ADULT, "--json").stdout)
    assert (shown["application"], shown["state"], shown["owed"]) == (app, "approved", None)
    [notice] = json.loads(run("outbox", "show", ADULT, "--json").stdout)[-1:]
    assert (notice["kind"], notice["ref"]) == ("notice.repair_decision", app)
    assert [(d["channel"], d["status"]) for d in notice["deliveries"]] == [("inbox", "sent")]
    assert deadlines(tmp_path, "2026-06-01T00:00:00+08:00") == []


def test_a_listing_cannot_be_repaired_before_it_takes_effect(clock: Clock, tmp_path: Path) -> None:
    listed(clock, tmp_path)
    early = run("repair", "apply", REF, "--commitment", "c", "--proof", "p")
    assert early.exit_code == 2
    assert "not in effect" in early.stderr
    assert "listing appeal" in early.stderr


def test_a_repair_is_decided_once_and_applied_for_once(clock: Clock, tmp_path: Path) -> None:
    listed(clock, tmp_path)
    clock.set("2026-03-17T09:00:00+08:00")
    app = ok("repair", "apply", REF, "--commitment", "c", "--proof", "p")["application"]
    twice = run("repair", "apply", REF, "--commitment", "c", "--proof", "p")
    assert twice.exit_code == 2
    assert f"{app} already asks to repair listing {REF}" in twice.stderr
    neither = run("repair", "decide", app, "--reason", "r", "--by", "b")
    assert neither.exit_code == 2
    rejected = ok("repair", "decide", app, "--reject", "--reason", "no proof", "--by", "judge-li")
    assert rejected["state"] == "rejected"
    assert ok("listing", "get", REF)["state"] == "effective"
    again = run("repair", "decide", app, "--approve", "--reason", "r", "--by", "b")
    assert again.exit_code == 2
    assert "already rejected by judge-li" in again.stderr
    # Once decided, a new application may be made.
    assert ok("repair", "apply", REF, "--commitment", "c2", "--proof", "p2")["state"] == "applied"


def test_late_answers_and_decisions_are_reported_as_overdue(clock: Clock, tmp_path: Path) -> None:
    listed(clock, tmp_path)
    # Filed on Wednesday 1 April 2026; Qingming (4-6 April) is not a working day, so the
    # tenth working day after is Thursday 16 April.
    applied = ok(
        "repair", "apply", REF, "--commitment", "c", "--proof", "p",
        "--at", "2026-04-01T11:00:00+08:00",
    )  # fmt: skip
    app = applied["application"]
    assert applied["answer_by"] == "2026-04-17T00:00:00+08:00"
    assert deadlines(tmp_path, "2026-04-16T23:59:00+08:00") == []
    [late] = deadlines(tmp_path, "2026-04-17T00:00:00+08:00")
    assert late.startswith(f"{app} ({ADULT}, listing {REF}): the platform must answer by")
    assert late.endswith("overdue")

    clock.set("2026-04-17T09:00:00+08:00")
    accepted = ok("repair", "accept", app, "--by", "credit-china")
    assert accepted["decide_by"] == "2026-04-23T00:00:00+08:00"  # by Wednesday 22 April
    assert deadlines(tmp_path, "2026-04-22T12:00:00+08:00") == []
    [late] = deadlines(tmp_path, "2026-04-23T08:00:00+08:00")
    assert "the authority must decide by 2026-04-23T00:00:00+08:00" in late
    assert json.loads(run("repair", "show", ADULT, "--json").stdout)[0]["overdue"] is False
    clock.set("2026-04-24T09:00:00+08:00")
    assert json.loads(run("repair", "show", ADULT, "--json").stdout)[0]["overdue"] is True


def test_an_approved_entry_repair_ends_the_fine_at_the_approval_and_the_score_recovers(
    clock: Clock, tmp_path: Path
) -> None:
    fine = event(5, "2026-02-10T09:00:00+08:00", OTHER_ADULT)
    ingest(ndjson(tmp_path / "fine.ndjson", fine))
    before = score(OTHER_ADULT)["score"]
    assert before == 980
    missing = run("repair", "apply", "traffic.weihai/tj-5", "--commitment", "c", "--proof", "p")
    assert missing.exit_code == 2
    assert "--subject" in missing.stderr
    applied = ok(
        "repair", "apply", "traffic.weihai/tj-5", "--subject", OTHER_ADULT,
        "--commitment", "I will drive within the rules", "--proof", "fine paid",
    )  # fmt: skip
    assert applied["target"]["entries"] == [
        {"scheme": "cn-371003-wendeng", "rule": "traffic.fine", "points": -20, "grade": None}
    ]
    app = applied["application"]
    clock.set("2026-03-04T10:30:00+08:00")
    ok("repair", "accept", app, "--by", "credit-china")
    assert score(OTHER_ADULT)["score"] == before  # accepting alone changes nothing
    clock.set("2026-03-05T16:00:00+08:00")
    decided = ok(
        "repair", "decide", app, "--approve", "--reason", "corrected", "--by", "traffic-office"
    )
    assert decided["state"] == "approved"
    [notice] = json.loads(run("outbox", "show", OTHER_ADULT, "--json").stdout)
    assert notice["kind"] == "notice.repair_decision"
    assert notice["data"]["effect"] == (
        "entry traffic.weihai/tj-5 no longer counts from 2026-03-05T16:00:00+08:00"
    )

    # The fine counts up to the approval, and not from it on.
    assert score(OTHER_ADULT)["score"] == 1000
    assert score(OTHER_ADULT, "--as-of", "2026-03-05T15:59:00+08:00")["score"] == before
    assert score(OTHER_ADULT, "--as-of", "2026-03-05T16:00:00+08:00")["score"] == 1000
    assert score(OTHER_ADULT, "--as-of", "2026-02-20")["score"] == before
    explained = json.loads(run("explain", OTHER_ADULT, "--json").stdout)
    [entry] = [e for e in explained["entries"] if e["event_id"] == "tj-5"]
    assert (entry["ended_at"], entry["ended_by"], entry["counts"]) == (
        "2026-03-05T16:00:00+08:00",
        app,
        False,
    )
    # The caches were re-derived with the approval: verify finds nothing to say.
    code, verified = verify()
    assert code == 0, verified
    # Ended, the fine is nothing left to repair.
    again = run(
        "repair", "apply", "traffic.weihai/tj-5", "--subject", OTHER_ADULT, "--commitment", "c",
        "--proof", "p",
    )  # fmt: skip
    assert again.exit_code == 2
    assert "no penalty that counts" in again.stderr


def test_a_later_event_keeps_the_repaired_fine_ended_in_the_caches(
    clock: Clock, tmp_path: Path
) -> None:
    ingest(ndjson(tmp_path / "a.ndjson", event(5, "2026-02-10T09:00:00+08:00", OTHER_ADULT)))
    approved(clock, "traffic.weihai/tj-5", OTHER_ADULT)
    clock.set("2026-03-10T09:00:00+08:00")
    # A warning ingested after the approval: the fine stays ended in every cache.
    warning = event(6, "2026-03-09T09:00:00+08:00", OTHER_ADULT, type="traffic.warning", data={})
    ingest(ndjson(tmp_path / "b.ndjson", warning))
    assert score(OTHER_ADULT)["score"] == 995
    code, verified = verify()
    assert code == 0, verified
    assert ok("recompute")  # and a full recompute gives the same caches
    assert verify()[0] == 0


def test_a_fine_after_the_approval_is_not_doubled_by_the_repaired_one(
    clock: Clock, tmp_path: Path
) -> None:
    ingest(ndjson(tmp_path / "a.ndjson", event(5, "2026-02-10T09:00:00+08:00", OTHER_ADULT)))
    approved(clock, "traffic.weihai/tj-5", OTHER_ADULT, at="2026-03-05T16:00:00+08:00")
    clock.set("2026-04-02T09:00:00+08:00")
    # Within a year of the first fine, but after its repair: a first offence again.
    ingest(ndjson(tmp_path / "b.ndjson", event(6, "2026-04-01T09:00:00+08:00", OTHER_ADULT)))
    explained = json.loads(run("explain", OTHER_ADULT, "--json").stdout)
    [second] = [e for e in explained["entries"] if e["event_id"] == "tj-6"]
    assert (second["applied_points"], second["doubled"]) == (-20, False)
    assert score(OTHER_ADULT)["score"] == 980
    assert verify()[0] == 0
    # Before the approval the same fine would have been doubled.
    early = event(7, "2026-03-01T09:00:00+08:00", OTHER_ADULT)
    ingest(ndjson(tmp_path / "c.ndjson", early))
    explained = json.loads(run("explain", OTHER_ADULT, "--json").stdout)
    [third] = [e for e in explained["entries"] if e["event_id"] == "tj-7"]
    assert (third["applied_points"], third["doubled"]) == (-40, True)


def test_an_approved_repair_of_a_direct_grade_applies_the_rules_conversion(
    clock: Clock, tmp_path: Path
) -> None:
    listed(clock, tmp_path)
    assert score(ADULT)["grade"] == "D"
    app = approved(clock, "court.wendeng/tj-1", ADULT, at="2026-03-06T10:00:00+08:00")
    # As the rule's repair event would: the D ends at the approval, -50 for two years.
    explained = json.loads(run("explain", ADULT, "--json").stdout)
    [grade] = [e for e in explained["entries"] if e["kind"] == "grade"]
    assert (grade["ended_at"], grade["ended_by"]) == ("2026-03-06T10:00:00+08:00", app)
    [conversion] = [e for e in explained["entries"] if e["kind"] == "repair"]
    assert (conversion["event_id"], conversion["rule"], conversion["applied_points"]) == (
        app,
        "court.defaulter_listed",
        -50,
    )
    assert conversion["valid_until"] == "2028-03-06T10:00:00+08:00"
    assert (score(ADULT)["score"], score(ADULT)["grade"]) == (950, "B")
    assert verify()[0] == 0


def test_decisions_and_the_eligibility_table_see_the_repair_from_its_approval_on(
    clock: Clock, tmp_path: Path
) -> None:
    # 1000 - 50 - 50 - 5 - 50 = 845, grade C: an honours nomination is denied.
    fines = [
        event(i, f"{day}T09:00:00+08:00", source="police.wendeng", type=kind, data={})
        for i, day, kind in (
            (1, "2025-11-10", "public_order.seat_hogging"),
            (2, "2025-12-15", "public_order.seat_hogging"),
            (3, "2026-01-05", "public_order.illegal_parking"),
            (4, "2026-02-20", "public_order.seat_hogging"),
        )
    ]
    ingest(ndjson(tmp_path / "fines.ndjson", *fines))
    assert score(ADULT)["grade"] == "C"
    app = ok(
        "repair", "apply", "police.wendeng/tj-4", "--subject", ADULT, "--commitment", "c",
        "--proof", "apology and fine paid",
    )["application"]  # fmt: skip
    ok("repair", "accept", app, "--by", "credit-china")
    clock.set("2026-03-03T09:00:00+08:00")
    ok("repair", "decide", app, "--approve", "--reason", "repaired", "--by", "police-office")

    def honours(*as_of: str) -> dict[str, Any]:
        result = run("decide", ADULT, HONOURS, "--party", "honours.wendeng", "--json", *as_of)
        found: dict[str, Any] = json.loads(result.stdout)
        return found

    allowed = honours()
    assert (allowed["decision"], score(ADULT)["grade"]) == ("allow", "B")
    assert "tj-4" not in {b["event_id"] for r in allowed["reasons"] for b in r["basis"]}
    denied = honours("--as-of", "2026-03-03T08:59:00+08:00")
    assert denied["decision"] == "deny"
    assert "tj-4" in {b["event_id"] for r in denied["reasons"] for b in r["basis"]}
    with open_store(tmp_path / "ledger.db") as store:
        now = eligibility_from_store(store, datetime.fromisoformat("2026-03-03T09:00:00+08:00"))
        before = eligibility_from_store(store, datetime.fromisoformat("2026-03-03T08:00:00+08:00"))
    assert (now.decide_one(ADULT, HONOURS), before.decide_one(ADULT, HONOURS)) == (
        "allow",
        "deny",
    )


def test_a_fine_that_expired_before_the_approval_keeps_its_own_end(
    clock: Clock, tmp_path: Path
) -> None:
    ingest(ndjson(tmp_path / "a.ndjson", event(5, "2026-02-10T09:00:00+08:00", OTHER_ADULT)))
    app = ok(
        "repair", "apply", "traffic.weihai/tj-5", "--subject", OTHER_ADULT, "--commitment", "c",
        "--proof", "p", "--at", "2027-02-08T10:00:00+08:00",
    )["application"]  # fmt: skip
    # The fine's year runs out on 10 February 2027, before the authority decides.
    decided = ok(
        "repair", "decide", app, "--approve", "--reason", "paid", "--by", "traffic-office",
        "--at", "2027-02-11T10:00:00+08:00",
    )  # fmt: skip
    assert decided["state"] == "approved"
    [notice] = json.loads(run("outbox", "show", OTHER_ADULT, "--json").stdout)
    assert "had stopped counting before the approval" in notice["data"]["effect"]
    explained = json.loads(run("explain", OTHER_ADULT, "--json").stdout)
    [entry] = [e for e in explained["entries"] if e["event_id"] == "tj-5"]
    assert (entry["valid_until"], entry["ended_at"], entry["ended_by"]) == (
        "2027-02-10T09:00:00+08:00",
        None,
        None,
    )
    assert verify()[0] == 0


def test_a_rejected_entry_repair_leaves_the_fine_counting(clock: Clock, tmp_path: Path) -> None:
    ingest(ndjson(tmp_path / "a.ndjson", event(5, "2026-02-10T09:00:00+08:00", OTHER_ADULT)))
    app = ok(
        "repair", "apply", "traffic.weihai/tj-5", "--subject", OTHER_ADULT, "--commitment", "c",
        "--proof", "p",
    )["application"]  # fmt: skip
    ok("repair", "decide", app, "--reject", "--reason", "no proof", "--by", "traffic-office")
    assert score(OTHER_ADULT)["score"] == 980
    assert verify()[0] == 0


def test_only_a_penalty_that_still_counts_can_be_repaired(clock: Clock, tmp_path: Path) -> None:
    unknown = run(
        "repair", "apply", "traffic.weihai/nope", "--subject", ADULT, "--commitment", "c",
        "--proof", "p",
    )  # fmt: skip
    assert unknown.exit_code == 2
    assert "no event 'traffic.weihai/nope'" in unknown.stderr
    old = event(7, "2024-01-10T09:00:00+08:00")
    ingest(ndjson(tmp_path / "old.ndjson", old))
    expired = run(
        "repair", "apply", "traffic.weihai/tj-7", "--subject", ADULT, "--commitment", "c",
        "--proof", "p",
    )  # fmt: skip
    assert expired.exit_code == 2
    assert "no penalty that counts" in expired.stderr

"""Red lists and grade-based privileges as a user drives them through the command: the tax
bureau names a model taxpayer, who is on the red list at once (an honour needs no notice),
a relying party's privilege follows the listing while it is in effect, and the listing ends
when its period runs out or a removal event takes the subject off. The red list comes from
a test rulebook (tests/data/redlists) that extends the bundled Wendeng pack."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from socialcredit.services.eligibility import eligibility_from_store
from socialcredit.storage import open_store
from tests.cli_support import Clock, event, ingest, ndjson, run, store_with, verify
from tests.conftest import DATA
from tests.scenario import ADULT, MINOR, OTHER_ADULT

LIST = "model-taxpayers"
REF = f"L-1-{LIST}"
PROCUREMENT = "public_procurement"
DISCOUNTS = "merchant_discounts"


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return store_with(
        tmp_path,
        monkeypatch,
        ("init",),
        ("rulebook", "publish", str(DATA / "redlists" / "2026.1.toml")),
        ("source", "add", "tax.weihai", "--allow", "tax"),
        ("source", "add", "civic.wendeng", "--allow", "civic"),
        ("party", "add", "procurement.weihai", "--purpose", PROCUREMENT),
        ("party", "add", "mall.wendeng", "--purpose", DISCOUNTS),
    )


def tax(i: int, when: str, type_: str, subject: str = ADULT) -> dict[str, Any]:
    return event(i, when, subject, source="tax.weihai", type=type_, data={})


def named(tmp_path: Path, subject: str = ADULT, when: str = "2026-03-02T09:00:00+08:00") -> None:
    """The tax bureau names the subject a model taxpayer (by default on 2 March 2026)."""
    named_at = tax(1, when, "tax.model_taxpayer_named", subject)
    ingest(ndjson(tmp_path / "named.ndjson", named_at))


def decide(subject: str, purpose: str, party: str, *as_of: str) -> dict[str, Any]:
    result = run("decide", subject, purpose, "--party", party, "--json", *as_of)
    assert result.stdout.strip(), result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def procurement(subject: str = ADULT, *as_of: str) -> str:
    return str(decide(subject, PROCUREMENT, "procurement.weihai", *as_of)["decision"])


def table(tmp_path: Path, when: str) -> Any:
    with open_store(tmp_path / "ledger.db") as store:
        return eligibility_from_store(store, datetime.fromisoformat(when))


def listings(subject: str, *as_of: str) -> list[dict[str, Any]]:
    result = run("listing", "show", subject, "--json", *as_of)
    assert result.exit_code == 0, result.output
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def test_a_model_taxpayer_is_on_the_red_list_at_once_and_gets_the_privilege(
    clock: Clock, tmp_path: Path
) -> None:
    assert procurement() == "deny"  # a privilege: nobody holds it before being listed
    named(tmp_path)
    [shown] = listings(ADULT)
    assert (shown["ref"], shown["kind"], shown["state"], shown["in_effect"]) == (
        REF,
        "red",
        "effective",
        True,
    )
    assert shown["notice"] is None
    assert shown["effective_from"] == "2026-03-02 09:00:00"
    assert shown["ends"] == "2027-03-02 09:00:00"
    assert [s["state"] for s in shown["steps"]] == ["proposed", "effective"]
    # An honour is served no notice and waits for no appeal window.
    ticked = json.loads(run("tick", "--json").stdout)
    assert ticked["notices"] == []

    allowed = decide(ADULT, PROCUREMENT, "procurement.weihai")
    assert allowed["decision"] == "allow"
    [reason] = allowed["reasons"]
    assert (reason["effect"], reason["holds"]) == ("allow", True)
    assert REF in reason["text"]
    assert reason["basis"][0]["source"] == "tax.weihai"
    assert procurement(OTHER_ADULT) == "deny"
    assert procurement(ADULT, "--as-of", "2026-03-02T08:59:00+08:00") == "deny"
    # The warm-cache table gives the same answers.
    now = table(tmp_path, "2026-03-02T10:00:00+08:00")
    assert now.decide_one(ADULT, PROCUREMENT) == "allow"
    assert now.decide_one(OTHER_ADULT, PROCUREMENT) == "deny"
    # A denial of a privilege still tells the subject why.
    adverse = [
        n
        for n in json.loads(run("notices", OTHER_ADULT, "--json").stdout)
        if n["kind"] == "notice.adverse_action"
    ]
    assert "not on the list model-taxpayers" in adverse[0]["data"]["key_factors"][0]
    assert verify()[0] == 0


def test_a_red_listing_expires_after_its_period(clock: Clock, tmp_path: Path) -> None:
    named(tmp_path)
    assert procurement(ADULT, "--as-of", "2027-03-02T08:59:00+08:00") == "allow"
    assert procurement(ADULT, "--as-of", "2027-03-02T09:00:00+08:00") == "deny"
    [expired] = listings(ADULT, "--as-of", "2027-03-03")
    assert (expired["state"], expired["in_effect"]) == ("expired", False)
    assert "the 1y period ended" in expired["steps"][-1]["reason"]
    later = table(tmp_path, "2027-03-03T00:00:00+08:00")
    assert later.decide_one(ADULT, PROCUREMENT) == "deny"


def test_a_removal_event_takes_the_subject_off_the_red_list_at_once(
    clock: Clock, tmp_path: Path
) -> None:
    named(tmp_path)
    clock.set("2026-06-01T12:00:00+08:00")
    found = tax(2, "2026-06-01T11:00:00+08:00", "tax.evasion_found")
    ingest(ndjson(tmp_path / "evasion.ndjson", found))
    [removed] = listings(ADULT)
    assert (removed["state"], removed["in_effect"]) == ("removed", False)
    assert removed["steps"][-1]["cause"] == "tax.weihai/tj-2"
    assert procurement() == "deny"
    assert procurement(ADULT, "--as-of", "2026-06-01T10:59:00+08:00") == "allow"
    assert table(tmp_path, "2026-06-01T12:00:00+08:00").decide_one(ADULT, PROCUREMENT) == "deny"


def test_a_minor_is_never_put_on_a_red_list(clock: Clock, tmp_path: Path) -> None:
    named(tmp_path, MINOR, "2025-06-01T09:00:00+08:00")  # 17 then
    [shown] = listings(MINOR)
    assert (shown["state"], shown["in_effect"]) == ("not_listed", False)
    assert procurement(MINOR) == "deny"


def test_a_grade_based_privilege_follows_the_grade(clock: Clock, tmp_path: Path) -> None:
    award = event(
        3,
        "2026-02-01T09:00:00+08:00",
        OTHER_ADULT,
        source="civic.wendeng",
        type="civic.award",
        data={"level": "prefecture"},
    )
    ingest(ndjson(tmp_path / "award.ndjson", award))
    # 1000 + 30 = 1030, grade AA: merchant discounts are for AA and above.
    mall = decide(OTHER_ADULT, DISCOUNTS, "mall.wendeng")
    assert mall["decision"] == "allow"
    assert mall["reasons"][0]["text"].startswith("grade AA ")
    assert decide(ADULT, DISCOUNTS, "mall.wendeng")["decision"] == "deny"
    # The prefecture award counts two years; after it the grade, and the privilege, go.
    later = decide(OTHER_ADULT, DISCOUNTS, "mall.wendeng", "--as-of", "2028-02-02")
    assert later["decision"] == "deny"
    now = table(tmp_path, "2026-03-02T10:00:00+08:00")
    assert (now.decide_one(OTHER_ADULT, DISCOUNTS), now.decide_one(ADULT, DISCOUNTS)) == (
        "allow",
        "deny",
    )

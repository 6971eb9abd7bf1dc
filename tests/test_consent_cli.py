"""Consent to the opt-in civic rewards scheme, as a subject gives and withdraws it through the
command: nobody is scored without it, records are kept whatever it says, and withdrawing
stops scoring from then on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import socialcredit
from tests.cli_support import Clock, event, ingest, ndjson, run, store_with, verify
from tests.scenario import ADULT

SCHEME = "civic-rewards"
PACKS = Path(socialcredit.__file__).parent / "rulebooks"


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return store_with(
        tmp_path,
        monkeypatch,
        ("init",),
        ("source", "add", "blood.weihai", "--allow", "health_donation"),
        ("party", "add", "metro.weihai", "--purpose", "transit_discount"),
    )


def donation(i: int, when: str) -> dict[str, Any]:
    return event(i, when, source="blood.weihai", type="health.blood_donation", data={})


def civic(as_of: str) -> dict[str, Any]:
    """The subject's standing under the civic rewards scheme as of a moment."""
    result = run("score", ADULT, "--rulebook", SCHEME, "--as-of", as_of, "--json")
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def consent(action: str, at: str, rulebook: str = SCHEME) -> Any:
    return run("consent", action, ADULT, "--rulebook", rulebook, "--at", at, "--json")


def test_scoring_starts_with_consent_and_stops_when_it_is_withdrawn(
    clock: Clock, tmp_path: Path
) -> None:
    ingest(
        ndjson(
            tmp_path / "a.ndjson",
            donation(1, "2026-03-01T10:00:00+08:00"),
            donation(2, "2026-03-02T10:00:00+08:00"),
        )
    )
    before = civic("2026-03-04")
    assert (before["scored"], before["score"]) == (False, None)
    recorded = json.loads(run("explain", ADULT, "--rulebook", SCHEME, "--json").stdout)
    assert [e["event_id"] for e in recorded["entries"]] == ["tj-1", "tj-2"]

    given = consent("give", "2026-03-05T09:00:00+08:00")
    assert given.exit_code == 0, given.output
    assert json.loads(given.stdout)["consenting"]
    assert civic("2026-03-04")["scored"] is False  # consent does not reach back
    after = civic("2026-03-06")
    assert (after["scored"], after["score"], after["grade"]) == (True, 20, "bronze")
    clock.set("2026-03-06T10:00:00+08:00")
    allowed = run("decide", ADULT, "transit_discount", "--party", "metro.weihai", "--json")
    assert json.loads(allowed.stdout)["decision"] == "allow"

    withdrawn = consent("withdraw", "2026-04-01T09:00:00+08:00")
    assert withdrawn.exit_code == 0, withdrawn.output
    assert civic("2026-03-20")["score"] == 20  # the consenting past stays as it was
    later = civic("2026-04-02")
    assert (later["scored"], later["score"], later["grade"]) == (False, None, None)
    kept = json.loads(
        run("explain", ADULT, "--rulebook", SCHEME, "--as-of", "2026-04-02", "--json").stdout
    )
    assert [e["event_id"] for e in kept["entries"]] == ["tj-1", "tj-2"]
    assert not kept["scored"]
    clock.set("2026-04-02T10:00:00+08:00")
    denied = run("decide", ADULT, "transit_discount", "--party", "metro.weihai", "--json")
    assert json.loads(denied.stdout)["decision"] == "deny"
    assert "not scored" in json.loads(denied.stdout)["reasons"][0]["text"]

    shown = json.loads(run("consent", "show", ADULT, "--json").stdout)
    assert [(c["rulebook"], c["consenting"]) for c in shown] == [(SCHEME, False)]
    assert [s["type"] for s in shown[0]["steps"]] == ["consent.given", "consent.withdrawn"]
    assert {s["source"] for s in shown[0]["steps"]} == {"self"}
    assert verify()[0] == 0


def test_consent_is_hash_chained_from_the_subjects_own_source(clock: Clock) -> None:
    assert consent("give", "2026-03-05T09:00:00+08:00").exit_code == 0
    sources = {s["id"]: s for s in json.loads(run("source", "list", "--json").stdout)}
    assert sources["self"]["trust"] == "high"
    assert sources["self"]["allowed"] == ["consent.given", "consent.withdrawn"]
    code, checked = verify()
    assert code == 0, checked
    # Consent alone scores nothing yet: a member with no records.
    assert civic("2026-03-06")["score"] == 0


def test_a_mandatory_scheme_refuses_consent_it_does_not_need(clock: Clock) -> None:
    refused = consent("give", "2026-03-05T09:00:00+08:00", rulebook="cn-371003-wendeng")
    assert refused.exit_code == 2
    assert "cn-371003-wendeng is a mandatory scheme" in refused.stderr
    assert "needs no consent" in refused.stderr
    unknown = consent("give", "2026-03-05T09:00:00+08:00", rulebook="loyalty-x")
    assert unknown.exit_code == 2
    assert "opt-in schemes: civic-rewards" in unknown.stderr


def test_consent_cannot_be_given_twice_or_withdrawn_when_not_given(clock: Clock) -> None:
    nothing = consent("withdraw", "2026-03-05T09:00:00+08:00")
    assert nothing.exit_code == 2
    assert "nothing to withdraw" in nothing.stderr
    assert consent("give", "2026-03-05T09:00:00+08:00").exit_code == 0
    again = consent("give", "2026-03-06T09:00:00+08:00")
    assert again.exit_code == 2
    assert "already consents" in again.stderr


def test_consent_to_one_opt_in_scheme_is_not_consent_to_another_of_its_jurisdiction(
    clock: Clock, tmp_path: Path
) -> None:
    bundled = next((PACKS / SCHEME).glob("*.toml")).read_text(encoding="utf-8")
    other = tmp_path / "civic-two.toml"
    other.write_text(bundled.replace(f'id = "{SCHEME}"', 'id = "civic-two"', 1))
    published = run("rulebook", "publish", str(other))
    assert published.exit_code == 0, published.output
    ingest(ndjson(tmp_path / "a.ndjson", donation(1, "2026-03-01T10:00:00+08:00")))
    assert consent("give", "2026-03-05T09:00:00+08:00").exit_code == 0
    assert civic("2026-03-06")["scored"] is True
    two = run("score", ADULT, "--rulebook", "civic-two", "--as-of", "2026-03-06", "--json")
    assert json.loads(two.stdout)["scored"] is False
    second = consent("give", "2026-03-07T09:00:00+08:00", "civic-two")
    assert second.exit_code == 0, second.output
    two = run("score", ADULT, "--rulebook", "civic-two", "--as-of", "2026-03-08", "--json")
    assert (json.loads(two.stdout)["scored"], json.loads(two.stdout)["score"]) == (True, 10)
    assert verify()[0] == 0

"""`verify` checks every listing the facts fold to against the lifecycle, and every listing
case action against the listings: a clean court-list history passes; an imported action
naming no listing, or a fold that broke a rule of the lifecycle, fails with the ref."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from socialcredit.services import listings
from socialcredit.services.case_actions import append_case_action
from socialcredit.storage import open_store
from tests.cli_support import Clock, event, ingest, ndjson, run, store_with
from tests.scenario import ADULT, MINOR

LIST = "dishonest-judgment-defaulters"
REF = f"L-1-{LIST}"


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    return store_with(
        tmp_path,
        monkeypatch,
        ("init",),
        ("source", "add", "court.wendeng", "--allow", "judicial"),
    )


def listed(tmp_path: Path, clock: Clock, subject: str = ADULT, day: str = "2026-03-02") -> None:
    trigger = event(
        1,
        f"{day}T09:00:00+08:00",
        subject,
        source="court.wendeng",
        type="court.defaulter_listed",
        data={"case_no": "c-1"},
    )
    ingest(ndjson(tmp_path / "court.ndjson", trigger))
    clock.set(f"{day}T23:00:00+08:00")
    run("tick", "--json")
    clock.set("2026-04-01T10:00:00+08:00")  # in effect since the window closed


def verified() -> tuple[int, dict[str, Any]]:
    result = run("verify", "--json")
    return result.exit_code, json.loads(result.stdout)


def test_a_listing_in_effect_after_its_notice_and_window_passes(
    clock: Clock, tmp_path: Path
) -> None:
    listed(tmp_path, clock)
    code, report = verified()
    assert (code, report["listing_faults"], report["ok"]) == (0, [], True)


def test_an_imported_action_naming_no_listing_fails_verify_with_its_ref(
    clock: Clock, tmp_path: Path
) -> None:
    listed(tmp_path, clock)
    with open_store(tmp_path / "ledger.db") as store:
        append_case_action(
            store,
            "listing.appeal",
            ADULT,
            f"L-7-{LIST}",  # a typo in an imported court record: no trigger at 7
            {"grounds": "paid in full"},
            datetime.fromisoformat("2026-03-05T10:00:00+08:00"),
        )
    code, report = verified()
    assert code == 1
    [fault] = report["listing_faults"]
    assert fault.startswith(f"L-7-{LIST}: listing.appeal")
    assert "names no listing" in fault
    assert "1 listing fault(s)" in run("verify").stdout


def test_a_fold_that_skipped_the_notice_or_listed_a_minor_fails_verify(
    clock: Clock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed(tmp_path, clock, MINOR, day="2025-06-02")  # 18 only on 1 January 2026
    assert verified()[0] == 0  # the fold keeps the minor off the list
    honest = listings.listing_history

    def careless(*args: Any, **kwargs: Any) -> Any:
        found = honest(*args, **kwargs)
        start = datetime.fromisoformat("2025-06-02T09:00:00")
        return replace(found, notice=None, effective_from=start)

    monkeypatch.setattr(listings, "listing_history", careless)
    code, report = verified()
    assert code == 1
    assert sorted(f.split(": ", 1)[1].split(" (")[0] for f in report["listing_faults"]) == [
        "in effect from 2025-06-02 09:00:00 without a notice",
        "lists a minor",
    ]

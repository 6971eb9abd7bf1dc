"""Eligibility decisions: every answer given to a relying party, refusals included, appended
in one transaction and read back with the facts and rulebooks it saw."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import polars as pl
import pytest

from socialcredit.errors import RecordRejectedError
from socialcredit.storage import Store
from socialcredit.storage.frames import DECISION_SCHEMA
from tests.storage.rows import ADULT, LATER, RECORDED

OTHER = "371003198001011234"
RULEBOOKS = ["cn-national@2017.1", "cn-371003-wendeng@2020.1"]
REASONS = '[{"rule":"court.defaulter","list":"dishonest-judgment-defaulters"}]'


def decisions(*rows: dict[str, Any]) -> pl.DataFrame:
    """A batch of decisions from short rows; unspecified fields get ordinary values."""
    defaults: dict[str, Any] = {
        "party": "rail.12306",
        "subject": ADULT,
        "purpose": "rail.ticket",
        "outcome": "deny",
        "reasons": REASONS,
        "rulebooks": RULEBOOKS,
        "log_position": 42,
        "as_of": RECORDED,
        "decided_at": LATER,
    }
    return pl.DataFrame([{**defaults, **row} for row in rows])


def test_decisions_read_back_as_given_in_order(store: Store) -> None:
    batch = decisions(
        {"decision_id": "d-1"},
        {"decision_id": "d-2", "outcome": "allow", "reasons": "[]", "log_position": 43},
    )
    assert store.append_decisions(batch) == 2
    stored = store.decisions_for([ADULT])
    assert stored.get_column("seq").to_list() == [1, 2]
    assert stored.drop("seq").rows(named=True) == [
        {
            "decision_id": "d-1",
            "party": "rail.12306",
            "subject": ADULT,
            "purpose": "rail.ticket",
            "outcome": "deny",
            "reasons": REASONS,
            "rulebooks": RULEBOOKS,
            "log_position": 42,
            "as_of": RECORDED,
            "decided_at": LATER,
        },
        {
            "decision_id": "d-2",
            "party": "rail.12306",
            "subject": ADULT,
            "purpose": "rail.ticket",
            "outcome": "allow",
            "reasons": "[]",
            "rulebooks": RULEBOOKS,
            "log_position": 43,
            "as_of": RECORDED,
            "decided_at": LATER,
        },
    ]


def test_decisions_come_back_in_the_same_dtypes_from_every_backend(store: Store) -> None:
    assert store.decisions_for().schema == DECISION_SCHEMA
    store.append_decisions(decisions({"decision_id": "d-1"}))
    assert store.decisions_for().schema == DECISION_SCHEMA


def test_decisions_are_found_by_subject_by_party_or_both(store: Store) -> None:
    store.append_decisions(
        decisions(
            {"decision_id": "d-1"},
            {"decision_id": "d-2", "subject": OTHER},
            {"decision_id": "d-3", "party": "air.ca", "purpose": "air.ticket"},
        )
    )

    def ids(frame: pl.DataFrame) -> list[str]:
        return frame.get_column("decision_id").to_list()

    assert ids(store.decisions_for()) == ["d-1", "d-2", "d-3"]
    assert ids(store.decisions_for([ADULT])) == ["d-1", "d-3"]
    assert ids(store.decisions_for(party="rail.12306")) == ["d-1", "d-2"]
    assert ids(store.decisions_for([ADULT], party="air.ca")) == ["d-3"]
    assert ids(store.decisions_for([])) == []
    assert ids(store.decisions_for(party="nobody")) == []


def test_a_refusal_for_an_unregistered_purpose_is_recorded_like_any_answer(
    store: Store,
) -> None:
    refusal = decisions(
        {"decision_id": "d-1", "purpose": "hotel.luxury", "outcome": "refused", "rulebooks": []}
    )
    store.append_decisions(refusal)
    stored = store.decisions_for([ADULT])
    assert stored.select("purpose", "outcome").row(0) == ("hotel.luxury", "refused")
    assert stored.item(0, "rulebooks").to_list() == []


def test_times_are_kept_as_utc_instants_whether_given_as_datetimes_or_text(
    store: Store,
) -> None:
    beijing = timezone(timedelta(hours=8))
    store.append_decisions(
        decisions(
            {
                "decision_id": "d-1",
                "as_of": datetime(2025, 1, 1, 16, 0, tzinfo=beijing),
                "decided_at": LATER,
            }
        )
    )
    store.append_decisions(
        decisions(
            {
                "decision_id": "d-2",
                "as_of": "2025-01-01T16:00:00+08:00",
                "decided_at": "2025-01-02T08:00:00.000001Z",
            }
        )
    )
    stored = store.decisions_for()
    assert stored.get_column("as_of").to_list() == [RECORDED, RECORDED]
    assert stored.get_column("decided_at").to_list() == [
        LATER,
        LATER + timedelta(microseconds=1),
    ]


def test_rulebooks_given_as_json_text_are_kept(store: Store) -> None:
    store.append_decisions(decisions({"decision_id": "d-1", "rulebooks": '["town@1"]'}))
    assert store.decisions_for().item(0, "rulebooks").to_list() == ["town@1"]


@pytest.mark.parametrize("earlier", [True, False], ids=["stored", "in-batch"])
def test_a_decision_id_is_given_once_and_a_batch_repeating_one_keeps_nothing(
    store: Store, earlier: bool
) -> None:
    if earlier:
        store.append_decisions(decisions({"decision_id": "d-1"}))
        batch = decisions({"decision_id": "d-2"}, {"decision_id": "d-1"})
    else:
        batch = decisions({"decision_id": "d-2"}, {"decision_id": "d-2"})
    with pytest.raises(RecordRejectedError, match="nothing of this write was kept"):
        store.append_decisions(batch)
    assert store.decisions_for().get_column("decision_id").to_list() == (["d-1"] if earlier else [])


def test_an_outcome_other_than_allow_deny_or_refused_is_refused(store: Store) -> None:
    with pytest.raises(RecordRejectedError):
        store.append_decisions(decisions({"decision_id": "d-1", "outcome": "maybe"}))
    assert store.decisions_for().is_empty()


def test_a_batch_missing_a_column_names_it(store: Store) -> None:
    with pytest.raises(ValueError, match="log_position"):
        store.append_decisions(decisions({"decision_id": "d-1"}).drop("log_position"))


@pytest.mark.parametrize(
    ("as_of", "complaint"),
    [
        (datetime(2025, 1, 1, 8, 0), "timezone-aware"),
        ("2025-01-01T08:00:00", "not an ISO 8601 time with an offset"),
        ("yesterday", "'yesterday'"),
    ],
)
def test_a_time_without_an_offset_is_refused(store: Store, as_of: object, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        store.append_decisions(decisions({"decision_id": "d-1", "as_of": as_of}))
    assert store.decisions_for().is_empty()


def test_a_large_batch_lands_in_one_write(store: Store) -> None:
    n = 20_000
    batch = pl.DataFrame(
        {
            "decision_id": [f"d-{i}" for i in range(n)],
            "party": "rail.12306",
            "subject": [f"s-{i % 1000}" for i in range(n)],
            "purpose": "rail.ticket",
            "outcome": "allow",
            "reasons": "[]",
            "rulebooks": [RULEBOOKS] * n,
            "log_position": 7,
            "as_of": datetime(2025, 1, 1, tzinfo=UTC),
            "decided_at": LATER,
        }
    )
    assert store.append_decisions(batch) == n
    assert store.decisions_for(["s-7"]).height == n // 1000
    assert store.decisions_for().get_column("seq").to_list() == list(range(1, n + 1))

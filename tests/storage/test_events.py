"""Appending events: positions, idempotency, conflicts, atomic batches, and reading back."""

from __future__ import annotations

from datetime import datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from socialcredit.errors import RecordRejectedError, ReviewError
from socialcredit.storage import GENESIS, ChainHead, Store
from tests.storage.rows import ADULT, LATER, RECORDED, events, numbered


def test_new_events_get_dense_positions_from_one(store: Store) -> None:
    first = store.append_events(numbered(3), recorded_at=RECORDED)
    second = store.append_events(events({"id": "tj-4"}), recorded_at=LATER)
    assert first.outcomes.get_column("outcome").to_list() == ["new"] * 3
    assert first.outcomes.get_column("seq").to_list() == [1, 2, 3]
    assert second.outcomes.get_column("seq").to_list() == [4]
    assert store.event_count() == 4
    assert store.head() == second.head
    assert store.events_between(1, 4).get_column("id").to_list() == [
        "tj-1",
        "tj-2",
        "tj-3",
        "tj-4",
    ]


def test_an_empty_store_has_the_genesis_head(store: Store) -> None:
    assert store.head() == ChainHead(0, GENESIS)
    assert store.event_count() == 0


def test_the_same_event_again_exists_and_stores_nothing(store: Store) -> None:
    store.append_events(numbered(2), recorded_at=RECORDED)
    head = store.head()
    again = store.append_events(numbered(2), recorded_at=LATER)
    assert again.outcomes.get_column("outcome").to_list() == ["exists", "exists"]
    assert again.outcomes.get_column("seq").to_list() == [1, 2]
    assert store.head() == head == again.head
    assert store.event_count() == 2


def test_a_reused_key_with_other_content_is_a_conflict_naming_every_differing_field(
    store: Store,
) -> None:
    store.append_events(numbered(2), recorded_at=RECORDED)
    changed = events(
        {"id": "tj-1", "subject": "371003198505120025", "data": '{"amount_cny":900}'},
        {"id": "tj-2", "occurred_at": "2024-03-01T09:31:00+08:00", "act": "case-9"},
        {"id": "tj-3"},
    )
    appended = store.append_events(changed, recorded_at=LATER)
    rows = appended.outcomes.select("id", "outcome", "differing").rows()
    assert rows == [
        ("tj-1", "conflict", ["subject", "data"]),
        ("tj-2", "conflict", ["occurred_at", "act"]),
        ("tj-3", "new", []),
    ]
    assert appended.count("conflict") == 2
    assert store.events_for([ADULT]).get_column("data").to_list() == ['{"amount_cny":800}'] * 3


def test_a_key_repeated_within_one_batch_is_stored_once(store: Store) -> None:
    batch = events({"id": "tj-1"}, {"id": "tj-1"}, {"id": "tj-1", "type": "traffic.other"})
    appended = store.append_events(batch, recorded_at=RECORDED)
    assert appended.outcomes.select("outcome", "seq", "differing").rows() == [
        ("new", 1, []),
        ("exists", 1, []),
        ("conflict", 1, ["type"]),
    ]
    assert store.event_count() == 1


def test_the_status_is_not_part_of_what_a_source_sent(store: Store) -> None:
    store.append_events(numbered(1, status="pending"), recorded_at=RECORDED)
    again = store.append_events(numbered(1, status="accepted"), recorded_at=LATER)
    assert again.outcomes.get_column("outcome").to_list() == ["exists"]


def test_a_bad_row_mid_batch_leaves_nothing_of_the_batch(store: Store) -> None:
    store.append_events(numbered(2), recorded_at=RECORDED)
    head = store.head()
    batch = events(
        *({"id": f"late-{i}", "subject": None if i == 50 else ADULT} for i in range(100))
    )
    with pytest.raises(RecordRejectedError, match="subject"):
        store.append_events(batch, recorded_at=LATER)
    assert store.head() == head
    assert store.event_count() == 2
    assert store.append_events(numbered(3), recorded_at=LATER).count("new") == 1


def test_an_unknown_status_is_refused_by_the_database(store: Store) -> None:
    with pytest.raises(RecordRejectedError):
        store.append_events(numbered(2, status="approved"), recorded_at=RECORDED)
    assert store.event_count() == 0


def test_a_batch_without_a_required_column_is_refused_before_the_database(store: Store) -> None:
    with pytest.raises(ValueError, match="status"):
        store.append_events(numbered(1).drop("status"), recorded_at=RECORDED)


def test_the_recording_time_must_carry_an_offset(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone"):
        store.append_events(numbered(1), recorded_at=datetime(2025, 1, 1))


def test_events_come_back_exactly_as_written(store: Store) -> None:
    batch = events(
        {"id": "a", "act": "case-88", "data": '{"level":"严重","note":"line\\nbreak"}'},
        {"id": "b", "jurisdiction": None, "act": "", "data": "{}"},
        {"id": "q", "act": 'a "quoted", two-line\nact \\N, with a comma', "type": "\\."},
        {"id": "c", "subject": "other", "occurred_at": "2024-03-01T01:30:00Z"},
    )
    store.append_events(batch, recorded_at=RECORDED)
    mine = store.events_for([ADULT])
    assert_frame_equal(mine.select(batch.columns), batch.head(3))
    assert mine.get_column("recorded_at").to_list() == ["2025-01-01T08:00:00.000000+00:00"] * 3
    assert mine.get_column("review").to_list() == [None, None, None]
    assert store.events_for(["other"]).get_column("occurred_at").to_list() == [
        "2024-03-01T01:30:00Z"
    ]
    assert store.events_for(["nobody"]).is_empty()


def test_missing_optional_columns_take_their_defaults(store: Store) -> None:
    store.append_events(numbered(1).drop("jurisdiction", "act", "data"), recorded_at=RECORDED)
    row = store.events_between(1, 1).select("jurisdiction", "act", "data").row(0)
    assert row == (None, None, "{}")


def test_pending_events_wait_for_one_review(store: Store) -> None:
    store.append_events(
        events({"id": "p1", "status": "pending"}, {"id": "a1"}, {"id": "p2", "status": "pending"}),
        recorded_at=RECORDED,
    )
    assert store.pending_events().get_column("id").to_list() == ["p1", "p2"]
    assert store.review_count() == 0
    store.review_event(
        "traffic.weihai",
        "p1",
        decision="approve",
        reviewer="clerk-7",
        reason="photo matches",
        reviewed_at=LATER,
    )
    assert store.pending_events().get_column("id").to_list() == ["p2"]
    assert store.review_count() == 1
    assert store.event("traffic.weihai", "p1").select("id", "review").rows() == [("p1", "approve")]
    assert store.event("traffic.weihai", "nope").is_empty()
    reviews = store.events_for([ADULT]).select("id", "review")
    assert reviews.rows() == [("p1", "approve"), ("a1", None), ("p2", None)]


@pytest.mark.parametrize(
    ("id_", "reason"),
    [("p1", "already reviewed"), ("a1", "only pending events"), ("zz", "no event")],
)
def test_a_review_is_refused_unless_the_event_is_pending_and_unreviewed(
    store: Store, id_: str, reason: str
) -> None:
    store.append_events(
        events({"id": "p1", "status": "pending"}, {"id": "a1"}), recorded_at=RECORDED
    )
    store.review_event(
        "traffic.weihai",
        "p1",
        decision="reject",
        reviewer="clerk-7",
        reason="no such case",
        reviewed_at=LATER,
    )
    with pytest.raises(ReviewError, match=reason):
        store.review_event(
            "traffic.weihai",
            id_,
            decision="approve",
            reviewer="clerk-8",
            reason="",
            reviewed_at=LATER,
        )


def test_events_between_reads_a_range_of_positions(store: Store) -> None:
    store.append_events(numbered(10), recorded_at=RECORDED)
    assert store.events_between(4, 6).get_column("seq").to_list() == [4, 5, 6]
    assert store.events_between(11, 20).is_empty()
    assert store.events_between(1, 1).schema == store.events_between(11, 20).schema


def test_reads_return_the_same_dtypes_from_every_backend(store: Store) -> None:
    store.append_events(numbered(1), recorded_at=RECORDED)
    schema = store.events_for([ADULT]).schema
    assert schema["seq"] == pl.Int64
    assert all(dtype == pl.String for name, dtype in schema.items() if name != "seq")


def test_an_empty_batch_changes_nothing(store: Store) -> None:
    store.append_events(numbered(1), recorded_at=RECORDED)
    appended = store.append_events(numbered(0), recorded_at=LATER)
    assert appended.outcomes.is_empty()
    assert appended.head == store.head()
    assert store.event_count() == 1

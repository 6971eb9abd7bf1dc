"""Which decisions a dispute's removal corrects: denials given while the event was disputed,
and earlier denials that rested on it; never allowances, never denials after the removal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Literal

import polars as pl

from socialcredit.domain.cases import DisputeOpened, SourceAnswered
from socialcredit.domain.disputes import dispute_history
from socialcredit.services.corrections import corrected
from socialcredit.services.disputes import SubjectDispute

OPENED = DisputeOpened(
    "dispute.opened#1",
    datetime(2026, 3, 2, 10),  # Wendeng wall clock: 02:00 UTC
    scheme="cn-371003-wendeng",
    source="police.wendeng",
    event_id="tj-4",
    rule="public_order.seat_hogging",
    grounds="the seat number was misread",
)


def dispute(outcome: Literal["confirmed", "withdrawn"]) -> SubjectDispute:
    answer = SourceAnswered("dispute.answered#2", datetime(2026, 3, 4, 10), outcome, "checked")
    history = dispute_history(OPENED, [answer], as_of=datetime(2026, 4, 1))
    return SubjectDispute("X-4", "S", "Asia/Shanghai", history)


def decision(id: str, outcome: str, utc: str, *basis_events: str) -> dict[str, object]:
    basis = [{"source": "police.wendeng", "event_id": e} for e in basis_events]
    return {
        "decision_id": id,
        "party": "honours.wendeng",
        "outcome": outcome,
        "decided_at": datetime.fromisoformat(utc).replace(tzinfo=UTC),
        "reasons": json.dumps([{"text": "grade C", "basis": basis}]),
    }


DECISIONS = pl.DataFrame(
    [
        decision("rested-before", "deny", "2026-03-01T00:00", "tj-1", "tj-4"),
        decision("unrelated-before", "deny", "2026-03-01T00:00", "tj-1"),
        decision("while-disputed", "deny", "2026-03-03T00:00"),
        decision("allowed-while-disputed", "allow", "2026-03-03T00:00", "tj-4"),
        decision("after-removal", "deny", "2026-03-05T00:00", "tj-4"),
    ]
)


def test_a_withdrawal_corrects_denials_while_disputed_and_earlier_ones_resting_on_it() -> None:
    found = [row["decision_id"] for row in corrected(DECISIONS, dispute("withdrawn"))]
    assert found == ["rested-before", "while-disputed"]


def test_a_confirmed_entry_corrects_nothing() -> None:
    assert corrected(DECISIONS, dispute("confirmed")) == []

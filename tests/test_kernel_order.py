"""The kernel's processing order: by subject, rule, time; subjects never merged."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from socialcredit.kernel import frames
from socialcredit.kernel.entries import derive_entries
from socialcredit.kernel.order import bucket_bits, ordered
from socialcredit.rules.plan import Plan
from tests.scenario import ADULT, OTHER_ADULT, Scenario


@pytest.mark.parametrize(
    ("rows", "subjects", "pieces"), [(1000, 300, 1), (1000, 300, 2), (1000, 300, 7), (5000, 3, 3)]
)
def test_order_is_subject_then_rule_then_time_then_row(
    rows: int, subjects: int, pieces: int
) -> None:
    rng = np.random.default_rng(rows)
    h = rng.integers(0, subjects, rows).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    rule = rng.integers(0, 4, rows).astype(np.int64)
    t = rng.integers(0, 50, rows).astype(np.int64)
    position, code, distinct, _, _ = ordered(h, h, rule, t, bucket_bits(rows), pieces=pieces)
    expected = np.lexsort((np.arange(rows), t, rule, h))
    assert distinct
    assert position.tolist() == expected.tolist()
    assert code.tolist() == np.unique(h[expected], return_inverse=True)[1].tolist()


def test_two_subjects_sharing_a_hash_are_reported() -> None:
    h = np.array([7, 7, 9], np.uint64)
    check = np.array([1, 2, 3], np.uint64)
    rule = np.zeros(3, np.int64)
    t = np.array([0, 1, 2], np.int64)
    assert ordered(h, check, rule, t, 1)[2] is False
    assert ordered(h, check, rule, t, 1, pieces=3)[2] is False


def test_a_hash_collision_falls_back_to_exact_subject_codes(
    wendeng: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = Scenario(wendeng)
    s.add("traffic.fine", "2024-03-01", amount_cny=800)
    s.add("traffic.fine", "2024-03-02", amount_cny=800, subject=OTHER_ADULT)
    s.add("traffic.fine", "2024-03-03", amount_cny=800)
    clean = derive_entries(s.frame(), wendeng)
    calls: list[bool] = []

    def colliding(h: Any, check: Any, rule: Any, t: Any, bits: int, rows: Any) -> Any:
        # Every subject under one hash, as if they collided.
        first = not calls
        calls.append(True)
        same = np.zeros_like(h) if first else h
        return ordered(same, check, rule, t, bits, rows)

    monkeypatch.setattr(frames, "ordered", colliding)
    merged = derive_entries(s.frame(), wendeng)
    assert len(calls) == 2
    assert merged.sort("event_id").equals(clean.sort("event_id"))
    doubled = merged.filter(doubled=True).get_column("subject").to_list()
    assert doubled == [ADULT]


def test_order_holds_for_times_before_1970_and_busy_subjects() -> None:
    rows = 200_000
    rng = np.random.default_rng(7)
    subjects = rng.integers(0, 5_000, rows)
    subjects[: rows // 4] = 17  # one subject with a long run of its own
    h = subjects.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    rule = rng.integers(0, 30, rows).astype(np.int64)
    t = rng.integers(-(10**15), 10**15, rows).astype(np.int64)
    t[::7] = t[0]  # ties, left to the row
    position, code, distinct, srule, st = ordered(h, h, rule, t, bucket_bits(rows))
    expected = np.lexsort((np.arange(rows), t, rule, h))
    assert distinct
    assert position.tolist() == expected.tolist()
    assert srule.tolist() == rule[expected].tolist()
    assert st.tolist() == t[expected].tolist()
    assert code.tolist() == np.unique(h[expected], return_inverse=True)[1].tolist()


def test_order_of_some_rows_reads_them_from_the_full_columns() -> None:
    rng = np.random.default_rng(3)
    rows = 3000
    h = rng.integers(0, 400, rows).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    rule = rng.integers(0, 4, rows).astype(np.int64)
    t = rng.integers(0, 50, rows).astype(np.int64)
    some = np.flatnonzero(rng.random(rows) < 0.3)
    order, _, distinct, srule, st = ordered(h, h, rule, t, bucket_bits(some.size), some)
    expected = some[np.lexsort((some, t[some], rule[some], h[some]))]
    assert distinct
    assert order.tolist() == expected.tolist()
    assert srule.tolist() == rule[expected].tolist()
    assert st.tolist() == t[expected].tolist()

"""Batches of one ingest share what they derived: the caches must stay exactly what the facts
give, whatever order events arrive in and whoever else writes between two batches."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from socialcredit.services.ingest import ingest_file
from socialcredit.services.recompute import check_caches, recompute
from socialcredit.services.record import ledger_of, record
from socialcredit.services.registry import add_source, review
from socialcredit.services.schemes import publish_bundled
from socialcredit.services.working_set import WorkingSet
from socialcredit.simulate.synthetic import synthetic_events, synthetic_population
from socialcredit.simulate.wire import source_types, write_ndjson
from socialcredit.storage import Store, open_store
from tests.scenario import ADULT

AT = datetime(2026, 1, 1, tzinfo=UTC)
START = date(2025, 1, 1)


def _store(tmp_path: Path, sources: dict[str, list[str]]) -> Store:
    store = open_store(str(tmp_path / "ledger.db"))
    publish_bundled(store, published_at=AT)
    for source, types in sources.items():
        trust = "low" if source == "community" else "high"
        add_source(
            store, source, name=None, trust=trust, allow=types, credential=None, registered_at=AT
        )
    return store


def _cached(store: Store) -> tuple[pl.DataFrame, pl.DataFrame]:
    entries = store.entries_for().drop("log_position", "rulebooks")
    standings = store.standings_for().select("scheme", "subject", "score", "grade", "points")
    return entries, standings


@pytest.mark.parametrize("seed", [1, 2])
def test_events_arriving_in_any_order_in_small_batches_leave_the_caches_the_facts_give(
    tmp_path: Path, seed: int
) -> None:
    people = synthetic_population(300, seed=seed, start=START)
    events = synthetic_events(people, seed=seed + 10, start=START, days=365, rate=3.0)
    assert events.filter(pl.col("type") == "void").height > 0
    shuffled = events.sample(fraction=1.0, shuffle=True, seed=seed)
    path = write_ndjson(shuffled, tmp_path / "events.ndjson")
    store = _store(tmp_path, source_types(events))
    reads: list[int] = []
    events_for = store.events_for

    def counting(subjects: list[str]) -> pl.DataFrame:
        reads.append(len(subjects))
        return events_for(subjects)

    store.events_for = counting  # type: ignore[method-assign]
    summary = ingest_file(store, path, clock=lambda: AT, batch_rows=97)
    assert summary.new == events.height
    # Every subject was first seen by this ingest, so none was ever read back.
    assert sum(reads) == 0
    assert check_caches(store, as_of=AT) == []
    incremental = _cached(store)
    recompute(store, as_of=AT)
    from_scratch = _cached(store)
    for ours, theirs in zip(incremental, from_scratch, strict=True):
        assert ours.sort(ours.columns).equals(theirs.sort(theirs.columns))


def test_a_review_between_two_batches_is_not_overlooked(tmp_path: Path) -> None:
    store = _store(tmp_path, {"community": ["traffic"], "traffic.weihai": ["traffic"]})
    tip = {
        "id": "c-1",
        "source": "community",
        "subject": ADULT,
        "type": "traffic.fine",
        "occurred_at": "2025-06-01T09:30:00+08:00",
        "jurisdiction": "371003",
        "amount_cny": "800",
        "_line": 1,
    }
    ledger = ledger_of(store)
    working = WorkingSet()
    done = record(store, pl.DataFrame([tip]), ledger, recorded_at=AT, working=working)
    assert done.count("pending") == 1
    # Another process approves the tip between two batches of the same ingest.
    review(store, "community", "c-1", decision="approve", reviewer="li", reason="photo", at=AT)
    later = {
        **tip,
        "id": "t-2",
        "source": "traffic.weihai",
        "occurred_at": "2025-07-01",
        "_line": 2,
    }
    record(store, pl.DataFrame([later]), ledger, recorded_at=AT, working=working)
    assert check_caches(store, as_of=AT) == []
    assert store.entries_for().height == 2

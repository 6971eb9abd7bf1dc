"""The hash chain: each record's hash covers its content and the hash before it, and
verification names every record altered behind the store's back."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.storage import GENESIS, ChainBreak, Store, open_store
from socialcredit.storage.chain import RECORD_FIELDS, canonical_forms
from tests.storage.conftest import Backend
from tests.storage.rows import LATER, RECORDED, numbered

# Drop the triggers that guard the events table, as someone with the database shell could.
DROP_GUARD = {
    "sqlite": "DROP TRIGGER events_no_update",
    "postgres": "DROP TRIGGER events_append_only ON events",
}
DROP_DELETE_GUARD = {
    "sqlite": "DROP TRIGGER events_no_delete",
    "postgres": "DROP TRIGGER events_append_only ON events",
}


def reference_hash(prev_hash: str, record: dict[str, object]) -> str:
    """The chain's rule as the storage.chain docstring states it, with Python's json."""
    content = {name: record[name] for name in RECORD_FIELDS}
    form = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + form).encode()).hexdigest()


def test_each_record_hashes_its_content_after_the_hash_before_it(store: Store) -> None:
    store.append_events(numbered(3), recorded_at=RECORDED)
    store.append_events(numbered(5), recorded_at=LATER)
    records = store.events_between(1, 5).rows(named=True)
    previous = GENESIS
    for record in records:
        assert record["prev_hash"] == previous
        assert record["hash"] == reference_hash(previous, record)
        previous = record["hash"]
    assert store.head().hash == previous


def test_an_untouched_log_verifies_across_chunk_boundaries(store: Store) -> None:
    for start in range(0, 25, 5):
        batch = numbered(start + 5).slice(start)
        store.append_events(batch, recorded_at=RECORDED)
    assert store.verify_chain(chunk_size=7) == []


def test_verify_names_a_record_altered_behind_the_triggers_back(
    store: Store, backend: Backend
) -> None:
    store.append_events(numbered(5), recorded_at=RECORDED)
    backend.raw(DROP_GUARD[backend.name])
    backend.raw("UPDATE events SET data = '{\"amount_cny\":8}' WHERE seq = 3")
    assert store.verify_chain(chunk_size=2) == [
        ChainBreak(3, "traffic.weihai", "tj-3", "hash does not match the record's content")
    ]


def test_verify_names_the_next_record_when_the_hash_was_rewritten_too(
    store: Store, backend: Backend
) -> None:
    store.append_events(numbered(5), recorded_at=RECORDED)
    record = store.events_between(3, 3).with_columns(subject=pl.lit("someone-else"))
    forged = reference_hash(record.item(0, "prev_hash"), record.row(0, named=True))
    backend.raw(DROP_GUARD[backend.name])
    backend.raw(f"UPDATE events SET subject = 'someone-else', hash = '{forged}' WHERE seq = 3")
    assert store.verify_chain() == [
        ChainBreak(4, "traffic.weihai", "tj-4", "prev_hash is not the hash of the record before")
    ]


def test_verify_names_the_record_after_a_removed_one(store: Store, backend: Backend) -> None:
    store.append_events(numbered(5), recorded_at=RECORDED)
    backend.raw(DROP_DELETE_GUARD[backend.name])
    backend.raw("DELETE FROM events WHERE seq = 2")
    (found,) = store.verify_chain()
    assert (found.seq, found.id) == (3, "tj-3")
    assert "follows seq 1" in found.problem
    assert "prev_hash" in found.problem


def test_appending_extends_the_chain_from_the_stored_head(store: Store) -> None:
    first = store.append_events(numbered(2), recorded_at=RECORDED)
    second = store.append_events(numbered(3), recorded_at=LATER)
    assert store.events_between(3, 3).item(0, "prev_hash") == first.head.hash
    assert second.head == store.head()


def test_every_backend_chains_the_same_batch_to_the_same_head(
    tmp_path: Path, postgres_database: str
) -> None:
    heads = []
    for target in (str(tmp_path / "same.db"), postgres_database):
        with open_store(target) as store:
            store.append_events(numbered(50), recorded_at=RECORDED)
            heads.append(store.head())
    assert heads[0] == heads[1]


_text = st.one_of(st.none(), st.text())


@settings(deadline=None)  # Polars' first calls vary with machine load
@given(
    st.lists(
        st.fixed_dictionaries(
            {name: st.integers(1, 2**62) if name == "seq" else _text for name in RECORD_FIELDS}
        ),
        min_size=1,
        max_size=5,
    )
)
def test_the_column_wise_canonical_form_is_sorted_compact_json(
    records: list[dict[str, object]],
) -> None:
    frame = pl.DataFrame(
        records, schema={n: pl.Int64 if n == "seq" else pl.String for n in RECORD_FIELDS}
    )
    expected = [
        json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False) for r in records
    ]
    assert canonical_forms(frame).to_list() == expected


@pytest.mark.parametrize("chunk_size", [1, 3, 1000])
def test_verify_reports_nothing_on_an_empty_log(store: Store, chunk_size: int) -> None:
    assert store.verify_chain(chunk_size) == []

"""Cached entries are stored packed, one row per subject and write, and read back exactly as
written: every column, nulls, booleans, microseconds and times before 1970 included; entries
cached by an older version are converted when the store is opened."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from socialcredit.domain.events import ENTRY_COLUMNS
from socialcredit.services.derive import STANDINGS_SCHEMA
from socialcredit.storage import Store, migrate, open_store
from socialcredit.storage.chain import canonical_json
from socialcredit.storage.frames import ENTRY_CACHE_SCHEMA
from socialcredit.storage.packing import pack_entries, unpack_entries
from tests.storage.conftest import Backend

AS_OF = datetime(2026, 1, 1, tzinfo=UTC)
SCHEME = "cn-371003-wendeng"
RULEBOOKS = ["cn-national@2017.1", "cn-371003-wendeng@2020.1"]
PACKED_FROM = 6  # the migration that packs the entry cache
NO_STANDINGS = pl.DataFrame(schema=STANDINGS_SCHEMA)


def _entries() -> pl.DataFrame:
    """Entries with every awkward value a column can hold."""
    rows = {
        "subject": ["A", "A", "A", "B", "C 甲"],
        "event_id": ["e-1", 'e-"2"', "e\\3", "e-4", "事件-5"],
        "source": ["traffic.weihai", "traffic.weihai", "court", "tax", "社区"],
        "type": ["traffic.fine", "traffic.fine", "court.defaulter_listed", "tax.late", "x"],
        "rule": ["traffic.fine", "traffic.fine", "court.defaulter", "tax.late", "x"],
        "rulebook": ["cn-371003-wendeng@2020.1"] * 4 + ["cn-national@2017.1"],
        "kind": ["points", "points", "grade", "points", "points"],
        "status": ["counted", "counted", "counted", "archived", "minor"],
        "base_points": [-10, -10, 0, 2**40, 0],
        "applied_points": [-20, -10, 0, -(2**40), 0],
        "grade": [None, None, "D", None, ""],
        "doubled": [True, False, False, False, False],
        "capped": [False, True, False, False, True],
        "valid_from": [
            datetime(2025, 3, 1, 9, 30, 0, 123456),
            datetime(2025, 3, 1, 9, 30),
            datetime(1969, 12, 31, 23, 59, 59, 500000),
            datetime(2099, 12, 31, 23, 59, 59, 999999),
            datetime(2025, 1, 1),
        ],
        "valid_until": [datetime(2026, 3, 1, 9, 30), None, None, datetime(2100, 1, 1), None],
        "ended_at": [None, datetime(2025, 6, 1, 0, 0, 0, 1), None, None, None],
        "ended_by": [None, "R-1", None, None, "line\nbreak"],
    }
    schema = {name: ENTRY_CACHE_SCHEMA[name] for name in ENTRY_COLUMNS}
    return pl.DataFrame(rows, schema=schema)


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(["subject", "valid_from", "source", "event_id", "rule"])


def test_a_pack_round_trips_every_entry_column_exactly() -> None:
    entries = _entries()
    packs = pack_entries(entries)
    assert packs.get_column("subject").to_list() == ["A", "B", "C 甲"]
    assert_frame_equal(unpack_entries(packs).select(ENTRY_COLUMNS), entries)


def test_entries_read_back_exactly_as_written(store: Store) -> None:
    entries = _entries()
    standings = NO_STANDINGS
    subjects = ["A", "B", "C 甲"]
    store.replace_caches(
        SCHEME, subjects, entries, standings, as_of=AS_OF, log_position=7, rulebooks=RULEBOOKS
    )
    cached = store.entries_for(subjects)
    assert cached.schema == pl.Schema(ENTRY_CACHE_SCHEMA)
    assert_frame_equal(cached.select(ENTRY_COLUMNS), _sorted(entries))
    assert cached.get_column("scheme").unique().to_list() == [SCHEME]
    assert cached.get_column("log_position").unique().to_list() == [7]
    assert cached.get_column("rulebooks").to_list() == [RULEBOOKS] * entries.height
    assert store.entries_for(["A"], scheme=SCHEME).height == 3
    assert store.entries_for(["A"], scheme="civic-rewards").is_empty()
    assert store.entries_for([]).is_empty()


def test_a_write_stores_one_row_per_subject(store: Store, backend: Backend) -> None:
    entries = _entries()
    subjects = ["A", "B", "C 甲"]
    standings = NO_STANDINGS
    store.replace_caches(
        SCHEME, subjects, entries, standings, as_of=AS_OF, log_position=1, rulebooks=RULEBOOKS
    )
    assert backend.raw("SELECT count(*) FROM entries") == [(3,)]
    added = entries.filter(pl.col("subject") == "A").head(1).with_columns(event_id=pl.lit("e-9"))
    store.replace_caches(
        SCHEME,
        ["A"],
        added,
        standings,
        as_of=AS_OF,
        log_position=2,
        rulebooks=RULEBOOKS,
        keep_entries=["A"],
    )
    assert backend.raw("SELECT count(*) FROM entries") == [(4,)]
    mine = store.entries_for(["A"])
    assert mine.height == 4
    assert sorted(mine.get_column("log_position").to_list()) == [1, 1, 1, 2]
    store.replace_caches(
        SCHEME, ["A"], added, standings, as_of=AS_OF, log_position=3, rulebooks=RULEBOOKS
    )
    assert backend.raw("SELECT count(*) FROM entries") == [(3,)]
    assert store.entries_for(["A"]).get_column("log_position").to_list() == [3]


def test_entries_cached_before_packing_are_converted_exactly(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = _entries()
    shipped = migrate.migrations_for
    with monkeypatch.context() as patched:
        # A store of the version before: every migration up to the packing one.
        patched.setattr(
            migrate,
            "migrations_for",
            lambda dialect: [m for m in shipped(dialect) if m.number < PACKED_FROM],
        )
        with open_store(backend.target) as old:
            assert old.migrations().get_column("number").to_list()[-1] == PACKED_FROM - 1
            # The rows as that version wrote them: one per entry.
            rows = entries.select(
                pl.lit(SCHEME).alias("scheme"),
                *ENTRY_COLUMNS,
                log_position=pl.when(pl.col("subject") == "A").then(3).otherwise(4),
                rulebooks=pl.lit(canonical_json(RULEBOOKS)),
            )
            old._insert_frame("entries", rows)  # type: ignore[attr-defined]
    with open_store(backend.target) as store:
        assert PACKED_FROM in store.migrations().get_column("number").to_list()
        cached = store.entries_for()
        assert_frame_equal(cached.select(ENTRY_COLUMNS), _sorted(entries))
        assert cached.get_column("log_position").to_list() == [3, 3, 3, 4, 4]
        assert cached.get_column("rulebooks").to_list() == [RULEBOOKS] * entries.height
    assert backend.raw("SELECT count(*) FROM entries") == [(3,)]

"""SQLite stores a frame's times as ISO 8601 text and its booleans as integers; a small
frame is converted value by value, a large one column-wise, and the two give the same
rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialcredit.storage import sqlite
from socialcredit.storage.sqlite import sql_rows

moments = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31))
frames = st.integers(min_value=0, max_value=12).flatmap(
    lambda n: st.fixed_dictionaries(
        {
            "utc": st.lists(st.none() | moments, min_size=n, max_size=n),
            "local": st.lists(st.none() | moments, min_size=n, max_size=n),
            "flag": st.lists(st.none() | st.booleans(), min_size=n, max_size=n),
            "text": st.lists(st.none() | st.text(max_size=5), min_size=n, max_size=n),
            "count": st.lists(st.none() | st.integers(-(2**40), 2**40), min_size=n, max_size=n),
        }
    )
)


def _frame(columns: dict[str, list[object]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "utc": pl.Series(
                [None if m is None else m.replace(tzinfo=UTC) for m in columns["utc"]],
                dtype=pl.Datetime("us", "UTC"),
            ),
            "local": pl.Series(columns["local"], dtype=pl.Datetime("us")),
            "flag": pl.Series(columns["flag"], dtype=pl.Boolean),
            "text": pl.Series(columns["text"], dtype=pl.String),
            "count": pl.Series(columns["count"], dtype=pl.Int64),
        }
    )


@settings(max_examples=200, deadline=None)
@given(frames)
def test_small_and_large_frames_give_the_same_rows(columns: dict[str, list[object]]) -> None:
    frame = _frame(columns)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqlite, "SMALL_FRAME", -1)
        column_wise = sql_rows(frame)
    assert sql_rows(frame) == column_wise


def test_times_are_iso_text_to_the_microsecond_and_booleans_integers() -> None:
    moment = datetime(2025, 3, 1, 1, 30, tzinfo=UTC) + timedelta(microseconds=7)
    frame = pl.DataFrame(
        {
            "at": pl.Series([moment], dtype=pl.Datetime("us", "UTC")),
            "wall": pl.Series([moment.replace(tzinfo=None)], dtype=pl.Datetime("us")),
            "ok": [True],
        }
    )
    expected = [("2025-03-01T01:30:00.000007+00:00", "2025-03-01T01:30:00.000007", 1)]
    assert sql_rows(frame) == expected
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqlite, "SMALL_FRAME", -1)
        assert sql_rows(frame) == expected

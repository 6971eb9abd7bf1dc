"""Parquet: typed columns, flat (`data.x`) or with a `data` struct; `_line` is the row number.

Values are written as text the way Polars casts them, except that whole numbers lose their
".0", times are ISO 8601 and nested values are JSON. A Parquet file has no row that can be
malformed on its own: a file that cannot be read at all is one rejection at line 0.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from socialcredit.ingest.formats.textframe import (
    LINE,
    Rejection,
    as_text,
    empty_frame,
    flat_data_columns,
    unnest_data,
)

__all__ = ["read_parquet"]


def read_parquet(path: Path) -> tuple[pl.DataFrame, list[Rejection]]:
    """Rows of a Parquet file as text columns, numbered from 1."""
    try:
        frame = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return empty_frame(), [Rejection(0, "", f"not a readable Parquet file: {reason}")]
    frame = unnest_data(flat_data_columns(frame))
    frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(LINE))
    return as_text(frame), []

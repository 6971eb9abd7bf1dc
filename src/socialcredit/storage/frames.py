"""The Polars schemas the store hands back, and rows from a driver turned into them.

Drivers return rows of Python values (and SQLite keeps times as text); every read goes
through `typed`, so both backends hand back the same dtypes for the same table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from socialcredit.storage.contract import (
    ACCESS_COLUMNS,
    CASE_ACTION_COLUMNS,
    DECISION_COLUMNS,
    DELIVERY_COLUMNS,
    ENTRY_CACHE_COLUMNS,
    EVENT_COLUMNS,
    STANDING_CACHE_COLUMNS,
)

__all__ = [
    "ACCESS_SCHEMA",
    "CASE_ACTION_SCHEMA",
    "DECISION_SCHEMA",
    "DELIVERY_SCHEMA",
    "ENTRY_CACHE_SCHEMA",
    "EVENT_SCHEMA",
    "MIGRATION_SCHEMA",
    "RULEBOOK_SCHEMA",
    "STANDING_CACHE_SCHEMA",
    "SUBJECT_SCHEMA",
    "typed",
]

_TEXT = pl.String()
_WALL_CLOCK = pl.Datetime("us")
_INSTANT = pl.Datetime("us", "UTC")
_LABELS = pl.List(pl.String())


def _schema(columns: Sequence[str], **special: pl.DataType) -> dict[str, pl.DataType]:
    return {name: special.get(name, _TEXT) for name in columns}


EVENT_SCHEMA = _schema(EVENT_COLUMNS, seq=pl.Int64())
CASE_ACTION_SCHEMA = _schema(CASE_ACTION_COLUMNS, seq=pl.Int64())
RULEBOOK_SCHEMA = _schema(
    ("rulebook", "version", "effective", "content_hash", "text", "published_at"),
    effective=pl.Date(),
)
SUBJECT_SCHEMA = _schema(("id", "kind", "registered_at"))
DECISION_SCHEMA = _schema(
    DECISION_COLUMNS,
    seq=pl.Int64(),
    rulebooks=_LABELS,
    log_position=pl.Int64(),
    as_of=_INSTANT,
    decided_at=_INSTANT,
)
ACCESS_SCHEMA = _schema(ACCESS_COLUMNS, seq=pl.Int64(), at=_INSTANT)
DELIVERY_SCHEMA = _schema(DELIVERY_COLUMNS, seq=pl.Int64(), at=_INSTANT)
MIGRATION_SCHEMA = _schema(("number", "name", "applied_at"), number=pl.Int64())
ENTRY_CACHE_SCHEMA = _schema(
    ENTRY_CACHE_COLUMNS,
    base_points=pl.Int64(),
    applied_points=pl.Int64(),
    doubled=pl.Boolean(),
    capped=pl.Boolean(),
    valid_from=_WALL_CLOCK,
    valid_until=_WALL_CLOCK,
    ended_at=_WALL_CLOCK,
    log_position=pl.Int64(),
    rulebooks=_LABELS,
)
STANDING_CACHE_SCHEMA = _schema(
    STANDING_CACHE_COLUMNS,
    score=pl.Int64(),
    points=pl.Int64(),
    scored=pl.Boolean(),
    as_of=_INSTANT,
    log_position=pl.Int64(),
    rulebooks=_LABELS,
)


def _cast(name: str, have: pl.DataType, want: pl.DataType) -> pl.Expr:
    column = pl.col(name)
    if have != pl.String or want == pl.String:
        return column.cast(want)
    if want == _WALL_CLOCK:
        return column.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us")
    if want == _INSTANT:
        return column.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_unit="us", time_zone="UTC")
    if want == pl.Date:
        return column.str.to_date("%Y-%m-%d")
    if want == _LABELS:
        return column.str.json_decode(_LABELS)
    return column.cast(want)


def typed(rows: Sequence[Sequence[Any]], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Driver rows, in the schema's column order, as a frame of the schema's dtypes."""
    frame = pl.DataFrame(rows, schema=list(schema), orient="row", infer_schema_length=None)
    return frame.select(_cast(name, frame.schema[name], want) for name, want in schema.items())

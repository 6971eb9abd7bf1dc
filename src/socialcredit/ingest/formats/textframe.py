"""The frame every reader returns: text columns, `_line`, and the rows set aside.

Every column is text (pl.String) and `_line` (Int64) holds where each row came from, so
that a later check can name the line of a bad value. Empty text is null in every format.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from socialcredit.domain.events import TOP_LEVEL

__all__ = [
    "LINE",
    "TOP_LEVEL",
    "Rejection",
    "as_text",
    "empty_frame",
    "flat_data_columns",
    "flatten_record",
    "number_text",
    "rows_frame",
    "unnest_data",
    "unusable_name",
]

LINE = "_line"
# Floats up to 2**53 are exact integers, so those can be written without a fraction.
_EXACT = 2.0**53


@dataclass(frozen=True)
class Rejection:
    """One input row that was not used: where it is and why."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return (
            f"line {self.line}: {self.field}: {self.reason}"
            if self.field
            else (f"line {self.line}: {self.reason}")
        )


def empty_frame() -> pl.DataFrame:
    """A frame with no rows and only `_line`."""
    return pl.DataFrame({LINE: []}, schema={LINE: pl.Int64})


def number_text(column: pl.Expr) -> pl.Expr:
    """A float as text, whole numbers without ".0" (800.0 is "800")."""
    whole = column.is_finite() & (column.abs() < _EXACT) & (column == column.floor())
    return (
        pl.when(whole)
        .then(column.cast(pl.Int64, strict=False).cast(pl.String))
        .otherwise(column.cast(pl.String))
    )


def _nested_text(name: str) -> pl.Expr:
    # Polars encodes structs only, so the value is wrapped in one and the wrapper cut off.
    wrapped = pl.struct(pl.col(name).alias("v")).struct.json_encode()
    text = wrapped.str.strip_prefix('{"v":').str.strip_suffix("}")
    return pl.when(pl.col(name).is_null()).then(None).otherwise(text)


def _text(name: str, dtype: pl.DataType) -> pl.Expr:
    if dtype.is_float():
        text = number_text(pl.col(name))
    elif dtype.is_nested():
        text = _nested_text(name)
    elif isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        text = pl.col(name).dt.to_string("%Y-%m-%dT%H:%M:%S%.f%:z")
    elif isinstance(dtype, pl.Datetime):
        text = pl.col(name).dt.to_string("%Y-%m-%dT%H:%M:%S%.f")
    else:
        text = pl.col(name).cast(pl.String)
    return pl.when(text == "").then(None).otherwise(text).alias(name)


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column but `_line` as text: whole numbers without ".0", nested values as JSON,
    times as ISO 8601, and empty text as null."""
    return frame.select(
        pl.col(LINE) if name == LINE else _text(name, dtype) for name, dtype in frame.schema.items()
    )


def unnest_data(frame: pl.DataFrame) -> pl.DataFrame:
    """The fields of a `data` struct column as columns of their own.

    A data field named like a top-level field (or like a column already there) is dropped,
    so that `data` can never overwrite who or what an event is about.
    """
    if "data" not in frame.columns or not isinstance(frame.schema["data"], pl.Struct):
        return frame
    data = frame.get_column("data").struct.unnest()
    kept = [c for c in data.columns if c not in TOP_LEVEL and c not in frame.columns]
    # By column, not `select`: a field named like a pattern must stay itself to be rejected.
    return frame.drop("data").hstack([data.get_column(c) for c in kept])


def flat_data_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns spelt `data.x` renamed to `x`, dropping any that would clash, as in `unnest_data`."""
    nested = [c for c in frame.columns if c.startswith("data.")]
    taken = set(TOP_LEVEL) | {c for c in frame.columns if not c.startswith("data.")}
    clash = [c for c in nested if c.removeprefix("data.") in taken]
    return frame.drop(clash).rename({c: c.removeprefix("data.") for c in nested if c not in clash})


def _scalar_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < _EXACT:
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def flatten_record(record: dict[str, object]) -> dict[str, str | None] | str:
    """A decoded JSON event object as one flat row of text, or why it cannot be one."""
    data = record.get("data")
    if data is not None and not isinstance(data, dict):
        return "data must be a JSON object of fields"
    row = {k: _scalar_text(v) for k, v in record.items() if k != "data"}
    if isinstance(data, dict):
        row.update(
            {k: _scalar_text(v) for k, v in data.items() if k not in TOP_LEVEL and k not in row}
        )
    name = unusable_name(row)
    if name is not None:
        return f"field {name!r} cannot be a column name: rename it or leave it out"
    return row


def unusable_name(names: Iterable[str]) -> str | None:
    """A field name no column can have, if there is one: Polars reads `*` and `^...$` as
    every column, or a pattern of them."""
    return next((n for n in names if n == "*" or (n.startswith("^") and n.endswith("$"))), None)


def rows_frame(rows: list[dict[str, str | None]], lines: list[int]) -> pl.DataFrame:
    """A text frame from rows decoded one by one, each with the line it came from."""
    if not rows:
        return empty_frame()
    frame = pl.DataFrame(rows, infer_schema_length=None)
    frame = frame.with_columns(pl.all().cast(pl.String), pl.Series(LINE, lines, dtype=pl.Int64))
    return as_text(frame)

"""NDJSON: one event object per line; `_line` is the line of the object."""

from __future__ import annotations

import json
import re

import polars as pl

from socialcredit.ingest.formats.textframe import (
    LINE,
    Rejection,
    as_text,
    flatten_record,
    rows_frame,
    unnest_data,
    unusable_name,
)

__all__ = ["read_ndjson"]


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")


def _object_lines(text: str) -> pl.Series:
    """The number of each non-blank line: 1 to n at once when no line is blank (the usual
    case), else found line by line."""
    body = text.rstrip()
    first = body[: body.find("\n")] if "\n" in body else body
    if first.strip() and _BLANK_LINE.search(body) is None:
        return pl.int_range(1, body.count("\n") + 2, eager=True)
    lines = pl.Series(text.split("\n")).str.strip_chars()
    return (lines != "").arg_true() + 1


def _fast(text: str, raw: bytes | None = None) -> pl.DataFrame | None:
    """The whole file through Polars' reader; None if any line needs the careful path.
    `raw` is the text as UTF-8 bytes, if the caller has them."""
    try:
        frame = pl.read_ndjson(raw if raw is not None else text.encode(), infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError):
        return None
    # As many rows as lines: no line was blank, and row n is line n (a count of line feeds
    # costs far less than looking for blank lines).
    lines = text.rstrip().count("\n") + 1
    if frame.height == lines:
        numbers = pl.int_range(1, lines + 1, eager=True)
    else:
        numbers = _object_lines(text)
    if frame.height != len(numbers):
        return None
    if "data" in frame.columns and not isinstance(frame.schema["data"], pl.Struct):
        return None
    frame = unnest_data(frame)
    if unusable_name(frame.columns) is not None:  # the careful path rejects its rows
        return None
    # Nested values are left to the careful path, which writes them as the JSON they were.
    if any(t.is_nested() for t in frame.dtypes):
        return None
    return as_text(frame.with_columns(numbers.cast(pl.Int64).alias(LINE)))


def read_ndjson(text: str, raw: bytes | None = None) -> tuple[pl.DataFrame, list[Rejection]]:
    """Rows of NDJSON text (and its UTF-8 bytes, if at hand), and a rejection for each line
    that is not a JSON object."""
    fast = _fast(text, raw)
    if fast is not None:
        return fast, []
    # The careful path decodes line by line, so that a malformed line is reported with its
    # number and skipped; Polars' reader fails the whole file on one bad line.
    rows, lines, rejected = [], [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            rejected.append(Rejection(number, "", f"not valid JSON: {exc.msg}"))
            continue
        row = flatten_record(record) if isinstance(record, dict) else "not a JSON object"
        if isinstance(row, str):
            rejected.append(Rejection(number, "", row))
            continue
        rows.append(row)
        lines.append(number)
    return rows_frame(rows, lines), rejected

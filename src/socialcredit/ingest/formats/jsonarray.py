"""JSON: one top-level array of event objects; `_line` is the line where each object starts.

Polars reads the array but does not say where each element was. Finding out takes one pass
over the bytes whose every step depends on the last (inside a string or not, escaped or
not), which is a compiled loop, not per-element Python.
"""

from __future__ import annotations

import json

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.ingest.formats.textframe import (
    LINE,
    Rejection,
    as_text,
    empty_frame,
    flatten_record,
    rows_frame,
    unnest_data,
    unusable_name,
)
from socialcredit.kernel.compiled import compiled

__all__ = ["read_json_array"]

_NOT_AN_ARRAY = "the file must hold one JSON array of event objects"


@compiled
def _elements(
    b: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The line each element of a top-level array starts on, and whether it is an object."""
    # No more elements than commas plus one; sized up front, as growing an array in the
    # loop keeps Numba from compiling it tightly.
    most = 1
    for i in range(b.size):
        if b[i] == 44:
            most += 1
    lines = np.empty(most, dtype=np.int64)
    objects = np.empty(most, dtype=np.bool_)
    count, line, depth = 0, 1, 0
    in_string, escaped, expecting = False, False, False
    for i in range(b.size):
        c = b[i]
        if c == 10:
            line += 1
        if in_string:
            if escaped:
                escaped = False
            elif c == 92:
                escaped = True
            elif c == 34:
                in_string = False
            continue
        if expecting and c != 32 and c != 9 and c != 10 and c != 13:
            expecting = False
            if not (c == 93 and depth == 1):  # the "]" of an empty array
                lines[count] = line
                objects[count] = c == 123
                count += 1
        if c == 34:
            in_string = True
        elif c == 91 or c == 123:
            depth += 1
            expecting = depth == 1 and c == 91
        elif c == 93 or c == 125:
            depth -= 1
        elif c == 44 and depth == 1:
            expecting = True
    return lines[:count], objects[:count]


def _fast(raw: bytes) -> pl.DataFrame | None:
    """The array through Polars' reader; None if any element needs the careful path."""
    try:
        frame = pl.read_json(raw, infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError):
        return None
    lines, objects = _elements(np.frombuffer(raw, dtype=np.uint8))
    if frame.height != lines.size or not objects.all() or frame.width == 0:
        return None
    if "data" in frame.columns and not isinstance(frame.schema["data"], pl.Struct):
        return None
    frame = unnest_data(frame)
    if unusable_name(frame.columns) is not None:  # the careful path rejects its rows
        return None
    if any(t.is_nested() for t in frame.dtypes):
        return None  # nested values are written as JSON text by the careful path
    return as_text(frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64)))


def read_json_array(raw: bytes) -> tuple[pl.DataFrame, list[Rejection]]:
    """Rows of a JSON array of events, and a rejection for each element that is not one."""
    fast = _fast(raw)
    if fast is not None:
        return fast, []
    # The careful path decodes the whole document in Python so that a syntax error is
    # reported at its line, and each element on its own so one bad element is skipped.
    text = raw.decode("utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return empty_frame(), [Rejection(exc.lineno, "", f"not valid JSON: {exc.msg}")]
    if not isinstance(document, list):
        first = len(text) - len(text.lstrip())
        return empty_frame(), [Rejection(text.count("\n", 0, first) + 1, "", _NOT_AN_ARRAY)]
    rows, lines, rejected = [], [], []
    starts = _elements(np.frombuffer(raw, dtype=np.uint8))[0].tolist()
    for element, line in zip(document, starts, strict=True):
        row = flatten_record(element) if isinstance(element, dict) else "not a JSON object"
        if isinstance(row, str):
            rejected.append(Rejection(line, "", row))
        else:
            rows.append(row)
            lines.append(line)
    return rows_frame(rows, lines), rejected

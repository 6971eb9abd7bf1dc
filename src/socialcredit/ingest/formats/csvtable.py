"""CSV: a header line, then one event per record; `_line` is the line a record starts on.

Columns spelt `data.x` become `x`. Blank lines are skipped; a record with more or fewer
fields than the header is rejected with its line, and the records around it are kept.
"""

from __future__ import annotations

import csv
import io

import polars as pl

from socialcredit.ingest.formats.textframe import (
    LINE,
    Rejection,
    as_text,
    empty_frame,
    flat_data_columns,
)

__all__ = ["read_csv"]


def _width_problem(line: int, found: int, wanted: int) -> Rejection:
    return Rejection(line, "", f"has {found} fields where the header has {wanted}")


def _fast(text: str) -> tuple[pl.DataFrame, list[Rejection]] | None:
    """Lines counted and checked as columns, the good ones read by Polars; None when a
    quoted field spans lines, as only a record-by-record reader can number those."""
    lines = pl.Series(text.split("\n")).str.strip_suffix("\r")
    if (lines.str.count_matches('"', literal=True) % 2 == 1).any():
        return None
    numbers = (lines.str.strip_chars() != "").arg_true()
    if numbers.is_empty():
        return empty_frame(), []
    unquoted = lines.str.replace_all(r'"[^"]*"', "")
    fields = unquoted.str.count_matches(",", literal=True) + 1
    width = fields[numbers[0]]
    records = numbers.slice(1)
    fits = fields.gather(records) == width
    good = records.filter(fits)
    body = lines.gather(pl.concat([numbers.head(1), good])).str.join("\n")
    try:
        frame = pl.read_csv(body.item().encode(), infer_schema=False)
    except pl.exceptions.PolarsError:
        return None
    if frame.height != good.len() or any("_duplicated_" in c for c in frame.columns):
        return None
    bad = records.filter(~fits)
    rejected = [
        _width_problem(n + 1, found, width)
        for n, found in zip(bad, fields.gather(bad), strict=True)
    ]
    frame = frame.with_columns(pl.Series(LINE, good + 1, dtype=pl.Int64))
    return as_text(flat_data_columns(frame)), rejected


def _careful(text: str) -> tuple[pl.DataFrame, list[Rejection]]:
    """Record by record through the csv module, which knows where each record starts."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header: list[str] | None = None
    header_line = 0
    rows: list[list[str]] = []
    lines: list[int] = []
    rejected: list[Rejection] = []
    while True:
        start = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            rejected.append(Rejection(start, "", f"not valid CSV: {exc}"))
            continue
        if len(record) <= 1 and not "".join(record).strip():
            continue
        if header is None:
            header, header_line = record, start
        elif len(record) != len(header):
            rejected.append(_width_problem(start, len(record), len(header)))
        else:
            rows.append(record)
            lines.append(start)
    if header is None:
        return empty_frame(), rejected
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        reason = f"the header names {', '.join(map(repr, twice))} more than once"
        return empty_frame(), [Rejection(header_line, "", reason)]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(header, pl.String), orient="row")
    frame = frame.with_columns(pl.Series(LINE, lines, dtype=pl.Int64))
    return as_text(flat_data_columns(frame)), rejected


def read_csv(text: str) -> tuple[pl.DataFrame, list[Rejection]]:
    """Rows of CSV text as text columns, and a rejection for each malformed record."""
    return _fast(text) or _careful(text)

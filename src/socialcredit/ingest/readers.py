"""Read event files (NDJSON, CSV) into a frame of text columns with source line numbers.

Every column comes back as text, `_line` holds the 1-based line of each row, and lines that
cannot be parsed at all come back separately as rejections, so one bad line never stops
the rest. Typing and checking against a rulebook happen in `ingest.events`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

__all__ = ["FORMATS", "Rejection", "read_events_file"]

FORMATS = ("ndjson", "csv")
TOP_LEVEL = ("id", "source", "subject", "type", "occurred_at", "jurisdiction", "act")


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


def format_of(path: Path) -> str:
    """The event format from the file's extension."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("ndjson", "jsonl"):
        return "ndjson"
    if suffix == "csv":
        return "csv"
    raise ValueError(f"{path}: cannot tell the format from {path.suffix!r}; use .ndjson or .csv")


def _scalar_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _flatten(record: dict[str, object]) -> dict[str, str | None]:
    row = {k: _scalar_text(v) for k, v in record.items() if k != "data"}
    data = record.get("data")
    if isinstance(data, dict):
        row.update({k: _scalar_text(v) for k, v in data.items() if k not in TOP_LEVEL})
    return row


def _read_ndjson_fast(text: str) -> pl.DataFrame | None:
    """The whole file through Polars' reader; None if any line needs the careful path."""
    lines = pl.Series(text.split("\n"))
    numbers = (lines.str.strip_chars() != "").arg_true() + 1
    try:
        frame = pl.read_ndjson(text.encode(), infer_schema_length=None)
    except (pl.exceptions.PolarsError, ValueError):
        return None
    if frame.height != len(numbers):
        return None
    if "data" in frame.columns:
        if not isinstance(frame.schema["data"], pl.Struct):
            return None
        data = frame.get_column("data").struct.unnest()
        data = data.select([c for c in data.columns if c not in TOP_LEVEL])
        frame = frame.drop("data").hstack(data)
    if any(isinstance(t, pl.List | pl.Struct | pl.Array) for t in frame.dtypes):
        return None
    frame = frame.with_columns(pl.all().cast(pl.String))
    return frame.with_columns(_line=numbers.cast(pl.Int64))


def _read_ndjson(text: str) -> tuple[pl.DataFrame, list[Rejection]]:
    fast = _read_ndjson_fast(text)
    if fast is not None:
        return fast, []
    # The careful path decodes line by line, so that a malformed line is reported with its
    # number and skipped; Polars' reader fails the whole file on one bad line.
    rows, rejected = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            rejected.append(Rejection(number, "", f"not valid JSON: {exc.msg}"))
            continue
        if not isinstance(record, dict):
            rejected.append(Rejection(number, "", "each line must be a JSON object"))
            continue
        rows.append({**_flatten(record), "_line": str(number)})
    if not rows:
        return pl.DataFrame({"_line": []}, schema={"_line": pl.Int64}), rejected
    frame = pl.DataFrame(rows, infer_schema_length=None)
    frame = frame.with_columns(pl.all().cast(pl.String))
    return frame.with_columns(pl.col("_line").cast(pl.Int64)), rejected


def _read_csv(path: Path) -> tuple[pl.DataFrame, list[Rejection]]:
    frame = pl.read_csv(path, infer_schema=False)
    frame = frame.rename(
        {c: c.removeprefix("data.") for c in frame.columns if c.startswith("data.")}
    )
    frame = frame.with_columns(pl.col(pl.String).replace("", None))
    return frame.with_row_index("_line", offset=2).with_columns(pl.col("_line").cast(pl.Int64)), []


def read_events_file(path: Path, fmt: str | None = None) -> tuple[pl.DataFrame, list[Rejection]]:
    """Rows of an event file as text columns plus `_line`, and the unparseable lines."""
    fmt = fmt or format_of(path)
    if fmt == "csv":
        return _read_csv(path)
    if fmt == "ndjson":
        return _read_ndjson(path.read_text(encoding="utf-8"))
    raise ValueError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")

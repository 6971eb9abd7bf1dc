"""Column mappings: rename and convert a foreign export's columns into the event schema.

A mapping is a small TOML file (documented in docs/ingest.md): `[fields]` says how each
event field is made, from a column as it is, from a column through one conversion (a time
format, a value map, a scale), or as a constant. It applies to the text frame a reader
returns, column by column; rows whose values do not convert are set aside with their line.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

import polars as pl

from socialcredit.errors import MappingError, Problem
from socialcredit.ingest.conversions import Conversion, Rename, Scale, Timestamp, ValueMap
from socialcredit.ingest.formats.textframe import LINE, Rejection
from socialcredit.rules.locate import Locator

__all__ = ["KEYS", "FieldMapping", "Mapping", "apply_mapping", "load_mapping", "parse_mapping"]

# Every key a mapping file may hold, by table; docs/ingest.md documents each of them.
KEYS: dict[str, frozenset[str]] = {
    "top": frozenset({"mapping", "fields"}),
    "mapping": frozenset({"keep_unmapped"}),
    "field": frozenset({"from", "value", "format", "timezone", "values", "scale"}),
}
CONVERSIONS = ("format", "values", "scale")
# A moment every usable time format can write and read back, year included.
_SAMPLE = datetime(2001, 2, 3, 4, 5, 6)
AS_IS = Rename()


@dataclass(frozen=True)
class FieldMapping:
    """How one event field is made: from `column` through `conversion`, or as `constant`."""

    name: str
    line: int | None
    column: str | None = None
    conversion: Conversion = AS_IS
    constant: str | None = None

    def output(self) -> pl.Expr:
        """The field's text, named as the field."""
        if self.column is None:
            return pl.lit(self.constant, dtype=pl.String).alias(self.name)
        return self.conversion.convert(pl.col(self.column)).alias(self.name)

    def failed(self) -> pl.Expr:
        """A value was there but did not convert."""
        if self.column is None:
            return pl.lit(False)
        return pl.col(self.column).is_not_null() & self.output().is_null()

    def reason(self) -> pl.Expr:
        """Why a value did not convert, naming the column it came from."""
        if self.column is None:
            return pl.lit(None, dtype=pl.String)
        column = pl.lit(f"column {self.column}: ")
        return pl.concat_str(column, self.conversion.reason(pl.col(self.column)))


@dataclass(frozen=True)
class Mapping:
    """The fields of a mapping file, in its order, and whether to keep the other columns."""

    origin: str
    fields: tuple[FieldMapping, ...]
    keep_unmapped: bool = False

    def columns(self) -> set[str]:
        """The columns the mapping reads."""
        return {f.column for f in self.fields if f.column is not None}


def _missing_columns(frame: pl.DataFrame, mapping: Mapping) -> list[Problem]:
    present = [c for c in frame.columns if c != LINE]
    has = ", ".join(present) or "none"
    return [
        Problem(
            mapping.origin,
            f.line,
            f"fields.{f.name}",
            f"the file has no column {f.column!r}; its columns are: {has}",
        )
        for f in mapping.fields
        if f.column is not None and f.column not in frame.columns
    ]


def _kept(frame: pl.DataFrame, mapping: Mapping) -> list[str]:
    if not mapping.keep_unmapped:
        return []
    taken = mapping.columns() | {f.name for f in mapping.fields} | {LINE}
    return [c for c in frame.columns if c not in taken]


def apply_mapping(frame: pl.DataFrame, mapping: Mapping) -> tuple[pl.DataFrame, list[Rejection]]:
    """The reader's text frame in the event schema, and a rejection for each row whose
    values do not convert (naming the first field at fault). Raises MappingError if the
    mapping reads a column the frame lacks."""
    if frame.is_empty():
        # Nothing to convert (a reader may have rejected every row), so no column is missing.
        absent = mapping.columns() - set(frame.columns)
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in sorted(absent))
    missing = _missing_columns(frame, mapping)
    if missing:
        raise MappingError(missing)
    field, reason = pl.lit(None, dtype=pl.String), pl.lit(None, dtype=pl.String)
    for f in reversed(mapping.fields):
        if f.column is not None:
            field = pl.when(f.failed()).then(pl.lit(f.name)).otherwise(field)
            reason = pl.when(f.failed()).then(f.reason()).otherwise(reason)
    mapped = (
        frame.lazy()
        .select(
            *(f.output() for f in mapping.fields),
            *_kept(frame, mapping),
            pl.col(LINE),
            field.alias("_field"),
            reason.alias("_reason"),
        )
        .collect()
    )
    bad = mapped.filter(pl.col("_field").is_not_null())
    rejected = [Rejection(*row) for row in bad.select(LINE, "_field", "_reason").iter_rows()]
    good = mapped.filter(pl.col("_field").is_null()).drop("_field", "_reason")
    return good, rejected


class _Reader:
    """Reads one mapping text, recording located problems instead of stopping at the first."""

    def __init__(self, text: str, origin: str) -> None:
        self.origin = origin
        self.locator = Locator(text)
        self.problems: list[Problem] = []

    def problem(self, where: str, message: str) -> None:
        section, _, key = where.rpartition(".")
        line = self.locator.line(section, 0, key)
        if line is None and "." in section:
            # A key inside an inline table has no line of its own; its field has.
            table, _, name = section.rpartition(".")
            line = self.locator.line(table, 0, name)
        self.problems.append(Problem(self.origin, line, where, message))

    def unknown_keys(self, table: dict[str, Any], allowed: str, where: str) -> None:
        choices = ", ".join(sorted(KEYS[allowed]))
        for key in sorted(set(table) - KEYS[allowed]):
            at = f"{where}.{key}" if where else key
            self.problem(at, f"unknown key {key!r} (allowed: {choices})")

    def text(self, value: object, where: str) -> str | None:
        if isinstance(value, str) and value:
            return value
        self.problem(where, f"must be a non-empty string, not {value!r}")
        return None


def _time_problem(pattern: str, timezone: object) -> str:
    if "%" not in pattern:
        return "must use % directives, such as %Y/%m/%d %H:%M"
    sample = pl.Series([_SAMPLE]).dt.replace_time_zone("UTC")
    try:
        back = sample.dt.to_string(pattern).str.to_datetime(pattern, strict=False)
    except pl.exceptions.PolarsError:
        return f"{pattern!r} is not a time format Polars understands"
    if back.dt.year().item() != _SAMPLE.year:
        return f"{pattern!r} does not read back the year it writes"
    if timezone is not None and timezone not in available_timezones() | {"UTC"}:
        return f"unknown timezone {timezone!r} (use an IANA name such as Asia/Shanghai)"
    return ""


def _conversion(r: _Reader, spec: dict[str, Any], where: str) -> Conversion | None:
    chosen = [k for k in CONVERSIONS if k in spec]
    if len(chosen) > 1:
        r.problem(where, f"one conversion per field, found {' and '.join(chosen)}")
        return None
    if "timezone" in spec and chosen != ["format"]:
        r.problem(f"{where}.timezone", "needs `format`, which says how the time is written")
        return None
    if chosen == ["format"]:
        return _timestamp(r, spec, where)
    if chosen == ["values"]:
        return _value_map(r, spec["values"], f"{where}.values")
    if chosen == ["scale"]:
        return _scale(r, spec["scale"], f"{where}.scale")
    return AS_IS


def _timestamp(r: _Reader, spec: dict[str, Any], where: str) -> Conversion | None:
    pattern, timezone = r.text(spec["format"], f"{where}.format"), spec.get("timezone")
    if pattern is None or (timezone is not None and r.text(timezone, f"{where}.timezone") is None):
        return None
    problem = _time_problem(pattern, timezone)
    if problem:
        r.problem(f"{where}.{'timezone' if 'timezone' in problem else 'format'}", problem)
        return None
    return Timestamp(pattern, timezone)


def _value_map(r: _Reader, values: object, where: str) -> Conversion | None:
    if not isinstance(values, dict) or not values:
        r.problem(where, 'must be a table of values, such as { "罚款" = "traffic.fine" }')
        return None
    wrong = sorted(k for k, v in values.items() if not isinstance(v, str))
    if wrong:
        r.problem(where, f"every value maps to a string; {', '.join(wrong)} do not")
        return None
    return ValueMap(tuple(values.items()))


def _scale(r: _Reader, factor: object, where: str) -> Conversion | None:
    if isinstance(factor, bool) or not isinstance(factor, int | float):
        r.problem(where, f"must be a number, not {factor!r}")
        return None
    if not math.isfinite(factor) or factor == 0:
        r.problem(where, f"must be a finite number other than 0, not {factor!r}")
        return None
    return Scale(float(factor))


def _field(r: _Reader, name: str, spec: object) -> FieldMapping | None:
    where = f"fields.{name}"
    line = r.locator.line("fields", 0, name)
    if name == LINE:
        r.problem(where, f"{LINE} is the line number the reader adds; it cannot be mapped")
        return None
    if isinstance(spec, str):
        column = r.text(spec, where)
        return FieldMapping(name, line, column) if column else None
    if not isinstance(spec, dict):
        r.problem(where, f'must be a column name or a table such as {{ from = "…" }}, not {spec!r}')
        return None
    r.unknown_keys(spec, "field", where)
    if "value" in spec:
        others = sorted(set(spec) - {"value"})
        if others:
            r.problem(where, f"a constant value takes no other keys, found {', '.join(others)}")
        constant = r.text(spec["value"], f"{where}.value")
        return FieldMapping(name, line, constant=constant) if constant and not others else None
    if "from" not in spec:
        r.problem(where, "needs `from` (a column) or `value` (a constant)")
        return None
    column, conversion = r.text(spec["from"], f"{where}.from"), _conversion(r, spec, where)
    if column == LINE:
        r.problem(f"{where}.from", f"{LINE} is the line number the reader adds, not a column")
        return None
    return FieldMapping(name, line, column, conversion) if column and conversion else None


def _toml(text: str, origin: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at line.*\)$", "", str(exc))
        line = int(at.group(1)) if at else None
        raise MappingError([Problem(origin, line, "", f"not valid TOML: {message}")]) from None


def parse_mapping(text: str, origin: str) -> Mapping:
    """A mapping from TOML text; raises MappingError listing every located problem."""
    data, r = _toml(text, origin), _Reader(text, origin)
    r.unknown_keys(data, "top", "")
    options = data.get("mapping", {})
    if not isinstance(options, dict):
        r.problem("mapping", "must be a table: [mapping]")
        options = {}
    r.unknown_keys(options, "mapping", "mapping")
    keep = options.get("keep_unmapped", False)
    if not isinstance(keep, bool):
        r.problem("mapping.keep_unmapped", f"must be true or false, not {keep!r}")
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        r.problem("fields", "a mapping needs a [fields] table naming at least one field")
        fields = {}
    made = [_field(r, name, spec) for name, spec in fields.items()]
    if r.problems:
        raise MappingError(r.problems)
    return Mapping(origin, tuple(f for f in made if f is not None), keep is True)


def load_mapping(path: Path) -> Mapping:
    """The mapping in a TOML file; raises MappingError naming the file, line and key."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError([Problem(str(path), None, "", f"cannot read: {exc}")]) from None
    return parse_mapping(text, str(path))

"""Conversions a column mapping applies: each turns a column's text into an event field's.

Each is a pair of Polars expressions, the converted text (null where a value does not
convert) and the reason it did not, so a whole column converts at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import polars as pl

from socialcredit.ingest.formats.textframe import number_text

__all__ = ["Conversion", "Rename", "Scale", "Timestamp", "ValueMap"]

_OFFSET = re.compile(r"%[:#]?z")


class Conversion(Protocol):
    """Turns the text of a column into the text of an event field, or into null."""

    def convert(self, text: pl.Expr) -> pl.Expr:
        """The converted text; null where the value does not convert."""
        ...

    def reason(self, text: pl.Expr) -> pl.Expr:
        """Why a value did not convert, for the rejection."""
        ...


@dataclass(frozen=True)
class Rename:
    """The column as it is."""

    def convert(self, text: pl.Expr) -> pl.Expr:
        return text

    def reason(self, text: pl.Expr) -> pl.Expr:
        return pl.lit("")


@dataclass(frozen=True)
class Timestamp:
    """A time written in `format`, as ISO 8601; with an offset when one is known."""

    format: str
    timezone: str | None = None

    @property
    def has_offset(self) -> bool:
        return bool(_OFFSET.search(self.format))

    def _local(self, text: pl.Expr) -> pl.Expr:
        return text.str.strip_chars().str.to_datetime(self.format, strict=False, time_unit="us")

    def _moment(self, text: pl.Expr) -> pl.Expr:
        moment = self._local(text)
        if self.has_offset:
            return moment.dt.convert_time_zone(self.timezone) if self.timezone else moment
        if self.timezone:
            # Nothing is guessed: a wall-clock time that happens twice, or never, is refused.
            return moment.dt.replace_time_zone(self.timezone, ambiguous="null", non_existent="null")
        return moment

    def convert(self, text: pl.Expr) -> pl.Expr:
        offset = "%:z" if self.has_offset or self.timezone else ""
        return self._moment(text).dt.to_string(f"%Y-%m-%dT%H:%M:%S%.f{offset}")

    def reason(self, text: pl.Expr) -> pl.Expr:
        return (
            pl.when(self._local(text).is_null())
            .then(pl.format("{} does not match the format {}", text, pl.lit(self.format)))
            .otherwise(
                pl.format("{} is ambiguous or does not exist in {}", text, pl.lit(self.timezone))
            )
        )


@dataclass(frozen=True)
class ValueMap:
    """Each value replaced by the one it maps to; a value not in the map does not convert."""

    values: tuple[tuple[str, str], ...]

    def convert(self, text: pl.Expr) -> pl.Expr:
        return text.replace_strict(dict(self.values), default=None, return_dtype=pl.String)

    def reason(self, text: pl.Expr) -> pl.Expr:
        known = ", ".join(key for key, _ in self.values[:10])
        more = ", ..." if len(self.values) > 10 else ""
        return pl.format("{} is not one of the mapped values ({})", text, pl.lit(known + more))


@dataclass(frozen=True)
class Scale:
    """A number multiplied by `factor`, such as fen to yuan with 0.01."""

    factor: float

    def convert(self, text: pl.Expr) -> pl.Expr:
        number = text.str.strip_chars().cast(pl.Float64, strict=False)
        # Fifteen significant digits undo the binary noise of the product (12345 * 0.01).
        scaled = (number * self.factor).round_sig_figs(15)
        return pl.when(number.is_finite()).then(number_text(scaled))

    def reason(self, text: pl.Expr) -> pl.Expr:
        return pl.format("{} is not a number", text)

"""Vectorised identity helpers for bulk paths: resident ID birth dates and adulthood dates.

They agree with `socialcredit.domain.identifiers` (the property tests check it) but run as
Polars expressions, with no Python per-row work.
"""

from __future__ import annotations

import polars as pl

from socialcredit.domain.identifiers import RESIDENT_ID_STRIP_CHARS

__all__ = ["adult_from", "resident_birth_date"]

# GB 11643 / ISO 7064 MOD 11-2: weights of positions 1-17 and the check character per remainder.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARACTERS = "10X98765432"
# Rust regex: `[0-9]` is ASCII only and `$` matches only at the very end.
_SHAPE = r"^[0-9]{17}[0-9Xx]$"


def resident_birth_date(subject: pl.Expr) -> pl.Expr:
    """Birth date (`pl.Date`) of each valid resident ID number in `subject`; null otherwise.

    Valid means what `is_resident_id` accepts: shape, a real calendar date, the check character.
    """
    number = subject.str.strip_chars(RESIDENT_ID_STRIP_CHARS)
    well_formed = number.str.contains(_SHAPE)
    checked = _expected_check_character(number) == number.str.slice(17, 1).str.to_uppercase()
    return pl.when(well_formed & checked).then(_calendar_date(number.str.slice(6, 8)))


def adult_from(birth: pl.Expr, age: int = 18) -> pl.Expr:
    """Date of the `age`-th birthday; a 29 February birth gives 28 February in common years."""
    return birth.dt.offset_by(f"{age}y")


def _expected_check_character(number: pl.Expr) -> pl.Expr:
    # The 17 leading digits as one integer (< 10**17, fits Int64); digits by integer arithmetic.
    body = number.str.slice(0, 17).str.to_integer(strict=False)
    total = pl.lit(0, dtype=pl.Int64)
    for position, weight in enumerate(_WEIGHTS):
        digit = body // 10 ** (16 - position) % 10
        total = total + digit * weight
    return (total % 11).replace_strict(
        list(range(11)), list(_CHECK_CHARACTERS), return_dtype=pl.String
    )


def _calendar_date(yyyymmdd: pl.Expr) -> pl.Expr:
    # Polars parses year 0000 (proleptic year 0); Python's date, hence the pure version, cannot.
    parsed = yyyymmdd.str.strptime(pl.Date, "%Y%m%d", strict=False)
    return pl.when(parsed.dt.year() >= 1).then(parsed)

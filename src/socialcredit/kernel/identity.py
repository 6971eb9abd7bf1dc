"""Vectorised identity helpers for bulk paths: resident ID birth dates and adulthood dates.

They agree with `socialcredit.domain.identifiers` (the property tests check it) but run as
Polars expressions or one compiled pass over the identifiers' bytes, with no Python per-row
work.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.domain.identifiers import RESIDENT_ID_STRIP_CHARS
from socialcredit.kernel.compiled import compiled

__all__ = ["adult_days", "adult_from", "resident_birth_date"]

# GB 11643 / ISO 7064 MOD 11-2: the check character per remainder of the weighted sum.
_CHECK_CHARACTERS = "10X98765432"
# Rust regex: `[0-9]` is ASCII only and `$` matches only at the very end.
_SHAPE = r"^[0-9]{17}[0-9Xx]$"
_LENGTH = 18
# The weight of each of the 17 leading digits: 2**(17 - i) mod 11 for the i-th (0-based).
_WEIGHTS = np.array([2 ** (17 - i) % 11 for i in range(17)], np.int64)
_CHECK_BYTES = np.frombuffer(_CHECK_CHARACTERS.encode(), np.uint8).astype(np.int64)


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
    # The 17 leading digits as one integer (< 10**17, fits Int64).
    body = number.str.slice(0, 17).str.to_integer(strict=False)
    remainder = body.map_batches(_weighted_sum_mod_11, return_dtype=pl.Int64)
    return remainder.replace_strict(
        list(range(11)), list(_CHECK_CHARACTERS), return_dtype=pl.String
    )


def _weighted_sum_mod_11(body: pl.Series) -> pl.Series:
    """The MOD 11-2 weighted digit sum of each 17-digit body, modulo 11.

    The weight of digit i (1-based) is 2**(18 - i) mod 11, so the body splits into chunks of
    5, 6 and 6 digits whose own weighted sums come from tables: digit by digit in Polars,
    the same sum costs 50 passes over the column.
    """
    five, six = _chunk_sums()
    value = np.maximum(body.fill_null(0).to_numpy(), 0)  # a sign fails the shape check anyway
    total = (
        five[value // 10**12] * (2**12 % 11)
        + six[value // 10**6 % 10**6] * (2**6 % 11)
        + six[value % 10**6]
    ) % 11
    return pl.Series(body.name, total.astype(np.int64)).set(body.is_null(), None)


@cache
def _chunk_sums() -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For every chunk of 5 and of 6 digits, sum(d_j * 2**(len + 1 - j)) mod 11."""
    tables = []
    for width in (5, 6):
        value = np.arange(10**width, dtype=np.int64)
        total = np.zeros_like(value)
        for j in range(1, width + 1):
            total += value // 10 ** (width - j) % 10 * 2 ** (width + 1 - j)
        tables.append(total % 11)
    return tables[0], tables[1]


def _calendar_date(yyyymmdd: pl.Expr) -> pl.Expr:
    # Polars parses year 0000 (proleptic year 0); Python's date, hence the pure version, cannot.
    parsed = yyyymmdd.str.strptime(pl.Date, "%Y%m%d", strict=False)
    return pl.when(parsed.dt.year() >= 1).then(parsed)


def adult_days(subjects: pl.Series, age: int, unknown: int) -> npt.NDArray[np.int64]:
    """Per identifier, the day (days since 1970) of the `age`-th birthday that its resident
    ID number gives, as `adult_from(resident_birth_date(...))` does; `unknown` where it is
    not a valid resident ID number.

    Identifiers of exactly 18 bytes (every valid number that needs no stripping) are read in
    one compiled pass over their bytes; the others go through the Polars expressions.
    """
    exact = (subjects.str.len_bytes() == _LENGTH).fill_null(False)
    placeholder = pl.lit("-" * _LENGTH)  # 18 bytes that are not a number
    raw = (
        subjects.to_frame("s")
        .select(pl.when(exact).then(pl.col("s")).otherwise(placeholder))
        .to_series()
        .cast(pl.Binary)
        .bin.reinterpret(dtype=pl.Array(pl.UInt8, _LENGTH))
        .to_numpy()
    )
    days = _adult_days(np.ascontiguousarray(raw, np.uint8), age, unknown)
    other = np.flatnonzero(~exact.to_numpy())
    if other.size:
        rest = subjects.gather(other).to_frame("s")
        adult = rest.select(adult_from(resident_birth_date(pl.col("s")), age).cast(pl.Int32))
        days[other] = adult.to_series().fill_null(unknown).to_numpy()
    return days


@compiled
def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


@compiled
def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date."""
    y = year - 1 if month <= 2 else year
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@compiled
def _adult_days(raw: npt.NDArray[np.uint8], age: int, unknown: int) -> npt.NDArray[np.int64]:
    """The `age`-th birthday (days since 1970) of each valid 18-byte resident ID number (a row
    of `raw`): 17 ASCII digits, a digit or X (either case) matching the MOD 11-2 check, and a
    real date from year 1 on; `unknown` for the others."""
    days = np.full(raw.shape[0], unknown, np.int64)
    zero, nine = ord("0"), ord("9")
    for i in range(raw.shape[0]):
        total = 0
        digits = True
        for j in range(17):
            c = raw[i, j]
            if c < zero or c > nine:
                digits = False
                break
            total += (c - zero) * _WEIGHTS[j]
        if not digits:
            continue
        last = raw[i, 17]
        if last == ord("x"):
            last = ord("X")
        if not (zero <= last <= nine or last == ord("X")):
            continue
        if _CHECK_BYTES[total % 11] != last:
            continue
        year = 0
        for j in range(6, 10):
            year = year * 10 + raw[i, j] - zero
        month = (raw[i, 10] - zero) * 10 + raw[i, 11] - zero
        day = (raw[i, 12] - zero) * 10 + raw[i, 13] - zero
        if year < 1 or month < 1 or month > 12 or day < 1 or day > _days_in_month(year, month):
            continue
        later = year + age
        days[i] = _days_from_civil(later, month, min(day, _days_in_month(later, month)))
    return days

"""Subject identifiers: kinds, resident identity numbers (GB 11643), unified social credit
codes (GB 32100) and opaque identifiers for deployments outside China.

The kind of every subject is explicit (`SubjectKind`); nothing here guesses it from the shape
of a string. Pure functions: no I/O, no clock; the caller passes the day.
"""

from __future__ import annotations

import calendar
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidComponent

from socialcredit.errors import IdentifierError

__all__ = [
    "ADULT_AGE",
    "RESIDENT_ID_STRIP_CHARS",
    "SubjectKind",
    "UsccCheck",
    "age_on",
    "birth_date",
    "check_uscc",
    "is_adult_on",
    "is_resident_id",
    "validate_opaque_id",
    "validate_resident_id",
]

# Exactly the characters for which `str.isspace()` is true. An explicit set, shared with the
# vectorised kernel (`socialcredit.kernel.identity`), so both strip the same characters: Python's
# `str.strip()` and Polars' `str.strip_chars()` disagree on what whitespace is (e.g. U+001C).
RESIDENT_ID_STRIP_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

_DIGITS = "0123456789"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORGANISATION_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_OPAQUE_MAX_LENGTH = 128

# Minors (under this age at the event) take no negative points and are never listed.
ADULT_AGE = 18


class SubjectKind(StrEnum):
    """What kind of identifier names a subject; always stated, never inferred."""

    PERSON = "person"
    ORGANISATION = "organisation"
    OPAQUE = "opaque"


# --- resident identity number (GB 11643-1999) -------------------------------------------------


def validate_resident_id(value: str) -> str:
    """Return the compact, upper-case 18-character resident ID number.

    Raises IdentifierError naming the problem: length, format, birth date or check character.
    """
    number = _compact_resident_id(value)
    _require_resident_shape(number)
    _resident_birth_date(number)
    _require_resident_check(number)
    return number


def is_resident_id(value: str) -> bool:
    """Whether `value` is a valid resident ID number (see `validate_resident_id`)."""
    try:
        validate_resident_id(value)
    except IdentifierError:
        return False
    return True


def birth_date(resident_id: str) -> date:
    """The birth date in a resident ID number (positions 7-14); validates the number first."""
    return _resident_birth_date(validate_resident_id(resident_id))


def age_on(resident_id: str, day: date) -> int:
    """Full years of age on `day` (negative if `day` precedes the birth date).

    A 29 February birthday falls on 28 February in non-leap years.
    """
    born = birth_date(resident_id)
    years = day.year - born.year
    return years if day >= _anniversary(born, day.year) else years - 1


def is_adult_on(resident_id: str, day: date, *, age: int = ADULT_AGE) -> bool:
    """Whether the person is at least `age` full years old on `day`."""
    return age_on(resident_id, day) >= age


def _compact_resident_id(value: str) -> str:
    # Not stdnum's ric.compact: it also folds look-alike Unicode (full-width digits and more),
    # which the vectorised kernel cannot mirror exactly; both strip whitespace and upper-case.
    return value.strip(RESIDENT_ID_STRIP_CHARS).upper()


def _require_resident_shape(number: str) -> None:
    # By hand: stdnum raises bare InvalidLength/InvalidFormat without saying what is wrong.
    if len(number) != 18:
        raise IdentifierError(f"resident ID must have 18 characters, not {len(number)}")
    for position, char in enumerate(number, start=1):
        allowed = _DIGITS if position < 18 else _DIGITS + "X"
        if char not in allowed:
            raise IdentifierError(
                f"resident ID has {char!r} at position {position}; positions 1-17 must be "
                "digits and position 18 a digit or X"
            )


def _resident_birth_date(number: str) -> date:
    try:
        return ric.get_birth_date(number)
    except InvalidComponent:
        raise IdentifierError(
            f"resident ID birth date {number[6:14]!r} (positions 7-14) is not a calendar date"
        ) from None


def _require_resident_check(number: str) -> None:
    expected = ric.calc_check_digit(number)
    if number[17] != expected:
        raise IdentifierError(
            f"resident ID check character is {number[17]!r} but {expected!r} was expected"
        )


def _anniversary(born: date, year: int) -> date:
    # The birthday in `year`, clamped to the month's end (29 February -> 28 February).
    last_day = calendar.monthrange(year, born.month)[1]
    return date(year, born.month, min(born.day, last_day))


# --- unified social credit code (GB 32100-2015) -----------------------------------------------


@dataclass(frozen=True)
class UsccCheck:
    """A well-formed USCC: `valid` is False when a check character fails; `warnings` say why."""

    code: str
    valid: bool
    warnings: tuple[str, ...]


def check_uscc(value: str) -> UsccCheck:
    """Check a unified social credit code; format errors raise IdentifierError.

    Failed check characters are warnings, not errors: some legal early codes fail them.
    """
    code = uscc.compact(value)
    _require_uscc_shape(code)
    found = (_national_check_warning(code), _organisation_check_warning(code))
    warnings = tuple(warning for warning in found if warning is not None)
    return UsccCheck(code=code, valid=not warnings, warnings=warnings)


def _require_uscc_shape(code: str) -> None:
    # By hand: stdnum's uscc.validate rejects letters in positions 1-8 (authority "Y" is
    # legal) and treats a failed check character as an error rather than a warning.
    if len(code) != 18:
        raise IdentifierError(
            f"unified social credit code must have 18 characters, not {len(code)}"
        )
    for position, char in enumerate(code, start=1):
        if char not in _USCC_ALPHABET:
            raise IdentifierError(
                f"unified social credit code has {char!r} at position {position}; allowed are "
                f"{_USCC_ALPHABET} (no I, O, S, V, Z)"
            )


def _national_check_warning(code: str) -> str | None:
    expected = uscc.calc_check_digit(code)
    if code[17] == expected:
        return None
    return (
        f"national check character (position 18) is {code[17]!r} but GB 32100 expects "
        f"{expected!r}; some legal early codes fail this check, so confirm against the registry"
    )


def _organisation_check_warning(code: str) -> str | None:
    expected = _organisation_check_character(code[8:16])
    if code[16] == expected:
        return None
    return (
        f"embedded organisation code {code[8:17]} fails its GB 11714 check: position 17 is "
        f"{code[16]!r} but {expected!r} was expected; confirm against the registry"
    )


def _organisation_check_character(body: str) -> str:
    # By hand: stdnum has no GB 11714 organisation code module and uscc does not check it.
    # Characters count as base-36 digits (A=10 ... Z=35), as GB 11714 specifies.
    total = sum(
        int(char, 36) * weight for char, weight in zip(body, _ORGANISATION_WEIGHTS, strict=True)
    )
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


# --- opaque identifiers ------------------------------------------------------------------------


def validate_opaque_id(value: str) -> str:
    """Return `value` unchanged if it is a usable opaque identifier; else raise IdentifierError.

    Non-empty, at most 128 characters, no whitespace, control or invisible format characters.
    """
    if not value:
        raise IdentifierError("opaque ID must not be empty")
    if len(value) > _OPAQUE_MAX_LENGTH:
        raise IdentifierError(
            f"opaque ID must have at most {_OPAQUE_MAX_LENGTH} characters, not {len(value)}"
        )
    for position, char in enumerate(value, start=1):
        if _is_space_or_control(char):
            raise IdentifierError(
                f"opaque ID has whitespace or control character U+{ord(char):04X} "
                f"at position {position}"
            )
    return value


def _is_space_or_control(char: str) -> bool:
    # Cc control, Cf format (zero-width and bidi overrides, which hide in logs), Cs surrogate.
    return char.isspace() or unicodedata.category(char) in {"Cc", "Cf", "Cs"}

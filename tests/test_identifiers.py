"""Identifiers: resident ID numbers, unified social credit codes, opaque IDs, and the
vectorised kernel versions agreeing with the pure ones."""

from __future__ import annotations

import re
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc

from socialcredit.domain.identifiers import (
    RESIDENT_ID_STRIP_CHARS,
    SubjectKind,
    age_on,
    birth_date,
    check_uscc,
    is_adult_on,
    is_resident_id,
    validate_opaque_id,
    validate_resident_id,
)
from socialcredit.errors import IdentifierError
from socialcredit.kernel.identity import adult_days, adult_from, resident_birth_date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_character(body: str) -> str:
    """ISO 7064 MOD 11-2 check character of 17 digits, written out independently of stdnum."""
    total = sum(int(digit) * weight for digit, weight in zip(body, WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def make_resident_id(division: str, born: date, sequence: int) -> str:
    body = f"{division}{born:%Y%m%d}{sequence:03d}"
    return body + check_character(body)


def kernel_birth_dates(values: list[str | None]) -> list[date | None]:
    frame = pl.DataFrame({"subject": values}, schema={"subject": pl.String})
    return frame.select(resident_birth_date(pl.col("subject")))["subject"].to_list()


def pure_birth_date(value: str) -> date | None:
    return birth_date(value) if is_resident_id(value) else None


# --- resident ID: known numbers ---------------------------------------------------------------


def test_subject_kinds_are_person_organisation_and_opaque() -> None:
    assert [kind.value for kind in SubjectKind] == ["person", "organisation", "opaque"]


@pytest.mark.parametrize("number", ["11010519491231002X", "360426199101010071"])
def test_known_valid_resident_ids_validate_to_themselves(number: str) -> None:
    assert validate_resident_id(number) == number
    assert is_resident_id(number)


def test_constructed_resident_id_is_valid() -> None:
    number = make_resident_id("990000", date(2000, 2, 29), 123)
    assert validate_resident_id(number) == number
    assert birth_date(number) == date(2000, 2, 29)


def test_resident_id_with_lowercase_x_is_accepted_and_upper_cased() -> None:
    assert validate_resident_id("11010519491231002x") == "11010519491231002X"


def test_resident_id_surrounding_whitespace_is_stripped() -> None:
    assert validate_resident_id("\u3000 11010519491231002X\n") == "11010519491231002X"


def test_resident_id_strip_chars_are_exactly_python_whitespace() -> None:
    everything = (chr(code) for code in range(0x110000))
    assert set(RESIDENT_ID_STRIP_CHARS) == {char for char in everything if char.isspace()}


@pytest.mark.parametrize("number", ["", "11010519491231002", "11010519491231002X0"])
def test_resident_id_of_wrong_length_names_the_length(number: str) -> None:
    with pytest.raises(IdentifierError, match=f"18 characters, not {len(number)}"):
        validate_resident_id(number)


@pytest.mark.parametrize(
    ("number", "position"),
    [("1101051949123100XX", 17), ("A10105194912310021", 1), ("1101051949123100\uff121", 17)],
)
def test_resident_id_with_a_non_digit_names_its_position(number: str, position: int) -> None:
    with pytest.raises(IdentifierError, match=f"at position {position};"):
        validate_resident_id(number)


def test_resident_id_with_impossible_birth_date_19900230_is_rejected() -> None:
    body = "110105" + "19900230" + "001"
    with pytest.raises(IdentifierError, match="birth date '19900230'"):
        validate_resident_id(body + check_character(body))


def test_resident_id_with_year_zero_is_rejected() -> None:
    body = "110105" + "00000101" + "001"
    assert not is_resident_id(body + check_character(body))


def test_resident_id_with_wrong_check_character_names_the_expected_one() -> None:
    with pytest.raises(IdentifierError, match="is '1' but 'X' was expected"):
        validate_resident_id("110105194912310021")


def test_birth_date_validates_first() -> None:
    with pytest.raises(IdentifierError):
        birth_date("110105194912310021")


# --- ages ---------------------------------------------------------------------------------------


def test_age_counts_full_years() -> None:
    number = make_resident_id("110105", date(2000, 6, 15), 1)
    assert age_on(number, date(2018, 6, 14)) == 17
    assert age_on(number, date(2018, 6, 15)) == 18
    assert not is_adult_on(number, date(2018, 6, 14))
    assert is_adult_on(number, date(2018, 6, 15))


def test_leap_day_birthday_falls_on_28_february_in_common_years() -> None:
    number = make_resident_id("110105", date(2004, 2, 29), 2)
    assert age_on(number, date(2022, 2, 27)) == 17
    assert age_on(number, date(2022, 2, 28)) == 18
    assert age_on(number, date(2024, 2, 28)) == 19
    assert age_on(number, date(2024, 2, 29)) == 20


def test_age_before_birth_is_negative() -> None:
    number = make_resident_id("110105", date(2000, 5, 1), 3)
    assert age_on(number, date(1999, 5, 2)) == -1
    assert not is_adult_on(number, date(1999, 5, 2), age=0)


def test_is_adult_on_uses_the_given_age() -> None:
    number = make_resident_id("110105", date(2000, 1, 1), 4)
    assert is_adult_on(number, date(2016, 1, 1), age=16)
    assert not is_adult_on(number, date(2016, 1, 1), age=18)


# --- unified social credit code -----------------------------------------------------------------


def test_uscc_known_valid_code_has_no_warnings() -> None:
    assert check_uscc("91110000600037341L") == check_uscc("9111 0000-600037341l")
    result = check_uscc("91110000600037341L")
    assert result.code == "91110000600037341L"
    assert result.valid
    assert result.warnings == ()


def test_uscc_early_fujian_code_gives_a_warning_not_an_exception() -> None:
    result = check_uscc("91350100M0001TGQXM")
    assert not result.valid
    assert len(result.warnings) == 1
    assert "expects '1'" in result.warnings[0]


def test_uscc_failing_embedded_organisation_code_gives_a_warning() -> None:
    # Change position 17 and recompute the national check so only GB 11714 fails.
    body = "91110000600037349"
    code = body + uscc.calc_check_digit(body + "0")
    result = check_uscc(code)
    assert not result.valid
    assert len(result.warnings) == 1
    assert "GB 11714" in result.warnings[0]
    assert "'1' was expected" in result.warnings[0]


def test_uscc_authority_y_is_well_formed() -> None:
    body = "Y1110000600037341"
    assert check_uscc(body + uscc.calc_check_digit(body + "0")).valid


@pytest.mark.parametrize(
    ("code", "char"), [("91110000600037341I", "I"), ("9111000O600037341L", "O")]
)
def test_uscc_with_character_outside_the_alphabet_raises(code: str, char: str) -> None:
    with pytest.raises(IdentifierError, match=f"'{char}' at position"):
        check_uscc(code)


def test_uscc_of_wrong_length_raises() -> None:
    with pytest.raises(IdentifierError, match="18 characters, not 17"):
        check_uscc("91110000600037341")


# --- opaque identifiers -------------------------------------------------------------------------


def test_opaque_id_is_returned_unchanged() -> None:
    assert validate_opaque_id("NL:citizen/42-äö") == "NL:citizen/42-äö"
    assert validate_opaque_id("x" * 128) == "x" * 128


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("x" * 129, "at most 128"),
        ("a b", "U+0020 at position 2"),
        ("ab\t", "U+0009"),
        ("a\x00", "U+0000"),
        ("a\u200bb", "U+200B"),
        ("\u3000a", "U+3000"),
    ],
)
def test_opaque_id_rejects_empty_long_whitespace_and_control(value: str, message: str) -> None:
    with pytest.raises(IdentifierError, match=re.escape(message)):
        validate_opaque_id(value)


# --- kernel agrees with the pure functions ------------------------------------------------------

# Characters as they can reach the kernel: decoded from UTF-8, so never a lone surrogate.
decoded_characters = st.characters(exclude_categories=("Cs",))
divisions = st.integers(0, 999_999).map(lambda code: f"{code:06d}")
births = st.dates(date(1920, 1, 1), date(2025, 12, 31))
valid_ids = st.builds(make_resident_id, divisions, births, st.integers(0, 999))


@st.composite
def mutated_ids(draw: st.DrawFn) -> str:
    number = draw(valid_ids)
    position = draw(st.integers(0, 17))
    replacement = draw(st.sampled_from("0123456789Xx") | decoded_characters)
    return number[:position] + replacement + number[position + 1 :]


@st.composite
def lower_cased_x_ids(draw: st.DrawFn) -> str:
    body = draw(valid_ids)[:17]
    return body + check_character(body).lower()


near_ids = st.text(alphabet="0123456789Xx \u3000\x1c", min_size=16, max_size=20)
subjects = st.one_of(
    st.text(alphabet=decoded_characters),
    near_ids,
    valid_ids,
    mutated_ids(),
    lower_cased_x_ids(),
    st.just(""),
)


@settings(deadline=None, max_examples=300)
@given(st.lists(subjects, max_size=40))
def test_kernel_birth_date_agrees_with_pure_birth_date(values: list[str]) -> None:
    assert kernel_birth_dates(list(values)) == [pure_birth_date(value) for value in values]


@settings(deadline=None)
@given(valid_ids)
def test_generated_valid_ids_are_valid_in_both_versions(number: str) -> None:
    assert is_resident_id(number)
    assert kernel_birth_dates([number]) == [birth_date(number)]


def test_kernel_birth_date_is_null_for_null_and_impossible_dates() -> None:
    february_30, year_zero = "110105" + "19900230" + "001", "110105" + "00000101" + "001"
    values = [
        None,
        february_30 + check_character(february_30),
        year_zero + check_character(year_zero),
    ]
    assert kernel_birth_dates(values) == [None, None, None]


def test_adult_from_a_leap_day_birth_is_28_february() -> None:
    frame = pl.DataFrame({"birth": [date(2000, 2, 29), date(2000, 3, 1)]})
    adult = frame.select(adult_from(pl.col("birth")))["birth"].to_list()
    assert adult == [date(2018, 2, 28), date(2018, 3, 1)]


leap_births = st.integers(1920, 2024).filter(lambda y: y % 4 == 0).map(lambda y: date(y, 2, 29))


@settings(deadline=None)
@given(
    born=leap_births | births,
    age=st.integers(0, 100),
    shift=st.integers(-3, 3),
)
def test_adult_from_agrees_with_age_on_around_birthdays(born: date, age: int, shift: int) -> None:
    number = make_resident_id("110105", born, 7)
    frame = pl.DataFrame({"birth": [born]})
    adult = frame.select(adult_from(pl.col("birth"), age))["birth"][0]
    day = adult + timedelta(days=shift)
    assert is_adult_on(number, day, age=age) == (day >= adult)
    assert (age_on(number, day) >= age) == (day >= adult)


def kernel_adult_days(values: list[str | None], age: int) -> list[int | None]:
    days = adult_days(pl.Series(values, dtype=pl.String), age, -(10**9))
    return [None if d == -(10**9) else int(d) for d in days]


@settings(deadline=None, max_examples=300)
@given(st.lists(subjects | st.none(), max_size=40), st.integers(0, 100))
def test_compiled_adult_days_agree_with_the_expressions(values: list[str | None], age: int) -> None:
    frame = pl.DataFrame({"subject": values}, schema={"subject": pl.String})
    adult = frame.select(adult_from(resident_birth_date(pl.col("subject")), age).cast(pl.Int32))
    assert kernel_adult_days(values, age) == adult.to_series().to_list()


def test_compiled_adult_days_of_a_leap_day_birth_fall_on_28_february() -> None:
    number = make_resident_id("110105", date(2000, 2, 29), 7)
    expected = (date(2018, 2, 28) - date(1970, 1, 1)).days
    assert kernel_adult_days([number, f"\u3000{number}\n"], 18) == [expected, expected]

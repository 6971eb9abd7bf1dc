"""The synthetic population and event stream: seeded, valid, and shaped like the brief says."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from socialcredit.simulate import synthetic
from socialcredit.simulate.synthetic import (
    EVENT_SCHEMA,
    Population,
    synthetic_events,
    synthetic_population,
    wire_records,
)

START = date(2024, 1, 1)
DAYS = 365

# Which data column each type fills; every other data column must stay null.
FIELDS_BY_TYPE = {
    "traffic.fine": {"amount_cny"},
    "civic.donation": {"amount_cny"},
    "finance.loan_arrears": {"months"},
    "civic.lost_property_returned": {"value_cny"},
    "civic.volunteer_hours": {"hours"},
    "civic.award": {"level"},
    "court.defaulter_listed": {"case_no"},
    "court.consumption_restricted": {"case_no"},
    "court.judgment_performed": {"case_no"},
    "void": {"target", "reason"},
}
DATA_COLUMNS = (
    "amount_cny",
    "months",
    "value_cny",
    "hours",
    "level",
    "case_no",
    "years",
    "target",
    "reason",
)


@pytest.fixture(scope="module")
def population() -> Population:
    return synthetic_population(20_000, seed=7, start=START)


@pytest.fixture(scope="module")
def events(population: Population) -> pl.DataFrame:
    return synthetic_events(population, seed=8, start=START, days=DAYS)


def local_time() -> pl.Expr:
    """`occurred_at` as naive Shanghai wall-clock time."""
    return pl.col("occurred_at").dt.convert_time_zone("Asia/Shanghai").dt.replace_time_zone(None)


# --- population --------------------------------------------------------------------------------


def test_same_seed_gives_identical_population() -> None:
    first = synthetic_population(3_000, seed=1, start=START)
    second = synthetic_population(3_000, seed=1, start=START)
    assert first.people.equals(second.people)


def test_different_seeds_give_different_populations() -> None:
    first = synthetic_population(3_000, seed=1, start=START)
    second = synthetic_population(3_000, seed=2, start=START)
    assert not first.people.equals(second.people)


def test_population_has_the_documented_columns(population: Population) -> None:
    assert population.people.schema == pl.Schema({"subject": pl.String, "birth_date": pl.Date})
    assert len(population) == 20_000


def test_every_sampled_subject_is_a_valid_resident_id(population: Population) -> None:
    sample = population.people.get_column("subject").sample(2_000, seed=0)
    assert all(ric.is_valid(subject) for subject in sample)


def test_subjects_are_unique(population: Population) -> None:
    assert population.people.get_column("subject").is_unique().all()


def test_the_birth_date_is_the_one_in_the_id(population: Population) -> None:
    in_id = pl.col("subject").str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d")
    assert population.people.select((in_id == pl.col("birth_date")).all()).item()


def test_most_people_are_registered_in_wendeng(population: Population) -> None:
    # Wendeng's code in force at the birth year: 372132, 370632, 371022, 371081, 371003.
    wendeng = ["372132", "370632", "371022", "371081", "371003"]
    share = population.people.select(pl.col("subject").str.slice(0, 6).is_in(wendeng).mean())
    assert 0.8 < share.item() < 0.9


def test_about_a_tenth_are_minors_aged_12_to_17_and_the_rest_18_to_85(
    population: Population,
) -> None:
    born = pl.col("birth_date")
    month_day = born.dt.month().cast(pl.Int32) * 100 + born.dt.day()
    birthday_to_come = month_day > START.month * 100 + START.day
    ages = population.people.select(
        age=START.year - born.dt.year() - birthday_to_come.cast(pl.Int32)
    ).select(
        youngest=pl.col("age").min(),
        oldest=pl.col("age").max(),
        minors=(pl.col("age") < 18).mean(),
    )
    assert ages.row(0, named=True)["youngest"] == 12
    assert ages.row(0, named=True)["oldest"] == 85
    assert 0.08 < ages.row(0, named=True)["minors"] < 0.12


def test_population_rejects_a_negative_size() -> None:
    with pytest.raises(ValueError, match="population size"):
        synthetic_population(-1, seed=1, start=START)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32), start=st.dates(date(1995, 1, 1), date(2035, 12, 31)))
def test_ids_are_valid_for_any_seed_and_start(seed: int, start: date) -> None:
    people = synthetic_population(300, seed=seed, start=start).people
    assert all(ric.is_valid(subject) for subject in people["subject"])
    assert people["subject"].is_unique().all()


# --- events ------------------------------------------------------------------------------------


def test_same_seed_gives_identical_events(population: Population) -> None:
    small = Population(population.people.head(2_000))
    first = synthetic_events(small, seed=3, start=START, days=DAYS)
    second = synthetic_events(small, seed=3, start=START, days=DAYS)
    assert first.equals(second)


def test_different_seeds_give_different_events(population: Population) -> None:
    small = Population(population.people.head(2_000))
    first = synthetic_events(small, seed=3, start=START, days=DAYS)
    second = synthetic_events(small, seed=4, start=START, days=DAYS)
    assert not first.equals(second)


def test_events_have_exactly_the_wire_columns(events: pl.DataFrame) -> None:
    assert events.schema == EVENT_SCHEMA


def test_event_ids_are_unique(events: pl.DataFrame) -> None:
    assert events["id"].is_unique().all()
    assert events["id"].str.starts_with("syn-").all()


def test_every_subject_is_in_the_population(events: pl.DataFrame, population: Population) -> None:
    assert events["subject"].is_in(population.people["subject"].implode()).all()


def test_events_are_sorted_by_time(events: pl.DataFrame) -> None:
    assert events["occurred_at"].is_sorted()


def test_events_fall_within_the_period_in_local_time(events: pl.DataFrame) -> None:
    bounds = events.select(first=local_time().min(), last=local_time().max())
    assert bounds["first"].item() >= datetime(2024, 1, 1)
    assert bounds["last"].item() < datetime(2024, 1, 1) + timedelta(days=DAYS)


def test_times_spread_uniformly_over_the_period(events: pl.DataFrame) -> None:
    by_month = events.group_by(local_time().dt.month()).len()
    assert by_month.height == 12
    assert by_month.select(pl.col("len").max() < 1.2 * pl.col("len").min()).item()


def test_default_rate_gives_about_ten_events_per_person_a_year(
    events: pl.DataFrame, population: Population
) -> None:
    assert 6 < events.height / len(population) < 14


def test_rate_scales_the_number_of_events(population: Population) -> None:
    small = Population(population.people.head(2_000))
    half = synthetic_events(small, seed=3, start=START, days=DAYS, rate=0.5)
    full = synthetic_events(small, seed=3, start=START, days=DAYS)
    assert 0.4 < half.height / full.height < 0.6


def test_rate_zero_gives_an_empty_frame_with_the_schema(population: Population) -> None:
    none = synthetic_events(population, seed=1, start=START, days=30, rate=0.0)
    assert none.height == 0
    assert none.schema == EVENT_SCHEMA


def test_period_and_rate_are_checked(population: Population) -> None:
    with pytest.raises(ValueError, match="days"):
        synthetic_events(population, seed=1, start=START, days=0)
    with pytest.raises(ValueError, match="rate"):
        synthetic_events(population, seed=1, start=START, days=10, rate=-1.0)


def test_every_type_of_the_vocabulary_occurs(events: pl.DataFrame) -> None:
    vocabulary = {
        "traffic.warning", "traffic.fine", "traffic.license_suspended",
        "traffic.twelve_point_offence", "traffic.drunk_driving", "finance.loan_arrears",
        "commerce.fraud", "commerce.counterfeit_goods", "tax.arrears", "tax.evasion_serious",
        "public_order.noise", "public_order.illegal_parking", "public_order.seat_hogging",
        "public_order.violent_obstruction", "civil.elder_support_refused",
        "education.exam_cheating", "education.academic_fraud", "court.defaulter_listed",
        "court.consumption_restricted", "court.admin_detention", "court.judgment_performed",
        "health.blood_donation", "health.marrow_donation", "civic.heroic_act",
        "civic.lost_property_returned", "civic.volunteer_hours", "civic.donation",
        "civic.award", "void",
    }  # fmt: skip
    found = set(events["type"].unique())
    assert found <= vocabulary
    # The rarest kind (1 in 2,000 adults a year) could be missing from 20,000 people.
    assert found >= vocabulary - {"education.academic_fraud"}


def test_sources_are_plausible_per_type(events: pl.DataFrame) -> None:
    pairs = events.filter(pl.col("type") != "void").select("type", "source").unique()
    for kind, source in pairs.iter_rows():
        prefix = kind.split(".")[0]
        assert source.endswith((".weihai", ".wendeng"))
        if prefix == "traffic":
            assert source == "traffic.weihai"
        if prefix == "court":
            assert source == "court.wendeng"


def test_data_columns_are_filled_exactly_for_the_types_that_use_them(
    events: pl.DataFrame,
) -> None:
    for column in DATA_COLUMNS:
        users = [kind for kind, fields in FIELDS_BY_TYPE.items() if column in fields]
        filled = events.select(pl.col(column).is_not_null() == pl.col("type").is_in(users))
        assert filled.to_series().all(), column


def test_data_values_stay_in_their_ranges(events: pl.DataFrame) -> None:
    def stats(kind: str, column: str) -> dict[str, float]:
        values = pl.col(column).filter(pl.col("type") == kind)
        summary = events.select(
            low=values.min(), high=values.max(), p95=values.quantile(0.95), n=values.len()
        )
        return summary.row(0, named=True)

    fines = stats("traffic.fine", "amount_cny")
    assert fines["low"] >= 50
    assert fines["high"] <= 20_000
    assert fines["p95"] <= 3_000
    large = events.filter(pl.col("amount_cny") > 10_000, pl.col("type") == "traffic.fine")
    assert large.height > 0
    donations = stats("civic.donation", "amount_cny")
    assert donations["low"] >= 50
    assert donations["high"] <= 20_000
    assert set(events["months"].drop_nulls().unique()) <= set(range(1, 13))
    assert set(events["hours"].drop_nulls().unique()) <= set(range(1, 9))
    levels = events["level"].drop_nulls().value_counts().sort("count")
    assert set(levels["level"]) <= {"national", "provincial", "prefecture", "county"}
    assert levels["level"][-1] == "county"


def test_some_people_get_many_fines(events: pl.DataFrame) -> None:
    fines = events.filter(pl.col("type") == "traffic.fine").group_by("subject").len()
    assert fines.select(pl.col("len").max() >= 5 * pl.col("len").mean()).item()


def test_some_volunteers_reach_a_hundred_hours_a_year(events: pl.DataFrame) -> None:
    hours = events.group_by("subject").agg(pl.col("hours").sum())["hours"]
    assert (hours >= 100).sum() >= 10


def test_minors_get_events_but_fewer_traffic_ones(
    events: pl.DataFrame, population: Population
) -> None:
    aged = events.join(population.people, on="subject").with_columns(
        minor=local_time().dt.date() < pl.col("birth_date").dt.offset_by("18y")
    )
    minors = aged.filter(pl.col("minor"))
    assert minors.height > 0
    per_person = aged.group_by("minor").agg(
        traffic=pl.col("type").str.starts_with("traffic.").sum() / pl.col("subject").n_unique(),
        civic=pl.col("type").str.starts_with("civic.").sum() / pl.col("subject").n_unique(),
    )
    rates = {row["minor"]: row for row in per_person.iter_rows(named=True)}
    assert rates[True]["traffic"] < 0.2 * rates[False]["traffic"]
    assert rates[True]["civic"] > 0.3 * rates[False]["civic"]


def test_about_one_in_two_hundred_events_is_voided(events: pl.DataFrame) -> None:
    share = events.select((pl.col("type") == "void").mean()).item()
    assert 0.003 < share < 0.007


def test_voids_target_earlier_events_of_the_same_source_and_subject(
    events: pl.DataFrame,
) -> None:
    voids = events.filter(pl.col("type") == "void")
    targets = voids.join(events, left_on="target", right_on="id", how="left", suffix="_t")
    assert targets["type_t"].is_not_null().all()
    assert (targets["type_t"] != "void").all()
    assert (targets["source"] == targets["source_t"]).all()
    assert (targets["subject"] == targets["subject_t"]).all()
    assert (targets["occurred_at"] >= targets["occurred_at_t"]).all()
    assert (voids["reason"] == "reported in error").all()
    assert voids["target"].is_unique().all()


def test_voids_come_after_their_targets_in_the_frame(events: pl.DataFrame) -> None:
    rows = events.with_row_index("row")
    voids = rows.filter(pl.col("type") == "void").join(
        rows.select("id", target_row="row"), left_on="target", right_on="id"
    )
    assert (voids["row"] > voids["target_row"]).all()


def test_act_companions_share_subject_and_time(events: pl.DataFrame) -> None:
    acts = (
        events.filter(pl.col("act").is_not_null())
        .group_by("act")
        .agg(
            types=pl.col("type").sort(),
            subjects=pl.col("subject").n_unique(),
            times=pl.col("occurred_at").n_unique(),
        )
    )
    assert acts.height > 0
    assert (acts["subjects"] == 1).all()
    assert (acts["times"] == 1).all()
    pairs = {tuple(types) for types in acts["types"]}
    assert pairs <= {
        ("traffic.fine", "traffic.warning"),
        ("traffic.fine", "traffic.license_suspended"),
    }


def test_about_five_percent_of_fines_carry_an_act(events: pl.DataFrame) -> None:
    fines = events.filter(pl.col("type") == "traffic.fine")
    assert 0.04 < fines.select(pl.col("act").is_not_null().mean()).item() < 0.06
    others = events.filter(~pl.col("type").str.starts_with("traffic."))
    assert others["act"].is_null().all()


def test_case_numbers_look_like_enforcement_cases(events: pl.DataFrame) -> None:
    cases = events["case_no"].drop_nulls()
    assert cases.str.contains(r"^\(20\d\d\)鲁1003执\d+号$").all()
    listed = events.filter(pl.col("type") != "court.judgment_performed")["case_no"]
    assert listed.drop_nulls().is_unique().all()


def test_some_listings_are_performed_later_with_the_same_case(events: pl.DataFrame) -> None:
    listed = events.filter(pl.col("type") == "court.defaulter_listed")
    performed = events.filter(pl.col("type") == "court.judgment_performed")
    matched = performed.join(listed, on="case_no", suffix="_listed")
    assert matched.height == performed.height
    assert (matched["subject"] == matched["subject_listed"]).all()
    assert (matched["occurred_at"] - matched["occurred_at_listed"] >= timedelta(days=1)).all()
    assert 0.3 < performed.height / listed.height < 0.5


def test_times_stay_in_the_local_period_across_summer_time() -> None:
    # Shanghai had summer time in 1986-1991: offsets then are +09:00 for part of the year.
    people = synthetic_population(2_000, seed=5, start=date(1988, 1, 1))
    events = synthetic_events(people, seed=6, start=date(1988, 1, 1), days=365)
    shown = events.select(first=local_time().min(), last=local_time().max()).row(0)
    assert shown[0] >= datetime(1988, 1, 1)
    assert shown[1] < datetime(1989, 1, 1)
    offsets = events.select(local_time() - pl.col("occurred_at").dt.replace_time_zone(None))
    assert offsets.to_series().n_unique() == 2  # +08:00 and +09:00


# --- wire format -------------------------------------------------------------------------------


def test_wire_records_follow_the_design_format(events: pl.DataFrame) -> None:
    sample = pl.concat(
        [
            events.filter(pl.col("act").is_not_null()).head(2),
            events.filter(pl.col("type") == "void").head(2),
            events.filter(pl.col("type") == "traffic.warning", pl.col("act").is_null()).head(1),
        ]
    )
    records = wire_records(sample)
    for record, row in zip(records, sample.iter_rows(named=True), strict=True):
        assert set(record) >= {"id", "source", "subject", "type", "occurred_at", "data"}
        assert record["jurisdiction"] == "371003"
        assert str(record["occurred_at"]).endswith("+08:00")
        assert datetime.fromisoformat(str(record["occurred_at"])) == row["occurred_at"]
        assert ("act" in record) == (row["act"] is not None)
        data = record["data"]
        assert isinstance(data, dict)
        assert set(data) == {name for name in DATA_COLUMNS if row[name] is not None}
    void = next(record for record in records if record["type"] == "void")
    target = sample.filter(id=void["id"])["target"].item()
    assert void["data"] == {"target": target, "reason": "reported in error"}


def test_wire_records_give_whole_amounts_as_integers() -> None:
    row = {
        "id": "syn-1",
        "source": "traffic.weihai",
        "subject": "371003201406150011",
        "type": "traffic.fine",
        "occurred_at": datetime(2024, 3, 1, 1, 30, tzinfo=ZoneInfo("UTC")),
        "act": None,
        "amount_cny": 800.0,
        "hours": None,
    }
    frame = pl.DataFrame([row], schema_overrides={"act": pl.String, "hours": pl.Float64})
    (record,) = wire_records(frame)
    assert record == {
        "id": "syn-1",
        "source": "traffic.weihai",
        "subject": "371003201406150011",
        "type": "traffic.fine",
        "occurred_at": "2024-03-01T09:30:00+08:00",
        "jurisdiction": "371003",
        "data": {"amount_cny": 800},
    }


def test_public_api_is_declared() -> None:
    assert sorted(synthetic.__all__) == [
        "EVENT_SCHEMA",
        "Population",
        "synthetic_events",
        "synthetic_population",
        "wire_records",
    ]

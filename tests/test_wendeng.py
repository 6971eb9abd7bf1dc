"""Every row of the Wendeng tables and every combining rule, through the kernel.

Scenarios are written in Wendeng wall-clock time; `score(day)` is the score at the end
of that day. See reference/rulebooks.md section 1 for the measures these encode.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from socialcredit.rules.plan import Plan
from tests.scenario import MINOR, OTHER_ADULT, Scenario


def one(plan: Plan, event_type: str, **data: object) -> Scenario:
    s = Scenario(plan)
    s.add(event_type, "2024-03-01T09:30", **data)
    return s


DEDUCTIONS = [
    ("traffic.warning", {}, -5),
    ("traffic.fine", {"amount_cny": 200}, -10),
    ("traffic.fine", {"amount_cny": 500}, -10),
    ("traffic.fine", {"amount_cny": 500.5}, -20),
    ("traffic.fine", {"amount_cny": 2000}, -20),
    ("traffic.fine", {"amount_cny": 2001}, -30),
    ("traffic.fine", {"amount_cny": 10000}, -30),
    ("traffic.fine", {"amount_cny": 10001}, -40),
    ("traffic.license_suspended", {}, -60),
    ("traffic.twelve_point_offence", {}, -30),
    ("finance.loan_arrears", {"months": 1}, -10),
    ("finance.loan_arrears", {"months": 7}, -70),
    ("commerce.fraud", {}, -30),
    ("commerce.counterfeit_goods", {}, -30),
    ("tax.arrears", {}, -20),
    ("tax.evasion_serious", {}, -100),
    ("public_order.noise", {}, -5),
    ("public_order.illegal_parking", {}, -5),
    ("public_order.seat_hogging", {}, -50),
    ("public_order.violent_obstruction", {}, -100),
    ("civil.elder_support_refused", {}, -50),
    ("education.exam_cheating", {}, -20),
    ("education.academic_fraud", {}, -50),
]

BONUSES = [
    ("health.blood_donation", {}, 10),
    ("health.marrow_donation", {}, 50),
    ("civic.heroic_act", {}, 10),
    ("civic.lost_property_returned", {"value_cny": 300}, 2),
    ("civic.lost_property_returned", {"value_cny": 1000}, 2),
    ("civic.lost_property_returned", {"value_cny": 1001}, 3),
    ("civic.lost_property_returned", {"value_cny": 5000}, 3),
    ("civic.lost_property_returned", {"value_cny": 5001}, 5),
    ("civic.lost_property_returned", {"value_cny": 10000}, 5),
    ("civic.lost_property_returned", {"value_cny": 10001}, 10),
    ("civic.volunteer_hours", {"hours": 9}, 0),
    ("civic.volunteer_hours", {"hours": 10}, 2),
    ("civic.volunteer_hours", {"hours": 20}, 5),
    ("civic.volunteer_hours", {"hours": 50}, 10),
    ("civic.volunteer_hours", {"hours": 80}, 15),
    ("civic.volunteer_hours", {"hours": 100}, 20),
    ("civic.volunteer_hours", {"hours": 150}, 25),
    ("civic.volunteer_hours", {"hours": 200}, 30),
    ("civic.volunteer_hours", {"hours": 250}, 40),
    ("civic.volunteer_hours", {"hours": 300}, 50),
    ("civic.volunteer_hours", {"hours": 1000}, 50),
    ("civic.donation", {"amount_cny": 99}, 0),
    ("civic.donation", {"amount_cny": 100}, 1),
    ("civic.donation", {"amount_cny": 1000}, 10),
    ("civic.donation", {"amount_cny": 1400}, 11),
    ("civic.donation", {"amount_cny": 3000}, 15),
    ("civic.donation", {"amount_cny": 5000}, 20),
    ("civic.donation", {"amount_cny": 5500}, 21),
    ("civic.donation", {"amount_cny": 10000}, 30),
    ("civic.donation", {"amount_cny": 11000}, 31),
    ("civic.donation", {"amount_cny": 20000}, 40),
    ("civic.award", {"level": "national"}, 100),
    ("civic.award", {"level": "provincial"}, 60),
    ("civic.award", {"level": "prefecture"}, 30),
    ("civic.award", {"level": "county"}, 20),
]


def _id(row: tuple[str, dict[str, object], int]) -> str:
    return "-".join([row[0], *map(str, row[1].values())])


@pytest.mark.parametrize("row", DEDUCTIONS, ids=_id)
def test_each_deduction_row_takes_its_points(wendeng: Plan, row: tuple) -> None:
    event_type, data, points = row
    assert one(wendeng, event_type, **data).score("2024-03-01") == 1000 + points


@pytest.mark.parametrize("row", BONUSES, ids=_id)
def test_each_bonus_row_gives_its_points(wendeng: Plan, row: tuple) -> None:
    event_type, data, points = row
    assert one(wendeng, event_type, **data).score("2024-03-01") == 1000 + points


@pytest.mark.parametrize(
    ("event_type", "grade", "cap"),
    [
        ("traffic.drunk_driving", "B", 959),
        ("court.consumption_restricted", "C", 849),
        ("court.admin_detention", "C", 849),
        ("court.defaulter_listed", "D", 599),
    ],
)
def test_direct_grade_sets_grade_and_caps_score_at_band_top(
    wendeng: Plan, event_type: str, grade: str, cap: int
) -> None:
    standing = one(wendeng, event_type, case_no="(2024)1").standing("2024-03-01")
    assert (standing["score"], standing["grade"], standing["direct_grade"]) == (cap, grade, grade)


@pytest.mark.parametrize(
    ("event_type", "last_day", "first_day_gone"),
    [
        ("traffic.drunk_driving", "2026-02-28", "2026-03-01"),
        ("court.admin_detention", "2027-02-28", "2027-03-01"),
        ("court.defaulter_listed", "2029-02-28", "2029-03-01"),
    ],
)
def test_direct_grades_last_two_three_and_five_years(
    wendeng: Plan, event_type: str, last_day: str, first_day_gone: str
) -> None:
    s = one(wendeng, event_type, case_no="(2024)1")
    assert s.standing(last_day)["direct_grade"] is not None
    assert s.standing(first_day_gone)["direct_grade"] is None
    assert s.score(first_day_gone) == 1000


def test_no_records_is_1000_and_grade_a(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.warning", "2021-01-01")
    assert (s.score("2024-01-01"), s.grade("2024-01-01")) == (1000, "A")


def test_deduction_of_40_or_less_counts_for_one_year(wendeng: Plan) -> None:
    s = one(wendeng, "traffic.fine", amount_cny=20000)
    assert s.score("2025-02-28") == 960
    assert s.score("2025-03-01") == 1000


def test_deduction_above_40_counts_for_two_years(wendeng: Plan) -> None:
    s = one(wendeng, "public_order.seat_hogging")
    assert s.score("2026-02-28") == 950
    assert s.score("2026-03-01") == 1000


def test_entry_counts_from_the_moment_of_the_event(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.warning", "2024-03-01T09:30")
    assert s.standing("2024-02-29")["score"] == 1000
    assert s.score("2024-03-01") == 995


def test_bonus_counts_for_one_year(wendeng: Plan) -> None:
    s = one(wendeng, "health.blood_donation")
    assert s.score("2025-02-28") == 1010
    assert s.score("2025-03-01") == 1000


@pytest.mark.parametrize(
    ("level", "last_day", "first_day_gone"),
    [
        ("national", "2029-02-28", "2029-03-01"),
        ("provincial", "2027-02-28", "2027-03-01"),
        ("prefecture", "2026-02-28", "2026-03-01"),
        ("county", "2025-02-28", "2025-03-01"),
    ],
)
def test_award_validity_follows_its_level(
    wendeng: Plan, level: str, last_day: str, first_day_gone: str
) -> None:
    s = one(wendeng, "civic.award", level=level)
    assert s.score(last_day) > 1000
    assert s.score(first_day_gone) == 1000


def test_second_fine_within_a_year_is_doubled(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.fine", "2024-03-01", amount_cny=800)
    s.add("traffic.fine", "2024-09-01", amount_cny=800)
    assert s.score("2024-09-01") == 1000 - 20 - 40


def test_fine_a_year_or_more_after_the_first_is_not_doubled(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.fine", "2024-03-01T09:30", amount_cny=800)
    s.add("traffic.fine", "2025-03-01T09:30", amount_cny=800)
    assert s.score("2025-03-01") == 980


def test_doubling_is_twice_the_base_never_four_times(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    for day in ("2024-01-10", "2024-02-10", "2024-03-10"):
        s.add("traffic.fine", day, amount_cny=300)
    assert s.entries()["applied_points"].to_list() == [-10, -20, -20]


def test_doubled_fine_over_40_counts_two_years_and_doubles_the_next(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.fine", "2024-01-01", amount_cny=5000)  # -30, 1 year
    s.add("traffic.fine", "2024-06-01", amount_cny=5000)  # -60 doubled: 2 years
    s.add("traffic.fine", "2025-09-01", amount_cny=300)  # first gone, second still valid
    assert s.entries()["applied_points"].to_list() == [-30, -60, -20]
    assert s.score("2025-09-01") == 1000 - 60 - 20


def test_doubling_needs_the_same_rule(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.warning", "2024-03-01")
    s.add("traffic.fine", "2024-04-01", amount_cny=300)
    assert s.score("2024-04-01") == 1000 - 5 - 10


@pytest.mark.parametrize("event_type", ["public_order.noise", "public_order.illegal_parking"])
def test_repeat_noise_and_parking_are_doubled(wendeng: Plan, event_type: str) -> None:
    s = Scenario(wendeng)
    s.add(event_type, "2024-03-01")
    s.add(event_type, "2024-03-02")
    assert s.score("2024-03-02") == 1000 - 5 - 10


def test_rules_without_repeat_are_not_doubled(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("tax.arrears", "2024-03-01")
    s.add("tax.arrears", "2024-04-01")
    assert s.score("2024-04-01") == 960


def test_one_act_counts_once_with_its_largest_deduction(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.fine", "2024-03-01T10:00", act="case-88", amount_cny=800)
    s.add("traffic.license_suspended", "2024-03-01T10:00", act="case-88")
    s.add("traffic.warning", "2024-03-01T10:00", act="case-88")
    assert s.score("2024-03-01") == 940


def test_a_later_report_of_the_same_act_replaces_a_smaller_one_from_then_on(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.warning", "2024-03-01", act="case-9")
    s.add("traffic.license_suspended", "2024-03-05", act="case-9")
    assert s.score("2024-03-02") == 995
    assert s.score("2024-03-05") == 940


def test_a_fine_replaced_by_a_larger_report_of_its_act_no_longer_doubles(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.fine", "2024-03-01", act="a1", amount_cny=800)
    s.add("traffic.license_suspended", "2024-03-05", act="a1")
    s.add("traffic.fine", "2024-04-01", amount_cny=800)
    assert s.score("2024-04-01") == 1000 - 60 - 20


def test_direct_grade_outranks_points_in_one_act(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.license_suspended", "2024-03-01", act="a1")
    s.add("traffic.drunk_driving", "2024-03-01", act="a1")
    standing = s.standing("2024-03-01")
    assert (standing["score"], standing["grade"]) == (959, "B")


def test_same_act_for_different_people_counts_for_each(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.warning", "2024-03-01", act="a1")
    s.add("traffic.warning", "2024-03-01", act="a1", subject=OTHER_ADULT)
    assert s.score("2024-03-01") == 995
    assert s.score("2024-03-01", subject=OTHER_ADULT) == 995


def test_bonuses_cannot_lift_a_direct_grade_above_its_cap(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("court.consumption_restricted", "2024-03-01", case_no="c1")
    s.add("health.marrow_donation", "2024-03-02")
    standing = s.standing("2024-03-02")
    assert (standing["score"], standing["grade"], standing["points"]) == (849, "C", 50)


def test_worst_valid_direct_grade_wins(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.drunk_driving", "2024-03-01")
    s.add("court.defaulter_listed", "2024-04-01", case_no="c1")
    assert s.standing("2024-04-01")["direct_grade"] == "D"
    assert s.score("2024-04-01") == 599


def test_points_below_the_cap_still_lower_the_score(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("court.defaulter_listed", "2024-03-01", case_no="c1")
    s.add("public_order.violent_obstruction", "2024-03-02")
    assert s.score("2024-03-02") == 599
    s.add("tax.evasion_serious", "2024-03-03")
    s.add("commerce.fraud", "2024-03-04")
    s.add("education.academic_fraud", "2024-03-05")
    s.add("public_order.seat_hogging", "2024-03-06")
    s.add("civil.elder_support_refused", "2024-03-07")
    assert s.score("2024-03-07") == 599


def test_score_is_floored_at_zero(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    for i in range(11):
        s.add("tax.evasion_serious", f"2024-03-{i + 1:02d}")
    standing = s.standing("2024-03-31")
    assert (standing["score"], standing["grade"], standing["points"]) == (0, "D", -1100)


@pytest.mark.parametrize(
    ("bonus_events", "score", "grade"),
    [
        (["health.marrow_donation"], 1050, "AAA"),
        (["civic.heroic_act"] * 3, 1030, "AA"),
        (["civic.heroic_act", "civic.heroic_act"], 1020, "A"),
    ],
)
def test_grades_have_inclusive_lower_bounds(
    wendeng: Plan, bonus_events: list[str], score: int, grade: str
) -> None:
    s = Scenario(wendeng)
    for i, event_type in enumerate(bonus_events):
        s.add(event_type, f"2024-03-0{i + 1}")
    assert (s.score("2024-03-09"), s.grade("2024-03-09")) == (score, grade)


def test_grade_b_and_c_bounds(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("tax.arrears", "2024-03-01")
    s.add("tax.arrears", "2024-03-02")  # 960: A
    assert s.grade("2024-03-02") == "A"
    s.add("traffic.warning", "2024-03-03")  # 955: B
    assert s.grade("2024-03-03") == "B"
    s.add("tax.evasion_serious", "2024-03-04")  # 855: B
    s.add("traffic.warning", "2024-03-05")  # 850: B
    assert (s.score("2024-03-05"), s.grade("2024-03-05")) == (850, "B")
    s.add("public_order.seat_hogging", "2024-03-06")  # 800: C
    assert s.grade("2024-03-06") == "C"


def test_judgment_performed_ends_the_listing_grade_and_deducts_50_for_two_years(
    wendeng: Plan,
) -> None:
    s = Scenario(wendeng)
    s.add("court.defaulter_listed", "2024-03-01", case_no="(2024)LU1003ZHI88")
    s.add("court.judgment_performed", "2024-06-01", case_no="(2024)LU1003ZHI88")
    assert s.score("2024-05-31") == 599
    standing = s.standing("2024-06-01")
    assert (standing["score"], standing["direct_grade"]) == (950, None)
    assert s.score("2026-05-31") == 950
    assert s.score("2026-06-01") == 1000


def test_a_voided_judgment_performed_repairs_nothing(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("court.defaulter_listed", "2024-03-01", case_no="c1")
    performed = s.add("court.judgment_performed", "2024-06-01", case_no="c1")
    s.void(performed, "2024-06-02")
    standing = s.standing("2024-06-03")
    assert (standing["score"], standing["direct_grade"]) == (599, "D")
    assert s.entries().filter(kind="repair").is_empty()


def test_judgment_performed_without_a_listing_changes_nothing(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("court.judgment_performed", "2024-06-01", case_no="c1")
    assert s.score("2024-06-01") == 1000


def test_performing_another_case_does_not_end_a_listing(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("court.defaulter_listed", "2024-03-01", case_no="c1")
    s.add("court.judgment_performed", "2024-06-01", case_no="c2")
    assert s.score("2024-06-01") == 599


def test_repair_happens_once(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("court.defaulter_listed", "2024-03-01", case_no="c1")
    s.add("court.judgment_performed", "2024-06-01", case_no="c1")
    s.add("court.judgment_performed", "2024-07-01", case_no="c1")
    assert s.score("2024-07-01") == 950


def test_minor_takes_no_negative_points(wendeng: Plan) -> None:
    s = Scenario(wendeng, subject=MINOR)
    s.add("traffic.fine", "2024-03-01", amount_cny=800)
    s.add("public_order.seat_hogging", "2024-03-02")
    assert s.score("2024-03-02") == 1000
    assert set(s.entries()["status"]) == {"minor"}


def test_minor_is_never_given_a_direct_grade(wendeng: Plan) -> None:
    s = Scenario(wendeng, subject=MINOR)
    s.add("court.defaulter_listed", "2025-12-31", case_no="c1")
    standing = s.standing("2026-01-02")
    assert (standing["score"], standing["direct_grade"]) == (1000, None)


def test_minor_still_earns_bonuses(wendeng: Plan) -> None:
    s = Scenario(wendeng, subject=MINOR)
    s.add("civic.heroic_act", "2024-03-01")
    assert s.score("2024-03-01") == 1010


def test_protection_ends_on_the_eighteenth_birthday(wendeng: Plan) -> None:
    s = Scenario(wendeng, subject=MINOR)
    s.add("traffic.warning", "2025-12-31T23:00")
    s.add("traffic.warning", "2026-01-01T08:00")
    assert s.score("2026-01-01") == 995


def test_a_minors_fine_does_not_double_a_later_adult_fine(wendeng: Plan) -> None:
    s = Scenario(wendeng, subject=MINOR)
    s.add("traffic.fine", "2025-12-01", amount_cny=300)
    s.add("traffic.fine", "2026-02-01", amount_cny=300)
    assert s.score("2026-02-01") == 990


def test_void_removes_its_target(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    fine = s.add("traffic.fine", "2024-03-01", amount_cny=800)
    s.void(fine, "2024-05-01")
    assert s.score("2024-03-02") == 1000


def test_void_from_another_source_has_no_effect(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    fine = s.add("traffic.fine", "2024-03-01", amount_cny=800)
    s.add("void", "2024-05-01", source="someone-else", target=fine)
    assert s.score("2024-03-02") == 980


def test_voided_fine_does_not_double_the_next(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    first = s.add("traffic.fine", "2024-03-01", amount_cny=800)
    s.add("traffic.fine", "2024-04-01", amount_cny=800)
    s.void(first, "2024-05-01")
    assert s.score("2024-05-01") == 980


def test_fine_reported_late_still_doubles_a_later_fine(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("traffic.fine", "2024-06-01", amount_cny=800)
    s.add("traffic.fine", "2024-03-01", amount_cny=800)  # listed second, happened first
    assert s.score("2024-06-01") == 1000 - 20 - 40


def test_donations_are_capped_at_40_per_calendar_year(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("civic.donation", "2024-02-01", amount_cny=3000)  # 15
    s.add("civic.donation", "2024-03-01", amount_cny=20000)  # 40, cut to 25
    s.add("civic.donation", "2024-04-01", amount_cny=1000)  # 10, cut to 0
    assert s.entries()["applied_points"].to_list() == [15, 25, 0]
    assert s.score("2024-04-01") == 1040


def test_donation_cap_starts_again_each_calendar_year(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("civic.donation", "2024-12-31T20:00", amount_cny=20000)
    s.add("civic.donation", "2025-01-01T08:00", amount_cny=20000)
    assert s.entries()["applied_points"].to_list() == [40, 40]


def test_crossing_20_hours_after_10_gives_3(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("civic.volunteer_hours", "2024-03-01", hours=12)
    s.add("civic.volunteer_hours", "2024-04-01", hours=8)
    assert s.entries()["applied_points"].to_list() == [2, 3]


def test_crossing_several_tiers_at_once_gives_the_whole_rise(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("civic.volunteer_hours", "2024-03-01", hours=5)
    s.add("civic.volunteer_hours", "2024-04-01", hours=80)
    assert s.entries()["applied_points"].to_list() == [0, 15]


def test_tier_entries_expire_one_year_after_the_crossing(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("civic.volunteer_hours", "2024-03-01", hours=12)
    s.add("civic.volunteer_hours", "2024-09-01", hours=10)
    assert s.score("2025-03-01") == 1003
    assert s.score("2025-09-01") == 1000


def test_events_before_the_rulebook_took_effect_are_not_scored(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.add("tax.evasion_serious", "2019-12-31T23:00")
    s.add("traffic.warning", "2020-01-01T00:00")
    assert s.score("2020-06-01") == 995


def test_events_are_judged_in_wendeng_local_time(wendeng: Plan) -> None:
    s = Scenario(wendeng)
    s.rows.append(
        {
            "id": "utc",
            "source": "src",
            "subject": s.subject,
            "type": "traffic.warning",
            "occurred_at": datetime(2019, 12, 31, 17, 0, tzinfo=UTC),
        }
    )  # 01:00 in Wendeng
    assert s.score("2020-01-01") == 995

"""`socialcredit rulebook diff OLD NEW`: the rule text diff, and the impact of the change on a
synthetic population and on the store, each held against the kernel run by hand."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from socialcredit.kernel.entries import derive_entries
from socialcredit.kernel.standing import standings
from socialcredit.rules.plan import Plan
from socialcredit.services.rulebooks import plan_for
from socialcredit.simulate.run import model_for, simulate, simulate_chunk
from socialcredit.simulate.scenario import Scenario
from tests.cli_support import event, ingest, ndjson, run, store_with, verify
from tests.scenario import MINOR, OTHER_ADULT

PACKS = Path(__file__).parents[1] / "src" / "socialcredit" / "rulebooks"
WENDENG = PACKS / "cn-371003-wendeng" / "2020.1.toml"
NATIONAL = PACKS / "cn-national" / "2017.1.toml"
OLD = "cn-371003-wendeng"
FINE_BANDS = '[[500, -10], [2000, -20], [10000, -30], ["inf", -40]]'
HARSHER_BANDS = '[[500, -20], [2000, -60], [10000, -80], ["inf", -100]]'
LATE = "371003198001010017"  # born 1980-01-01
SMALL = ("--population", "1500", "--days", "365", "--seed", "5")


def edited(tmp_path: Path, name: str, *replacements: tuple[str, str]) -> Path:
    """The Wendeng pack with each replacement made once (each must apply)."""
    text = WENDENG.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def harsher_fines(tmp_path: Path) -> Path:
    return edited(tmp_path, "harsher.toml", (FINE_BANDS, HARSHER_BANDS))


def diff(*args: str) -> dict[str, Any]:
    result = run("rulebook", "diff", *args, "--json")
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def changed_ids(found: dict[str, Any], kind: str, status: str) -> list[str]:
    return [item["id"] for item in found["diff"][kind][status]]


# --- the rule text ------------------------------------------------------------------------------


def test_changing_one_rules_points_is_the_only_difference(tmp_path: Path) -> None:
    found = diff(OLD, str(harsher_fines(tmp_path)))
    rules = found["diff"]["rules"]
    assert rules["added"] == []
    assert rules["removed"] == []
    assert [r["id"] for r in rules["changed"]] == ["traffic.fine"]
    assert rules["changed"][0]["changes"] == [
        {
            "key": "points",
            "old": {"by": "amount_cny", "bands": json.loads(FINE_BANDS)},
            "new": {"by": "amount_cny", "bands": json.loads(HARSHER_BANDS)},
        }
    ]
    for kind in ("lists", "consequences"):
        assert found["diff"][kind] == {"added": [], "removed": [], "changed": []}
    assert found["diff"]["settings"] == []
    assert found["impact"] is None


def test_rules_added_and_removed_and_grades_moved_are_each_named(tmp_path: Path) -> None:
    dumping = (
        '[[rule]]\nid = "environment.illegal_dumping"\ndomain = "environment"\n'
        'on = "environment.illegal_dumping"\npoints = -20\n\n'
    )
    seat_hogging = (
        '[[rule]]\nid = "public_order.seat_hogging"\ndomain = "public_order"\n'
        'on = "public_order.seat_hogging"\npoints = -50\n\n'
    )
    new = edited(tmp_path, "edited.toml", (seat_hogging, dumping), ('["A", 960]', '["A", 980]'))
    found = diff(OLD, str(new))
    assert changed_ids(found, "rules", "added") == ["environment.illegal_dumping"]
    assert found["diff"]["rules"]["added"][0]["new"] == {
        "domain": "environment",
        "on": "environment.illegal_dumping",
        "points": -20,
        "validity": {"by_magnitude": [[40, "1y"], ["inf", "2y"]]},  # the pack's default
    }
    assert changed_ids(found, "rules", "removed") == ["public_order.seat_hogging"]
    assert found["diff"]["rules"]["removed"][0]["old"]["points"] == -50
    assert changed_ids(found, "rules", "changed") == []
    [grades] = found["diff"]["settings"]
    assert grades["key"] == "grades"
    assert ["A", 960] in grades["old"]
    assert ["A", 980] in grades["new"]


def test_a_list_taken_over_with_a_shorter_period_is_a_changed_list(tmp_path: Path) -> None:
    national = NATIONAL.read_text(encoding="utf-8")
    block = national[national.index("[[list]]") : national.index("[[consequence]]")]
    shorter = block.replace('period = "2y"', 'period = "1mo"')
    assert shorter != block
    new = edited(tmp_path, "short-list.toml", ("[[rule]]", shorter + "\n[[rule]]"))
    found = diff(OLD, str(new), "--simulate", *SMALL)
    [changed] = found["diff"]["lists"]["changed"]
    assert changed["id"] == "dishonest-judgment-defaulters"
    assert changed["changes"] == [{"key": "period", "old": "2y", "new": "1mo"}]
    impact = found["impact"]
    [listing] = impact["lists"]
    assert listing["on_old"] > listing["on_new"]
    assert listing["delisted"] == listing["on_old"] - listing["on_new"] == impact["delisted"]
    assert listing["listed"] == impact["listed"] == 0
    assert impact["grade_changed"] == 0  # the rules are the same: only the list moved
    assert impact["rules"] == []


def test_a_bad_new_rulebook_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    bad = edited(tmp_path, "bad.toml", ('domain = "traffic"', 'domain = "opinion"'))
    result = run("rulebook", "diff", OLD, str(bad))
    assert result.exit_code == 2
    assert f"{bad}:27: rule 'traffic.warning'" in result.stderr
    assert "problem(s)" in result.stderr


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--seed", "3"), "--seed applies only with --simulate"),
        (("--as-of", "2026-01-01"), "--as-of applies only with --store"),
        (("--simulate", "--store"), "give --simulate or --store, not both"),
    ],
)
def test_options_out_of_place_are_refused(args: tuple[str, ...], reason: str) -> None:
    result = run("rulebook", "diff", OLD, OLD, *args)
    assert result.exit_code == 2
    assert reason in result.stderr


def test_the_terminal_shows_the_changed_key_and_the_impact(tmp_path: Path) -> None:
    result = run("rulebook", "diff", OLD, str(harsher_fines(tmp_path)), "--simulate", *SMALL)
    assert result.exit_code == 0, result.output
    assert "~ traffic.fine" in result.stdout
    assert "points:" in result.stdout
    assert "-> " in result.stdout
    for title in ("Grade transitions", "By audit group", "By district", "Rules responsible"):
        assert title in result.stdout


# --- the impact on a synthetic population -------------------------------------------------------


def grades_by_hand(scenario: Scenario, plans: tuple[Plan, Plan]) -> pl.DataFrame:
    """The population the diff simulates, lived once and scored by the kernel under each plan:
    `subject`, `old`, `new`."""
    people = scenario.run.population
    model = model_for(scenario, plans[0])
    events = simulate_chunk(model, plans[0], [(0, 0, people)]).events
    end = datetime(2024, 12, 30, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Shanghai"))
    everyone = pl.Series([str(i) for i in range(people)])
    old, new = (
        standings(events, derive_entries(events, plan), plan, end, everyone) for plan in plans
    )
    return old.select("subject", old="grade").join(new.select("subject", new="grade"), on="subject")


def test_grade_changes_are_those_of_running_the_kernel_twice(tmp_path: Path) -> None:
    new = harsher_fines(tmp_path)
    found = diff(OLD, str(new), "--simulate", *SMALL)
    impact = found["impact"]
    scenario = Scenario().with_run(population=1500, days=365, seed=5)
    by_hand = grades_by_hand(scenario, (plan_for(OLD), plan_for(str(new))))
    changed = by_hand.filter(pl.col("old") != pl.col("new"))
    assert changed.height > 50  # the change matters, or this test proves nothing
    assert impact["as_of"] == "2024-12-30T23:59:59.999999+08:00"
    assert impact["subjects"] == 1500
    assert impact["grade_changed"] == changed.height
    assert impact["worse"] == changed.height  # harsher fines only ever lower a grade
    assert impact["better"] == 0
    pairs = by_hand.group_by("old", "new").agg(subjects=pl.len())
    expected = {(o, n): c for o, n, c in pairs.iter_rows()}
    assert {(t["old"], t["new"]): t["subjects"] for t in impact["transitions"]} == expected


def test_the_changed_rule_is_named_responsible_for_every_grade_change(tmp_path: Path) -> None:
    impact = diff(OLD, str(harsher_fines(tmp_path)), "--simulate", *SMALL)["impact"]
    [rule] = impact["rules"]
    assert rule["rule"] == "traffic.fine"
    assert rule["grade_changed"] == impact["grade_changed"]
    assert rule["subjects"] >= rule["grade_changed"]
    assert rule["entries"] >= rule["subjects"]


def test_breakdowns_by_group_and_district_add_up(tmp_path: Path) -> None:
    impact = diff(OLD, str(harsher_fines(tmp_path)), "--simulate", *SMALL)["impact"]
    assert [g["group"] for g in impact["by_group"]] == ["a", "b"]
    assert [d["district"] for d in impact["by_district"]] == ["Longshan", "Tianfu", "Wenquan"]
    for rows in (impact["by_group"], impact["by_district"]):
        assert sum(r["people"] for r in rows) == 1500
        for key in ("grade_changed", "worse", "better", "listed", "delisted"):
            assert sum(r[key] for r in rows) == impact[key]


def test_moving_a_grade_bound_changes_grades_but_no_entry(tmp_path: Path) -> None:
    new = edited(tmp_path, "bound.toml", ('["A", 960]', '["A", 990]'))
    impact = diff(OLD, str(new), "--simulate", *SMALL)["impact"]
    assert impact["grade_changed"] > 0
    assert impact["worse"] == impact["grade_changed"]  # a higher bound for A: some fall to B
    assert impact["rules"] == []  # no entry differs: the scale did it


def test_the_same_rules_change_nothing(tmp_path: Path) -> None:
    same = edited(tmp_path, "same.toml")
    found = diff(OLD, str(same), "--simulate", *SMALL)
    assert changed_ids(found, "rules", "changed") == []
    assert found["diff"]["settings"] == []
    impact = found["impact"]
    for key in ("grade_changed", "worse", "better", "listed", "delisted", "score_changed"):
        assert impact[key] == 0, key
    assert impact["rules"] == []
    assert all(t["old"] == t["new"] for t in impact["transitions"])
    assert sum(t["subjects"] for t in impact["transitions"]) == 1500
    scenario = Scenario().with_run(population=1500, days=365, seed=5)
    listed_by_the_simulator = simulate(scenario).summary()["listed_at_end"]
    assert impact["lists"][0]["on_old"] == impact["lists"][0]["on_new"] == listed_by_the_simulator
    assert listed_by_the_simulator > 0


# --- the impact on the store --------------------------------------------------------------------


def test_the_store_is_judged_under_both_without_a_breakdown_it_cannot_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_with(
        tmp_path,
        monkeypatch,
        ("init",),
        ("source", "add", "traffic.weihai", "--allow", "traffic"),
        ("source", "add", "court.wendeng", "--allow", "judicial"),
    )
    listing = {"source": "court.wendeng", "type": "court.defaulter_listed", "data": {}}
    events = ndjson(
        tmp_path / "events.ndjson",
        event(1, "2026-01-10T09:00:00+08:00"),  # -20, then doubled: 940, B
        event(2, "2026-02-10T09:00:00+08:00"),  # harsher: -60, -120: 820, C
        event(3, "2026-02-10T09:00:00+08:00", OTHER_ADULT, data={"amount_cny": 100}),
        event(4, "2026-01-05T09:00:00+08:00", OTHER_ADULT, **listing),  # listed from 01-15
        event(5, "2026-02-25T09:00:00+08:00", LATE, **listing),  # appeal window still open
        event(6, "2025-12-20T09:00:00+08:00", MINOR, **listing),  # a minor is never listed
    )
    assert ingest(events)[0] == 0
    found = diff(OLD, str(harsher_fines(tmp_path)), "--store", "--as-of", "2026-03-01")
    impact = found["impact"]
    assert impact["source"] == "store"
    assert impact["as_of"] == "2026-03-01T23:59:59.999999+08:00"
    assert (impact["subjects"], impact["grade_changed"], impact["worse"]) == (4, 1, 1)
    transitions = {(t["old"], t["new"]): t["subjects"] for t in impact["transitions"]}
    assert transitions == {("B", "C"): 1, ("D", "D"): 2, ("A", "A"): 1}  # the minor: no D
    assert impact["rules"] == [
        {"rule": "traffic.fine", "grade_changed": 1, "subjects": 2, "entries": 3}
    ]
    assert impact["lists"] == [
        {
            "list": "dishonest-judgment-defaulters",
            "on_old": 1,
            "on_new": 1,
            "listed": 0,
            "delisted": 0,
        }
    ]
    assert impact["by_group"] is None
    assert impact["by_district"] is None
    assert any("no audit groups or districts" in note for note in impact["notes"])
    assert verify()[0] == 0  # nothing was written to the store

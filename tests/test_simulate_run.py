"""The simulator: reproducible, chunking-invariant, the production kernel, the behaviour
models doing what they say, and the audit group kept away from every rule."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import polars as pl
import pytest

from socialcredit.domain.durations import parse_duration
from socialcredit.kernel.derivation import Derivation
from socialcredit.kernel.standing import standings
from socialcredit.rules.plan import Plan
from socialcredit.simulate import run as run_module
from socialcredit.simulate.coded import coded_entries
from socialcredit.simulate.history import month_starts
from socialcredit.simulate.monthly import grades_by_month, month_ends
from socialcredit.simulate.outputs import TABLES
from socialcredit.simulate.run import Chunk, chunk_count, model_for, simulate, simulate_chunk
from socialcredit.simulate.scenario import Scenario, parse_scenario
from socialcredit.simulate.spells import NEVER, Ending, later, spells_on
from socialcredit.simulate.synthetic import EVENT_SCHEMA

SMALL = """
[run]
population = 1200
block = 600
days = 365
seed = 5
rate = 1.0
"""


def small(extra: str = "", **run: int) -> Scenario:
    return parse_scenario(SMALL + extra).with_run(**run)


def one_chunk(scenario: Scenario, plan: Plan) -> Chunk:
    model = model_for(scenario, plan)
    blocks = (
        [(0, 0, scenario.run.population)]
        if scenario.run.block >= scenario.run.population
        else [
            (b, b * scenario.run.block, scenario.run.block)
            for b in range(scenario.run.population // scenario.run.block)
        ]
    )
    return simulate_chunk(model, plan, blocks)


def penalties_per_person(chunk: Chunk, plan: Plan) -> pl.DataFrame:
    negative = [r.on for r in plan.latest.rules if r.negative]
    return chunk.events.filter(pl.col("type").is_in(negative)).group_by("subject").agg(n=pl.len())


# --- reproducibility and chunking ----------------------------------------------------------


def test_the_same_seed_writes_byte_identical_files(tmp_path: Path, wendeng: Plan) -> None:
    scenario = small()
    simulate(scenario, wendeng).write(tmp_path / "one")
    simulate(scenario, wendeng).write(tmp_path / "two")
    for name in [*TABLES, "summary", "scenario"]:
        suffix = ".parquet" if name in TABLES else ".json"
        first = (tmp_path / "one" / f"{name}{suffix}").read_bytes()
        assert first == (tmp_path / "two" / f"{name}{suffix}").read_bytes(), name


def test_another_seed_gives_other_results(wendeng: Plan) -> None:
    first = simulate(small(), wendeng).tally.table("entries")
    other = simulate(small(seed=6), wendeng).tally.table("entries")
    assert not first.equals(other)


def test_two_chunks_give_what_one_chunk_gives(wendeng: Plan) -> None:
    whole = simulate(small(chunk=1200), wendeng)
    halves = simulate(small(chunk=600), wendeng)
    for name in TABLES:
        assert whole.tally.table(name).equals(halves.tally.table(name)), name
    assert whole.summary() == halves.summary()


def test_chunks_run_on_their_own_add_up_to_the_whole_run(wendeng: Plan) -> None:
    scenario = small(chunk=600)
    assert chunk_count(scenario) == 2
    whole = simulate(scenario, wendeng)
    parts = [simulate(scenario, wendeng, only={n}) for n in (0, 1)]
    assert [p.tally.totals["people"] for p in parts] == [600, 600]
    for name in ("grades", "entries", "disputes"):
        counts = [c for c in whole.tally.table(name).columns if c in ("people", "entries", "cases")]
        keys = [c for c in whole.tally.table(name).columns if c not in (*counts, "points")]
        summed = (
            pl.concat([p.tally.table(name) for p in parts])
            .group_by(keys)
            .agg(pl.col(c).sum() for c in counts)
            .sort(keys)
        )
        assert summed.equals(whole.tally.table(name).select(*keys, *counts).sort(keys)), name


def test_progress_is_reported_per_chunk(wendeng: Plan) -> None:
    seen: list[int] = []
    simulate(small(chunk=600), wendeng, progress=seen.append)
    assert seen == [600, 600]


# --- the production kernel ---------------------------------------------------------------------


def test_monthly_grades_equal_the_kernels_standings_at_every_month_end(wendeng: Plan) -> None:
    scenario = small(population=600)
    chunk = one_chunk(scenario, wendeng)
    edges = month_starts(scenario.run.start, scenario.run.days)
    ends = month_ends(edges, datetime(2024, 1, 1))
    names = wendeng.latest.grades.names if wendeng.latest.grades else ()
    wrongful = np.zeros(chunk.events.height, np.bool_)
    counted = coded_entries(chunk.derivation, 0, wrongful, names).counted()
    ranks = grades_by_month(counted, wendeng, 600, ends)
    subjects = pl.Series("subject", [str(i) for i in range(600)])
    assert len(ends) == 12
    for month, end in enumerate(ends):
        moment = end.replace(tzinfo=ZoneInfo("Asia/Shanghai"))
        kernel = standings(chunk.events, chunk.entries, wendeng, moment, subjects)
        by_subject = dict(kernel.select("subject", "grade").iter_rows())
        mine = {str(i): names[rank] for i, rank in enumerate(ranks[month])}
        assert mine == by_subject, end
    assert len(set(ranks[-1].tolist())) >= 3  # the run moved people between grades


def test_events_are_the_kernels_own_frame_and_nothing_more(wendeng: Plan) -> None:
    chunk = one_chunk(small(population=600), wendeng)
    assert set(chunk.events.columns) == {*EVENT_SCHEMA.names(), "birth_date"}
    assert chunk.events.get_column("id").is_unique().all()
    voids = chunk.events.filter(pl.col("type") == "void")
    assert voids.height > 0
    assert voids.get_column("target").is_in(chunk.events.get_column("id").implode()).all()


def test_the_audit_group_never_reaches_the_kernel(
    wendeng: Plan, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[pl.DataFrame] = []
    derive = run_module.derive

    def spy(events: pl.DataFrame, plan: Plan) -> Derivation:
        seen.append(events)
        return derive(events, plan)

    monkeypatch.setattr(run_module, "derive", spy)
    labelled = "\n[population]\ngroups = { audit-label-one = 0.3, audit-label-two = 0.7 }\n"
    relabelled = "\n[population]\ngroups = { q = 0.9, r = 0.05, s = 0.05 }\n"
    first = simulate(small(labelled), wendeng)
    second = simulate(small(relabelled), wendeng)
    assert len(seen) == 2
    assert set(seen[0].columns) == {*EVENT_SCHEMA.names(), "birth_date"}
    text = seen[0].select(pl.col(pl.String)).unpivot().get_column("value").drop_nulls()
    assert not text.str.contains("audit-label").any()
    assert seen[0].equals(seen[1])  # other groups, the very same events
    groups = first.tally.table("grades").get_column("group").unique()
    assert set(groups) == {"audit-label-one", "audit-label-two"}
    assert set(second.tally.table("grades").get_column("group")) <= {
        "q",
        "r",
        "s",
    }


# --- behaviour models --------------------------------------------------------------------------


def test_deterrence_reduces_repeat_penalties(wendeng: Plan) -> None:
    repeats = {}
    for factor in (1.0, 0.3):
        scenario = small(f"\n[deterrence]\nfactor = {factor}\nfloor = 0.0\n", population=600)
        counts = penalties_per_person(one_chunk(scenario, wendeng), wendeng)
        repeats[factor] = int((counts.get_column("n") - 1).clip(0).sum())
    assert repeats[0.3] < 0.8 * repeats[1.0]


def test_redemption_raises_good_deeds(wendeng: Plan) -> None:
    good = [r.on for r in wendeng.latest.rules if not r.negative]
    deeds = {}
    for factor in (1.0, 5.0):
        scenario = small(f"\n[redemption]\nmargin = 60\nfactor = {factor}\n", population=600)
        events = one_chunk(scenario, wendeng).events
        deeds[factor] = events.filter(pl.col("type").is_in(good)).height
    assert deeds[5.0] > 1.2 * deeds[1.0]


def test_false_reports_list_people_wrongly_only_when_there_are_some(wendeng: Plan) -> None:
    no_appeal = "\n[appeals]\nfalse = 0.0\n[disputes]\nfalse = 0.0\n"
    honest = simulate(small(no_appeal + "[false_reports]\nrate = 0.0\n"), wendeng)
    assert honest.tally.table("wrongful_listings").height == 0
    assert not honest.tally.table("entries").get_column("wrongful").any()
    assert honest.summary()["wrongful_listings"] == 0
    lying = simulate(small(no_appeal + "[false_reports]\nrate = 0.5\n"), wendeng)
    wrongful = lying.tally.table("wrongful_listings")
    assert wrongful.height > 0
    assert (wrongful.get_column("days") > 0).all()
    assert lying.tally.table("entries").get_column("wrongful").any()


def test_disputed_false_reports_are_removed_through_a_void(wendeng: Plan) -> None:
    scenario = small("\n[false_reports]\nrate = 0.3\n[disputes]\nfalse = 1.0\ndelay_days = 1\n")
    disputes = simulate(scenario, wendeng).tally.table("disputes")
    about_false = disputes.filter(pl.col("false") & (pl.col("way") == "dispute"))
    outcomes = set(about_false.get_column("outcome"))
    assert outcomes <= {"removed", "pending"}
    assert "removed" in outcomes


def test_performing_the_judgment_repairs_and_delists(wendeng: Plan) -> None:
    scenario = small("\n[performance]\nmonthly = 0.5\n", rate=3)
    result = simulate(scenario, wendeng)
    flows = result.summary()["list_flows"]
    assert isinstance(flows, dict)
    assert flows.get("performed", 0) > 0
    assert result.summary()["repairs"] > 0


# --- the list's calendar -----------------------------------------------------------------------


def test_a_year_later_clamps_to_the_end_of_february() -> None:
    start = date(2024, 1, 1)
    leap_day = (date(2024, 2, 29) - start).days * 86_400 + 3600
    moved = later(np.array([leap_day, NEVER]), parse_duration("1y"), start)
    assert moved[0] == (date(2025, 2, 28) - start).days * 86_400 + 3600
    assert moved[1] == NEVER


def test_a_listing_ends_at_the_first_of_period_performance_and_withdrawal(wendeng: Plan) -> None:
    listing = wendeng.latest.lists[0]
    day = 86_400
    start, span = date(2024, 1, 1), 3 * 366 * day
    never = NEVER
    spells = spells_on(
        listing,
        (np.arange(5), np.zeros(5, np.int64), np.array([False, False, True, True, False])),
        np.array([10 * day, 10 * day, 10 * day, 10 * day, never]),
        np.array([never, never, 40 * day, 5 * day, never]),
        np.array([never, 100 * day, never, never, never]),
        removable=True,
        start=start,
        span=span,
    )
    assert spells.subject.tolist() == [0, 1, 2]  # withdrawn before effect, overturned: never
    assert spells.ending.tolist() == [Ending.EXPIRED, Ending.PERFORMED, Ending.WITHDRAWN]
    assert spells.until[0] == (date(2026, 1, 11) - start).days * day
    assert spells.until[1] > 100 * day
    assert spells.until[2] == 40 * day

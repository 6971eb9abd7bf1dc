"""Benchmark: the simulator on a million people for a year, beside the same model in Mesa.

    uv run --group bench python bench/simulate.py                  # full size (long)
    uv run --group bench python bench/simulate.py --people 100000 --mesa-people 2000 \\
        --memory-people 1000000
    uv run --group bench python bench/simulate.py --quick          # tiny smoke run

It prints its Markdown section; `bench/run.py` runs it too (`--simulate="FLAGS"` passes these
flags on) and writes it into BENCHMARKS.md with the others.

Ours: `socialcredit.simulate.run.simulate`, what `socialcredit simulate` calls, on the shipped
`wendeng` scenario with `--people` and `--days`, files and report not written; median of
`--runs` after an untimed warm-up run on 10,000 people (which loads the kernel's compiled
functions). Person-days per second: people times days over the seconds.

Reference: the same behaviour model as an agent-based model in Mesa, one agent per person
stepping daily: each day each agent draws its events per behaviour (Poisson, at its
propensity), scores each with the points the Wendeng pack gives (the table the simulator's
people reckon their own scores by, taken from the kernel), is deterred after a penalty, does
more good deeds while its score is just below a grade bound, receives false reports, and is
listed and performs the judgment. The people are the simulator's own draw for the same
scenario; building the agents and every step are timed.

Memory: peak resident memory (`ru_maxrss`) of `simulate` on `--memory-people` for `--days`.

National scale: `--national-chunks` chunks of a run over 1.4 billion people, spread evenly
over it and each run as the whole run would run it; the whole run is projected from them.

Each of the four runs in a fresh process, so that each peak memory is its own.
"""

from __future__ import annotations

import argparse
import heapq
import math
import multiprocessing
import os
import resource
import shlex
import statistics
import sys
import time
from bisect import bisect_right
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from importlib.metadata import version
from typing import Any

import mesa
import numpy as np

from machine import machine
from socialcredit.rules.plan import Plan
from socialcredit.services.rulebooks import plan_for
from socialcredit.simulate.history import Model as Shared
from socialcredit.simulate.people import People, draw_people
from socialcredit.simulate.run import chunk_count, model_for, simulate
from socialcredit.simulate.scenario import BEHAVIOURS, Scenario, load_scenario
from socialcredit.simulate.synthetic import _KINDS

COMMAND = "uv run --group bench python bench/simulate.py"
HEADING = "## Simulator"
SCENARIO = "wendeng"
WARMUP_PEOPLE = 10_000
SECONDS_TARGET = 5.0  # for a million people over a year
RATIO_TARGET = 1000.0  # our person-days per second over Mesa's
_DAY = 86_400
_YEAR_DAYS = 365.25
_MONTH_DAYS = 30.436875
# The pack's validity of a deduction by its applied magnitude: over 40 points, two years.
_LONG_ABOVE, _LONG_DAYS = 40, 731
Figures = dict[str, Any]


def say(text: str) -> None:
    """Progress on stderr, stamped, so that stdout stays the report."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def scenario_for(people: int, days: int, seed: int) -> Scenario:
    """The shipped Wendeng scenario at the given size."""
    return load_scenario(SCENARIO).with_run(population=people, days=days, seed=seed)


# --- isolation: each measurement in a fresh process ---------------------------------------------


def _measured(phase: Callable[..., Figures], *args: Any) -> Figures:
    result = phase(*args)
    result["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return result


def isolated(phase: Callable[..., Figures], *args: Any) -> Figures:
    """`phase(*args)` in a freshly started interpreter; its figures plus `peak_rss_gib`."""
    say(f"{phase.__name__} ...")
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_measured, phase, *args).result()


# --- ours ---------------------------------------------------------------------------------------


def ours(people: int, days: int, seed: int, runs: int) -> Figures:
    """Phase: `simulate` timed `runs` times after a small untimed warm-up."""
    scenario = scenario_for(people, days, seed)
    plan = plan_for(scenario.run.rulebook)
    simulate(scenario_for(min(people, WARMUP_PEOPLE), days, seed), plan)
    seconds = []
    summary: dict[str, object] = {}
    for i in range(runs):
        began = time.perf_counter()
        result = simulate(scenario, plan)
        seconds.append(time.perf_counter() - began)
        say(f"  simulate run {i + 1}: {seconds[-1]:.2f} s")
        summary = result.summary()
        del result
    return {"people": people, "days": days, "seconds": seconds, "summary": summary}


def memory(people: int, days: int, seed: int) -> Figures:
    """Phase: one `simulate` run, for its peak memory (the process is fresh)."""
    scenario = scenario_for(people, days, seed)
    began = time.perf_counter()
    summary = simulate(scenario).summary()
    seconds = time.perf_counter() - began
    return {
        "people": people,
        "days": days,
        "chunk": scenario.run.chunk,
        **summary,
        "seconds": seconds,
    }


NATION = 1_400_000_000  # people, about China's population


def national(days: int, seed: int, samples: int) -> Figures:
    """Phase: `samples` chunks of a national run (1.4 billion people), evenly spread over
    it, each run exactly as the whole run would run it; seconds each, and the projection."""
    scenario = scenario_for(NATION, days, seed)
    plan = plan_for(scenario.run.rulebook)
    simulate(scenario_for(WARMUP_PEOPLE, days, seed), plan)
    total = chunk_count(scenario)
    picked = sorted({round(i * (total - 1) / max(samples - 1, 1)) for i in range(samples)})
    seconds, people = [], []
    for number in picked:
        began = time.perf_counter()
        result = simulate(scenario, plan, only={number})
        seconds.append(time.perf_counter() - began)
        people.append(result.tally.totals["people"])
        say(f"  national chunk {number} of {total}: {seconds[-1]:.2f} s")
        del result
    return {
        "people": NATION,
        "days": days,
        "chunks": total,
        "chunk": scenario.run.chunk,
        "picked": picked,
        "seconds": seconds,
        "chunk_people": people,
    }


# --- the reference: the same behaviour model in Mesa -------------------------------------------


def poisson(draw: Callable[[], float], mean: float) -> int:
    """A Poisson count (Knuth's product of uniforms: one draw when nothing happens)."""
    threshold, count, product = math.exp(-mean), 0, draw()
    while product > threshold:
        count += 1
        product *= draw()
    return count


class Person(mesa.Agent):  # type: ignore[misc]
    """One simulated person: propensities, own reckoned score, list status."""

    def __init__(self, model: City, row: int, people: People) -> None:
        super().__init__(model)
        shared = model.shared
        reported = model.policing[int(people.district[row])]
        self.adult_day = math.ceil(int(people.adult_at[row]) / _DAY)
        # Per behaviour: events a day at full propensity (misconduct as reported).
        self.daily = [
            model.daily[b]
            * float(people.propensity[name][row])
            * (reported if shared.kinds.negative[b] else 1.0)
            for b, name in enumerate(model.behaviours)
        ]
        self.deterred = [1.0] * len(self.daily)
        self.false_daily = model.false_daily * reported
        self.points = 0
        self.entries: list[tuple[int, int]] = []  # (last day counted, points), a heap
        self.graded: list[tuple[int, int, int]] = []  # (last day held, grade rank, kind)
        self.repeated: dict[int, int] = {}  # per repeat-doubling kind, its entry's last day
        self.listed_until = -1
        self.awaiting = False  # listed on a true trigger, judgment not yet performed
        self.events = 0

    def step(self) -> None:
        """One day: expire records, reckon the score, draw and score the day's events."""
        model, day = self.model, self.model.day
        draw = model.random.random
        self._expire(day)
        near = model.redemption > 1 and self._near(model)
        for b, daily in enumerate(self.daily):
            mean = daily * self.deterred[b]
            if near and model.good[b]:
                mean *= model.redemption
            for _ in range(poisson(draw, mean)):
                self._event(model, model.pick(b, draw()), day, false=False)
        for _ in range(poisson(draw, self.false_daily)):
            self._event(model, model.pick_false(draw()), day, false=True)
        if self.awaiting and day <= self.listed_until and draw() < model.performs:
            self.awaiting = False
            self.listed_until = day
            trigger = model.trigger  # performing repairs the listing's direct grade
            self.graded = [(min(e, day) if k == trigger else e, r, k) for e, r, k in self.graded]

    def _expire(self, day: int) -> None:
        entries = self.entries
        while entries and entries[0][0] < day:
            self.points -= heapq.heappop(entries)[1]
        if self.graded and any(held[0] < day for held in self.graded):
            self.graded = [held for held in self.graded if held[0] >= day]

    def score_and_grade(self) -> tuple[int, int]:
        """The reckoned score and the grade rank (0: best) it gives."""
        model = self.model
        worst = max((held[1] for held in self.graded), default=-1)
        score = model.baseline + self.points
        if worst >= 0:
            score = min(score, model.caps[worst])
        band = sum(1 for lower in model.lowers if score < lower)
        return score, max(band, worst)

    def _near(self, model: City) -> bool:
        if self.graded:
            return False
        score = model.baseline + self.points
        above = bisect_right(model.ascending, score)
        return above < len(model.ascending) and model.ascending[above] - score <= model.margin

    def _event(self, model: City, kind: int, day: int, *, false: bool) -> None:
        adult = day >= self.adult_day
        if not adult and model.random.random() >= model.minor[kind]:
            return  # a minor causes each kind at its minor factor
        self.events += 1
        penalty = model.sign[kind] < 0
        if penalty and not adult:
            return  # minors take no negative points
        points, days = model.points[kind], model.valid_days[kind]
        if model.repeat[kind]:
            if self.repeated.get(kind, -1) >= day:  # an earlier one still counts: doubled
                points *= 2
                days = _LONG_DAYS if abs(points) > _LONG_ABOVE else days
            self.repeated[kind] = day + days - 1
        last = day + days - 1
        if points:
            heapq.heappush(self.entries, (last, points))
            self.points += points
        if model.grade[kind] >= 0:
            self.graded.append((last, model.grade[kind], kind))
        if kind == model.trigger:
            since = day + model.window
            self.listed_until = max(self.listed_until, since + model.period)
            self.awaiting = self.awaiting or not false
        if penalty and not false:
            for b in model.deters[model.behaviour_of[kind]]:
                self.deterred[b] = max(self.deterred[b] * model.factor, model.floor)


class City(mesa.Model):  # type: ignore[misc]
    """The Wendeng scenario's people under its rulebook, one agent each, a step a day."""

    def __init__(self, scenario: Scenario, plan: Plan, shared: Shared, people: People) -> None:
        super().__init__(seed=scenario.run.seed)
        segment = plan.segment_at(scenario.run.start) or plan.latest
        rules = [segment.rule_for(kind.type) for kind in _KINDS]
        self.repeat = [rule is not None and rule.repeat for rule in rules]
        self.shared, self.day = shared, 0
        kinds, reckoning = shared.kinds, shared.reckoning
        mix = scenario.population
        self.policing = [mix.enforcement.get(d, 1.0) for d in mix.districts]
        self.behaviours = list(BEHAVIOURS)
        self.daily = [float(r.sum()) / _YEAR_DAYS for r in kinds.rates]
        self.good = [bool(p) for p in kinds.positive]
        self._kinds = [[int(c) for c in codes] for codes in kinds.codes]
        self._cumulative = [list(np.cumsum(r) / r.sum()) for r in kinds.rates]
        share = scenario.false_reports.rate
        negative = [b for b, n in enumerate(kinds.negative) if n]
        false_codes = [c for b in negative for c in self._kinds[b]]
        false_rates = np.concatenate([kinds.rates[b] for b in negative]) * share / (1 - share)
        self.false_daily = float(false_rates.sum()) / _YEAR_DAYS
        self._false_kinds = false_codes
        self._false_cumulative = list(np.cumsum(false_rates) / false_rates.sum())
        self.minor = [float(m) for m in kinds.minor]
        self.behaviour_of = [int(b) for b in kinds.behaviour]
        self.sign = [int(s) for s in reckoning.sign]
        self.points = [int(p) for p in reckoning.points]
        self.valid_days = [max(1, int(s) // _DAY) for s in reckoning.seconds]
        self.grade = [int(g) for g in reckoning.grade]
        self.baseline = int(reckoning.baseline)
        self.lowers = [int(x) for x in reckoning.bounds[:-1]]
        self.ascending = [int(x) for x in reckoning.bounds[::-1]]
        self.caps = [int(min(c, 2**62)) for c in reckoning.caps]
        self.margin, self.redemption = scenario.redemption.margin, scenario.redemption.factor
        self.factor, self.floor = scenario.deterrence.factor, scenario.deterrence.floor
        # Per behaviour, the behaviours a true penalty of it deters (scope "all": all misconduct).
        everything = [b for b, n in enumerate(kinds.negative) if n]
        every = scenario.deterrence.scope == "all"
        self.deters = [everything if every else [b] for b in range(len(self.behaviours))]
        self.trigger = shared.trigger
        listing = shared.listing
        self.window = listing.appeal_window.days if listing else 0
        period = listing.period if listing else None
        self.period = 730 if period is None else 365 * period.months // 12 + period.days
        self.performs = 1 - (1 - scenario.performance.monthly) ** (1 / _MONTH_DAYS)
        for row in range(len(people)):
            Person(self, row, people)

    def pick(self, behaviour: int, u: float) -> int:
        """The kind of a behaviour's event, by the kinds' rates."""
        kinds = self._kinds[behaviour]
        return kinds[min(bisect_right(self._cumulative[behaviour], u), len(kinds) - 1)]

    def pick_false(self, u: float) -> int:
        """The kind of a false report, by the misconduct kinds' rates."""
        at = min(bisect_right(self._false_cumulative, u), len(self._false_kinds) - 1)
        return self._false_kinds[at]

    def step(self) -> None:
        """Every person lives one day."""
        self.agents.do("step")
        self.day += 1


def mesa_reference(people: int, days: int, seed: int) -> Figures:
    """Phase: the Mesa model built and stepped `days` times, timed."""
    scenario = scenario_for(people, days, seed)
    plan = plan_for(scenario.run.rulebook)
    shared = model_for(scenario, plan)
    sequence = np.random.SeedSequence([seed, 0])
    people_rng, audit_rng, _ = (np.random.default_rng(s) for s in sequence.spawn(3))
    drawn = draw_people(scenario, (people_rng, audit_rng), 0, people)
    began = time.perf_counter()
    city = City(scenario, plan, shared, drawn)
    built = time.perf_counter() - began
    for _ in range(days):
        city.step()
    seconds = time.perf_counter() - began
    persons = list(city.agents)
    ranks = [p.score_and_grade()[1] for p in persons]
    names = plan.latest.grades.names if plan.latest.grades else ()
    grades = {name: ranks.count(r) / people for r, name in enumerate(names)}
    return {
        "people": people,
        "days": days,
        "seconds": seconds,
        "build_seconds": built,
        "events": sum(p.events for p in persons),
        "listed_at_end": sum(1 for p in persons if p.listed_until >= days),
        "final_grades": grades,
    }


# --- the section --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None, prog: str | None = None) -> argparse.Namespace:
    """Command-line flags; the defaults are the issue's sizes."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000, help="ours (default 1e6)")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of ours (median)")
    parser.add_argument("--mesa-people", type=int, default=10_000, help="agents (default 1e4)")
    parser.add_argument(
        "--memory-people", type=int, default=10_000_000, help="the memory run (default 1e7)"
    )
    parser.add_argument(
        "--national-chunks", type=int, default=3, help="chunks of the national run to time"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.runs, args.mesa_people, args.memory_people = 20_000, 1, 300, 50_000
        args.national_chunks = 1
    return args


def measure(args: argparse.Namespace) -> Figures:
    """The three measurements, each in a fresh process."""
    figures: Figures = {"load_before": os.getloadavg()[0]}
    began = time.perf_counter()
    figures["ours"] = isolated(ours, args.people, args.days, args.seed, args.runs)
    figures["mesa"] = isolated(mesa_reference, args.mesa_people, args.days, args.seed)
    figures["memory"] = isolated(memory, args.memory_people, args.days, args.seed)
    figures["national"] = isolated(national, args.days, args.seed, args.national_chunks)
    figures["load_after"] = os.getloadavg()[0]
    figures["wall_seconds"] = time.perf_counter() - began
    figures["machine"] = machine({"Mesa": version("mesa")})
    return figures


def _rate(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f} M"
    return f"{value / 1e3:.1f} k"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _grades(shares: dict[str, float]) -> str:
    return ", ".join(f"{g} {s:.1%}" for g, s in shares.items())


def render(figures: Figures, command: str) -> str:
    """The Markdown section for BENCHMARKS.md; `command` is the one that measured it."""
    o, m, mem, info = figures["ours"], figures["mesa"], figures["memory"], figures["machine"]
    nat = figures["national"]
    per_person = sum(nat["seconds"]) / sum(nat["chunk_people"])
    projected = per_person * nat["people"]
    seconds = statistics.median(o["seconds"])
    ours_rate = o["people"] * o["days"] / seconds
    mesa_rate = m["people"] * m["days"] / m["seconds"]
    ratio = ours_rate / mesa_rate
    year = o["people"] == 1_000_000 and o["days"] == 365
    size = f"{o['people']:,} people over {o['days']} days"
    runs = ", ".join(f"{s:.2f}" for s in o["seconds"])
    s = o["summary"]
    rows = [
        f"| `simulate`, Wendeng, {size} | {seconds:.2f} s (median of {len(o['seconds'])}: "
        f"{runs}), {_rate(ours_rate)} person-days/s | | | <= {SECONDS_TARGET:g} s for a "
        f"million people over a year | "
        + (_met(seconds <= SECONDS_TARGET) if year else "not this size")
        + " |",
        f"| The same behaviour model, person-days/s | {_rate(ours_rate)} ({size}) | Mesa "
        f"{info['Mesa']}, {m['people']:,} agents, {m['days']} daily steps: {m['seconds']:.1f} s, "
        f"{_rate(mesa_rate)} | {ratio:,.0f}x | >= {RATIO_TARGET:,.0f}x | "
        f"{_met(ratio >= RATIO_TARGET)} |",
        f"| Peak memory of `simulate`, {mem['people']:,} people over {mem['days']} days, fresh "
        f"process | {mem['peak_rss_gib']:.2f} GiB ({mem['seconds']:.0f} s, "
        f"{_rate(mem['people'] * mem['days'] / mem['seconds'])} person-days/s) | | | none set "
        f"(RAM {info['RAM']}) | |",
        f"| National scale: {nat['people']:,} people over {nat['days']} days, streamed in "
        f"{nat['chunks']:,} chunks | {len(nat['seconds'])} real chunks timed: "
        f"{per_person * 1e6:.2f} s per million people; projected {projected / 3600:.1f} h "
        f"for the whole run, peak RSS {nat['peak_rss_gib']:.2f} GiB | | | run whole if it "
        f"fits in the time | not run whole: {projected / 3600:.1f} h |",
    ]
    lines = [
        HEADING,
        "",
        f"`{command}` (this section: {figures['wall_seconds'] / 60:.1f} min). {info['CPU']}, "
        f"{info['Cores']}, {info['RAM']}; {info['OS']}; Python {info['Python']}, Polars "
        f"{info['Polars']}, Mesa {info['Mesa']}; socialcredit {info['socialcredit']}, "
        f"{info['Date']}. Load average {figures['load_before']:.2f} before, "
        f"{figures['load_after']:.2f} after: other processes may have shared the machine.",
        "",
        "| What | Ours | Reference, same run | Ratio | Target | |",
        "|---|---|---|---:|---|---|",
        *rows,
        "",
        "Ratio: our person-days per second over Mesa's. The two sides do not do the same work: "
        "ours also derives every entry with the production kernel (repeat doubling, one act "
        "one entry, caps, cumulative tiers, repairs, voids), decides disputes, appeals and "
        "corrections, and counts grades, entries and list flows by month, district, group and "
        "income; the Mesa model scores each event by the points the kernel gives a typical "
        "such event (the table the simulator's people reckon by), with repeat doubling, and "
        "keeps no tables. The "
        "ratio therefore flatters the reference.",
        "",
        f"- Ours: `socialcredit.simulate.run.simulate` (what `socialcredit simulate` calls) on "
        f"the shipped `{SCENARIO}` scenario at {size}, seed {s['seed']}, "
        f"files and report not written, after an untimed warm-up on "
        f"{min(o['people'], WARMUP_PEOPLE):,} people. Last run: {s['events']:,} events, "
        f"{s['entries']:,} entries, {s['listed_at_end']:,} on the list at the end; grades at "
        f"the end: {_grades(s['final_grades'])}. Peak RSS {o['peak_rss_gib']:.2f} GiB.",
        f"- Mesa: one `mesa.Agent` per person, `agents.do('step')` once a day; each agent "
        f"draws a Poisson count per behaviour from its propensity (the simulator's own draw "
        f"of the same scenario's people, not timed), scores events by the Wendeng pack's "
        f"points, repeat doubling, validity and direct grades (minors: no negative points), "
        f"is deterred after "
        f"a true penalty (factor, floor), does good deeds more often while its own score is "
        f"just below a grade bound, receives false reports, and is listed on a true trigger "
        f"after the appeal window and performs with the scenario's monthly probability. Not "
        f"modelled: disputes, appeals and corrections. Timed: building the "
        f"{m['people']:,} agents ({m['build_seconds']:.2f} s) and {m['days']} steps. "
        f"{m['events']:,} events, {m['listed_at_end']:,} listed at the end; grades at the end "
        f"(own reckoning): {_grades(m['final_grades'])}.",
        f"- Memory: one `simulate` run in a fresh process, the scenario's chunk of "
        f"{mem['chunk']:,} people per kernel call; {mem['events']:,} events, "
        f"{mem['entries']:,} entries. `ru_maxrss` of that process.",
        f"- National scale: the `{SCENARIO}` scenario at {nat['people']:,} people, "
        f"`simulate(..., only={{chunk}})` on chunks {', '.join(f'{c:,}' for c in nat['picked'])} "
        f"of {nat['chunks']:,} ({', '.join(f'{n:,}' for n in nat['chunk_people'])} people; "
        f"{', '.join(f'{x:.2f}' for x in nat['seconds'])} s), each exactly as the whole run "
        f"runs it (its blocks' own seeds, the kernel, the tallies), in one fresh process after a "
        f"warm-up on {WARMUP_PEOPLE:,} people. The projection is their seconds per person "
        f"times the population; memory stays that of one chunk, whatever the population.",
        "",
    ]
    return "\n".join(lines)


def section(argv: list[str] | None = None, command: str | None = None) -> str:
    """Measure, and the section of BENCHMARKS.md; `command` names the command that ran it."""
    argv = list(argv or [])
    figures = measure(parse_args(argv))
    return render(figures, command or shlex.join([*COMMAND.split(), *argv]))


def main(argv: list[str] | None = None) -> None:
    """Print the section."""
    print(section(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()

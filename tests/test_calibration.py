"""The shipped `calibration` scenario reproduces the published scale of the court list.

The Supreme People's Court's figures for the national list of dishonest judgment defaulters
(docs/calibration.md gives them with their sources) are per capita once divided by 1.4 billion;
the scenario's sample, scaled by 1.4e9 / people, must land within each figure's tolerance. A
smaller sample than the scenario's keeps the test fast; the rates are the scenario's own, so
changing them fails the test.

Run as a script, it prints the table of docs/calibration.md for a run at the scenario's size:

    uv run python -m tests.test_calibration                    # 1,000,000 people
    uv run python -m tests.test_calibration --people 300000
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from datetime import date

import polars as pl
import pytest

from socialcredit.simulate.run import Simulation, simulate
from socialcredit.simulate.scenario import load_scenario

CHINA = 1.4e9  # people: what the per-capita figures are scaled to
YEAR = 2024  # the year of the published flows
TEST_PEOPLE = 300_000


@dataclass(frozen=True)
class Figure:
    """One published figure and how closely the simulation must come to it (None: a figure
    the simulation is known not to reproduce, shown but not tested)."""

    key: str
    what: str
    published: float
    tolerance: float | None


FIGURES = (
    Figure("listed", "Listings since the list opened, first 2,107 days", 14.5e6, 0.10),
    Figure("entered", f"New listings in {YEAR}", 2.457e6, 0.15),
    Figure("performed", f"Removed through repair (performance) in {YEAR}", 2.821e6, 0.25),
    Figure(
        "stock",
        f"On the list at the end of {YEAR} (stock), against the first figure read as a stock",
        14.5e6,
        None,
    ),
)


def per_capita(simulation: Simulation) -> dict[str, float]:
    """Each figure of the run, per person simulated."""
    people = simulation.scenario.run.population
    flows = simulation.tally.table("list_flows")
    in_year = pl.col("month").dt.year() == YEAR
    sizes = simulation.tally.table("list_sizes").filter(pl.col("month") == date(YEAR, 12, 1))

    def flow(name: str, *where: pl.Expr) -> float:
        rows = flows.filter(pl.col("flow") == name, *where)
        return float(rows.get_column("listings").sum()) / people

    return {
        "listed": flow("entered"),
        "entered": flow("entered", in_year),
        "performed": flow("performed", in_year),
        "stock": float(sizes.get_column("listed").sum()) / people,
    }


def _count(value: float) -> str:
    return f"{value / 1e6:.2f} M"


def table(simulation: Simulation) -> str:
    """Simulated beside published, per 100,000 people and scaled to 1.4 billion, as Markdown."""
    found = per_capita(simulation)
    lines = [
        "| Figure | Published | Published per 100,000 | Simulated per 100,000 | "
        "Simulated, scaled to 1.4 billion | Simulated / published | Tolerance |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for figure in FIGURES:
        ours = found[figure.key]
        ratio = ours * CHINA / figure.published
        tolerance = "not reproduced" if figure.tolerance is None else f"± {figure.tolerance:.0%}"
        lines.append(
            f"| {figure.what} | {_count(figure.published)} | "
            f"{figure.published / CHINA * 1e5:.1f} | {ours * 1e5:.1f} | "
            f"{_count(ours * CHINA)} | {ratio:.2f} | {tolerance} |"
        )
    return "\n".join(lines)


# --- the test -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calibrated() -> dict[str, float]:
    scenario = load_scenario("calibration").with_run(population=TEST_PEOPLE)
    return per_capita(simulate(scenario))


@pytest.mark.parametrize(
    "figure", [f for f in FIGURES if f.tolerance is not None], ids=lambda f: f.key
)
def test_the_scaled_figure_is_within_tolerance_of_the_published_one(
    calibrated: dict[str, float], figure: Figure
) -> None:
    assert figure.tolerance is not None
    scaled = calibrated[figure.key] * CHINA
    assert abs(scaled / figure.published - 1) <= figure.tolerance, (
        f"{figure.what}: {_count(scaled)} simulated, {_count(figure.published)} published"
    )


def test_the_stock_stays_within_what_a_two_year_period_allows(
    calibrated: dict[str, float],
) -> None:
    # The documented difference: listings last at most two years, so the number on the list
    # on one day cannot exceed two years of new listings, far below 14.5 million.
    assert calibrated["stock"] < 2 * calibrated["entered"]


def test_the_scenario_covers_the_published_year_and_span() -> None:
    run = load_scenario("calibration").run
    assert run.start <= date(YEAR, 1, 1)
    assert (run.start.toordinal() + run.days) > date(YEAR + 1, 1, 1).toordinal()
    assert run.days == (date(2019, 7, 9) - date(2013, 10, 1)).days


# --- the table for docs/calibration.md ----------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Run the scenario (at --people, by default its own size) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=None, help="default: the scenario's")
    parser.add_argument("--seed", type=int, default=None, help="default: the scenario's")
    args = parser.parse_args(argv)
    scenario = load_scenario("calibration").with_run(population=args.people, seed=args.seed)
    began = time.perf_counter()
    simulation = simulate(scenario)
    seconds = time.perf_counter() - began
    run = scenario.run
    print(
        f"`calibration`: {run.population:,} people, {run.days:,} days from {run.start}, "
        f"seed {run.seed}, {simulation.tally.totals['events']:,} events, {seconds:.0f} s. "
        f"Scaled by 1.4e9 / {run.population:,} = {CHINA / run.population:,.0f}."
    )
    print()
    print(table(simulation))


if __name__ == "__main__":
    main()

"""`socialcredit simulate`: a synthetic population lived under a rulebook, counted to Parquet."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from socialcredit.cli.app import app, err, out, progress_bar, reported
from socialcredit.rules.plan import Plan
from socialcredit.services.rulebooks import plan_for
from socialcredit.simulate.report import write_report
from socialcredit.simulate.run import Simulation
from socialcredit.simulate.run import simulate as run_simulation
from socialcredit.simulate.scenario import Scenario, load_scenario

__all__ = ["simulate"]


@app.command()
def simulate(
    scenario: Annotated[
        str | None,
        typer.Argument(help="A scenario TOML file, or the name of a shipped scenario."),
    ] = None,
    population: Annotated[int | None, typer.Option(help="People to simulate.")] = None,
    days: Annotated[int | None, typer.Option(help="Days to simulate from the start.")] = None,
    rulebook: Annotated[
        str | None, typer.Option(help="A bundled rulebook id or a TOML file.")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed: the same seed gives the same files.")
    ] = None,
    chunk: Annotated[
        int | None, typer.Option(help="People per kernel call (bounds memory).")
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the Parquet files.", file_okay=False)
    ] = Path("simulation"),
    as_json: Annotated[bool, typer.Option("--json", help="The summary as JSON on stdout.")] = False,
    report: Annotated[
        bool, typer.Option("--report/--no-report", help="Write report.html into --out.")
    ] = True,
    from_dir: Annotated[
        Path | None,
        typer.Option(
            "--from",
            help="Only (re)build report.html in this finished run's folder; simulate nothing.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Simulate a population under a rulebook; write monthly counts as Parquet, and a report,
    to --out."""
    if from_dir is not None:
        with reported():
            path = write_report(from_dir)
        err.print(f"wrote {path}", highlight=False)
        return
    with reported():
        chosen = load_scenario(scenario) if scenario else Scenario()
        chosen = chosen.with_run(
            population=population, days=days, rulebook=rulebook, seed=seed, chunk=chunk
        )
        plan = plan_for(chosen.run.rulebook)
        began = time.perf_counter()
        result = _run(chosen, plan)
        seconds = time.perf_counter() - began
        written = result.write(out_dir)
        if report:
            written["report"] = write_report(out_dir)
    summary = {**result.summary(), "seconds": round(seconds, 3), "out": str(out_dir)}
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    _render(result, summary, sorted(p.name for p in written.values()))


def _run(scenario: Scenario, plan: Plan) -> Simulation:
    people = scenario.run.population
    with progress_bar() as bar:
        task = bar.add_task("simulating", total=people, rate="")

        def advance(done: int) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            finished = bar.tasks[0].completed + done
            rate = f"{finished / elapsed:,.0f} people/s" if elapsed else ""
            bar.update(task, advance=done, rate=rate)

        return run_simulation(scenario, plan, progress=advance)


def _render(result: Simulation, summary: dict[str, object], files: list[str]) -> None:
    run = result.scenario.run
    out.print(
        f"[bold]{summary['rulebook']}[/]: {run.population:,} people, {run.days} days from "
        f"{run.start}, seed {run.seed}: {summary['events']:,} events, "
        f"{summary['entries']:,} entries in {summary['seconds']} s",
        highlight=False,
    )
    grades = Table("grade", "share at the end", title="Grades")
    for grade, share in dict(summary["final_grades"]).items():  # type: ignore[call-overload]
        grades.add_row(grade, f"{share:.2%}")
    out.print(grades)
    flows = dict(summary["list_flows"])  # type: ignore[call-overload]
    out.print(
        f"On the list at the end: {summary['listed_at_end']:,}; entered "
        f"{flows.get('entered', 0):,}, left on performance {flows.get('performed', 0):,}, "
        f"withdrawn {flows.get('withdrawn', 0):,}, expired {flows.get('expired', 0):,}",
        highlight=False,
    )
    out.print(
        f"Wrongful listings from false reports: {summary['wrongful_listings']:,} "
        f"(mean {summary['wrongful_days_mean']} days listed); repairs: {summary['repairs']:,}; "
        f"disputes and appeals by outcome: {summary['disputes']}",
        highlight=False,
    )
    err.print(f"wrote {', '.join(files)} to {summary['out']}", highlight=False)

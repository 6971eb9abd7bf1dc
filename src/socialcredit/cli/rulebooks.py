"""`socialcredit rulebook check|list|diff`: rulebooks on disk and bundled, and what a change
to one would do."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from socialcredit import bootstrap
from socialcredit.cli.app import (
    err,
    fail,
    opened_store,
    out,
    parse_as_of,
    progress_bar,
    reported,
    rulebook_app,
)
from socialcredit.cli.impact import render_diff, render_impact
from socialcredit.cli.options import JsonOpt, print_json
from socialcredit.errors import RulebookError, SocialCreditError
from socialcredit.rules.diff import diff_plans
from socialcredit.rules.plan import Plan
from socialcredit.services.impact import derived_in_store
from socialcredit.services.rulebooks import bundled_catalog, check_files, plan_for
from socialcredit.simulate.comparison import throughout
from socialcredit.simulate.impact import Impact, simulated_impact, stored_impact
from socialcredit.simulate.scenario import Scenario, load_scenario

__all__ = ["load_plan"]


def load_plan(rulebook: str) -> Plan:
    try:
        return plan_for(rulebook)
    except RulebookError as exc:
        for problem in exc.problems:
            err.print(str(problem), highlight=False, soft_wrap=True)
        fail(f"rulebook {rulebook} has {len(exc.problems)} problem(s)")
    except SocialCreditError as exc:
        fail(str(exc))


@rulebook_app.command("check")
def rulebook_check(
    paths: Annotated[list[Path], typer.Argument(help="Rulebook TOML files to check.")],
) -> None:
    """Check rulebook files: format, safeguards, extends. Exit 1 listing every problem."""
    problems = check_files(paths)
    for problem in problems:
        err.print(str(problem), highlight=False, soft_wrap=True)
    if problems:
        err.print(f"{len(problems)} problem(s) in {len(paths)} file(s)")
        raise typer.Exit(1)
    out.print(f"ok: {len(paths)} file(s) keep every safeguard", highlight=False)


@rulebook_app.command("list")
def rulebook_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the bundled rulebooks and their versions."""
    catalog = bundled_catalog()
    rows = []
    for rulebook_id, versions in sorted(catalog.books.items()):
        for v in versions:
            rows.append(
                {
                    "id": rulebook_id,
                    "version": v.version,
                    "effective": v.effective.isoformat(),
                    "extends": v.extends,
                    "membership": v.membership,
                    "rules": len(v.rules),
                    "lists": len(v.lists),
                    "title": v.title,
                }
            )
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return
    table = Table("id", "version", "effective", "extends", "membership", "rules", "lists", "title")
    for row in rows:
        table.add_row(
            *(
                str(row[k] if row[k] is not None else "")
                for k in (
                    "id",
                    "version",
                    "effective",
                    "extends",
                    "membership",
                    "rules",
                    "lists",
                    "title",
                )
            )
        )
    out.print(table)


OldArg = Annotated[
    str,
    typer.Argument(
        metavar="OLD", help="The rulebook in force: a bundled rulebook id or a TOML file."
    ),
]
NewArg = Annotated[
    str,
    typer.Argument(
        metavar="NEW", help="The proposed rulebook: a bundled rulebook id or a TOML file."
    ),
]


@rulebook_app.command("diff")
def rulebook_diff(
    old: OldArg,
    new: NewArg,
    simulate: Annotated[
        bool,
        typer.Option(
            "--simulate",
            help="Also judge one seeded synthetic population under both and count what changes.",
        ),
    ] = False,
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="Also judge the events in the store SOCIALCREDIT_DB names under both.",
        ),
    ] = False,
    scenario: Annotated[
        str | None,
        typer.Option(help="With --simulate: a scenario TOML file or a shipped scenario's name."),
    ] = None,
    population: Annotated[
        int | None, typer.Option(help="With --simulate: people to simulate.")
    ] = None,
    days: Annotated[int | None, typer.Option(help="With --simulate: days to simulate.")] = None,
    seed: Annotated[
        int | None, typer.Option(help="With --simulate: the seed of every random draw.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(help="With --store: a date (end of that day) or a datetime; default: now."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Compare two rulebooks before publishing a change: rules, lists, consequences and
    settings added, removed or changed; with --simulate or --store, the grades, listings
    and rules that change for a population judged by the same kernel under both."""
    given = {"--scenario": scenario, "--population": population, "--days": days, "--seed": seed}
    _needs("--simulate", simulate, given)
    _needs("--store", store, {"--as-of": as_of})
    if simulate and store:
        fail("give --simulate or --store, not both")
    plans = load_plan(old), load_plan(new)
    diff = diff_plans(*plans)
    impact = None
    with reported():
        if simulate:
            impact = _simulated(plans, scenario, population=population, days=days, seed=seed)
        elif store:
            impact = _stored(plans, as_of)
    if as_json:
        print_json(
            {
                "old": old,
                "new": new,
                "diff": diff.as_dict(),
                "impact": impact.as_dict() if impact else None,
            }
        )
        return
    render_diff(diff, old, new)
    if impact is not None:
        render_impact(impact)


def _needs(flag: str, given: bool, options: Mapping[str, object]) -> None:
    for option, value in options.items():
        if value is not None and not given:
            fail(f"{option} applies only with {flag}")


def _simulated(plans: tuple[Plan, Plan], scenario: str | None, **run: int | None) -> Impact:
    chosen = (load_scenario(scenario) if scenario else Scenario()).with_run(**run)
    with progress_bar() as bar:
        task = bar.add_task("simulating", total=chosen.run.population, rate="")
        return simulated_impact(chosen, *plans, lambda done: bar.update(task, advance=done))


def _stored(plans: tuple[Plan, Plan], as_of: str | None) -> Impact:
    zone = plans[0].timezone
    moment = parse_as_of(as_of, zone) if as_of else bootstrap.clock()
    old, new = throughout(plans[0]), throughout(plans[1])
    with opened_store() as store, progress_bar() as bar:
        task = bar.add_task("deriving", total=None, rate="")

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        derived = derived_in_store(store, (old, new), moment, progress=advance)
        return stored_impact(derived, old, new, moment)

"""The `socialcredit` command: parse arguments, call a service, render the result."""

from __future__ import annotations

import json
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import polars as pl
import typer
from rich.console import Console
from rich.table import Table

from socialcredit import __version__
from socialcredit.errors import RulebookError, SocialCreditError
from socialcredit.rules.plan import Plan
from socialcredit.services.evaluate import Evaluation, evaluate_file
from socialcredit.services.rulebooks import bundled_catalog, check_files, plan_for
from socialcredit.simulate import demo as demo_service

__all__ = ["app", "main"]

app = typer.Typer(
    help="socialcredit: published rulebooks, explained scores, due process.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rulebook_app = typer.Typer(help="Check and list rulebooks.", no_args_is_help=True)
app.add_typer(rulebook_app, name="rulebook")
out = Console()
err = Console(stderr=True)


def _fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        out.print(f"socialcredit {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """socialcredit: published rulebooks, explained scores, due process."""


def parse_as_of(text: str, timezone: str) -> datetime:
    """A date (the end of that day in the rulebook's timezone) or an ISO datetime."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None and len(text) == 10:
        next_midnight = datetime.combine(day + timedelta(days=1), time(), ZoneInfo(timezone))
        return next_midnight - timedelta(microseconds=1)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        _fail(
            f"--as-of {text!r} is not a date (2025-03-01) or a datetime with offset "
            "(2025-03-01T12:00:00+08:00)"
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


def _load_plan(rulebook: str) -> Plan:
    try:
        return plan_for(rulebook)
    except RulebookError as exc:
        for problem in exc.problems:
            err.print(str(problem), highlight=False, soft_wrap=True)
        _fail(f"rulebook {rulebook} has {len(exc.problems)} problem(s)")
    except SocialCreditError as exc:
        _fail(str(exc))


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


def _iso(column: str, timezone: str) -> pl.Expr:
    return (
        pl.col(column)
        .dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
        .dt.strftime("%Y-%m-%dT%H:%M:%S%:z")
    )


def _entry_records(evaluation: Evaluation) -> dict[str, list[dict[str, object]]]:
    zone = evaluation.plan.timezone
    at = evaluation.as_of.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    end = pl.min_horizontal("valid_until", "ended_at")
    frame = (
        evaluation.entries.with_columns(
            counts=(pl.col("status") == "counted")
            & (pl.col("valid_from") <= at)
            & (end.is_null() | (end > at)),
            expired=pl.col("valid_until").is_not_null() & (pl.col("valid_until") <= at),
        )
        .with_columns(
            state=pl.when(pl.col("status") != "counted")
            .then("status")
            .when("counts")
            .then(pl.lit("counts"))
            .when("expired")
            .then(pl.lit("expired"))
            .otherwise(pl.lit("ended")),
        )
        .filter(pl.col("valid_from") <= at)
        .with_columns(*(_iso(c, zone) for c in ("valid_from", "valid_until", "ended_at")))
    )
    grouped: dict[str, list[dict[str, object]]] = {}
    for row in frame.iter_rows(named=True):
        grouped.setdefault(row.pop("subject"), []).append(row)
    return grouped


def _print_json(evaluation: Evaluation, explain: bool) -> None:
    entries = _entry_records(evaluation) if explain else {}
    as_of = evaluation.as_of.astimezone(ZoneInfo(evaluation.plan.timezone)).isoformat()
    for row in evaluation.standings.iter_rows(named=True):
        record = {**row, "as_of": as_of, "rulebook": evaluation.plan.rulebook}
        if explain:
            record["entries"] = entries.get(row["subject"], [])
        print(json.dumps(record, ensure_ascii=False))


def _print_table(evaluation: Evaluation, explain: bool) -> None:
    table = Table(
        "subject",
        "score",
        "grade",
        "direct grade",
        "points",
        title=f"{evaluation.plan.rulebook} as of {evaluation.as_of.isoformat()}",
    )
    for row in evaluation.standings.iter_rows(named=True):
        score = "unscored (no consent)" if not row["scored"] else str(row["score"])
        table.add_row(
            row["subject"], score, row["grade"] or "", row["direct_grade"] or "", str(row["points"])
        )
    out.print(table)
    if explain:
        for subject, rows in _entry_records(evaluation).items():
            out.print(f"\n[bold]{subject}[/]", highlight=False)
            for entry in rows:
                out.print(
                    f"  {entry['valid_from']}  {entry['event_id']}  [{entry['state']}]  "
                    f"{entry['reason']}  (until {entry['valid_until'] or 'never'})",
                    highlight=False,
                    soft_wrap=True,
                )


@app.command()
def evaluate(
    rulebook: Annotated[str, typer.Option(help="A bundled rulebook id or a TOML file.")],
    events: Annotated[
        Path, typer.Option(help="Events as .ndjson or .csv.", exists=True, dir_okay=False)
    ],
    as_of: Annotated[str, typer.Option(help="A date (end of that day) or a datetime with offset.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per subject.")] = False,
    explain: Annotated[bool, typer.Option(help="Include every entry and why.")] = False,
) -> None:
    """Score subjects straight from an event file, without a store."""
    plan = _load_plan(rulebook)
    moment = parse_as_of(as_of, plan.timezone)
    if plan.segment_at(moment.astimezone(ZoneInfo(plan.timezone)).date()) is None:
        _fail(
            f"no version of {plan.rulebook} is in force at {as_of} (the first took effect "
            f"{plan.segments[0].start})"
        )
    try:
        evaluation = evaluate_file(events, plan, moment.astimezone(UTC))
    except (SocialCreditError, ValueError, OSError) as exc:
        _fail(f"{events}: {exc}")
    for rejection in evaluation.rejected:
        where = f"{rejection.field}: " if rejection.field else ""
        err.print(
            f"{events}:{rejection.line}: {where}{rejection.reason}", highlight=False, soft_wrap=True
        )
    (_print_json if as_json else _print_table)(evaluation, explain)
    if evaluation.rejected:
        err.print(f"{len(evaluation.rejected)} row(s) rejected", highlight=False)
        raise typer.Exit(1)


@app.command()
def demo(
    people: Annotated[int, typer.Option(help="Size of the synthetic population.")] = 5000,
    seed: Annotated[int, typer.Option(help="Seed for the synthetic population.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="The summary as JSON.")] = False,
) -> None:
    """Score a seeded synthetic Wendeng population and explain one person's score."""
    with err.status("generating a year of events and scoring them"):
        result = demo_service.run_demo(people=people, seed=seed)
    if as_json:
        print(json.dumps(result.summary(), ensure_ascii=False, default=str))
        return
    _render_demo(result)


def _render_demo(result: demo_service.DemoResult) -> None:
    out.print(
        f"[bold]{demo_service.RULEBOOK}[/]: {result.people:,} synthetic people, "
        f"{result.events:,} events in 2024, scored as of "
        f"{result.evaluation.as_of.isoformat()}",
        highlight=False,
    )
    table = Table("grade", "people", "share", title="Grade distribution")
    for row in result.grades.iter_rows(named=True):
        table.add_row(row["grade"], f"{row['people']:,}", f"{row['share']:.1%}")
    out.print(table)
    standing = result.evaluation.standings.filter(pl.col("subject") == result.person).row(
        0, named=True
    )
    out.print(
        f"\n[bold]One person, explained[/]: {result.person}: score {standing['score']}, "
        f"grade {standing['grade']}",
        highlight=False,
    )
    single = Evaluation(
        result.evaluation.plan,
        result.evaluation.as_of,
        result.evaluation.standings.filter(pl.col("subject") == result.person),
        result.evaluation.entries.filter(pl.col("subject") == result.person),
        [],
    )
    for entry in _entry_records(single).get(result.person, []):
        out.print(
            f"  {str(entry['valid_from'])[:10]}  [{entry['state']:>10}]  {entry['reason']}",
            highlight=False,
            soft_wrap=True,
        )
    out.print(
        "\nTry: socialcredit evaluate --rulebook cn-371003-wendeng --events FILE "
        "--as-of 2025-01-01 --explain",
        highlight=False,
    )


def main() -> None:
    """Entry point of the `socialcredit` script."""
    try:
        app()
    except SocialCreditError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)

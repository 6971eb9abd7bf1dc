"""`socialcredit evaluate`: scoring without a store."""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import polars as pl
import typer
from rich.table import Table

from socialcredit.cli.app import app, err, fail, out, parse_as_of
from socialcredit.cli.rulebooks import load_plan
from socialcredit.errors import SocialCreditError
from socialcredit.services.evaluate import Evaluation, evaluate_file

__all__ = ["evaluate"]


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
        Path,
        typer.Option(
            help="Events: NDJSON, JSON, CSV, Parquet or XML (by extension).",
            exists=True,
            dir_okay=False,
        ),
    ],
    as_of: Annotated[str, typer.Option(help="A date (end of that day) or a datetime with offset.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per subject.")] = False,
    explain: Annotated[bool, typer.Option(help="Include every entry and why.")] = False,
) -> None:
    """Score subjects straight from an event file, without a store."""
    plan = load_plan(rulebook)
    moment = parse_as_of(as_of, plan.timezone)
    if plan.segment_at(moment.astimezone(ZoneInfo(plan.timezone)).date()) is None:
        fail(
            f"no version of {plan.rulebook} is in force at {as_of} (the first took effect "
            f"{plan.segments[0].start})"
        )
    try:
        evaluation = evaluate_file(events, plan, moment.astimezone(UTC))
    except (SocialCreditError, ValueError, OSError) as exc:
        fail(f"{events}: {exc}")
    for rejection in evaluation.rejected:
        where = f"{rejection.field}: " if rejection.field else ""
        err.print(
            f"{events}:{rejection.line}: {where}{rejection.reason}", highlight=False, soft_wrap=True
        )
    (_print_json if as_json else _print_table)(evaluation, explain)
    if evaluation.rejected:
        err.print(f"{len(evaluation.rejected)} row(s) rejected", highlight=False)
        raise typer.Exit(1)

"""`socialcredit score` and `socialcredit explain`: one subject, from the facts in the store."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from socialcredit import bootstrap
from socialcredit.cli.app import app, fail, opened_store, out, parse_as_of, reported
from socialcredit.cli.options import AsOfOpt, JsonOpt, SubjectArg
from socialcredit.errors import UnknownRecordError
from socialcredit.services.reading import SubjectRecord
from socialcredit.services.record import ledger_of
from socialcredit.services.statements import (
    explanation,
    read_known_subject,
    standing_of,
    statement,
)

__all__ = ["explain", "score"]

SchemeOpt = Annotated[
    str | None, typer.Option("--rulebook", help="Only this scheme (a published rulebook id).")
]


def _read(subject: str, as_of: str | None, scheme: str | None) -> SubjectRecord:
    with opened_store() as store, reported():
        zone = ledger_of(store).timezone
        moment = bootstrap.clock() if as_of is None else parse_as_of(as_of, zone)
        try:
            return read_known_subject(store, subject, moment, scheme)
        except UnknownRecordError as exc:
            fail(str(exc), code=1)


@app.command()
def score(
    subject: SubjectArg, as_of: AsOfOpt = None, rulebook: SchemeOpt = None, as_json: JsonOpt = False
) -> None:
    """A subject's score and grade under each published scheme, from the stored facts."""
    record = _read(subject, as_of, rulebook)
    rows = [standing_of(r, subject) for r in record.readings]
    if as_json:
        print(json.dumps(statement(record), ensure_ascii=False))
        return
    table = Table("scheme", "score", "grade", "direct grade", "points", title=f"{subject}")
    for row, reading in zip(rows, record.readings, strict=True):
        if reading.standing is None:
            table.add_row(str(row["rulebook"]), "no events this scheme scores", "", "", "")
            continue
        shown = str(row["score"]) if row["scored"] else "unscored (no consent)"
        table.add_row(
            str(row["rulebook"]),
            shown,
            str(row["grade"] or ""),
            str(row["direct_grade"] or ""),
            str(row["points"]),
        )
    out.print(table)


@app.command()
def explain(
    subject: SubjectArg, as_of: AsOfOpt = None, rulebook: SchemeOpt = None, as_json: JsonOpt = False
) -> None:
    """Every entry behind a subject's standing: rule, rulebook version, source, event, base
    and applied points, validity, doubled, expired, disputed; and the events that count for
    nothing (voided, removed by a dispute, pending, rejected), with why."""
    record = _read(subject, as_of, rulebook)
    explained = explanation(record)
    if as_json:
        print(json.dumps(explained, ensure_ascii=False, default=str))
        return
    for reading, scheme in zip(record.readings, explained["schemes"], strict=True):
        if reading.standing is None:
            out.print(
                f"\n[bold]{scheme['rulebook']}[/]: no standing as of {scheme['as_of']} (no "
                "event it scores, or not yet in force)",
                highlight=False,
            )
            continue
        out.print(
            f"\n[bold]{scheme['rulebook']}[/]: score {scheme['score']}, grade {scheme['grade']} "
            f"as of {scheme['as_of']}",
            highlight=False,
        )
        for e in scheme["entries"]:
            state = "counts" if e["counts"] else ("expired" if e["expired"] else e["status"])
            if e["disputed"]:
                state = f"{state}, disputed {e['dispute']}: {e['dispute_state']}"
            out.print(
                f"  {e['valid_from']}  {e['source']}/{e['event_id']}  [{state}]  "
                f"{e['applied_points']:+d}  {e['reason']}  (until {e['valid_until'] or 'never'})",
                highlight=False,
                markup=False,  # the state in brackets is text, not a style
                soft_wrap=True,
            )
    for row in explained["not_scored"]:
        out.print(
            f"  not scored: {row['source']}/{row['id']} ({row['type']}): {row['why']}",
            highlight=False,
        )

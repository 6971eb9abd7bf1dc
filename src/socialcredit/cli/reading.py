"""`socialcredit score` and `socialcredit explain`: one subject, from the facts in the store."""

from __future__ import annotations

import json
from typing import Annotated
from zoneinfo import ZoneInfo

import polars as pl
import typer
from rich.table import Table

from socialcredit import bootstrap
from socialcredit.cli.app import app, fail, opened_store, out, parse_as_of, reported
from socialcredit.services.reading import Reading, SubjectRecord, read_subject
from socialcredit.services.record import ledger_of

__all__ = ["explain", "score"]

SubjectArg = Annotated[str, typer.Argument(help="The subject's identifier.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(help="A date (end of that day) or a datetime with offset; default: now."),
]
SchemeOpt = Annotated[
    str | None, typer.Option("--rulebook", help="Only this scheme (a published rulebook id).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _read(subject: str, as_of: str | None, scheme: str | None) -> SubjectRecord:
    with opened_store() as store, reported():
        zone = ledger_of(store).timezone
        moment = bootstrap.clock() if as_of is None else parse_as_of(as_of, zone)
        record = read_subject(store, subject, moment, scheme)
    if all(r.standing is None for r in record.readings) and record.unscored.is_empty():
        fail(f"no events about {subject} are stored", code=1)
    return record


def _standing(reading: Reading, subject: str) -> dict[str, object]:
    zone = ZoneInfo(reading.scheme.plan.timezone)
    standing = reading.standing or {
        "score": None,
        "grade": None,
        "direct_grade": None,
        "points": 0,
        "scored": False,
    }
    return {
        "subject": subject,
        "rulebook": reading.scheme.id,
        "score": standing["score"],
        "grade": standing["grade"],
        "direct_grade": standing["direct_grade"],
        "points": standing["points"],
        "scored": standing["scored"],
        "as_of": reading.as_of.astimezone(zone).isoformat(),
        "log_position": reading.log_position,
        "rulebooks": list(reading.scheme.versions),
    }


def _with_schemes(record: SubjectRecord, rows: list[dict[str, object]]) -> dict[str, object]:
    """The first scheme's standing at the top, every scheme's under `schemes`."""
    scored = [r for r, reading in zip(rows, record.readings, strict=True) if reading.standing]
    return {**(scored or rows)[0], "schemes": rows}


@app.command()
def score(
    subject: SubjectArg, as_of: AsOfOpt = None, rulebook: SchemeOpt = None, as_json: JsonOpt = False
) -> None:
    """A subject's score and grade under each published scheme, from the stored facts."""
    record = _read(subject, as_of, rulebook)
    rows = [_standing(r, subject) for r in record.readings]
    if as_json:
        print(json.dumps(_with_schemes(record, rows), ensure_ascii=False))
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


def _entries(reading: Reading, subject: str) -> list[dict[str, object]]:
    zone = reading.scheme.plan.timezone
    at = reading.as_of.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    end = pl.min_horizontal("valid_until", "ended_at")
    frame = reading.entries.filter(
        (pl.col("subject") == subject) & (pl.col("valid_from") <= at)
    ).with_columns(
        counts=(pl.col("status") == "counted") & (end.is_null() | (end > at)),
        expired=pl.col("valid_until").is_not_null() & (pl.col("valid_until") <= at),
    )
    iso = "%Y-%m-%dT%H:%M:%S%:z"
    frame = frame.with_columns(
        pl.col(c).dt.replace_time_zone(zone, ambiguous="earliest").dt.strftime(iso)
        for c in ("valid_from", "valid_until", "ended_at")
    )
    return frame.drop("subject").to_dicts()


@app.command()
def explain(
    subject: SubjectArg, as_of: AsOfOpt = None, rulebook: SchemeOpt = None, as_json: JsonOpt = False
) -> None:
    """Every entry behind a subject's standing: rule, rulebook version, source, event, base
    and applied points, validity, doubled, expired, disputed; and the events that count for
    nothing (voided, removed by a dispute, pending, rejected), with why."""
    record = _read(subject, as_of, rulebook)
    schemes = [{**_standing(r, subject), "entries": _entries(r, subject)} for r in record.readings]
    unscored = record.unscored.to_dicts()
    disputes = [
        {"ref": d.ref, "source": d.source, "event_id": d.event_id, "state": str(d.dispute.state)}
        for d in record.disputes
    ]
    if as_json:
        top = {**_with_schemes(record, schemes), "not_scored": unscored, "disputes": disputes}
        print(json.dumps(top, ensure_ascii=False, default=str))
        return
    for reading, scheme in zip(record.readings, schemes, strict=True):
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
        for e in _entries(reading, subject):
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
    for row in unscored:
        out.print(
            f"  not scored: {row['source']}/{row['id']} ({row['type']}): {row['why']}",
            highlight=False,
        )

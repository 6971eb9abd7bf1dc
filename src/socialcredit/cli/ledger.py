"""The ledger commands: init, rulebook publish, source, subject, ingest, pending, verify,
recompute."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from socialcredit import bootstrap
from socialcredit.cli.app import (
    app,
    err,
    fail,
    opened_store,
    out,
    progress_bar,
    reported,
    rulebook_app,
)
from socialcredit.cli.options import JsonOpt, print_json
from socialcredit.ingest.mapping import load_mapping
from socialcredit.ingest.readers import FORMATS
from socialcredit.services.ingest import FileSummary, ingest_file
from socialcredit.services.listing_checks import check_listings
from socialcredit.services.recompute import check_caches, recompute
from socialcredit.services.record import ledger_of
from socialcredit.services.registry import add_source, add_subject, awaiting_review, review
from socialcredit.services.schemes import publish, publish_bundled

__all__ = ["ingest", "init", "recompute_command", "verify"]

source_app = typer.Typer(
    help="Register and list the sources that report events.", no_args_is_help=True
)
subject_app = typer.Typer(help="Register subjects with an explicit kind.", no_args_is_help=True)
pending_app = typer.Typer(
    help="Events from low-trust sources awaiting corroboration or review.", no_args_is_help=True
)
app.add_typer(source_app, name="source")
app.add_typer(subject_app, name="subject")
app.add_typer(pending_app, name="pending")


@app.command()
def init(as_json: JsonOpt = False) -> None:
    """Create the store SOCIALCREDIT_DB names (default ./socialcredit.db) and publish the
    bundled rulebooks. Safe to run again: what is published stays as it is."""
    with opened_store() as store, reported():
        published = publish_bundled(store, published_at=bootstrap.clock())
        migrations = store.migrations().height
    rows = [p.__dict__ for p in published]
    if as_json:
        print_json({"store": bootstrap.store_target(), "migrations": migrations, "rulebooks": rows})
        return
    out.print(
        f"store: {bootstrap.store_target()} (schema migrations applied: {migrations})",
        highlight=False,
    )
    for p in published:
        out.print(
            f"  {p.outcome:>6}  {p.rulebook}@{p.version}  sha256 {p.content_hash[:16]}…",
            highlight=False,
        )
    out.print(
        "next: socialcredit source add ID --allow TYPE_OR_DOMAIN, then socialcredit ingest FILE"
    )


@rulebook_app.command("publish")
def rulebook_publish(
    rulebook: Annotated[str, typer.Argument(help="A bundled rulebook id or a TOML file.")],
    as_json: JsonOpt = False,
) -> None:
    """Publish a rulebook version in the store: checked first, immutable once published.
    Publishing the same content again changes nothing; other content under a published
    version is refused. Run `socialcredit recompute` afterwards."""
    with opened_store() as store, reported():
        published = publish(store, rulebook, published_at=bootstrap.clock())
    if as_json:
        print_json([p.__dict__ for p in published])
        return
    for p in published:
        word = "published" if p.outcome == "new" else "already published, unchanged:"
        out.print(f"{word} {p.rulebook}@{p.version} (sha256 {p.content_hash})", highlight=False)


@source_app.command("add")
def source_add(
    source_id: Annotated[
        str, typer.Argument(metavar="ID", help="The source's id, e.g. traffic.weihai.")
    ],
    allow: Annotated[
        list[str] | None,
        typer.Option("--allow", help="An event type or domain it may report (repeat for more)."),
    ] = None,
    name: Annotated[str | None, typer.Option(help="A readable name.")] = None,
    trust: Annotated[
        str, typer.Option(help="high, or low: its events wait for corroboration or review.")
    ] = "high",
    credential: Annotated[
        str | None, typer.Option(help="A secret the source presents; stored hashed.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a source, or record a new version of one (trust, allowed types)."""
    if trust not in ("high", "low"):
        fail(f"--trust {trust!r}: use high or low")
    level: Literal["high", "low"] = "high" if trust == "high" else "low"
    with opened_store() as store, reported():
        outcome = add_source(
            store,
            source_id,
            name=name,
            trust=level,
            allow=allow or [],
            credential=credential,
            registered_at=bootstrap.clock(),
        )
    if as_json:
        print_json({"source": source_id, "outcome": outcome})
        return
    out.print(f"{outcome}: source {source_id}", highlight=False)


@source_app.command("list")
def source_list(as_json: JsonOpt = False) -> None:
    """List the registered sources as their latest versions have them."""
    with opened_store() as store:
        sources = store.sources()
    if as_json:
        print_json(
            [
                {"id": s.id, "name": s.name, "trust": s.trust, "allowed": list(s.allowed)}
                for s in sources
            ]
        )
        return
    table = Table("id", "name", "trust", "allowed")
    for s in sources:
        table.add_row(s.id, s.name, s.trust, ", ".join(s.allowed))
    out.print(table)


@subject_app.command("add")
def subject_add(
    subject_id: Annotated[str, typer.Argument(metavar="ID", help="The subject's identifier.")],
    kind: Annotated[str, typer.Option(help="person, organisation or opaque.")],
) -> None:
    """Register a subject with its kind; its identifier is checked for that kind."""
    with opened_store() as store, reported():
        stored, outcome = add_subject(store, subject_id, kind, registered_at=bootstrap.clock())
    out.print(f"{outcome}: {kind} {stored}", highlight=False)


def _render_summary(summary: FileSummary) -> None:
    rate = summary.rows / summary.seconds if summary.seconds else 0.0
    out.print(
        f"{summary.path}: {summary.rows:,} rows in {summary.seconds:.1f} s ({rate:,.0f} rows/s): "
        f"{summary.new:,} new ({summary.pending:,} pending), {summary.exists:,} already stored, "
        f"{summary.quarantined:,} quarantined",
        highlight=False,
        soft_wrap=True,
    )
    for warning in summary.warnings:
        err.print(f"{summary.path}:{warning.line}: warning: {warning.reason}", highlight=False)
    if summary.quarantine:
        out.print(
            f"  rows not recorded, with line and reason: {summary.quarantine}", highlight=False
        )


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Event files.", exists=True, dir_okay=False)],
    source: Annotated[
        str | None,
        typer.Option(help="The source of rows that name none; rows naming another are refused."),
    ] = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help=f"One of {', '.join(FORMATS)}; default: from the extension."),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            help="A TOML column mapping for a foreign export.", exists=True, dir_okay=False
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Record event files in the store, in atomic batches. Rows that cannot be recorded go
    to FILE.quarantine.ndjson with their line and reason; running a file again adds nothing
    already stored. Exit 1 if any row was quarantined."""
    if fmt is not None and fmt not in FORMATS:
        fail(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    summaries = []
    with opened_store() as store, reported():
        columns = load_mapping(mapping) if mapping else None
        ledger = ledger_of(store)
        if not ledger.schemes:
            fail("no rulebook is published in this store; run `socialcredit init` first")
        for path in files:
            with progress_bar() as bar:
                task = bar.add_task(f"ingesting {path.name}", total=None, rate="")

                def advance(done: int, total: int) -> None:
                    elapsed = bar.tasks[0].elapsed or 0.0
                    rate = f"{done / elapsed:,.0f} rows/s" if elapsed else ""
                    bar.update(task, completed=done, total=total, rate=rate)  # noqa: B023

                summary = ingest_file(
                    store,
                    path,
                    clock=bootstrap.clock,
                    fmt=fmt,
                    mapping=columns,
                    source=source,
                    ledger=ledger,
                    progress=advance,
                )
            summaries.append(summary)
            if not as_json:
                _render_summary(summary)
    if as_json:
        print_json([s.as_dict() for s in summaries])
    if any(s.quarantined for s in summaries):
        raise typer.Exit(1)


@pending_app.command("list")
def pending_list(as_json: JsonOpt = False) -> None:
    """Pending events no second source has corroborated and no reviewer has decided."""
    with opened_store() as store, reported():
        rows = awaiting_review(store)
    if as_json:
        print_json(rows.to_dicts())
        return
    table = Table(*rows.columns, title=f"{rows.height} event(s) awaiting review")
    for row in rows.iter_rows():
        table.add_row(*(str(v) for v in row))
    out.print(table)


def _review(
    source: str, event_id: str, decision: Literal["approve", "reject"], reason: str, reviewer: str
) -> None:
    with opened_store() as store, reported():
        subject = review(
            store,
            source,
            event_id,
            decision=decision,
            reviewer=reviewer,
            reason=reason,
            at=bootstrap.clock(),
        )
    out.print(f"{decision}d {source}/{event_id}; re-derived {subject}", highlight=False)


SourceArg = Annotated[str, typer.Argument(help="The source of the pending event.")]
IdArg = Annotated[str, typer.Argument(metavar="ID", help="The id of the pending event.")]
ReasonOpt = Annotated[str, typer.Option(help="Why; recorded with the decision.")]
ReviewerOpt = Annotated[str, typer.Option(help="Who decides.")]


@pending_app.command("approve")
def pending_approve(
    source: SourceArg, event_id: IdArg, reason: ReasonOpt, reviewer: ReviewerOpt
) -> None:
    """Approve a pending event: it counts from now on. A review is final."""
    _review(source, event_id, "approve", reason, reviewer)


@pending_app.command("reject")
def pending_reject(
    source: SourceArg, event_id: IdArg, reason: ReasonOpt, reviewer: ReviewerOpt
) -> None:
    """Reject a pending event: it never counts. A review is final."""
    _review(source, event_id, "reject", reason, reviewer)


@app.command()
def verify(as_json: JsonOpt = False) -> None:
    """Recheck the hash chain, recompute every cached entry and standing from the facts, and
    check every listing the facts fold to against the listing lifecycle; print the head hash.
    Exit 1 on any difference or fault."""
    with opened_store() as store, reported():
        head = store.head()
        count = store.event_count()
        breaks = store.verify_chain()
        with progress_bar() as bar:
            task = bar.add_task("checking caches", total=None, rate="")
            differences = check_caches(
                store,
                as_of=bootstrap.clock(),
                progress=lambda d, t: bar.update(task, completed=d, total=t),
            )
        faults = check_listings(store, bootstrap.clock())
    if as_json:
        print_json(
            {
                "head": {"seq": head.seq, "hash": head.hash},
                "events": count,
                "chain_breaks": [str(b) for b in breaks],
                "cache_differences": [str(d) for d in differences],
                "listing_faults": faults,
                "ok": not breaks and not differences and not faults,
            }
        )
    else:
        for item in breaks:
            out.print(f"chain broken at {item}", highlight=False, soft_wrap=True)
        for difference in differences:
            out.print(f"cache differs: {difference}", highlight=False, soft_wrap=True)
        for fault in faults:
            out.print(f"listing fault: {fault}", highlight=False, soft_wrap=True)
        verdict = (
            "ok"
            if not breaks and not differences and not faults
            else (
                f"FAILED: {len(breaks)} chain break(s), {len(differences)} cache difference(s), "
                f"{len(faults)} listing fault(s)"
            )
        )
        out.print(
            f"{verdict}: {count:,} events; head seq {head.seq}, hash {head.hash}", highlight=False
        )
    if breaks or differences or faults:
        raise typer.Exit(1)


@app.command("recompute")
def recompute_command(as_json: JsonOpt = False) -> None:
    """Re-derive every subject's entries and standings from the facts under the published
    rulebooks (run it after publishing one); print how many changed score and grade."""
    with opened_store() as store, reported(), progress_bar() as bar:
        task = bar.add_task("recomputing", total=None, rate="")
        changes = recompute(
            store,
            as_of=bootstrap.clock(),
            progress=lambda d, t: bar.update(task, completed=d, total=t),
        )
    if as_json:
        print_json([c.as_dict() for c in changes])
        return
    table = Table("scheme", "subjects", "score changed", "grade changed", "new", "gone")
    for c in changes:
        table.add_row(
            c.scheme,
            f"{c.subjects:,}",
            f"{c.score_changed:,}",
            f"{c.grade_changed:,}",
            f"{c.added:,}",
            f"{c.removed:,}",
        )
    out.print(table)

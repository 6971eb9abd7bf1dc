"""Due process and decisions: relying parties, decide, tick, listings, notices, access log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from socialcredit import bootstrap
from socialcredit.cli.app import app, opened_store, out, parse_as_of, progress_bar, reported
from socialcredit.cli.options import AsOfOpt, AtOpt, JsonOpt, SubjectArg, print_json
from socialcredit.services.access_log import access_of
from socialcredit.services.casework import (
    act_on_listing,
    appeal_listing,
    find_listing,
    listing_dict,
    listings_of,
    review_listing,
)
from socialcredit.services.decide import decide
from socialcredit.services.listings import SubjectListing
from socialcredit.services.outbox import notices_of
from socialcredit.services.parties import add_party
from socialcredit.services.record import ledger_of
from socialcredit.services.tick import tick
from socialcredit.storage import Store

__all__ = ["decide_command", "tick_command"]

party_app = typer.Typer(
    help="Relying parties and the purposes they may ask about.", no_args_is_help=True
)
listing_app = typer.Typer(
    help="Listings: see them, appeal, review, remove early, correct.", no_args_is_help=True
)
app.add_typer(party_app, name="party")
app.add_typer(listing_app, name="listing")

RefArg = Annotated[str, typer.Argument(help="The listing ref (L-<log position>-<list id>).")]


def _moment(store: Store, text: str | None) -> datetime:
    return bootstrap.clock() if text is None else parse_as_of(text, ledger_of(store).timezone)


# --- parties -----------------------------------------------------------------------------------


@party_app.command("add")
def party_add(
    id: Annotated[str, typer.Argument(help="The party's id, e.g. rail.12306.")],
    purpose: Annotated[
        list[str], typer.Option(help="A purpose it may ask about (repeat for more).")
    ],
    name: Annotated[str | None, typer.Option(help="Its name; default: the id.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a relying party (or a new version of it) for the purposes it may ask about."""
    with opened_store() as store, reported():
        outcome = add_party(store, id, name=name, purposes=purpose, registered_at=bootstrap.clock())
    if as_json:
        print_json({"party": id, "outcome": outcome, "purposes": sorted(set(purpose))})
        return
    out.print(f"{outcome}: {id} may ask about {', '.join(sorted(set(purpose)))}", highlight=False)


@party_app.command("list")
def party_list(as_json: JsonOpt = False) -> None:
    """Every registered relying party and its purposes."""
    with opened_store() as store, reported():
        parties = store.parties()
    if as_json:
        print_json([{"id": p.id, "name": p.name, "purposes": list(p.purposes)} for p in parties])
        return
    table = Table("party", "name", "purposes")
    for p in parties:
        table.add_row(p.id, p.name, ", ".join(p.purposes))
    out.print(table)


# --- decisions ---------------------------------------------------------------------------------


@app.command("decide")
def decide_command(
    subject: SubjectArg,
    purpose: Annotated[str, typer.Argument(help="The purpose asked about, e.g. air_travel.")],
    party: Annotated[str, typer.Option(help="The relying party asking.")],
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Allow or deny one purpose for one subject, with the reasons; the decision and the
    read are logged, and a denial sends the subject an adverse-action notice. Exit 0 on
    allow, 1 on deny, 3 when the party is not registered for the purpose."""
    with opened_store() as store, reported():
        now = bootstrap.clock()
        moment = now if as_of is None else _moment(store, as_of)
        decision = decide(
            store, party=party, subject=subject, purpose=purpose, as_of=moment, decided_at=now
        )
    if as_json:
        print_json(decision.as_dict())
    else:
        out.print(
            f"{decision.outcome.upper()}: {subject} for {purpose} "
            f"(asked by {party}; decision {decision.decision_id})",
            highlight=False,
        )
        for reason in decision.reasons:
            mark = "x" if reason.holds == (reason.effect == "deny") else "-"
            out.print(f"  {mark} {reason.consequence}: {reason.text}", highlight=False)
    raise typer.Exit({"allow": 0, "deny": 1, "refused": 3}[decision.outcome])


# --- the deadline job --------------------------------------------------------------------------


@app.command("tick")
def tick_command(
    now: Annotated[
        str | None, typer.Option(help="The moment to run the clocks to; default: now.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Act on every due-process deadline that has passed: serve the notices that are due,
    notify sources of disputes, remove unconfirmed entries, send dispute outcomes, and tell
    relying parties of decisions since corrected. Safe to run any number of times."""
    with opened_store() as store, reported(), progress_bar() as bar:
        moment = _moment(store, now)
        task = bar.add_task("deadlines", total=None, rate="")
        done = tick(store, now=moment, progress=lambda d, t: bar.update(task, completed=d, total=t))
    if as_json:
        print_json(done.as_dict())
        return
    out.print(
        f"tick at {moment.isoformat()}: {len(done.notices)} notice(s) served", highlight=False
    )
    for ref in done.notices:
        out.print(f"  notice served for {ref}", highlight=False)
    disputes = done.disputes
    for ref in disputes.source_notices:
        out.print(f"  dispute {ref}: source notified", highlight=False)
    for ref in disputes.removals:
        out.print(f"  dispute {ref}: not confirmed in time, entry removed", highlight=False)
    for ref in disputes.outcomes:
        out.print(f"  dispute {ref}: outcome sent to the subject", highlight=False)
    for c in disputes.corrections:
        out.print(
            f"  decision {c.decision_id}: {c.party} told of dispute {c.dispute} "
            f"(now {c.decision_now})",
            highlight=False,
        )
    for line in done.repairs_overdue:
        out.print(f"  repair {line}", highlight=False)
    if done.emailed:
        out.print(f"  {done.emailed} notice(s) sent by email", highlight=False)


# --- listings ----------------------------------------------------------------------------------


def _show(listed: SubjectListing) -> None:
    data = listing_dict(listed)
    out.print(
        f"{data['ref']}  {data['list']}  {data['state']}"
        + ("  (in effect)" if data["in_effect"] else ""),
        highlight=False,
    )
    for step in data["steps"]:
        out.print(f"  {step['at']:%Y-%m-%d %H:%M}  {step['state']:<13} {step['reason']}")


@listing_app.command("show")
def listing_show(subject: SubjectArg, as_of: AsOfOpt = None, as_json: JsonOpt = False) -> None:
    """Every listing of a subject with its history, as of a moment."""
    with opened_store() as store, reported():
        moment = _moment(store, as_of)
        found = listings_of(store, subject, moment)
    if as_json:
        print_json([listing_dict(s) for s in found])
        return
    if not found:
        out.print(f"{subject} has no listing")
    for listed in found:
        _show(listed)


def _report(listed: SubjectListing, as_json: bool) -> None:
    if as_json:
        print_json(listing_dict(listed))
    else:
        _show(listed)


def _act(ref: str, kind: str, data: dict[str, Any], at: str | None, as_json: bool) -> None:
    with opened_store() as store, reported():
        listed = act_on_listing(store, ref, kind, data, at=_moment(store, at))
    _report(listed, as_json)


@listing_app.command("appeal")
def listing_appeal(
    ref: RefArg,
    grounds: Annotated[str, typer.Option(help="Why the listing is wrong.")],
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Appeal against a listing within its appeal window."""
    with opened_store() as store, reported():
        listed = appeal_listing(store, ref, grounds, at=_moment(store, at))
    _report(listed, as_json)


@listing_app.command("review")
def listing_review(
    ref: RefArg,
    outcome: Annotated[str, typer.Option(help="upheld or overturned.")],
    reason: Annotated[str, typer.Option(help="The reviewer's reasons, recorded.")],
    reviewer: Annotated[str, typer.Option(help="Who decided.")],
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide an appeal: uphold or overturn the listing, with reasons."""
    with opened_store() as store, reported():
        moment = _moment(store, at)
        listed = review_listing(store, ref, outcome, reason, reviewer=reviewer, at=moment)
    _report(listed, as_json)


@listing_app.command("remove")
def listing_remove(
    ref: RefArg,
    reason: Annotated[str, typer.Option(help="Why it is removed early.")],
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Take a listing off early."""
    _act(ref, "listing.early_removal", {"reasons": reason}, at, as_json)


@listing_app.command("correct")
def listing_correct(
    ref: RefArg,
    reason: Annotated[str, typer.Option(help="Why the subject was listed wrongly.")],
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Withdraw a wrongful listing."""
    _act(ref, "listing.correction", {"reasons": reason}, at, as_json)


@listing_app.command("get")
def listing_get(ref: RefArg, as_of: AsOfOpt = None, as_json: JsonOpt = False) -> None:
    """One listing by its ref, with its history."""
    with opened_store() as store, reported():
        listed = find_listing(store, ref, _moment(store, as_of))
    if as_json:
        print_json(listing_dict(listed))
    else:
        _show(listed)


# --- what the subject sees ---------------------------------------------------------------------


@app.command("notices")
def notices(subject: SubjectArg, as_json: JsonOpt = False) -> None:
    """The subject's notices inbox: listing notices, adverse-action notices, dispute
    outcomes, repair decisions; each with its delivery attempts."""
    with opened_store() as store, reported():
        rows = notices_of(store, subject)
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print(f"no notices for {subject}")
    for row in rows:
        channels = ", ".join(f"{d['channel']} {d['status']}" for d in row["deliveries"])
        out.print(f"{row['at']}  {row['kind']}  {row['ref']}  ({channels})", highlight=False)


@app.command("access")
def access(subject: SubjectArg, as_json: JsonOpt = False) -> None:
    """Who asked about the subject, when, and for what purpose."""
    with opened_store() as store, reported():
        rows = access_of(store, subject)
    if as_json:
        print_json(rows)
        return
    table = Table("when", "who", "role", "what", "purpose", title=f"who asked about {subject}")
    for row in rows:
        table.add_row(str(row["at"]), row["who"], row["role"], row["what"], row["purpose"] or "")
    out.print(table)

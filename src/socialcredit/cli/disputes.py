"""Disputes: the subject contests an entry, adds information, the source answers or the
platform's reviewer decides; the history and deadlines of each."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer

from socialcredit import bootstrap
from socialcredit.cli.app import app, fail, opened_store, out, parse_as_of, reported
from socialcredit.cli.options import AsOfOpt, AtOpt, JsonOpt
from socialcredit.services.dispute_casework import (
    add_information,
    answer_dispute,
    dispute_dict,
    disputes_of,
    find_dispute,
    open_dispute,
    review_dispute,
)
from socialcredit.services.disputes import SubjectDispute, event_seq_of
from socialcredit.services.record import ledger_of
from socialcredit.storage import Store

__all__ = ["dispute_app"]

dispute_app = typer.Typer(
    help=(
        "Disputes: contest an entry; the source must confirm it within 30 days (45 with added "
        "information) or it is removed."
    ),
    no_args_is_help=True,
)
app.add_typer(dispute_app, name="dispute")

RefArg = Annotated[str, typer.Argument(help="The dispute ref (X-<log position of the event>).")]


def _moment(store: Store, text: str | None) -> datetime:
    return bootstrap.clock() if text is None else parse_as_of(text, ledger_of(store).timezone)


def _show(found: SubjectDispute) -> None:
    data = dispute_dict(found)
    out.print(
        f"{data['ref']}  {data['source']}/{data['event_id']} ({data['rule']})  {data['state']}  "
        f"source answers by {data['resolve_by']}",
        highlight=False,
    )
    for step in data["steps"]:
        out.print(f"  {step['at'][:16]}  {step['state']:<18} {step['reason']}", highlight=False)


def _report(found: SubjectDispute, as_json: bool) -> None:
    if as_json:
        print(json.dumps(dispute_dict(found), ensure_ascii=False))
    else:
        _show(found)


@dispute_app.command("open")
def dispute_open(
    subject: Annotated[str, typer.Argument(help="The subject disputing an entry of theirs.")],
    source: Annotated[str, typer.Option(help="The source that reported the event.")],
    event: Annotated[str, typer.Option(help="The event's id at that source.")],
    grounds: Annotated[str, typer.Option(help="Why the entry is wrong.")],
    rule: Annotated[
        str | None, typer.Option(help="The entry's rule, if the event makes more than one.")
    ] = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Dispute the entry an event makes: it shows as disputed at once, the source is told
    within 5 working days and must confirm it within 30 days, or it is removed."""
    with opened_store() as store, reported():
        found = open_dispute(
            store,
            subject,
            source=source,
            event_id=event,
            rule=rule,
            grounds=grounds,
            at=_moment(store, at),
        )
    _report(found, as_json)


@dispute_app.command("inform")
def dispute_inform(
    ref: RefArg,
    info: Annotated[str, typer.Option(help="The information the subject adds.")],
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Add information to a dispute; added within the 30 days, it gives the source 45."""
    with opened_store() as store, reported():
        found = add_information(store, ref, info, at=_moment(store, at))
    _report(found, as_json)


@dispute_app.command("answer")
def dispute_answer(
    ref: RefArg,
    reason: Annotated[str, typer.Option(help="The source's reasons, recorded.")],
    confirm: Annotated[
        bool, typer.Option("--confirm", help="The source confirms the event as reported.")
    ] = False,
    withdraw: Annotated[
        bool, typer.Option("--withdraw", help="The source withdraws the event: it is removed.")
    ] = False,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the source's answer: confirmed (the entry stands) or withdrawn (removed now)."""
    if confirm == withdraw:
        fail("give exactly one of --confirm and --withdraw")
    with opened_store() as store, reported():
        moment = _moment(store, at)
        if confirm:
            found = answer_dispute(store, ref, "confirmed", reason, at=moment)
        else:
            found = answer_dispute(store, ref, "withdrawn", reason, at=moment)
    _report(found, as_json)


@dispute_app.command("review")
def dispute_review(
    ref: RefArg,
    reason: Annotated[str, typer.Option(help="The reviewer's reasons, recorded.")],
    by: Annotated[str, typer.Option(help="Who reviewed it.")],
    remove: Annotated[
        bool,
        typer.Option("--remove", help="The source cannot substantiate it: the entry is removed."),
    ] = False,
    leave: Annotated[
        bool, typer.Option("--leave", help="Leave the answer to the source; nothing changes.")
    ] = False,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record the platform reviewer's decision on an unresolved dispute: removed in the
    subject's favour (now, caches re-derived) or left to the source."""
    if remove == leave:
        fail("give exactly one of --remove and --leave")
    with opened_store() as store, reported():
        found = review_dispute(
            store,
            ref,
            "removed" if remove else "left_to_source",
            reason,
            by=by,
            at=_moment(store, at),
        )
    _report(found, as_json)


@dispute_app.command("show")
def dispute_show(
    subject_or_ref: Annotated[
        str, typer.Argument(help="A subject (all of its disputes) or one dispute's ref.")
    ],
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A dispute's history and deadlines (JSON: one object), or every dispute of a subject
    (JSON: a list), as of a moment."""
    is_ref = event_seq_of(subject_or_ref) is not None
    with opened_store() as store, reported():
        moment = _moment(store, as_of)
        if is_ref:
            _report(find_dispute(store, subject_or_ref, moment), as_json)
            return
        found = disputes_of(store, subject_or_ref, moment)
    if as_json:
        print(json.dumps([dispute_dict(d) for d in found], ensure_ascii=False))
        return
    if not found:
        out.print(f"{subject_or_ref} has no dispute", highlight=False)
    for dispute in found:
        _show(dispute)

"""What the subject asks for: consent to opt-in schemes, credit repair, where notices go."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from socialcredit import bootstrap
from socialcredit.cli.app import app, fail, opened_store, out, parse_as_of, reported
from socialcredit.cli.options import AtOpt, JsonOpt, SubjectArg, print_json
from socialcredit.services.consent import SchemeConsent, consent_of, give_consent, withdraw_consent
from socialcredit.services.outbox import (
    email_of,
    notices_of,
    pending_email,
    send_email_notices,
    set_email,
    smtp_settings,
)
from socialcredit.services.record import ledger_of
from socialcredit.services.repair import (
    RepairApplication,
    accept_repair,
    apply_for_repair,
    decide_repair,
    repair_applications,
)
from socialcredit.storage import Store

__all__ = ["consent_app", "contact_app", "outbox_app", "repair_app"]

consent_app = typer.Typer(
    help="Consent to opt-in schemes: give it, withdraw it, see it.", no_args_is_help=True
)
repair_app = typer.Typer(
    help="Credit repair: apply with a commitment and proof; the platform answers and the "
    "authority decides within the national deadlines.",
    no_args_is_help=True,
)
contact_app = typer.Typer(help="Where a subject's notices are emailed.", no_args_is_help=True)
outbox_app = typer.Typer(
    help="The notices outbox: email what is in the inbox (SOCIALCREDIT_SMTP), see deliveries.",
    no_args_is_help=True,
)
app.add_typer(consent_app, name="consent")
app.add_typer(repair_app, name="repair")
app.add_typer(contact_app, name="contact")
app.add_typer(outbox_app, name="outbox")

RulebookOpt = Annotated[str, typer.Option("--rulebook", help="The opt-in scheme's rulebook id.")]
AppArg = Annotated[str, typer.Argument(help="The application's ref (R-...).")]
ByOpt = Annotated[str, typer.Option("--by", help="Who acts (recorded).")]


def _moment(store: Store, text: str | None) -> datetime:
    return bootstrap.clock() if text is None else parse_as_of(text, ledger_of(store).timezone)


# --- consent -----------------------------------------------------------------------------------


def _show_consent(found: SchemeConsent) -> None:
    word = "consents" if found.consenting else "does not consent"
    out.print(
        f"{found.subject} {word} to {found.scheme} as of {found.as_of.isoformat()}",
        highlight=False,
        soft_wrap=True,
    )
    for step in found.steps:
        what = "given" if step.given else "withdrawn"
        out.print(f"  {step.at.isoformat()}  {what}", highlight=False)


def _consent(subject: str, rulebook: str, at: str | None, give: bool, as_json: bool) -> None:
    act = give_consent if give else withdraw_consent
    with opened_store() as store, reported():
        now = bootstrap.clock()
        moment = now if at is None else _moment(store, at)
        found = act(store, subject, rulebook, at=moment, recorded_at=now)
    if as_json:
        print_json(found.as_dict())
    else:
        _show_consent(found)


@consent_app.command("give")
def consent_give(
    subject: SubjectArg, rulebook: RulebookOpt, at: AtOpt = None, as_json: JsonOpt = False
) -> None:
    """Record the subject's consent to an opt-in scheme: it scores them from then on. A
    mandatory scheme needs no consent and refuses it."""
    _consent(subject, rulebook, at, True, as_json)


@consent_app.command("withdraw")
def consent_withdraw(
    subject: SubjectArg, rulebook: RulebookOpt, at: AtOpt = None, as_json: JsonOpt = False
) -> None:
    """Withdraw consent: the subject is unscored by the scheme from then on; records stay."""
    _consent(subject, rulebook, at, False, as_json)


@consent_app.command("show")
def consent_show(
    subject: SubjectArg,
    as_of: Annotated[
        str | None,
        typer.Option(help="A date (end of that day) or a datetime with offset; default: now."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """The subject's consent to every opt-in scheme, with its history."""
    with opened_store() as store, reported():
        found = consent_of(store, subject, _moment(store, as_of))
    if as_json:
        print_json([c.as_dict() for c in found])
        return
    if not found:
        out.print("no opt-in scheme is published")
    for consent in found:
        _show_consent(consent)


# --- repair ------------------------------------------------------------------------------------


def _show_repair(app_: RepairApplication, now: datetime) -> None:
    late = "  OVERDUE" if app_.overdue_at(now) else ""
    out.print(
        f"{app_.id}  {app_.target_text}  {app_.state}{late}  (applied {app_.applied_at:%Y-%m-%d})",
        highlight=False,
        soft_wrap=True,
    )
    if app_.due is not None:
        out.print(f"  {app_.due[0]} by {app_.due[1].isoformat()}", highlight=False)
    if app_.decision is not None:
        d = app_.decision
        out.print(
            f"  {d.outcome} by {d.by} at {d.at.isoformat()}: {d.reasons}",
            highlight=False,
            soft_wrap=True,
        )


def _report(app_: RepairApplication, now: datetime, as_json: bool) -> None:
    if as_json:
        print_json(app_.as_dict(now))
    else:
        _show_repair(app_, now)


@repair_app.command("apply")
def repair_apply(
    target: Annotated[
        str,
        typer.Argument(
            metavar="REF_OR_EVENT",
            help="A listing ref (L-...) or a penalty entry's event as SOURCE/EVENT_ID.",
        ),
    ],
    commitment: Annotated[str, typer.Option(help="The subject's credit commitment.")],
    proof: Annotated[str, typer.Option(help="Proof the conduct was corrected.")],
    subject: Annotated[
        str | None, typer.Option(help="Whose entry it is (needed for SOURCE/EVENT_ID).")
    ] = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Apply to repair a listing in effect or a penalty still counting; the platform must
    answer within 10 working days."""
    with opened_store() as store, reported():
        now = bootstrap.clock()
        moment = now if at is None else _moment(store, at)
        found = apply_for_repair(
            store, target, commitment=commitment, proof=proof, at=moment, subject=subject
        )
    _report(found, now, as_json)


@repair_app.command("accept")
def repair_accept(app_id: AppArg, by: ByOpt, at: AtOpt = None, as_json: JsonOpt = False) -> None:
    """The platform's answer: the application is complete and goes to the authority, which
    must decide within 3 working days."""
    with opened_store() as store, reported():
        now = bootstrap.clock()
        found = accept_repair(store, app_id, by=by, at=now if at is None else _moment(store, at))
    _report(found, now, as_json)


@repair_app.command("decide")
def repair_decide(
    app_id: AppArg,
    reason: Annotated[str, typer.Option(help="The reasons for the decision, recorded.")],
    by: ByOpt,
    approve: Annotated[bool, typer.Option("--approve", help="Approve the repair.")] = False,
    reject: Annotated[bool, typer.Option("--reject", help="Reject the repair.")] = False,
    at: AtOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Approve or reject an application with reasons; the subject is told. Approving a
    listing repair removes the listing at once; approving an entry repair ends the penalty
    at the moment of approval: it counts before, not after, and the score recovers."""
    if approve == reject:
        fail("give exactly one of --approve and --reject")
    with opened_store() as store, reported():
        now = bootstrap.clock()
        found = decide_repair(
            store,
            app_id,
            approve=approve,
            reasons=reason,
            by=by,
            at=now if at is None else _moment(store, at),
        )
    _report(found, now, as_json)


@repair_app.command("show")
def repair_show(subject: SubjectArg, as_json: JsonOpt = False) -> None:
    """The subject's repair applications: state, deadlines, decisions."""
    with opened_store() as store, reported():
        now = bootstrap.clock()
        found = repair_applications(store, [subject])
    if as_json:
        print_json([a.as_dict(now) for a in found])
        return
    if not found:
        out.print(f"{subject} has no repair application")
    for application in found:
        _show_repair(application, now)


# --- contact and the outbox --------------------------------------------------------------------


@contact_app.command("set")
def contact_set(
    subject: SubjectArg,
    email: Annotated[str, typer.Option(help="The address notices are emailed to.")],
    at: AtOpt = None,
) -> None:
    """Record the address the subject's notices are emailed to (the latest one is used)."""
    with opened_store() as store, reported():
        set_email(store, subject, email, at=_moment(store, at))
    out.print(f"notices for {subject} go to {email}", highlight=False)


@contact_app.command("show")
def contact_show(subject: SubjectArg, as_json: JsonOpt = False) -> None:
    """The address the subject's notices are emailed to, if any."""
    with opened_store() as store, reported():
        address = email_of(store, subject, bootstrap.clock())
    if as_json:
        print_json({"subject": subject, "email": address})
    else:
        out.print(f"{subject}: {address or 'no email address'}", highlight=False)


@outbox_app.command("send")
def outbox_send(
    now: Annotated[str | None, typer.Option(help="The moment of sending; default: now.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Email every notice in an inbox that has not been emailed yet (failed ones again),
    through SOCIALCREDIT_SMTP from SOCIALCREDIT_SMTP_FROM."""
    with reported():
        settings = smtp_settings(os.environ)
    if settings is None:
        fail("email is not configured: set SOCIALCREDIT_SMTP (smtp://host:port)")
    with opened_store() as store, reported():
        moment = _moment(store, now)
        sent = send_email_notices(store, moment, smtp=settings)
        waiting = pending_email(store).height
    if as_json:
        print_json({"now": moment.isoformat(), "sent": sent, "not_emailed": waiting})
    else:
        out.print(
            f"{sent} notice(s) emailed; {waiting} not emailed (failed, to be tried again, or "
            "no address on record)",
            highlight=False,
        )


@outbox_app.command("show")
def outbox_show(subject: SubjectArg, as_json: JsonOpt = False) -> None:
    """The subject's notices and every attempt to deliver each, by channel."""
    with opened_store() as store, reported():
        found = notices_of(store, subject)
    if as_json:
        print_json(found)
        return
    table = Table("served", "notice", "ref", "deliveries", title=f"notices for {subject}")
    for notice in found:
        tried = "; ".join(
            f"{d['channel']} {d['status']}" + (f" ({d['detail']})" if d["detail"] else "")
            for d in notice["deliveries"]
        )
        table.add_row(str(notice["at"]), notice["kind"], notice["ref"], tried)
    out.print(table)

"""The notices outbox: every notice reaches the subject's inbox, and email when configured.

A notice is a case action of kind `listing.notice` or `notice.*` (adverse action, repair
decision, ...). Whoever serves one records its inbox delivery; `send_email_notices` then
emails every notice that has an inbox delivery and no email delivery that went through,
to the subject's address (the latest `contact.email` case action, set with
`socialcredit contact set`). Each attempt is recorded with `append_deliveries`: channel
"email", status "sent", or "failed" with the error in `detail`; a failed notice is tried
again by the next run. A subject with no address on record gets no attempt.

Configuration, read when a run is not handed its settings:

    SOCIALCREDIT_SMTP       smtp://host:port (or smtps://, and user:password@ if the
                            server wants a login); unset: no email, inbox only
    SOCIALCREDIT_SMTP_FROM  the sender address (default socialcredit@localhost)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import polars as pl

from socialcredit.errors import SocialCreditError
from socialcredit.services.case_actions import append_case_action
from socialcredit.services.corrections import DECISION_CORRECTED
from socialcredit.services.disputes import OUTCOME_SENT
from socialcredit.storage import Store

__all__ = [
    "CONTACT_EMAIL",
    "SmtpSettings",
    "email_of",
    "notices_of",
    "pending_email",
    "send_email_notices",
    "set_email",
    "smtp_settings",
]

CONTACT_EMAIL = "contact.email"
DEFAULT_SENDER = "socialcredit@localhost"
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
_TITLES = {
    "listing.notice": "Notice of listing {listing} on {list}",
    "notice.adverse_action": "Adverse action: {party_name} was denied {purpose}",
    "notice.repair_decision": "Credit repair {application}: {outcome}",
}


@dataclass(frozen=True)
class SmtpSettings:
    """Where to send email from and through."""

    host: str
    port: int
    sender: str = DEFAULT_SENDER
    username: str | None = None
    password: str | None = None
    ssl: bool = False
    timeout: float = 10.0


def smtp_settings(environ: Mapping[str, str]) -> SmtpSettings | None:
    """The settings `SOCIALCREDIT_SMTP` and `SOCIALCREDIT_SMTP_FROM` give; None if unset."""
    url = environ.get("SOCIALCREDIT_SMTP", "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname or port == -1:
        raise SocialCreditError(
            f"SOCIALCREDIT_SMTP={url!r} is not smtp://host:port or smtps://host:port"
        )
    ssl = parts.scheme == "smtps"
    sender = environ.get("SOCIALCREDIT_SMTP_FROM", "").strip() or DEFAULT_SENDER
    if not _ADDRESS.match(sender):
        raise SocialCreditError(f"SOCIALCREDIT_SMTP_FROM={sender!r} is not an email address")
    return SmtpSettings(
        parts.hostname,
        port or (465 if ssl else 25),
        sender,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
        ssl,
    )


# --- addresses ---------------------------------------------------------------------------------


def set_email(store: Store, subject: str, address: str, *, at: datetime) -> None:
    """Record the subject's email address from `at`; the latest one is used."""
    if not _ADDRESS.match(address):
        raise SocialCreditError(f"--email {address!r} is not an email address (name@domain)")
    append_case_action(
        store, CONTACT_EMAIL, subject, f"contact:{subject}", {"email": address}, at=at
    )


def _addresses(actions: pl.DataFrame, now: datetime) -> dict[str, str]:
    """Each subject's latest address set at or before `now`."""
    found: dict[str, tuple[datetime, str]] = {}
    contacts = actions.filter(pl.col("kind") == CONTACT_EMAIL).sort("seq")
    for subject, data, at in contacts.select("subject", "data", "at").iter_rows():
        when = datetime.fromisoformat(at)
        if when <= now and (subject not in found or when >= found[subject][0]):
            found[subject] = (when, json.loads(data)["email"])
    return {subject: address for subject, (_, address) in found.items()}


def email_of(store: Store, subject: str, now: datetime) -> str | None:
    """The subject's email address as of `now`, if any."""
    return _addresses(store.case_actions_for([subject]), now).get(subject)


# --- notices -----------------------------------------------------------------------------------


def _is_notice() -> pl.Expr:
    """Notices to the subject: listing notices, dispute outcomes, and every `notice.*` but
    the corrections addressed to a relying party."""
    return (
        pl.col("kind").is_in(["listing.notice", OUTCOME_SENT])
        | pl.col("kind").str.starts_with("notice.")
    ) & (pl.col("kind") != DECISION_CORRECTED)


def notices_of(store: Store, subject: str) -> list[dict[str, Any]]:
    """The subject's notices (their content under `data`), each with every delivery
    attempt, in the order served."""
    notices = store.case_actions_for([subject]).filter(_is_notice())
    refs = notices.get_column("ref").unique(maintain_order=True).to_list()
    deliveries = store.deliveries_for(refs)
    return [
        {
            "kind": kind,
            "ref": ref,
            "at": at,
            "data": json.loads(data),
            "deliveries": deliveries.filter(pl.col("notice") == ref)
            .select("channel", "status", "detail", "at")
            .to_dicts(),
        }
        for kind, ref, at, data in notices.select("kind", "ref", "at", "data").iter_rows()
    ]


def pending_email(store: Store) -> pl.DataFrame:
    """Notices (`kind`, `subject`, `ref`, `data`, `at`) in an inbox and not yet emailed."""
    actions = store.case_actions_for()
    notices = actions.filter(_is_notice()).unique("ref", keep="first", maintain_order=True)
    deliveries = store.deliveries_for(notices.get_column("ref").to_list())
    inboxed = deliveries.filter(pl.col("channel") == "inbox").get_column("notice")
    emailed = deliveries.filter(
        (pl.col("channel") == "email") & (pl.col("status") == "sent")
    ).get_column("notice")
    return notices.filter(
        pl.col("ref").is_in(inboxed.implode()) & ~pl.col("ref").is_in(emailed.implode())
    )


def _text(value: object) -> str:
    if isinstance(value, list):
        return "".join(f"\n  - {item}" for item in value)
    return str(value)


def _message(
    kind: str, ref: str, data: dict[str, Any], to: str, settings: SmtpSettings, now: datetime
) -> EmailMessage:
    message = EmailMessage()
    try:
        title = _TITLES[kind].format(**data)
    except (KeyError, IndexError):
        title = f"Notice {ref}"
    message["Subject"] = title
    message["From"] = settings.sender
    message["To"] = to
    message["Date"] = format_datetime(now)
    domain = settings.sender.rpartition("@")[2]
    message["Message-ID"] = f"<{hashlib.sha256(ref.encode()).hexdigest()[:32]}@{domain}>"
    lines = [title, ""]
    lines += [f"{key.replace('_', ' ').capitalize()}: {_text(v)}" for key, v in data.items()]
    lines += ["", f"This notice ({ref}) is also in your inbox: socialcredit notices."]
    message.set_content("\n".join(lines))
    return message


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    kind = smtplib.SMTP_SSL if settings.ssl else smtplib.SMTP
    client = kind(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.username:
            client.login(settings.username, settings.password or "")
    except BaseException:
        client.close()
        raise
    return client


def _record(store: Store, ref: str, status: str, detail: str | None, at: datetime) -> None:
    row = {"notice": ref, "channel": "email", "status": status, "detail": detail, "at": at}
    store.append_deliveries(pl.DataFrame([row], schema_overrides={"detail": pl.String}))


def send_email_notices(
    store: Store,
    now: datetime,
    *,
    smtp: SmtpSettings | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Email every notice in an inbox and not yet emailed to its subject's address, and
    record each attempt; how many were sent. Settings default to the environment's; with
    none, email is off and nothing happens."""
    settings = smtp or smtp_settings(os.environ if environ is None else environ)
    if settings is None:
        return 0
    due = pending_email(store)
    addresses = _addresses(store.case_actions_for(due.get_column("subject").unique()), now)
    due = due.filter(pl.col("subject").is_in(list(addresses)))
    if due.is_empty():
        return 0
    try:
        client = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        why = f"cannot reach {settings.host}:{settings.port}: {exc}"
        for ref in due.get_column("ref"):
            _record(store, ref, "failed", why, now)
        return 0
    sent = 0
    try:
        for kind, subject, ref, data in due.select("kind", "subject", "ref", "data").iter_rows():
            to = addresses[subject]
            try:
                client.send_message(_message(kind, ref, json.loads(data), to, settings, now))
            except (OSError, smtplib.SMTPException) as exc:
                _record(store, ref, "failed", f"to {to}: {exc}", now)
                continue
            _record(store, ref, "sent", f"to {to}", now)
            sent += 1
    finally:
        _hang_up(client)
    return sent


def _hang_up(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except (OSError, smtplib.SMTPException):
        client.close()

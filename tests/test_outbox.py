"""The notices outbox: every notice in a subject's inbox is emailed through the configured
SMTP server to the address on record, each attempt recorded; a server that is down leaves
the notice failed and it goes out on the next run. The server is a small SMTP sink running
in this process."""

from __future__ import annotations

import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest

from socialcredit.errors import SocialCreditError
from socialcredit.services.outbox import SmtpSettings, send_email_notices, smtp_settings
from socialcredit.storage import open_store
from tests.cli_support import Clock, event, ingest, ndjson, run, store_with
from tests.scenario import ADULT, OTHER_ADULT

LIST = "dishonest-judgment-defaulters"


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


class SmtpSink(socketserver.ThreadingTCPServer):
    """Accepts every message (refusing recipients whose address starts with "bounce")."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        self.received: list[Received] = []

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.server_address[1]}"


@dataclass
class _Envelope:
    sender: str = ""
    recipients: list[str] = field(default_factory=list)


class _Session(socketserver.StreamRequestHandler):
    def reply(self, text: str) -> None:
        self.wfile.write(text.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 sink ESMTP")
        envelope = _Envelope()
        while line := self.rfile.readline():
            verb, _, rest = line.decode().rstrip("\r\n").partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.reply("250-sink")
                self.reply("250 8BITMIME")
            elif verb in ("HELO", "NOOP"):
                self.reply("250 ok")
            elif verb == "RSET":
                envelope = _Envelope()
                self.reply("250 ok")
            elif verb == "MAIL":
                envelope = _Envelope(sender=rest.partition(":")[2].strip("<> "))
                self.reply("250 ok")
            elif verb == "RCPT":
                address = rest.partition(":")[2].strip("<> ")
                if address.startswith("bounce"):
                    self.reply("550 no such mailbox")
                else:
                    envelope.recipients.append(address)
                    self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                self.receive(envelope)
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")

    def receive(self, envelope: _Envelope) -> None:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)
        message = message_from_bytes(b"".join(lines), policy=policy.default)
        sink = cast(SmtpSink, self.server)
        sink.received.append(
            Received(envelope.sender, envelope.recipients, cast(EmailMessage, message))
        )


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def clock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Clock:
    monkeypatch.delenv("SOCIALCREDIT_SMTP", raising=False)
    monkeypatch.setenv("SOCIALCREDIT_SMTP_FROM", "notices@credit.example")
    return store_with(
        tmp_path,
        monkeypatch,
        ("init",),
        ("source", "add", "court.wendeng", "--allow", "judicial"),
        ("party", "add", "air.caac", "--purpose", "air_travel"),
    )


def ok(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def noticed(clock: Clock, tmp_path: Path, *subjects: str) -> list[str]:
    """A defaulter listing for each subject, its notice served to the inbox by tick."""
    triggers = [
        event(
            i,
            "2026-03-02T09:00:00+08:00",
            subject,
            source="court.wendeng",
            type="court.defaulter_listed",
            data={"case_no": f"c-{i}"},
        )
        for i, subject in enumerate(subjects, start=1)
    ]
    ingest(ndjson(tmp_path / "court.ndjson", *triggers))
    clock.set("2026-03-03T10:00:00+08:00")
    refs: list[str] = ok("tick")["notices"]
    return refs


def deliveries(subject: str) -> list[tuple[str, str, str, str | None]]:
    shown = json.loads(run("outbox", "show", subject, "--json").stdout)
    return [
        (n["ref"], d["channel"], d["status"], d["detail"]) for n in shown for d in n["deliveries"]
    ]


def test_a_notice_is_emailed_once_and_a_server_that_is_down_is_tried_again(
    clock: Clock, tmp_path: Path, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    [ref, other] = noticed(clock, tmp_path, ADULT, OTHER_ADULT)
    assert run("contact", "set", ADULT, "--email", "li.ming@example.org").exit_code == 0
    assert ok("contact", "show", ADULT)["email"] == "li.ming@example.org"

    monkeypatch.setenv("SOCIALCREDIT_SMTP", f"smtp://127.0.0.1:{closed_port()}")
    clock.set("2026-03-03T11:00:00+08:00")
    down = ok("outbox", "send")
    assert (down["sent"], down["not_emailed"]) == (0, 2)
    [inbox, failed] = deliveries(ADULT)
    assert inbox == (ref, "inbox", "sent", None)
    assert failed[:3] == (ref, "email", "failed")
    assert failed[3] is not None
    assert "cannot reach 127.0.0.1" in failed[3]

    monkeypatch.setenv("SOCIALCREDIT_SMTP", sink.url)
    clock.set("2026-03-03T11:05:00+08:00")
    assert ok("outbox", "send") == {
        "now": "2026-03-03T11:05:00+08:00",
        "sent": 1,
        "not_emailed": 1,  # OTHER_ADULT has no address on record
    }
    [mail] = sink.received
    assert (mail.sender, mail.recipients) == ("notices@credit.example", ["li.ming@example.org"])
    assert mail.message["Subject"] == f"Notice of listing {ref} on {LIST}"
    assert mail.message["To"] == "li.ming@example.org"
    body = mail.message.get_content().splitlines()
    assert "Appeal closes: 2026-03-14T00:00:00" in body
    assert any("socialcredit listing appeal" in line for line in body)
    assert deliveries(ADULT)[-1] == (ref, "email", "sent", "to li.ming@example.org")
    assert [d[1:3] for d in deliveries(OTHER_ADULT)] == [("inbox", "sent")]
    assert other not in {d[0] for d in deliveries(ADULT)}

    assert ok("outbox", "send")["sent"] == 0  # nothing twice
    assert len(sink.received) == 1


def test_adverse_action_notices_go_out_on_the_next_run(
    clock: Clock, tmp_path: Path, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    noticed(clock, tmp_path, ADULT)
    monkeypatch.setenv("SOCIALCREDIT_SMTP", sink.url)
    run("contact", "set", ADULT, "--email", "li.ming@example.org")
    assert ok("outbox", "send")["sent"] == 1
    clock.set("2026-03-16T09:00:00+08:00")
    denied = run("decide", ADULT, "air_travel", "--party", "air.caac", "--json")
    assert json.loads(denied.stdout)["decision"] == "deny"
    assert ok("outbox", "send")["sent"] == 1
    adverse = sink.received[-1].message
    assert adverse["Subject"] == "Adverse action: air.caac was denied air_travel"
    assert "How to dispute: You may see every record" in adverse.get_content()


def test_a_refused_recipient_is_recorded_as_failed_and_others_still_go(
    clock: Clock, tmp_path: Path, sink: SmtpSink
) -> None:
    [ref, other] = noticed(clock, tmp_path, ADULT, OTHER_ADULT)
    run("contact", "set", ADULT, "--email", "bounce@example.org")
    run("contact", "set", OTHER_ADULT, "--email", "wang@example.org")
    settings = SmtpSettings("127.0.0.1", sink.server_address[1], "notices@credit.example")
    with open_store(tmp_path / "ledger.db") as store:
        now = datetime(2026, 3, 3, 4, 0, tzinfo=UTC)
        assert send_email_notices(store, now, smtp=settings) == 1
        failed = store.deliveries_for([ref]).filter(channel="email").row(0, named=True)
        assert failed["status"] == "failed"
        assert "no such mailbox" in failed["detail"]
        sent = store.deliveries_for([other]).filter(channel="email").row(0, named=True)
        assert sent["status"] == "sent"
    assert [m.recipients for m in sink.received] == [["wang@example.org"]]


def test_without_configuration_email_is_off(clock: Clock, tmp_path: Path) -> None:
    [ref] = noticed(clock, tmp_path, ADULT)
    run("contact", "set", ADULT, "--email", "li.ming@example.org")
    with open_store(tmp_path / "ledger.db") as store:
        assert send_email_notices(store, clock(), environ={}) == 0
        assert store.deliveries_for([ref]).get_column("channel").to_list() == ["inbox"]
    result = run("outbox", "send")
    assert result.exit_code == 2
    assert "SOCIALCREDIT_SMTP" in result.stderr


def test_configuration_and_addresses_are_checked() -> None:
    found = smtp_settings({"SOCIALCREDIT_SMTP": "smtps://me:s%40cret@mail.example:2465"})
    assert found == SmtpSettings(
        "mail.example", 2465, "socialcredit@localhost", "me", "s@cret", ssl=True
    )
    assert smtp_settings({"SOCIALCREDIT_SMTP": "smtp://mail.example"}) == SmtpSettings(
        "mail.example", 25
    )
    with pytest.raises(SocialCreditError, match="is not smtp://host:port"):
        smtp_settings({"SOCIALCREDIT_SMTP": "http://mail.example"})
    with pytest.raises(SocialCreditError, match="SOCIALCREDIT_SMTP_FROM"):
        smtp_settings({"SOCIALCREDIT_SMTP": "smtp://m", "SOCIALCREDIT_SMTP_FROM": "nobody"})


def test_a_malformed_address_is_refused(clock: Clock) -> None:
    result = run("contact", "set", ADULT, "--email", "li@example.org\nBcc: x@y")
    assert result.exit_code == 2
    assert "is not an email address" in result.stderr


def test_tick_sends_what_the_inbox_holds_by_email_when_configured(
    clock: Clock, tmp_path: Path, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    noticed(clock, tmp_path, ADULT)
    run("contact", "set", ADULT, "--email", "li.ming@example.org")
    monkeypatch.setenv("SOCIALCREDIT_SMTP", sink.url)
    assert ok("tick")["emailed"] == 1
    assert ok("tick")["emailed"] == 0
    assert [r.message["To"] for r in sink.received] == ["li.ming@example.org"]

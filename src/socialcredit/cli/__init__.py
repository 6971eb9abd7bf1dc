"""The `socialcredit` command: parse arguments, call a service, render the result."""

from __future__ import annotations

import sys

from socialcredit.cli import (
    demo,
    disputes,
    due_process,
    evaluate,
    ledger,
    reading,
    rulebooks,
    serve,
    simulate,
    subject_rights,
    tokens,
)
from socialcredit.cli.app import app, err
from socialcredit.errors import SocialCreditError

__all__ = ["app", "main"]
_COMMANDS = (
    demo,
    disputes,
    due_process,
    evaluate,
    ledger,
    reading,
    rulebooks,
    serve,
    simulate,
    subject_rights,
    tokens,
)


def main() -> None:
    """Entry point of the `socialcredit` script."""
    try:
        app()
    except SocialCreditError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)

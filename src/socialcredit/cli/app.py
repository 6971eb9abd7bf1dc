"""The root command, its consoles, and what every subcommand shares."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from socialcredit import __version__
from socialcredit.bootstrap import open_configured_store
from socialcredit.errors import RulebookError, SocialCreditError
from socialcredit.storage import Store

__all__ = [
    "app",
    "err",
    "fail",
    "opened_store",
    "out",
    "parse_as_of",
    "progress_bar",
    "reported",
    "rulebook_app",
]

app = typer.Typer(
    help="socialcredit: published rulebooks, explained scores, due process.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
rulebook_app = typer.Typer(help="Check, list and publish rulebooks.", no_args_is_help=True)
app.add_typer(rulebook_app, name="rulebook")
out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        out.print(f"socialcredit {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """socialcredit: published rulebooks, explained scores, due process."""


def parse_as_of(text: str, timezone: str) -> datetime:
    """A date (the end of that day in the rulebook's timezone) or an ISO datetime."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        day = None
    if day is not None and len(text) == 10:
        next_midnight = datetime.combine(day + timedelta(days=1), time(), ZoneInfo(timezone))
        return next_midnight - timedelta(microseconds=1)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(
            f"--as-of {text!r} is not a date (2025-03-01) or a datetime with offset "
            "(2025-03-01T12:00:00+08:00)"
        )
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(timezone))


@contextmanager
def reported() -> Iterator[None]:
    """Turn the project's errors into a one-line reason (every located problem for a
    rulebook) and exit status 2."""
    try:
        yield
    except RulebookError as exc:
        for problem in exc.problems:
            err.print(str(problem), highlight=False, soft_wrap=True)
        fail(f"{len(exc.problems)} problem(s) in the rulebook")
    except SocialCreditError as exc:
        fail(str(exc))


@contextmanager
def opened_store() -> Iterator[Store]:
    """The store `SOCIALCREDIT_DB` names, opened for one command and closed after it."""
    with reported(), open_configured_store() as store:
        yield store


def progress_bar() -> Progress:
    """A progress bar with the rate, on standard error."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )

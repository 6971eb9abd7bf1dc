"""The arguments and options several commands share, spelled and explained once."""

from __future__ import annotations

import json
from typing import Annotated

import typer

__all__ = ["AsOfOpt", "AtOpt", "JsonOpt", "SubjectArg", "print_json"]

JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
SubjectArg = Annotated[str, typer.Argument(help="The subject's identifier.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(help="A date (end of that day) or a datetime with offset; default: now."),
]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="When it happened (a datetime with offset), for importing history; default: now.",
    ),
]


def print_json(data: object) -> None:
    """Data as one line of JSON on standard output (dates and times as ISO text)."""
    print(json.dumps(data, ensure_ascii=False, default=str))

"""The one exception tree of socialcredit.

    SocialCreditError                  every error the project raises on purpose
    ├── RulebookError                  a rulebook cannot be used; carries every Problem found
    ├── UnknownRulebookError                no rulebook with that id or path
    ├── EventError                     an event row is malformed (line, field, reason)
    └── IdentifierError                an identifier fails its format or checksum

User-facing messages name what was wrong and where: file, line, rule or field.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EventError",
    "IdentifierError",
    "Problem",
    "RulebookError",
    "SocialCreditError",
    "UnknownRulebookError",
]


class SocialCreditError(Exception):
    """Base of every error socialcredit raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One located problem in a rulebook: where it is and what is wrong."""

    origin: str
    line: int | None
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.origin}:{self.line}" if self.line else self.origin
        return (
            f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"
        )


class RulebookError(SocialCreditError):
    """A rulebook failed to parse or validate; `problems` lists every located problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class UnknownRulebookError(SocialCreditError):
    """No bundled rulebook has this id and no file exists at this path."""


class EventError(SocialCreditError):
    """An event row cannot be used: names the line and the field."""

    def __init__(self, line: int, field: str, reason: str) -> None:
        self.line, self.field, self.reason = line, field, reason
        super().__init__(f"line {line}: {field}: {reason}" if field else f"line {line}: {reason}")


class IdentifierError(SocialCreditError):
    """An identifier fails its format or check character."""

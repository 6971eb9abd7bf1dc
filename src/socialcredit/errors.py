"""The one exception tree of socialcredit.

    SocialCreditError                  every error the project raises on purpose
    ├── RulebookError                  a rulebook cannot be used; carries every Problem found
    ├── UnknownRulebookError           no rulebook with that id or path
    ├── EventError                     an event row is malformed (line, field, reason)
    ├── MappingError                   a column mapping cannot be used; carries every Problem
    ├── IdentifierError                an identifier fails its format or checksum
    ├── UnknownRecordError             no subject, event, token or other record with that id
    ├── AuthenticationError            a bearer token is missing, malformed, unknown or revoked
    └── StoreError                     the store could not do what was asked
        ├── StoreUnavailableError      the database cannot be opened or reached
        ├── SchemaVersionError         the database was migrated by a newer socialcredit
        ├── AppendOnlyError            an UPDATE or DELETE of a fact was refused
        ├── RecordRejectedError        a row breaks a constraint; nothing of its batch was kept
        ├── PublishConflictError       a rulebook version is already published with other content
        └── ReviewError                the event is unknown, not pending, or already reviewed

Driver errors (sqlite3, psycopg) never leave `socialcredit.storage`: they become a StoreError.

User-facing messages name what was wrong and where: file, line, rule or field.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AppendOnlyError",
    "AuthenticationError",
    "EventError",
    "IdentifierError",
    "MappingError",
    "Problem",
    "PublishConflictError",
    "RecordRejectedError",
    "ReviewError",
    "RulebookError",
    "SchemaVersionError",
    "SocialCreditError",
    "StoreError",
    "StoreUnavailableError",
    "UnknownRecordError",
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


class MappingError(SocialCreditError):
    """A column mapping cannot be used; `problems` names the file, line and key of each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class IdentifierError(SocialCreditError):
    """An identifier fails its format or check character."""


class UnknownRecordError(SocialCreditError):
    """No subject, event, token or other record has the id asked for; says where to look."""


class AuthenticationError(SocialCreditError):
    """A bearer token is missing, malformed, unknown or revoked: the caller is not known."""


class StoreError(SocialCreditError):
    """The store could not do what was asked; the message says what to check."""


class StoreUnavailableError(StoreError):
    """The database cannot be opened or reached: a bad path, a server down, a lock held."""


class SchemaVersionError(StoreError):
    """The database carries migrations this version of socialcredit does not know."""


class AppendOnlyError(StoreError):
    """An UPDATE or DELETE of a fact was refused: facts are corrected by new records."""


class RecordRejectedError(StoreError):
    """A row breaks a constraint of the store (a missing field, an unknown status, ...)."""


class PublishConflictError(StoreError):
    """A rulebook id and version are already published with different content."""


class ReviewError(StoreError):
    """A review names an event that is unknown, not pending, or already reviewed."""

"""Case actions: the facts of due process, and the steps a lifecycle derives from them.

A case action is recorded when it happens, or imported later with the moment it really
happened: `at` is that moment, a wall-clock time in the rulebook's timezone. `id` names the
action; a step the lifecycle takes because of it cites that id. The listing lifecycle
(`listing.py`) and the dispute lifecycle (`disputes.py`) are folds over these facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, Literal, TypeVar

__all__ = [
    "AppealLodged",
    "Correction",
    "DisputeFact",
    "DisputeOpened",
    "EarlyRemoval",
    "Extension",
    "InformationAdded",
    "ListingFact",
    "NoticeServed",
    "OutcomeSent",
    "RemovalEvent",
    "ReviewDecided",
    "ReviewerDecided",
    "SourceAnswered",
    "SourceNotified",
    "Step",
]

StateT = TypeVar("StateT", bound=StrEnum)


@dataclass(frozen=True)
class Step(Generic[StateT]):
    """One step of a case's history: when, the state after it, why, and the fact behind it.

    A step the passing of time makes names the fact that started its clock.
    """

    at: datetime
    state: StateT
    reason: str
    cause: str


# --- listings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoticeServed:
    """Written notice served on the subject: why, on which events, and how to appeal."""

    id: str
    at: datetime
    reasons: str
    how_to_appeal: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppealLodged:
    """The subject appeals against the listing."""

    id: str
    at: datetime
    grounds: str


@dataclass(frozen=True)
class ReviewDecided:
    """A reviewer's recorded decision on the appeal."""

    id: str
    at: datetime
    outcome: Literal["upheld", "overturned"]
    reasons: str
    reviewer: str

    def __post_init__(self) -> None:
        if self.outcome not in ("upheld", "overturned"):
            raise ValueError(f"review {self.id}: outcome must be 'upheld' or 'overturned'")


@dataclass(frozen=True)
class Correction:
    """The subject was listed wrongly: the listing is withdrawn."""

    id: str
    at: datetime
    reasons: str


@dataclass(frozen=True)
class EarlyRemoval:
    """The authority takes the listing off now, before any deadline."""

    id: str
    at: datetime
    reasons: str


@dataclass(frozen=True)
class RemovalEvent:
    """An event that ends the listing (performance, settlement, the creditor's request)."""

    id: str
    at: datetime
    type: str


@dataclass(frozen=True)
class Extension:
    """An event that extends the listing's period by whole years."""

    id: str
    at: datetime
    years: int


ListingFact = (
    NoticeServed
    | AppealLodged
    | ReviewDecided
    | Extension
    | RemovalEvent
    | EarlyRemoval
    | Correction
)


# --- disputes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeOpened:
    """The subject disputes one entry: the one `rule` of `scheme` made of `source`'s event."""

    id: str
    at: datetime
    scheme: str
    source: str
    event_id: str
    rule: str
    grounds: str


@dataclass(frozen=True)
class SourceNotified:
    """The source that reported the event is told of the dispute and its grounds."""

    id: str
    at: datetime


@dataclass(frozen=True)
class InformationAdded:
    """The subject adds information to the dispute (passed on to the source)."""

    id: str
    at: datetime
    summary: str


@dataclass(frozen=True)
class SourceAnswered:
    """The source's answer: it confirms the event as reported, or withdraws it."""

    id: str
    at: datetime
    outcome: Literal["confirmed", "withdrawn"]
    reasons: str

    def __post_init__(self) -> None:
        if self.outcome not in ("confirmed", "withdrawn"):
            raise ValueError(f"answer {self.id}: outcome must be 'confirmed' or 'withdrawn'")


@dataclass(frozen=True)
class ReviewerDecided:
    """The platform's reviewer decides an unresolved dispute: the source cannot substantiate
    the event, so it is removed in the subject's favour; or the source is left to answer."""

    id: str
    at: datetime
    by: str
    outcome: Literal["removed", "left_to_source"]
    reasons: str

    def __post_init__(self) -> None:
        if self.outcome not in ("removed", "left_to_source"):
            raise ValueError(f"review {self.id}: outcome must be 'removed' or 'left_to_source'")


@dataclass(frozen=True)
class OutcomeSent:
    """The dispute's outcome is sent to the subject."""

    id: str
    at: datetime


DisputeFact = SourceNotified | InformationAdded | SourceAnswered | ReviewerDecided | OutcomeSent

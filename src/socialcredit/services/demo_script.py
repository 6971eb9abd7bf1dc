"""The demo's script as data: the sources, relying parties and people to register, the
citizen to feature, and the disputes and repairs to open. `simulate.demo` draws one from a
seed; `services.demo.build_demo` plays it in a store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

__all__ = ["DemoParty", "DemoScript", "DemoSource", "DemoToken", "DisputePlan", "RepairPlan"]


@dataclass(frozen=True)
class DemoSource:
    """A source to register: what it may report, and how far it is trusted."""

    id: str
    name: str
    trust: Literal["high", "low"]
    allow: tuple[str, ...]


@dataclass(frozen=True)
class DemoParty:
    """A relying party to register, with the purposes it may ask about."""

    id: str
    name: str
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class DisputePlan:
    """A dispute to open `opened_before` the build, and the source's answer, if it gave one
    (halfway between the dispute and the build)."""

    subject: str
    source: str
    event_id: str
    grounds: str
    opened_before: timedelta
    answer: Literal["confirmed", "withdrawn"] | None = None


@dataclass(frozen=True)
class RepairPlan:
    """A penalty its subject asks to have repaired."""

    subject: str
    source: str
    event_id: str
    commitment: str
    proof: str


@dataclass(frozen=True)
class DemoScript:
    """Everything the demo does beyond taking in its event file."""

    rulebook: str
    people: tuple[str, ...]
    sources: tuple[DemoSource, ...]
    parties: tuple[DemoParty, ...]
    featured: str  # the citizen whose token the demo hands out
    disputes: tuple[DisputePlan, ...]
    repairs: tuple[RepairPlan, ...]
    rail: str  # the relying party whose token the demo hands out
    rail_purpose: str
    reviewer: str = "reviewer-wang"
    operator: str = "operator-li"
    appeal_every: int = 2  # one listing in this many with an open window is appealed


@dataclass(frozen=True)
class DemoToken:
    """A token the demo issued: who it is for, as which role and principal, and the text."""

    who: str
    role: str
    principal: str
    bearer: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready."""
        return dict(self.__dict__)

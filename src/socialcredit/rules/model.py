"""The rulebook as data: what a published TOML rulebook says, after parsing.

Every object is immutable and carries the line it came from, so the validator and the
explanation of an entry can point back at the published text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from socialcredit.domain.durations import Duration
from socialcredit.domain.grades import GradeScale

__all__ = [
    "Bands",
    "Bracket",
    "ByField",
    "ByMagnitude",
    "Cap",
    "Consequence",
    "Cumulative",
    "DirectGrade",
    "Fixed",
    "ListDef",
    "Lookup",
    "PerUnit",
    "Points",
    "Progressive",
    "Repair",
    "Rule",
    "Rulebook",
    "Scale",
    "Validity",
]


@dataclass(frozen=True)
class Fixed:
    """The same points for every event."""

    points: int


@dataclass(frozen=True)
class PerUnit:
    """`each` points per whole unit of a numeric field (-10 per month in arrears)."""

    field: str
    each: int


@dataclass(frozen=True)
class Bands:
    """Points by the first band whose inclusive upper bound holds the field's value."""

    field: str
    bands: tuple[tuple[float, int], ...]


@dataclass(frozen=True)
class Lookup:
    """Points by the value of a text field (award level)."""

    field: str
    values: Mapping[str, int]


@dataclass(frozen=True)
class Bracket:
    """One progressive bracket: `each` points per whole `step` of the amount in (above, up_to]."""

    above: float
    up_to: float
    step: float
    most: int
    each: int = 1


@dataclass(frozen=True)
class Progressive:
    """Points summed over brackets of an amount, like tax brackets."""

    field: str
    brackets: tuple[Bracket, ...]


@dataclass(frozen=True)
class Cumulative:
    """A total earned by the subject's running sum of a field; each event gets the rise."""

    field: str
    tiers: tuple[tuple[float, int], ...]


@dataclass(frozen=True)
class DirectGrade:
    """A direct grade: the subject's grade is no better than this while the entry is valid."""

    grade: str


Points = Fixed | PerUnit | Bands | Lookup | Progressive | Cumulative | DirectGrade


@dataclass(frozen=True)
class ByMagnitude:
    """Validity by the applied magnitude (after doubling): first band whose bound holds it."""

    bands: tuple[tuple[float, Duration], ...]


@dataclass(frozen=True)
class ByField:
    """Validity by the value of a text field (award level)."""

    field: str
    values: Mapping[str, Duration]


Validity = Duration | ByMagnitude | ByField


@dataclass(frozen=True)
class Cap:
    """At most `most` points (in magnitude) from one rule per calendar `period`."""

    period: str
    most: int


@dataclass(frozen=True)
class Repair:
    """An event that ends the rule's valid direct grades and adds its own entry instead."""

    on: str
    points: int
    validity: Duration
    match: str | None = None


@dataclass(frozen=True)
class Rule:
    """One published rule: which event it scores, how, for how long, under which domain."""

    id: str
    domain: str
    on: str
    points: Points
    validity: Validity | None = None
    title: str = ""
    repeat: bool = False
    cap: Cap | None = None
    repair: Repair | None = None
    rulebook: str = ""
    version: str = ""
    line: int | None = None

    @property
    def negative(self) -> bool:
        """True for deductions and direct grades: rules that can harm the subject."""
        return self.sign < 0

    @property
    def sign(self) -> int:
        """-1 for deductions and direct grades, +1 for bonuses."""
        return _sign_of(self.points)

    @property
    def fields(self) -> tuple[str, ...]:
        """The data fields this rule reads."""
        found = [getattr(self.points, "field", None)]
        found.append(getattr(self.validity, "field", None))
        if self.repair and self.repair.match:
            found.append(self.repair.match)
        return tuple(f for f in found if f)


def _sign_of(points: Points) -> int:
    if isinstance(points, DirectGrade):
        return -1
    if isinstance(points, Fixed):
        values = [points.points]
    elif isinstance(points, PerUnit):
        values = [points.each]
    elif isinstance(points, Bands | Cumulative):
        values = [p for _, p in (points.bands if isinstance(points, Bands) else points.tiers)]
    elif isinstance(points, Lookup):
        values = list(points.values.values())
    else:
        values = [b.each for b in points.brackets]
    return -1 if min(values) < 0 else 1


@dataclass(frozen=True)
class ListDef:
    """A black or red list: what puts a subject on it, the due process, the way off."""

    id: str
    kind: str
    domain: str
    on: tuple[str, ...]
    appeal_window: Duration
    period: Duration
    title: str = ""
    notice: bool = True
    extension_on: str | None = None
    extension_most: Duration | None = None
    removal_on: tuple[str, ...] = ()
    removal_within: Duration | None = None
    line: int | None = None


@dataclass(frozen=True)
class Consequence:
    """What a relying party is told for one purpose, and which records it may consider."""

    purpose: str
    effect: str
    domains: frozenset[str]
    on_list: str | None = None
    grade_at_least: str | None = None
    grade_at_most: str | None = None
    title: str = ""
    line: int | None = None


@dataclass(frozen=True)
class Scale:
    """Where scores start and their floor (and ceiling, if any)."""

    baseline: int
    floor: int | None = 0
    ceiling: int | None = None


@dataclass(frozen=True)
class Rulebook:
    """One published version of one rulebook, as written (before `extends` is resolved)."""

    id: str
    version: str
    effective: date
    origin: str
    title: str = ""
    jurisdiction: str = ""
    extends: str | None = None
    timezone: str | None = None
    membership: str | None = None
    subjects: tuple[str, ...] | None = None
    source: str = ""
    scale: Scale | None = None
    grades: GradeScale | None = None
    default_validity: Mapping[str, Validity] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    lists: tuple[ListDef, ...] = ()
    consequences: tuple[Consequence, ...] = ()
    text: str = ""

    @property
    def key(self) -> str:
        """`id@version`, how entries name the rulebook that made them."""
        return f"{self.id}@{self.version}"

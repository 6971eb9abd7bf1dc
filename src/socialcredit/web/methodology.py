"""A rulebook as the methodology page shows it: every rule, list and consequence in force,
the scale and grades, and what changed from one version to the next.

Plain data for the template (which words it in the visitor's language): the rulebook's own
model read once, and `rules.diff` for the changes, so the page says exactly what the
published text says and nothing the code does not do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from socialcredit.domain.durations import Duration
from socialcredit.rules.diff import RulebookDiff, diff_plans
from socialcredit.rules.model import (
    Bands,
    ByField,
    ByMagnitude,
    Consequence,
    Cumulative,
    DirectGrade,
    Fixed,
    ListDef,
    Lookup,
    PerUnit,
    Points,
    Progressive,
    Rule,
    Validity,
)
from socialcredit.rules.plan import Plan, Segment

__all__ = ["Methodology", "bound", "changes", "methodology", "points_of", "validity_of"]


@dataclass(frozen=True)
class Methodology:
    """What one rulebook puts in force from its newest version, and its history."""

    rulebook: str
    timezone: str
    segment: Segment
    rules: list[dict[str, Any]]
    lists: list[ListDef]
    consequences: list[Consequence]
    history: list[tuple[Segment, Segment, RulebookDiff]]


def bound(value: float) -> str:
    """A band's bound as written: "inf" for no bound."""
    if math.isinf(value):
        return "inf"
    return str(int(value)) if float(value).is_integer() else str(value)


def points_of(points: Points) -> dict[str, Any]:
    """How a rule's points are worked out, by kind."""
    if isinstance(points, DirectGrade):
        return {"kind": "grade", "grade": points.grade}
    if isinstance(points, Fixed):
        return {"kind": "fixed", "points": points.points}
    if isinstance(points, PerUnit):
        return {"kind": "per_unit", "field": points.field, "each": points.each}
    if isinstance(points, Bands | Cumulative):
        rows = points.bands if isinstance(points, Bands) else points.tiers
        kind = "bands" if isinstance(points, Bands) else "cumulative"
        return {"kind": kind, "field": points.field, "rows": [(bound(b), p) for b, p in rows]}
    if isinstance(points, Lookup):
        return {"kind": "lookup", "field": points.field, "rows": list(points.values.items())}
    assert isinstance(points, Progressive)
    brackets = [
        {
            "above": bound(b.above),
            "up_to": bound(b.up_to),
            "step": bound(b.step),
            "most": b.most,
            "each": b.each,
        }
        for b in points.brackets
    ]
    return {"kind": "progressive", "field": points.field, "brackets": brackets}


def validity_of(validity: Validity | None) -> dict[str, Any]:
    """How long a rule's entries stay valid, by kind."""
    if validity is None:
        return {"kind": "none"}
    if isinstance(validity, Duration):
        return {"kind": "duration", "duration": validity}
    if isinstance(validity, ByMagnitude):
        return {"kind": "by_magnitude", "rows": [(bound(b), d) for b, d in validity.bands]}
    assert isinstance(validity, ByField)
    return {"kind": "by_field", "field": validity.field, "rows": list(validity.values.items())}


def _rule(rule: Rule) -> dict[str, Any]:
    return {
        "rule": rule,
        "points": points_of(rule.points),
        "validity": validity_of(rule.validity),
        "negative": rule.negative,
        "origin": f"{rule.rulebook}@{rule.version}" if rule.rulebook else "",
    }


def changes(plan: Plan) -> list[tuple[Segment, Segment, RulebookDiff]]:
    """Each change of what is in force, oldest first: the segment before, the one after and
    the differences between them (`rules.diff`)."""

    def alone(segment: Segment) -> Plan:
        return Plan(plan.rulebook, plan.timezone, (segment,))

    return [
        (old, new, diff_plans(alone(old), alone(new)))
        for old, new in zip(plan.segments, plan.segments[1:], strict=False)
    ]


def methodology(plan: Plan) -> Methodology:
    """The methodology of a plan: its newest segment, readably, and its changes."""
    latest = plan.latest
    return Methodology(
        plan.rulebook,
        plan.timezone,
        latest,
        [_rule(r) for r in latest.rules],
        list(latest.lists),
        list(latest.consequences),
        changes(plan),
    )

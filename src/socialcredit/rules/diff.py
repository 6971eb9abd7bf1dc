"""What changed between two rulebooks, key by key, as a rulebook would write it.

Each side is the composition in force from its newest effective date (`Plan.latest`): its
own rules over those of the rulebooks it extends, default validities filled in. So a change
that comes from an extended rulebook shows too, and a rule whose validity was a default shows
the default it takes. Rules and lists are matched by id, consequences by purpose, effect and
trigger (as composition matches them). Values are plain data in the shape of the TOML
(`{ by = "amount_cny", bands = [[500, -10], ...] }` becomes a dict), and `toml_text` spells
one inline. Where a rule names its rulebook and version and where it sits in the file are
provenance, not rules: they are not compared.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from socialcredit.domain.durations import Duration
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

__all__ = ["Change", "ItemDiff", "RulebookDiff", "diff_plans", "toml_text"]

Status = Literal["added", "removed", "changed"]
KINDS = ("rule", "list", "consequence")


@dataclass(frozen=True)
class Change:
    """One key whose value differs: `None` on a side where the key is not written."""

    key: str
    old: object
    new: object

    def as_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {"key": self.key, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class ItemDiff:
    """A rule, list or consequence added, removed or changed: its table on each side (`None`
    where it is not there) and, for one changed, every key that differs."""

    kind: str
    id: str
    old: Mapping[str, object] | None
    new: Mapping[str, object] | None

    @property
    def status(self) -> Status:
        """Whether the item was added, removed or changed."""
        if self.old is None:
            return "added"
        return "removed" if self.new is None else "changed"

    @property
    def changes(self) -> tuple[Change, ...]:
        """The keys whose values differ, in the order OLD then NEW writes them."""
        return tuple(_changes(self.old or {}, self.new or {}))

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: both tables, and the changes of one changed."""
        found: dict[str, object] = {"id": self.id, "old": self.old, "new": self.new}
        if self.status == "changed":
            found["changes"] = [c.as_dict() for c in self.changes]
        return found


@dataclass(frozen=True)
class RulebookDiff:
    """Every difference between the compositions OLD and NEW put in force."""

    old: str  # the versions composed, leaf first: `cn-371003-wendeng@2020.1+cn-national@2017.1`
    new: str
    items: tuple[ItemDiff, ...]
    settings: tuple[Change, ...]

    @property
    def empty(self) -> bool:
        """True if the two say the same."""
        return not self.items and not self.settings

    def of(self, kind: str, status: Status) -> list[ItemDiff]:
        """The items of one kind ("rule", "list", "consequence") with one status."""
        return [i for i in self.items if i.kind == kind and i.status == status]

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: per kind, the items added, removed and changed; then the settings."""
        found: dict[str, object] = {"old": self.old, "new": self.new}
        for kind in KINDS:
            found[f"{kind}s"] = {
                status: [i.as_dict() for i in self.of(kind, status)]
                for status in ("added", "removed", "changed")
            }
        found["settings"] = [c.as_dict() for c in self.settings]
        return found


def diff_plans(old: Plan, new: Plan) -> RulebookDiff:
    """The differences between the latest compositions of two plans."""
    a, b = old.latest, new.latest
    items = [
        *_items("rule", {r.id: _rule(r) for r in a.rules}, {r.id: _rule(r) for r in b.rules}),
        *_items("list", {x.id: _list(x) for x in a.lists}, {x.id: _list(x) for x in b.lists}),
        *_items("consequence", _consequences(a), _consequences(b)),
    ]
    settings = _changes(_settings(old, a), _settings(new, b))
    return RulebookDiff(a.label, b.label, tuple(items), tuple(settings))


def toml_text(value: object) -> str:
    """A plain value spelt as inline TOML; `(none)` for a key not written."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_text(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = ", ".join(f"{_key(k)} = {toml_text(v)}" for k, v in value.items())
        return "{ " + pairs + " }" if pairs else "{}"
    return str(value)


def _key(name: object) -> str:
    text = str(name)
    bare = text.replace("_", "").replace("-", "").isalnum() and text.isascii()
    return text if bare else json.dumps(text, ensure_ascii=False)


# --- matching and comparing ----------------------------------------------------------------------


def _items(
    kind: str, old: Mapping[str, dict[str, object]], new: Mapping[str, dict[str, object]]
) -> list[ItemDiff]:
    return [
        ItemDiff(kind, name, old.get(name), new.get(name))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    ]


def _changes(old: Mapping[str, object], new: Mapping[str, object]) -> list[Change]:
    keys = [*old, *(k for k in new if k not in old)]
    return [Change(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k)]


def _consequences(segment: Segment) -> dict[str, dict[str, object]]:
    return {_consequence_id(c): _consequence(c) for c in segment.consequences}


def _settings(plan: Plan, segment: Segment) -> dict[str, object]:
    scale = segment.scale
    grades = segment.grades
    return {
        "scale.baseline": scale.baseline if scale else None,
        "scale.floor": scale.floor if scale else None,
        "scale.ceiling": scale.ceiling if scale else None,
        "grades": [[name, lower] for name, lower in grades.bands] if grades else None,
        "membership": segment.membership,
        "subjects": list(segment.subjects),
        "timezone": plan.timezone,
    }


# --- the TOML shape of each part -----------------------------------------------------------------


def _written(pairs: Mapping[str, object]) -> dict[str, object]:
    """Only the keys a rulebook writes: no `None`, no empty text."""
    return {k: v for k, v in pairs.items() if v is not None and v != ""}


def _rule(rule: Rule) -> dict[str, object]:
    grade = rule.points.grade if isinstance(rule.points, DirectGrade) else None
    return _written(
        {
            "title": rule.title,
            "domain": rule.domain,
            "on": rule.on,
            "points": None if grade else _points(rule.points),
            "grade": grade,
            "repeat": "double" if rule.repeat else None,
            "validity": _validity(rule.validity) if rule.validity is not None else None,
            "cap": {"per": rule.cap.period, "most": rule.cap.most} if rule.cap else None,
            "repair": _written(
                {
                    "on": rule.repair.on,
                    "points": rule.repair.points,
                    "validity": rule.repair.validity.text,
                    "match": rule.repair.match,
                }
            )
            if rule.repair
            else None,
        }
    )


def _points(points: Points) -> object:
    if isinstance(points, Fixed):
        return points.points
    if isinstance(points, PerUnit):
        return {"per": points.field, "each": points.each}
    if isinstance(points, Bands):
        return {"by": points.field, "bands": [[_bound(b), p] for b, p in points.bands]}
    if isinstance(points, Lookup):
        return {"by": points.field, "values": dict(points.values)}
    if isinstance(points, Cumulative):
        return {"cumulative": points.field, "tiers": [[_bound(b), p] for b, p in points.tiers]}
    if isinstance(points, Progressive):
        brackets = [
            {
                "above": _bound(b.above),
                "up_to": _bound(b.up_to),
                "step": _bound(b.step),
                "most": b.most,
                "each": b.each,
            }
            for b in points.brackets
        ]
        return {"by": points.field, "progressive": brackets}
    return {"grade": points.grade}


def _validity(validity: Validity) -> object:
    if isinstance(validity, Duration):
        return validity.text
    if isinstance(validity, ByMagnitude):
        return {"by_magnitude": [[_bound(b), d.text] for b, d in validity.bands]}
    assert isinstance(validity, ByField)
    return {"by": validity.field, "values": {k: d.text for k, d in validity.values.items()}}


def _bound(value: float) -> object:
    if math.isinf(value):
        return "inf"
    return int(value) if float(value).is_integer() else value


def _list(item: ListDef) -> dict[str, object]:
    extension = (
        {"on": item.extension_on, "most": item.extension_most.text if item.extension_most else None}
        if item.extension_on
        else None
    )
    return _written(
        {
            "title": item.title,
            "kind": item.kind,
            "domain": item.domain,
            "on": list(item.on),
            "notice": item.notice,
            "appeal_window": item.appeal_window.text,
            "period": item.period.text,
            "extension": _written(extension) if extension else None,
            "removal": list(item.removal_on) or None,
            "removal_within": item.removal_within.text if item.removal_within else None,
        }
    )


def _consequence_id(c: Consequence) -> str:
    if c.on_list is not None:
        trigger = f"list {c.on_list}"
    elif c.grade_at_least is not None:
        trigger = f"grade_at_least {c.grade_at_least}"
    else:
        trigger = f"grade_at_most {c.grade_at_most}"
    return f"{c.purpose} {c.effect} when {trigger}"


def _consequence(c: Consequence) -> dict[str, object]:
    when = _written(
        {"list": c.on_list, "grade_at_least": c.grade_at_least, "grade_at_most": c.grade_at_most}
    )
    return _written(
        {
            "title": c.title,
            "purpose": c.purpose,
            "effect": c.effect,
            "when": when,
            "domains": sorted(c.domains),
        }
    )

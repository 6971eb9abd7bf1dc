"""Resolve `extends` and rulebook versions into a Plan: which rules are in force when.

A Plan is a timeline of segments. Each segment starts on the local date a version of the
rulebook, or of one it extends, took effect, and holds the composed rules of the versions in
force from then on. An event is judged by the segment in force at its `occurred_at`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from socialcredit.domain.grades import GradeScale
from socialcredit.errors import Problem, RulebookError
from socialcredit.rules.model import (
    Consequence,
    DirectGrade,
    ListDef,
    Rule,
    Rulebook,
    Scale,
    Validity,
)

__all__ = [
    "CONSENT_GIVEN",
    "CONSENT_SCHEME",
    "CONSENT_WITHDRAWN",
    "VOID",
    "Plan",
    "Segment",
    "build_plan",
]

VOID = "void"
CONSENT_GIVEN = "consent.given"
CONSENT_WITHDRAWN = "consent.withdrawn"
# The data field of a consent event naming the scheme consented to (none: every opt-in
# scheme of the event's jurisdiction).
CONSENT_SCHEME = "rulebook"


@dataclass(frozen=True)
class Segment:
    """The composed rules in force from `start` (a local date) until the next segment."""

    start: date
    versions: tuple[Rulebook, ...]
    rules: tuple[Rule, ...]
    lists: tuple[ListDef, ...]
    consequences: tuple[Consequence, ...]
    scale: Scale | None
    grades: GradeScale | None
    membership: str
    subjects: tuple[str, ...]

    @property
    def label(self) -> str:
        """The versions in force, leaf first: `cn-371003-wendeng@2020.1+cn-national@2017.1`."""
        return "+".join(v.key for v in self.versions)

    def rule_for(self, event_type: str) -> Rule | None:
        """The rule that scores this event type in this segment, if any."""
        return next((r for r in self.rules if r.on == event_type), None)


@dataclass(frozen=True)
class Plan:
    """Every segment of one rulebook's history, oldest first, in one local timezone."""

    rulebook: str
    timezone: str
    segments: tuple[Segment, ...]

    def segment_at(self, day: date) -> Segment | None:
        """The segment in force on a local date; None before the first version took effect."""
        found = None
        for segment in self.segments:
            if segment.start <= day:
                found = segment
        return found

    @property
    def latest(self) -> Segment:
        """The segment in force from the newest effective date."""
        return self.segments[-1]

    def known_types(self) -> frozenset[str]:
        """Every event type any segment names: scored, repairs, list triggers, consent, void."""
        names = {VOID, CONSENT_GIVEN, CONSENT_WITHDRAWN}
        for segment in self.segments:
            for rule in segment.rules:
                names.add(rule.on)
                if rule.repair:
                    names.add(rule.repair.on)
            for listing in segment.lists:
                names.update(listing.on)
                names.update(listing.removal_on)
                if listing.extension_on:
                    names.add(listing.extension_on)
        return frozenset(names)

    def fields_by_type(self) -> dict[str, set[str]]:
        """The data fields each event type needs, over every segment."""
        needs: dict[str, set[str]] = {}
        for segment in self.segments:
            for rule in segment.rules:
                needs.setdefault(rule.on, set()).update(
                    f for f in rule.fields if rule.repair is None or f != rule.repair.match
                )
        return needs


def _in_force(versions: Sequence[Rulebook], day: date) -> Rulebook | None:
    found = None
    for version in sorted(versions, key=lambda v: v.effective):
        if version.effective <= day:
            found = version
    return found


def _chain(
    books: Mapping[str, Sequence[Rulebook]], rulebook_id: str, day: date, seen: tuple[str, ...]
) -> list[Rulebook]:
    if rulebook_id in seen:
        cycle = " -> ".join((*seen, rulebook_id))
        raise RulebookError([Problem(rulebook_id, None, "extends", f"cycle: {cycle}")])
    if rulebook_id not in books:
        raise RulebookError(
            [
                Problem(
                    seen[-1] if seen else rulebook_id,
                    None,
                    "extends",
                    f"no rulebook {rulebook_id!r} is known",
                )
            ]
        )
    version = _in_force(books[rulebook_id], day)
    if version is None:
        return []
    parent = _chain(books, version.extends, day, (*seen, rulebook_id)) if version.extends else []
    return [version, *parent]


def _default_validity(rule: Rule, chain: Sequence[Rulebook]) -> Validity | None:
    if rule.validity is not None:
        return rule.validity
    if isinstance(rule.points, DirectGrade):
        key = f"grade:{rule.points.grade}"
    else:
        key = "deductions" if rule.negative else "bonuses"
    return next((v.default_validity[key] for v in chain if key in v.default_validity), None)


def _compose(day: date, chain: list[Rulebook]) -> Segment:
    rules: dict[str, Rule] = {}
    lists: dict[str, ListDef] = {}
    consequences: dict[tuple[str, str, str | None, str | None, str | None], Consequence] = {}
    for version in reversed(chain):  # national first, local overrides
        for rule in version.rules:
            rules[rule.id] = replace(rule, validity=_default_validity(rule, chain))
        lists.update({item.id: item for item in version.lists})
        for c in version.consequences:
            consequences[(c.purpose, c.effect, c.on_list, c.grade_at_least, c.grade_at_most)] = c
    return Segment(
        start=day,
        versions=tuple(chain),
        rules=tuple(rules.values()),
        lists=tuple(lists.values()),
        consequences=tuple(consequences.values()),
        scale=next((v.scale for v in chain if v.scale), None),
        grades=next((v.grades for v in chain if v.grades), None),
        membership=next((v.membership for v in chain if v.membership), "mandatory"),
        subjects=next((v.subjects for v in chain if v.subjects), ("person",)),
    )


def _ancestors(books: Mapping[str, Sequence[Rulebook]], rulebook_id: str) -> set[str]:
    found, todo = set(), [rulebook_id]
    while todo:
        current = todo.pop()
        if current in found or current not in books:
            continue
        found.add(current)
        todo.extend(v.extends for v in books[current] if v.extends)
    return found


def _one_version_per_date(books: Mapping[str, Sequence[Rulebook]], rulebook_id: str) -> None:
    problems = []
    for rid in sorted(_ancestors(books, rulebook_id)):
        seen: dict[date, Rulebook] = {}
        for version in books[rid]:
            other = seen.setdefault(version.effective, version)
            if other is not version:
                problems.append(
                    Problem(
                        version.origin,
                        None,
                        "effective",
                        f"versions "
                        f"{other.version} and {version.version} of {rid} both "
                        f"take effect on {version.effective}",
                    )
                )
    if problems:
        raise RulebookError(problems)


def build_plan(books: Mapping[str, Sequence[Rulebook]], rulebook_id: str) -> Plan:
    """Compose every version of `rulebook_id` with what it extends into a Plan."""
    if not books.get(rulebook_id):
        raise RulebookError([Problem(rulebook_id, None, "", "no such rulebook")])
    _one_version_per_date(books, rulebook_id)
    first = min(v.effective for v in books[rulebook_id])
    starts = sorted(
        {
            v.effective
            for rid in _ancestors(books, rulebook_id)
            for v in books[rid]
            if v.effective > first
        }
        | {first}
    )
    segments: list[Segment] = []
    for day in starts:
        segment = _compose(day, _chain(books, rulebook_id, day, ()))
        if not segments or segment.versions != segments[-1].versions:
            segments.append(segment)
    zone = next((v.timezone for v in segments[-1].versions if v.timezone), None) or "UTC"
    return Plan(rulebook=rulebook_id, timezone=zone, segments=tuple(segments))

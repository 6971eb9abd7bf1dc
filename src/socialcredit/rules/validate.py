"""The safeguards of DESIGN section 2, checked on every composed rulebook.

A rulebook that breaks one cannot be loaded, published or evaluated: scoring speech or
relatives, a negative record that never expires or outlives the national maximum, a
consequence that reaches into an unrelated domain, an appeal window below the floor.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import cache
from zoneinfo import available_timezones

from socialcredit.domain.durations import Duration, parse_duration
from socialcredit.domain.taxonomy import DOMAINS, PURPOSES, forbidden_terms_in, related_domains
from socialcredit.errors import Problem, RulebookError
from socialcredit.rules.model import (
    ByField,
    ByMagnitude,
    Consequence,
    DirectGrade,
    ListDef,
    Rule,
    Rulebook,
    Validity,
)
from socialcredit.rules.plan import Plan, Segment

__all__ = ["APPEAL_FLOOR", "NEGATIVE_MAXIMUM", "check_plan", "problems_in"]

NEGATIVE_MAXIMUM = parse_duration("5y")
APPEAL_FLOOR = parse_duration("10d")


def _durations(validity: Validity) -> list[Duration]:
    if isinstance(validity, ByMagnitude):
        return [d for _, d in validity.bands]
    if isinstance(validity, ByField):
        return list(validity.values.values())
    return [validity]


def _longer_than(duration: Duration, limit: Duration) -> bool:
    if duration.days == 0 and limit.days == 0 and not duration.working_days:
        return duration.months > limit.months
    return duration.longest_days() > limit.shortest_days()


class _Checker:
    def __init__(self, segment: Segment) -> None:
        self.segment = segment
        self.origin = {v.id: v.origin for v in segment.versions}
        self.found: list[Problem] = []

    def add(self, book: str, line: int | None, where: str, message: str) -> None:
        self.found.append(Problem(self.origin.get(book, book), line, where, message))

    def leaf(self) -> Rulebook:
        return self.segment.versions[0]


def _check_forbidden(c: _Checker, book: str, line: int | None, where: str, *texts: str) -> None:
    for word, subject in forbidden_terms_in(*texts).items():
        c.add(
            book,
            line,
            where,
            f"scores {subject} ({word!r}); no rulebook may score "
            "speech, petitioning, assembly, religion, ethnicity, health status, relatives or "
            "political opinion",
        )


def _check_rule(c: _Checker, rule: Rule) -> None:
    where = f"rule {rule.id!r}"
    if rule.domain not in DOMAINS:
        c.add(
            rule.rulebook,
            rule.line,
            where,
            f"domain {rule.domain!r} is not in the closed taxonomy ({', '.join(sorted(DOMAINS))})",
        )
    _check_forbidden(c, rule.rulebook, rule.line, where, rule.id, rule.on, rule.title, rule.domain)
    grades = c.segment.grades
    if isinstance(rule.points, DirectGrade) and (
        grades is None or rule.points.grade not in grades.names
    ):
        c.add(
            rule.rulebook,
            rule.line,
            where,
            f"grade {rule.points.grade!r} is not a grade of the scale",
        )
    if rule.repeat and (not rule.negative or isinstance(rule.points, DirectGrade)):
        c.add(rule.rulebook, rule.line, where, 'repeat = "double" applies to deductions only')
    if rule.negative:
        _check_expiry(c, rule, where)
    if rule.repair and not isinstance(rule.points, DirectGrade):
        c.add(
            rule.rulebook,
            rule.line,
            where,
            "a repair ends a direct grade: only a rule with `grade` can have one",
        )
    if rule.repair and rule.repair.points > 0:
        c.add(
            rule.rulebook,
            rule.line,
            where,
            "a repair converts a grade into a deduction: its points must not be positive",
        )


def _check_expiry(c: _Checker, rule: Rule, where: str) -> None:
    if rule.validity is None:
        c.add(
            rule.rulebook,
            rule.line,
            where,
            "a negative rule needs a validity (everything "
            "negative expires); set validity here or a default in [validity]",
        )
        return
    durations = _durations(rule.validity)
    if rule.repair:
        durations.append(rule.repair.validity)
    for duration in durations:
        if _longer_than(duration, NEGATIVE_MAXIMUM):
            c.add(
                rule.rulebook,
                rule.line,
                where,
                f"validity {duration} is longer than the "
                f"national maximum of {NEGATIVE_MAXIMUM} for negative records",
            )


def _check_list(c: _Checker, item: ListDef) -> None:
    book, where = c.leaf().id, f"list {item.id!r}"
    if item.domain not in DOMAINS:
        c.add(book, item.line, where, f"domain {item.domain!r} is not in the closed taxonomy")
    _check_forbidden(
        c,
        book,
        item.line,
        where,
        item.id,
        item.title,
        *item.on,
        *item.removal_on,
        item.extension_on or "",
    )
    if item.appeal_window.shortest_days() < APPEAL_FLOOR.days:
        c.add(
            book,
            item.line,
            where,
            f"appeal_window {item.appeal_window} is below the national floor of {APPEAL_FLOOR}",
        )
    extra = item.extension_most or Duration()
    longest = Duration(months=item.period.months + extra.months, days=item.period.days + extra.days)
    if _longer_than(longest, NEGATIVE_MAXIMUM) and item.kind == "black":
        c.add(
            book,
            item.line,
            where,
            f"period plus extension is longer than the national maximum of {NEGATIVE_MAXIMUM}",
        )
    if item.kind == "black" and not item.notice:
        c.add(book, item.line, where, "a blacklist requires written notice before it takes effect")
    if c.segment.membership == "opt-in" and item.kind == "black":
        c.add(book, item.line, where, "an opt-in scheme offers incentives only: no blacklists")


def _check_consequence(c: _Checker, item: Consequence) -> None:
    book, where = c.leaf().id, f"consequence {item.purpose!r}"
    if item.purpose not in PURPOSES:
        c.add(
            book,
            item.line,
            where,
            f"purpose {item.purpose!r} is not a registered purpose ({', '.join(sorted(PURPOSES))})",
        )
        return
    _check_forbidden(c, book, item.line, where, item.title)
    related = related_domains(item.purpose)
    for domain in sorted(item.domains - related):
        c.add(
            book,
            item.line,
            where,
            f"considers {domain} records, which are unrelated to "
            f"{item.purpose} (related domains: {', '.join(sorted(related))})",
        )
    for domain in sorted(item.domains - DOMAINS):
        c.add(book, item.line, where, f"domain {domain!r} is not in the closed taxonomy")
    _check_trigger(c, item, book, where)
    if c.segment.membership == "opt-in" and item.effect == "deny":
        c.add(book, item.line, where, "an opt-in scheme offers incentives only: no denials")


def _check_trigger(c: _Checker, item: Consequence, book: str, where: str) -> None:
    if item.on_list is not None:
        listing = next((x for x in c.segment.lists if x.id == item.on_list), None)
        if listing is None:
            c.add(book, item.line, where, f"no list {item.on_list!r}")
            return
        fed_by = {listing.domain} | {r.domain for r in c.segment.rules if r.on in listing.on}
        for domain in sorted(fed_by - item.domains):
            c.add(
                book,
                item.line,
                where,
                f"list {listing.id!r} is fed by {domain} records, "
                f"which this consequence does not consider",
            )
        return
    grade = item.grade_at_least or item.grade_at_most
    grades = c.segment.grades
    if grades is None or grade not in grades.names:
        c.add(book, item.line, where, f"grade {grade!r} is not a grade of the scale")


def _check_header(c: _Checker) -> None:
    leaf = c.leaf()
    _check_forbidden(c, leaf.id, None, "rulebook", leaf.id, leaf.title)
    names = c.segment.grades.names if c.segment.grades else ()
    for version in c.segment.versions:
        for key in version.default_validity:
            grade = key.removeprefix("grade:")
            if key.startswith("grade:") and grade not in names:
                c.add(version.id, None, "validity", f"grade {grade!r} is not a grade of the scale")


def _check_segment(c: _Checker) -> None:
    segment = c.segment
    _check_header(c)
    if segment.rules and (segment.scale is None or segment.grades is None):
        c.add(
            c.leaf().id,
            None,
            "rulebook",
            "rules need a scale and grades, here or in the rulebook this one extends",
        )
    for rule_id, n in Counter(r.id for r in c.leaf().rules).items():
        if n > 1:
            c.add(c.leaf().id, None, f"rule {rule_id!r}", f"defined {n} times")
    triggers = Counter(r.on for r in segment.rules)
    triggers.update(r.repair.on for r in segment.rules if r.repair)
    for event_type, n in triggers.items():
        if n > 1:
            c.add(
                c.leaf().id,
                None,
                f"event {event_type!r}",
                f"{n} rules are triggered by it; an event type triggers one rule",
            )
    for rule in segment.rules:
        _check_rule(c, rule)
    for item in segment.lists:
        _check_list(c, item)
    for consequence in segment.consequences:
        _check_consequence(c, consequence)
    if segment.membership == "opt-in":
        for rule in segment.rules:
            if rule.negative:
                c.add(
                    rule.rulebook,
                    rule.line,
                    f"rule {rule.id!r}",
                    "an opt-in scheme offers incentives only: no negative rules",
                )


def problems_in(plan: Plan) -> list[Problem]:
    """Every safeguard broken anywhere in the plan, each located, without duplicates."""
    found: dict[str, Problem] = {}
    for segment in plan.segments:
        checker = _Checker(segment)
        _check_segment(checker)
        for problem in checker.found:
            found.setdefault(str(problem), problem)
    found.update({str(p): p for p in _timezones(plan)})
    return list(found.values())


@cache
def _known_zones() -> frozenset[str]:
    # Listing the zone database walks a directory tree: once per process is enough.
    return frozenset(available_timezones())


def _timezones(plan: Plan) -> Iterator[Problem]:
    zones = {v.timezone for s in plan.segments for v in s.versions if v.timezone}
    if len(zones) > 1:
        yield Problem(
            plan.rulebook,
            None,
            "timezone",
            "a rulebook and every one it extends "
            f"keep one timezone, found {', '.join(sorted(zones))}",
        )
    for zone in sorted(zones - _known_zones() - {"UTC"}):
        yield Problem(
            plan.rulebook,
            None,
            "timezone",
            f'{zone!r} is not an IANA time zone name such as "Asia/Shanghai"',
        )


def check_plan(plan: Plan) -> Plan:
    """The plan itself if it keeps every safeguard; raises RulebookError otherwise."""
    problems = problems_in(plan)
    if problems:
        raise RulebookError(problems)
    return plan

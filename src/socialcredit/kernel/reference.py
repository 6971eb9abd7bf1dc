"""The reference evaluator: the scoring semantics, one subject and one event at a time.

This is the specification the vectorised kernel is held to (property tests compare the two
on random event streams). It is written to be read, not to be fast. The steps, for each
subject, with times as wall-clock times in the rulebook's timezone and events in the order
(occurred_at, source, id):

1. Voids remove their target (same source) wherever it is; voids themselves score nothing.
2. Each event is judged by the rule for its type in the segment in force on its date.
3. Base points by the rule's kind; cumulative tiers use the running sum of the field over
   the subject's earlier events of the same rule. A negative rule gives a subject under 18
   at the event nothing (status "minor").
4. One act, one entry: among events sharing an `act`, an entry counts only if it outranks
   every earlier one of that act (direct grade over points, worse grade first, then larger
   magnitude, then deduction over bonus); it ends the one it outranks ("superseded").
5. In order, a deduction of a `repeat = "double"` rule is doubled when an earlier counted
   entry of the same rule still counts at its time; then a cap per calendar period cuts the
   running sum of the rule's points in that period; then the validity window is set
   (by the applied magnitude, by a field, or fixed).
6. A repair event ends every counted direct grade of its rule that still counts at its time
   (and matches on the repair's field, when both carry it) and adds its own entry.
7. The score as of t: baseline plus the points of entries counting at t, capped at the top
   of the band of the worst direct grade counting at t, floored; the grade from the score,
   no better than that direct grade. An opt-in scheme scores only subjects whose latest
   consent event at t gives consent.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from socialcredit.domain.durations import Duration, add_months
from socialcredit.domain.events import Entry, Event, Standing
from socialcredit.domain.identifiers import ADULT_AGE
from socialcredit.rules.model import (
    Bands,
    ByField,
    ByMagnitude,
    Cumulative,
    DirectGrade,
    Fixed,
    Lookup,
    PerUnit,
    Progressive,
    Rule,
    Validity,
)
from socialcredit.rules.plan import CONSENT_GIVEN, CONSENT_WITHDRAWN, VOID, Plan, Segment

__all__ = ["derive", "local", "standings"]


def local(moment: datetime, timezone: str) -> datetime:
    """An aware moment as naive wall-clock time in `timezone`."""
    return moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def _number(event: Event, name: str) -> float:
    value = event.data[name]
    assert isinstance(value, int | float)
    return float(value)


def _tier_total(tiers: tuple[tuple[float, int], ...], amount: float) -> int:
    reached = [points for threshold, points in tiers if amount >= threshold]
    return reached[-1] if reached else 0


def _base_points(rule: Rule, event: Event, running: float) -> int:
    p = rule.points
    if isinstance(p, Fixed):
        return p.points
    if isinstance(p, PerUnit):
        return p.each * math.floor(_number(event, p.field))
    if isinstance(p, Bands):
        value = _number(event, p.field)
        return next(points for bound, points in p.bands if value <= bound)
    if isinstance(p, Lookup):
        return p.values[str(event.data[p.field])]
    if isinstance(p, Progressive):
        a = _number(event, p.field)
        return sum(
            b.each * min(b.most, math.floor(min(max(a - b.above, 0.0), b.up_to - b.above) / b.step))
            for b in p.brackets
        )
    if isinstance(p, Cumulative):
        return _tier_total(p.tiers, running + _number(event, p.field)) - _tier_total(
            p.tiers, running
        )
    return 0  # DirectGrade: the grade, not points


def _duration(validity: Validity | None, applied: int, event: Event) -> Duration | None:
    if validity is None or isinstance(validity, Duration):
        return validity
    if isinstance(validity, ByMagnitude):
        return next(d for bound, d in validity.bands if abs(applied) <= bound)
    assert isinstance(validity, ByField)
    return validity.values[str(event.data[validity.field])]


def _is_minor(birth: date | None, day: date) -> bool:
    return birth is not None and day < add_months(birth, 12 * ADULT_AGE)


@dataclass
class _Draft:
    event: Event
    at: datetime
    segment: Segment
    rule: Rule
    entry: Entry


def _rank(d: _Draft) -> tuple[int, int, int, int]:
    grades = d.segment.grades
    if isinstance(d.rule.points, DirectGrade) and grades is not None:
        return (1, grades.rank(d.rule.points.grade), 0, 0)
    return (0, 0, abs(d.entry.base_points), int(d.entry.base_points < 0))


def _draft(
    event: Event, at: datetime, segment: Segment, rule: Rule, base: int, minor: bool
) -> _Draft:
    grade = rule.points.grade if isinstance(rule.points, DirectGrade) else None
    entry = Entry(
        subject=event.subject,
        event_id=event.id,
        source=event.source,
        type=event.type,
        rule=rule.id,
        rulebook=f"{rule.rulebook}@{rule.version}",
        kind="grade" if isinstance(rule.points, DirectGrade) else "points",
        status="minor" if minor else "counted",
        base_points=base,
        applied_points=0 if minor else base,
        grade=grade,
        doubled=False,
        capped=False,
        valid_from=at,
        valid_until=at,
    )
    return _Draft(event, at, segment, rule, entry)


def _drafts(events: list[tuple[datetime, Event]], plan: Plan, birth: date | None) -> list[_Draft]:
    drafts: list[_Draft] = []
    running: dict[str, float] = defaultdict(float)
    for at, event in events:
        segment = plan.segment_at(at.date())
        rule = segment.rule_for(event.type) if segment else None
        if segment is None or rule is None:
            continue
        base = _base_points(rule, event, running[rule.id])
        if isinstance(rule.points, Cumulative):
            running[rule.id] += _number(event, rule.points.field)
        minor = rule.negative and _is_minor(birth, at.date())
        drafts.append(_draft(event, at, segment, rule, base, minor))
    return drafts


def _resolve_acts(drafts: list[_Draft]) -> None:
    best: dict[str, _Draft] = {}
    for d in drafts:
        act = d.event.act
        if act is None or d.entry.status != "counted":
            continue
        holder = best.get(act)
        if holder is None or _rank(d) > _rank(holder):
            if holder is not None:
                holder.entry = replace(holder.entry, ended_at=d.at, ended_by=d.event.id)
            best[act] = d
        else:
            d.entry = replace(
                d.entry,
                status="superseded",
                applied_points=0,
                ended_at=d.at,
                ended_by=holder.event.id,
            )


def _period(at: datetime, period: str) -> tuple[int, int]:
    return (at.year, at.month if period == "month" else 0)


def _combine(drafts: list[_Draft]) -> None:
    done: dict[str, list[Entry]] = defaultdict(list)
    spent: dict[tuple[str, tuple[int, int]], int] = defaultdict(int)
    for d in drafts:
        entry, rule = d.entry, d.rule
        if entry.status == "counted":
            applied = entry.base_points
            if rule.repeat and any(e.counts_at(d.at) for e in done[rule.id]):
                applied, entry = 2 * applied, replace(entry, doubled=True)
            if rule.cap is not None:
                key = (rule.id, _period(d.at, rule.cap.period))
                room = max(rule.cap.most - spent[key], 0)
                spent[key] += abs(applied)
                if abs(applied) > room:
                    applied, entry = int(math.copysign(room, applied)), replace(entry, capped=True)
            entry = replace(entry, applied_points=applied)
        duration = _duration(rule.validity, entry.applied_points, d.event)
        until = duration.after(d.at) if duration is not None else None
        d.entry = replace(entry, valid_until=until)
        if d.entry.status == "counted":
            done[rule.id].append(d.entry)


def _matches(rule: Rule, grade: Event, repair: Event) -> bool:
    field = rule.repair.match if rule.repair else None
    if field is None:
        return True
    a, b = grade.data.get(field), repair.data.get(field)
    return a is None or b is None or a == b


def _repairs(drafts: list[_Draft], events: list[tuple[datetime, Event]], plan: Plan) -> list[Entry]:
    added = []
    for at, event in events:
        segment = plan.segment_at(at.date())
        if segment is None:
            continue
        for rule in (r for r in segment.rules if r.repair and r.repair.on == event.type):
            assert rule.repair is not None
            ended = [
                d
                for d in drafts
                if d.rule.id == rule.id
                and d.entry.kind == "grade"
                and d.entry.counts_at(at)
                and _matches(rule, d.event, event)
            ]
            for d in ended:
                d.entry = replace(d.entry, ended_at=at, ended_by=event.id)
            if ended:
                added.append(
                    Entry(
                        subject=event.subject,
                        event_id=event.id,
                        source=event.source,
                        type=event.type,
                        rule=rule.id,
                        rulebook=f"{rule.rulebook}@{rule.version}",
                        kind="repair",
                        status="counted",
                        base_points=rule.repair.points,
                        applied_points=rule.repair.points,
                        grade=None,
                        doubled=False,
                        capped=False,
                        valid_from=at,
                        valid_until=rule.repair.validity.after(at),
                    )
                )
    return added


def _order(events: Iterable[Event], timezone: str) -> list[tuple[datetime, Event]]:
    timed = [(local(e.occurred_at, timezone), e) for e in events]
    return sorted(timed, key=lambda pair: (pair[0], pair[1].source, pair[1].id))


def _voided(events: Iterable[Event]) -> set[tuple[str, str]]:
    return {(e.source, str(e.data.get("target"))) for e in events if e.type == VOID}


def derive(
    events: Iterable[Event], plan: Plan, birth_dates: Mapping[str, date] | None = None
) -> list[Entry]:
    """Every entry the plan derives from the events, subject by subject, in event order."""
    events = list(events)
    voided = _voided(events)
    by_subject: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        if e.type != VOID and (e.source, e.id) not in voided:
            by_subject[e.subject].append(e)
    entries: list[Entry] = []
    for subject in sorted(by_subject):
        ordered = _order(by_subject[subject], plan.timezone)
        drafts = _drafts(ordered, plan, (birth_dates or {}).get(subject))
        _resolve_acts(drafts)
        _combine(drafts)
        repairs = _repairs(drafts, ordered, plan)
        entries.extend(d.entry for d in drafts)
        entries.extend(repairs)
    return entries


def _consented(events: list[tuple[datetime, Event]], at: datetime) -> bool:
    latest = None
    for when, e in events:
        if when <= at and e.type in (CONSENT_GIVEN, CONSENT_WITHDRAWN):
            latest = e.type
    return latest == CONSENT_GIVEN


def standings(
    events: Iterable[Event], entries: Iterable[Entry], plan: Plan, as_of: datetime
) -> list[Standing]:
    """Each subject's standing as of an aware moment: every subject that has any event."""
    at = local(as_of, plan.timezone)
    segment = plan.segment_at(at.date())
    if segment is None or segment.scale is None or segment.grades is None:
        raise ValueError(f"no version of {plan.rulebook} with a scale is in force at {as_of}")
    events = list(events)
    by_subject: dict[str, list[Entry]] = {e.subject: [] for e in events}
    for entry in entries:
        by_subject[entry.subject].append(entry)
    result = []
    for subject in sorted(by_subject):
        own = _order((e for e in events if e.subject == subject), plan.timezone)
        if segment.membership == "opt-in" and not _consented(own, at):
            result.append(Standing(subject, None, None, None, 0, False))
            continue
        result.append(_standing(subject, by_subject[subject], segment, at))
    return result


def _standing(subject: str, entries: list[Entry], segment: Segment, at: datetime) -> Standing:
    assert segment.scale is not None
    assert segment.grades is not None
    grades, scale = segment.grades, segment.scale
    valid = [e for e in entries if e.counts_at(at)]
    points = sum(e.applied_points for e in valid)
    direct = [e.grade for e in valid if e.grade is not None and e.grade in grades.names]
    worst = max(direct, key=grades.rank) if direct else None
    score = scale.baseline + points
    cap = grades.cap_of(worst) if worst else None
    if cap is not None:
        score = min(score, cap)
    if scale.ceiling is not None:
        score = min(score, scale.ceiling)
    if scale.floor is not None:
        score = max(score, scale.floor)
    grade = grades.no_better_than(grades.grade_of(score), worst)
    return Standing(subject, score, grade, worst, points, True)

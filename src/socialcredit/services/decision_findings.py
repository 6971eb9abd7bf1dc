"""What `decide` would find for many subjects at once: every consequence's finding (holds,
the reason in plain words, what it rests on) for every subject and purpose as of one
moment, and until when each subject's findings hold.

The findings follow `decide.evaluate` step for step, in columns: the events settled by the
disputes shown and marked by the approved repairs, each scheme derived once for every
subject, a grade consequence's standing from the entries of its related domains, a list
consequence from the listings in effect. The per-request remainder (the reasons built from
the findings, disputed records marked) is `HeldAnswers.answer`, and a differential test
holds the two paths equal.

A subject's findings hold from the moment they were computed until the earliest moment
after it at which anything they rest on could change: an event or case action dated later,
an entry starting, expiring or ending, a listing's appeal window closing or period ending,
a dispute's deadline, a rulebook version taking effect. Candidates are taken generously
(a deadline's whole last day, every dated fact), since a bound that comes too early only
sends the subject back to `decide`'s path once more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import repeat
from zoneinfo import ZoneInfo

import polars as pl

from socialcredit.ingest.events import parse_times
from socialcredit.kernel.standing import standings
from socialcredit.rules.model import Consequence
from socialcredit.services.decide import (
    Outcome,
    Reason,
    flag_disputed,
    listing_basis,
    listing_text,
)
from socialcredit.services.derive import Derived, derive, repaired, repairs_from
from socialcredit.services.disputes import SubjectDispute, disputes_from, settled
from socialcredit.services.eligibility import related_entries
from socialcredit.services.listings import SubjectListing, listings_for, wall_clock
from socialcredit.services.schemes import Scheme
from socialcredit.storage import Store

__all__ = ["Findings", "HeldAnswers", "Layout", "find"]

Disputed = Mapping[tuple[str, str], tuple[str, str]]
# One consequence's finding for one subject: holds, the text, the basis rows as JSON.
Finding = tuple[bool, str, tuple[str, ...]]
# A deadline's last day is taken from its start, and a wall-clock moment turned into an
# instant this much early, so that no daylight-saving fold or gap makes a bound late.
_MARGIN = timedelta(hours=3)
_MOMENT = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Slot:
    """One consequence of one scheme in force at the moment: a reason in every answer for
    its purpose."""

    scheme: str
    consequence: Consequence

    @property
    def label(self) -> str:
        """The consequence as a reason names it."""
        return self.consequence.title or self.consequence.purpose


@dataclass(frozen=True)
class Layout:
    """The consequences in force at a moment, in `evaluate`'s order, and for each purpose
    the slots that answer it and the rulebook versions consulted."""

    slots: tuple[Slot, ...]
    purposes: dict[str, tuple[tuple[int, ...], tuple[str, ...]]]
    until: datetime | None  # the next rulebook version to take effect


def layout_at(schemes: Sequence[Scheme], as_of: datetime) -> Layout:
    """The layout of these schemes as of `as_of`."""
    slots: list[Slot] = []
    by_purpose: dict[str, tuple[list[int], list[str]]] = {}
    starts: list[datetime] = []
    for scheme in schemes:
        zone = scheme.plan.timezone
        starts += [
            datetime.combine(g.start, time(), tzinfo=ZoneInfo(zone)) - _MARGIN
            for g in scheme.plan.segments
        ]
        segment = scheme.plan.segment_at(wall_clock(as_of, zone).date())
        for c in segment.consequences if segment is not None else ():
            indexes, rulebooks = by_purpose.setdefault(c.purpose, ([], []))
            indexes.append(len(slots))
            rulebooks += [v for v in scheme.versions if v not in rulebooks]
            slots.append(Slot(scheme.id, c))
    later = [s for s in starts if s > as_of]
    purposes = {p: (tuple(i), tuple(r)) for p, (i, r) in by_purpose.items()}
    return Layout(tuple(slots), purposes, min(later) if later else None)


@dataclass(frozen=True)
class Findings:
    """Subjects' findings as of one moment: per subject, one finding per slot of the
    layout, the disputes to mark, and until when they hold (None: no bound)."""

    as_of: datetime
    layout: Layout
    subjects: list[str]
    findings: list[tuple[Finding, ...]]
    disputed: list[Disputed | None]
    until: list[datetime | None]

    def held(self) -> dict[str, HeldAnswers]:
        """Each subject's answers, ready to be looked up."""
        answers = map(
            HeldAnswers,
            repeat(self.layout),
            self.findings,
            self.disputed,
            repeat(self.as_of),
            self.until,
        )
        return dict(zip(self.subjects, answers, strict=True))


@dataclass(frozen=True)
class HeldAnswers:
    """One subject's findings, the disputes to mark, and the moments they hold between."""

    layout: Layout
    findings: tuple[Finding, ...]
    disputed: Disputed | None
    since: datetime
    until: datetime | None

    def holds_at(self, moment: datetime) -> bool:
        """Whether the findings are the ones `decide` would make at `moment`."""
        return self.since <= moment and (self.until is None or moment < self.until)

    def answer(self, purpose: str) -> tuple[Outcome, list[Reason], list[str]]:
        """The outcome, the reasons and the rulebook versions for one purpose, as
        `evaluate` gives them."""
        indexes, rulebooks = self.layout.purposes.get(purpose, ((), ()))
        reasons = []
        for i in indexes:
            slot, (holds, text, basis) = self.layout.slots[i], self.findings[i]
            c = slot.consequence
            rows = [json.loads(b) for b in basis]
            reason = Reason(slot.scheme, slot.label, c.effect, holds, text, rows)
            reasons.append(flag_disputed(reason, self.disputed) if self.disputed else reason)
        denied = any(r.holds == (r.effect == "deny") for r in reasons)
        return ("deny" if denied else "allow"), reasons, list(rulebooks)


def find(
    store: Store,
    schemes: Sequence[Scheme],
    events: pl.DataFrame,
    actions: pl.DataFrame,
    as_of: datetime,
) -> Findings:
    """The findings of every subject with an event or a case action here, as of `as_of`:
    `events` are their stored events (`events_for` rows), `actions` their case actions."""
    layout = layout_at(schemes, as_of)
    zones = {s.id: s.plan.timezone for s in schemes}
    disputes = disputes_from(actions, zones, as_of)
    shown = [d for d in disputes if d.shown]
    stored = repaired(settled(events, shown), repairs_from(actions))
    subjects = (
        pl.concat([events.select("subject"), actions.select("subject")])
        .unique()
        .sort("subject")
        .get_column("subject")
    )
    frame = subjects.to_frame()
    live, listing_moments = _listings(store, schemes, stored, actions, as_of)
    derived: dict[str, Derived] = {}
    columns: list[list[Finding]] = []
    by_id = {s.id: s for s in schemes}
    for slot in layout.slots:
        scheme, c = by_id[slot.scheme], slot.consequence
        if c.on_list is not None:
            found = _list_findings(scheme.id, c, live)
            default = f"not on the list {c.on_list}"
        else:
            if scheme.id not in derived:
                derived[scheme.id] = derive(stored, scheme, as_of)
            found = _grade_findings(scheme, c, subjects, as_of, derived[scheme.id])
            default = "not scored under this scheme"
        aligned = frame.join(found, on="subject", how="left", maintain_order="left").select(
            pl.col("holds").fill_null(False),
            pl.col("text").fill_null(default),
            pl.col("basis").fill_null([]),
        )
        basis = [tuple(b) for b in aligned.get_column("basis").to_list()]
        columns.append(
            list(zip(aligned["holds"].to_list(), aligned["text"].to_list(), basis, strict=True))
        )
    until = _until(
        frame, events, actions, schemes, derived.values(), listing_moments, disputes, as_of
    )
    if layout.until is not None:
        until = [layout.until if u is None else min(u, layout.until) for u in until]
    names = subjects.to_list()
    marks = _disputed(shown)
    return Findings(
        as_of,
        layout,
        names,
        list(zip(*columns, strict=True)) if columns else [()] * len(names),
        [marks.get(s) for s in names],
        until,
    )


_FINDING = {"subject": pl.String, "holds": pl.Boolean, "text": pl.String}
_BASIS = pl.List(pl.String)


def _grade_findings(
    scheme: Scheme, c: Consequence, subjects: pl.Series, as_of: datetime, derived: Derived
) -> pl.DataFrame:
    """`_grade_reason` for every subject: the grade of the related entries, whether the
    condition holds, and the entries counting at `as_of` it rests on."""
    related = related_entries(scheme, c.domains, derived.entries)
    found = standings(derived.events, related, scheme.plan, as_of, subjects)
    at = wall_clock(as_of, scheme.plan.timezone)
    segment = scheme.plan.segment_at(at.date())
    assert segment is not None
    assert segment.grades is not None
    ranks = {name: i for i, name in enumerate(segment.grades.names)}
    rank = pl.col("grade").replace_strict(ranks, default=None, return_dtype=pl.Int64)
    if c.grade_at_least is not None:
        holds = rank <= ranks[c.grade_at_least]
        test = f"at least {c.grade_at_least}"
    else:
        assert c.grade_at_most is not None
        holds = rank >= ranks[c.grade_at_most]
        test = f"at most {c.grade_at_most}"
    domains = ", ".join(sorted(c.domains))
    verdict = pl.when(holds).then(pl.lit("is")).otherwise(pl.lit("is not"))
    graded = found.filter("scored").select(
        "subject",
        holds=holds,
        text=pl.concat_str(
            pl.lit("grade "),
            "grade",
            pl.lit(f" from records in {domains} "),
            verdict,
            pl.lit(f" {test}"),
        ),
    )
    end = pl.min_horizontal("valid_until", "ended_at")
    counting = related.filter(
        (pl.col("status") == "counted")
        & (pl.col("valid_from") <= at)
        & (end.is_null() | (end > at))
    )
    rows = counting.select(
        "subject",
        row=pl.struct(
            pl.col("rule").cast(pl.String).fill_null("None"),
            pl.col("source").cast(pl.String).fill_null("None"),
            pl.col("event_id").cast(pl.String).fill_null("None"),
            pl.col("applied_points").cast(pl.String).fill_null("None"),
            _as_python_str(pl.col("valid_from")).alias("valid_from"),
            _as_python_str(pl.col("valid_until")).alias("valid_until"),
        ).struct.json_encode(),
    )
    basis = rows.group_by("subject", maintain_order=True).agg(basis=pl.col("row"))
    # Unscored subjects keep the default finding (not scored), with no basis.
    return graded.join(basis, on="subject", how="left").with_columns(
        pl.col("basis").fill_null(pl.lit([], dtype=_BASIS))
    )


def _as_python_str(moment: pl.Expr) -> pl.Expr:
    """A naive datetime as Python's `str` writes it (microseconds only when not zero);
    null as "None"."""
    whole = moment.dt.strftime("%Y-%m-%d %H:%M:%S")
    fraction = moment.dt.strftime("%Y-%m-%d %H:%M:%S.%6f")
    return (
        pl.when(moment.is_null())
        .then(pl.lit("None"))
        .when(moment.dt.microsecond() == 0)
        .then(whole)
        .otherwise(fraction)
    )


@dataclass(frozen=True)
class _Live:
    """A listing in effect at the moment, as a list reason reads it."""

    subject: str
    list: str
    domain: str
    text: str
    basis: str


def _listings(
    store: Store,
    schemes: Sequence[Scheme],
    stored: pl.DataFrame,
    actions: pl.DataFrame,
    as_of: datetime,
) -> tuple[list[tuple[str, _Live]], list[tuple[str, datetime]]]:
    """Every listing in effect at `as_of` (by scheme), and every moment after it at which
    a listing of a subject here changes by the passing of time. Listings are folded one by
    one (`domain.listing`); only subjects with an event a list is triggered by are read."""
    triggers = sorted({t for s in schemes for g in s.plan.segments for d in g.lists for t in d.on})
    listed = stored.filter(pl.col("type").is_in(triggers)).get_column("subject").unique()
    if listed.is_empty():
        return [], []
    mine = stored.filter(pl.col("subject").is_in(listed.implode()))
    acted = actions.filter(pl.col("subject").is_in(listed.implode()))
    live: list[tuple[str, _Live]] = []
    changes: list[tuple[str, datetime]] = []
    for scheme in schemes:
        found = listings_for(
            store, [scheme], sorted(listed.to_list()), as_of, stored=mine, actions=acted
        )
        moment = wall_clock(as_of, scheme.plan.timezone)
        for s in found:
            changes += [(s.subject, t) for t in _listing_moments(s, moment)]
            if s.listing.in_effect_at(moment):
                live.append((scheme.id, _live(s)))
    return live, changes


def _live(s: SubjectListing) -> _Live:
    text, basis = listing_text(s), listing_basis(s)
    return _Live(s.subject, s.definition.id, s.definition.domain, text, json.dumps(basis))


def _listing_moments(s: SubjectListing, moment: datetime) -> list[datetime]:
    listing = s.listing
    walls = [listing.effective_from, listing.effective_until, listing.ends, listing.removal_due]
    if listing.notice is not None:
        walls.append(listing.notice.appeal_closes)
    zone = s.timezone
    return [w.replace(tzinfo=zone) - _MARGIN for w in walls if w is not None and w > moment]


def _list_findings(scheme: str, c: Consequence, live: list[tuple[str, _Live]]) -> pl.DataFrame:
    """`_list_reason` for every subject on the list (in effect, of a related domain):
    the first listing's words, every such listing in the basis."""
    rows = [
        (x.subject, x.text, x.basis)
        for owner, x in live
        if owner == scheme and x.list == c.on_list and x.domain in c.domains
    ]
    frame = pl.DataFrame(
        rows, schema={"subject": pl.String, "text": pl.String, "row": pl.String}, orient="row"
    )
    return (
        frame.group_by("subject", maintain_order=True)
        .agg(text=pl.col("text").first(), basis=pl.col("row"))
        .with_columns(holds=pl.lit(True))
    )


def _disputed(shown: Iterable[SubjectDispute]) -> dict[str, dict[tuple[str, str], tuple[str, str]]]:
    """Per subject, as `disputed_events` gives them: the latest dispute of each event."""
    found: dict[str, dict[tuple[str, str], tuple[str, str]]] = {}
    for d in shown:
        found.setdefault(d.subject, {})[(d.source, d.event_id)] = (d.ref, str(d.dispute.state))
    return found


def _until(
    frame: pl.DataFrame,
    events: pl.DataFrame,
    actions: pl.DataFrame,
    schemes: Sequence[Scheme],
    derived: Iterable[Derived],
    listing_moments: list[tuple[str, datetime]],
    disputes: list[SubjectDispute],
    as_of: datetime,
) -> list[datetime | None]:
    """Per subject of `frame`, the earliest moment after `as_of` at which a finding could
    change (None: none is known)."""
    zones = sorted({"UTC", *(s.plan.timezone for s in schemes)})
    as_of = as_of.astimezone(UTC)
    gap = as_of + timedelta(microseconds=1)
    parts = [
        # An event dated later (text without an offset read in every zone, the earliest).
        events.select(
            "subject", at=pl.min_horizontal(*(parse_times(pl.col("occurred_at"), z) for z in zones))
        ),
        actions.select("subject", at=parse_times(pl.col("at"), "UTC")),
    ]
    for d in derived:
        zone = d.scheme.plan.timezone
        for name in ("valid_from", "valid_until", "ended_at"):
            wall = pl.col(name)
            instant = wall.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null")
            parts.append(
                d.entries.filter(wall.is_not_null()).select(
                    "subject",
                    # A wall-clock time with no instant (a gap) holds nothing: now.
                    at=instant.dt.convert_time_zone("UTC").fill_null(gap),
                )
            )
    parts.append(_dated(listing_moments, disputes))
    moments = pl.concat([p.with_columns(pl.col("at").cast(_MOMENT)) for p in parts])
    later = moments.filter(pl.col("at") > as_of).group_by("subject").agg(pl.col("at").min())
    bound = frame.join(later, on="subject", how="left", maintain_order="left")
    return bound.get_column("at").to_list()


def _dated(
    listing_moments: list[tuple[str, datetime]], disputes: list[SubjectDispute]
) -> pl.DataFrame:
    """The listings' moments, and each dispute's opening and deadlines (from the start of
    the last day), as (subject, at) rows."""
    dated = list(listing_moments)
    for found in disputes:
        zone = ZoneInfo(found.timezone)
        d = found.dispute
        days = [d.notify_source_by, d.resolve_by, d.tell_subject_by]
        dated += [
            (found.subject, datetime.combine(day, time(), tzinfo=zone) - _MARGIN)
            for day in days
            if day is not None
        ]
        dated.append((found.subject, found.opened_at - _MARGIN))
    return pl.DataFrame(
        [(s, m.astimezone(UTC)) for s, m in dated],
        schema={"subject": pl.String, "at": _MOMENT},
        orient="row",
    )

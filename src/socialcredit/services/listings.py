"""Listings as the store's facts give them: the events that propose, extend and end them, and
the case actions of due process (notice, appeal, review, early removal, correction).

Each event of a type a list is triggered by proposes one listing on that list, named
`L-<seq>-<list>` after the event's log position. Removal and extension events apply to the
listings of the same case (`case_no` in their data) or, when either side names no case, to
every listing on the list they end or extend. A voided or uncounted event does nothing.
Times given to the domain are wall-clock times in the scheme's timezone, as for entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

import polars as pl

from socialcredit.domain.cases import (
    AppealLodged,
    Correction,
    EarlyRemoval,
    Extension,
    ListingFact,
    NoticeServed,
    RemovalEvent,
    ReviewDecided,
)
from socialcredit.domain.identifiers import birth_date, is_resident_id
from socialcredit.domain.listing import Listing, ListRule, Trigger, listing_history
from socialcredit.ingest.events import parse_times
from socialcredit.rules.model import ListDef
from socialcredit.rules.plan import VOID, Segment
from socialcredit.services.derive import considered, counting_events
from socialcredit.services.disputes import settle
from socialcredit.services.schemes import Scheme
from socialcredit.storage import Store

__all__ = [
    "LISTING_ACTIONS",
    "SubjectListing",
    "list_rule",
    "listed_subjects",
    "listing_ref",
    "listings_for",
    "wall_clock",
]

# Case action kinds about a listing, each with the domain fact it becomes.
LISTING_ACTIONS = (
    "listing.notice",
    "listing.appeal",
    "listing.review",
    "listing.early_removal",
    "listing.correction",
)


@dataclass(frozen=True)
class SubjectListing:
    """One listing of one subject under one scheme, as of a moment."""

    ref: str
    scheme: Scheme
    subject: str
    definition: ListDef
    trigger: tuple[str, str]  # (source, id) of the event that proposed it
    listing: Listing

    @property
    def timezone(self) -> ZoneInfo:
        """The scheme's timezone, in which the listing's times are wall-clock times."""
        return ZoneInfo(self.scheme.plan.timezone)


def listing_ref(seq: int, list_id: str) -> str:
    """The name of the listing an event at log position `seq` proposes on a list."""
    return f"L-{seq}-{list_id}"


def list_rule(definition: ListDef) -> ListRule:
    """The domain's view of a rulebook's list."""
    kind = cast(Literal["black", "red"], definition.kind)
    return ListRule(
        id=definition.id,
        kind=kind,
        appeal_window=definition.appeal_window,
        period=definition.period,
        notice=definition.notice,
        extension_most=definition.extension_most,
        removal_within=definition.removal_within,
    )


def wall_clock(moment: datetime, timezone: str) -> datetime:
    """An aware instant as naive wall-clock time in `timezone`."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment} must be timezone-aware")
    return moment.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def _events(stored: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """The scheme's counting, unvoided events with what listings read from them."""
    mine = considered(counting_events(stored), scheme)
    voided = mine.filter(pl.col("type") == VOID).select(
        "source", id=pl.col("data").str.json_path_match("$.target")
    )
    return mine.join(voided, on=["source", "id"], how="anti").select(
        "seq",
        "source",
        "id",
        "subject",
        "type",
        at=parse_times(pl.col("occurred_at"), scheme.plan.timezone)
        .dt.convert_time_zone(scheme.plan.timezone)
        .dt.replace_time_zone(None),
        case=pl.col("data").str.json_path_match("$.case_no"),
        years=pl.col("data").str.json_path_match("$.years").cast(pl.Int64, strict=False),
    )


def _born(subject: str) -> date | None:
    return birth_date(subject) if is_resident_id(subject) else None


def _action_fact(kind: str, seq: int, data: dict[str, Any], at: datetime) -> ListingFact:
    name = f"{kind}#{seq}"
    if kind == "listing.notice":
        return NoticeServed(
            name,
            at,
            reasons=str(data.get("reasons", "")),
            how_to_appeal=str(data.get("how_to_appeal", "")),
            evidence=tuple(data.get("evidence", ())),
        )
    if kind == "listing.appeal":
        return AppealLodged(name, at, grounds=str(data.get("grounds", "")))
    if kind == "listing.review":
        return ReviewDecided(
            name,
            at,
            outcome=data["outcome"],
            reasons=str(data.get("reasons", "")),
            reviewer=str(data.get("reviewer", "")),
        )
    if kind == "listing.early_removal":
        return EarlyRemoval(name, at, reasons=str(data.get("reasons", "")))
    return Correction(name, at, reasons=str(data.get("reasons", "")))


def _actions(rows: pl.DataFrame, timezone: str) -> dict[str, list[ListingFact]]:
    """Listing case actions (stored rows) by listing ref, as domain facts."""
    found: dict[str, list[ListingFact]] = {}
    for seq, kind, ref, data, at in rows.select("seq", "kind", "ref", "data", "at").iter_rows():
        when = wall_clock(datetime.fromisoformat(at), timezone)
        found.setdefault(ref, []).append(_action_fact(kind, seq, json.loads(data), when))
    return found


def _facts_from_events(
    events: pl.DataFrame, definition: ListDef, trigger_case: str | None, after: datetime
) -> list[ListingFact]:
    extension = (definition.extension_on,) if definition.extension_on else ()
    enders = events.filter(
        pl.col("type").is_in([*definition.removal_on, *extension]) & (pl.col("at") >= after)
    )
    facts: list[ListingFact] = []
    for source, id, type_, at, case, years in enders.select(
        "source", "id", "type", "at", "case", "years"
    ).iter_rows():
        if trigger_case is not None and case is not None and case != trigger_case:
            continue
        name = f"{source}/{id}"
        if type_ == definition.extension_on:
            if years:
                facts.append(Extension(name, at, years=int(years)))
        else:
            facts.append(RemovalEvent(name, at, type=type_))
    return facts


def _trigger_types(plan_segments: Iterable[Segment]) -> list[str]:
    return sorted({t for segment in plan_segments for d in segment.lists for t in d.on})


def listed_subjects(store: Store, schemes: Iterable[Scheme]) -> list[str]:
    """Subjects with an event that proposes a listing under one of these schemes (those a
    list may hold), by a scan of the log a chunk at a time."""
    trigger_types = _trigger_types(g for s in schemes for g in s.plan.segments)
    head = store.head().seq
    found: set[str] = set()
    for first in range(1, head + 1, 500_000):
        chunk = store.events_between(first, min(first + 499_999, head))
        found |= set(chunk.filter(pl.col("type").is_in(trigger_types)).get_column("subject"))
    return sorted(found)


def listings_for(
    store: Store,
    schemes: Iterable[Scheme],
    subjects: Sequence[str],
    as_of: datetime,
    *,
    stored: pl.DataFrame | None = None,
    actions: pl.DataFrame | None = None,
) -> list[SubjectListing]:
    """Every listing of these subjects under these schemes as of `as_of`, by scheme, subject
    and log position of the trigger. `stored` is `store.events_for(subjects)` if in hand,
    settled (`disputes.settle`: an event a dispute removed proposes, ends, extends nothing);
    `actions` is `store.case_actions_for(subjects)` if in hand."""
    if not subjects:
        return []
    if stored is None:
        schemes = list(schemes)
        stored = settle(store, schemes, store.events_for(subjects), as_of)
    found: list[SubjectListing] = []
    if actions is None:
        actions = store.case_actions_for(subjects, kinds=LISTING_ACTIONS)
    acted = actions.filter(pl.col("kind").is_in(LISTING_ACTIONS))
    for scheme in schemes:
        plan = scheme.plan
        events = _events(stored, scheme)
        by_ref = _actions(acted, plan.timezone)
        local_as_of = wall_clock(as_of, plan.timezone)
        triggers = _trigger_types(plan.segments)
        proposing = events.filter(pl.col("type").is_in(triggers)).sort("seq")
        for seq, source, id, subject, type_, at, case in proposing.select(
            "seq", "source", "id", "subject", "type", "at", "case"
        ).iter_rows():
            segment = plan.segment_at(at.date())
            if segment is None:
                continue
            mine = events.filter(pl.col("subject") == subject)
            for definition in (d for d in segment.lists if type_ in d.on):
                ref = listing_ref(seq, definition.id)
                facts = [
                    *_facts_from_events(mine, definition, case, at),
                    *by_ref.get(ref, []),
                ]
                trigger = Trigger(f"{source}/{id}", at, type_, born=_born(subject))
                history = listing_history(list_rule(definition), trigger, facts, as_of=local_as_of)
                found.append(
                    SubjectListing(ref, scheme, subject, definition, (source, id), history)
                )
    return found

"""From stored facts to entries and standings: what counts, decoded for the kernel, derived.

Stored events carry their data as canonical JSON text; a scheme reads the fields its rules
name. An event counts once it is accepted: recorded from a trusted source, or pending
(from a low-trust source) and then approved by a reviewer or corroborated by an event from
another source about the same subject and act. A rejected pending event never counts, and
neither does an event a dispute removed (marked by `disputes.settled`: it corroborates
nothing either). Every path that derives from stored events settles them first, so what is
derived follows from the events, the rulebooks, the case actions and the moment.

An approved credit repair of a penalty (`services.repair`) ends the event's penalty entries
at the moment of approval, as a repair event ends a direct grade: `repairs_for` reads the
approvals from the case actions, `repaired` puts them beside their events in the stored
frame, and the kernel ends every penalty entry of such an event that is still in force then
(`ended_at` the approval, wall-clock in the scheme's timezone; `ended_by` the application),
so that it doubles no later penalty either. An entry that ended or expired earlier keeps its
end. Every path that derives entries
(caches, ingest, recompute and verify, readings, decisions, repair applications) marks the
repairs beside settling the disputes; listings read events, not entries, and settle only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import polars as pl

from socialcredit.domain.events import TOP_LEVEL
from socialcredit.ingest.events import data_fields, parse_times, typed_events
from socialcredit.ingest.readers import Rejection
from socialcredit.kernel.entries import derive_entries
from socialcredit.kernel.standing import standings
from socialcredit.services.disputes import REMOVED, settle
from socialcredit.services.schemes import Scheme
from socialcredit.storage import Store

__all__ = [
    "DERIVATION_COLUMNS",
    "REPAIR_APPLICATION",
    "REPAIR_DECISION",
    "Derived",
    "considered",
    "counting_events",
    "decode",
    "derive",
    "in_force",
    "refresh_caches",
    "repaired",
    "repairs_for",
    "repairs_from",
    "scheme_events",
    "standings_at",
]

# The case actions of a credit repair that bear on derivation (see `services.repair`).
REPAIR_APPLICATION, REPAIR_DECISION = "repair.application", "repair.decision"
# The columns `repaired` adds to a stored frame: when a repair was approved, and by which.
REPAIRED_AT, REPAIRED_BY = "repaired_at", "repaired_by"

MOMENT_UTC = pl.Datetime("us", "UTC")
STANDINGS_SCHEMA = {
    "subject": pl.String,
    "score": pl.Int64,
    "grade": pl.String,
    "direct_grade": pl.String,
    "points": pl.Int64,
    "scored": pl.Boolean,
}
# The stored columns derivation reads (`events_for` has these and more).
DERIVATION_COLUMNS = (
    "seq",
    "source",
    "id",
    "subject",
    "type",
    "occurred_at",
    "jurisdiction",
    "act",
    "data",
    "status",
    "review",
)


@dataclass(frozen=True)
class Derived:
    """One scheme's entries and standings for some subjects, and the stored events it could
    not score (a rulebook published later may want a field older events lack)."""

    scheme: Scheme
    events: pl.DataFrame  # the kernel's typed event frame
    entries: pl.DataFrame
    standings: pl.DataFrame
    unscorable: list[Rejection]


def counting_events(stored: pl.DataFrame) -> pl.DataFrame:
    """The stored events (`events_for` columns, with `review`) that count: see the module
    docstring. Corroboration is among the events no reviewer rejected and no dispute
    removed."""
    considered = stored.filter(
        (pl.col("review") != "reject").fill_null(True) & (pl.col("status") != REMOVED)
    )
    if considered.get_column("status").eq("accepted").all():
        return considered  # nothing pending: no corroboration to look for
    corroborated = pl.col("act").is_not_null() & (
        pl.col("source").n_unique().over("subject", "act") > 1
    )
    return considered.filter(
        (pl.col("status") == "accepted")
        | (pl.col("review") == "approve")
        | ((pl.col("status") == "pending") & pl.col("review").is_null() & corroborated)
    )


def considered(stored: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """The stored events a scheme considers: types its rules know, jurisdictions of its
    chain or none."""
    return stored.filter(
        pl.col("type").is_in(sorted(scheme.plan.known_types()))
        & (
            pl.col("jurisdiction").is_null()
            | pl.col("jurisdiction").is_in(sorted(scheme.jurisdictions))
        )
    )


def scheme_events(stored: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """Stored events a scheme considers, as the text rows `typed_events` reads (the data
    fields its rules name taken out of the JSON), with `seq` as `_line`."""
    fields = sorted({*data_fields(scheme.plan), "target"})
    return considered(stored, scheme).select(
        *TOP_LEVEL,
        *(pl.col("data").str.json_path_match(f"$.{name}").alias(name) for name in fields),
        _line=pl.col("seq"),
    )


def decode(stored: pl.DataFrame, scheme: Scheme) -> tuple[pl.DataFrame, list[Rejection]]:
    """The stored events a scheme considers, counting or not, as the kernel's typed frame
    with their `seq`; and a rejection (at `seq`) for each it cannot type. Decoding is per
    event, so the decoded events of a set of subjects can be kept and added to."""
    events, unscorable = typed_events(scheme_events(stored, scheme), scheme.plan, repeats=False)
    return events.rename({"_line": "seq"}), unscorable


def in_force(scheme: Scheme, as_of: datetime) -> bool:
    """Whether a version of the scheme is in force at `as_of` (local date)."""
    day = as_of.astimezone(ZoneInfo(scheme.plan.timezone)).date()
    return scheme.plan.segment_at(day) is not None


def derive(
    stored: pl.DataFrame,
    scheme: Scheme,
    as_of: datetime,
    *,
    decoded: tuple[pl.DataFrame, list[Rejection]] | None = None,
) -> Derived:
    """Entries and standings under one scheme from stored events (`events_for` columns);
    `decoded` is `decode(stored, scheme)` when the caller has it already.

    Every subject with an event the scheme considers gets a standing, even if none of
    those events counts yet (pending ones); before the scheme's first version takes effect
    nobody has one.
    """
    events, unscorable = decoded if decoded is not None else decode(stored, scheme)
    counting = counting_events(stored).get_column("seq")
    if counting.len() < stored.height:  # else every event counts, and none is left out
        events = events.filter(pl.col("seq").is_in(counting.implode()))
    events = events.sort("seq")
    if REPAIRED_AT in stored.columns:
        marks = stored.select("seq", REPAIRED_AT, REPAIRED_BY)
        events = events.join(marks, on="seq", how="left", maintain_order="left")
    events = events.drop("seq")
    entries = derive_entries(events, scheme.plan)
    return Derived(
        scheme, events, entries, _standings(scheme, events, entries, stored, as_of), unscorable
    )


def standings_at(derived: Derived, stored: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """The standings `derive(stored, ...)` would give as of another moment, from the entries
    it derived: the events that count do not depend on the moment asked."""
    return _standings(derived.scheme, derived.events, derived.entries, stored, as_of)


def _standings(
    scheme: Scheme,
    events: pl.DataFrame,
    entries: pl.DataFrame,
    stored: pl.DataFrame,
    as_of: datetime,
) -> pl.DataFrame:
    if not in_force(scheme, as_of):
        return pl.DataFrame(schema=STANDINGS_SCHEMA)
    subjects = considered(stored, scheme).get_column("subject").unique()
    return standings(events, entries, scheme.plan, as_of, subjects)


def repairs_from(actions: pl.DataFrame) -> pl.DataFrame:
    """The penalties that approved credit repairs end, from case actions (`case_actions_for`
    rows): `source`, `event_id`, `repaired_at` (the approval, UTC) and `repaired_by` (the
    application's ref); the earliest approval of each event."""
    text = pl.String()
    schema = pl.Schema(
        {"source": text, "event_id": text, REPAIRED_AT: MOMENT_UTC, REPAIRED_BY: text}
    )
    if actions.is_empty():
        return pl.DataFrame(schema=schema)
    target = actions.filter(pl.col("kind") == REPAIR_APPLICATION).select(
        "ref",
        source=pl.col("data").str.json_path_match("$.target.source"),
        event_id=pl.col("data").str.json_path_match("$.target.event_id"),
    )
    approved = (
        actions.filter(pl.col("kind") == REPAIR_DECISION)
        .sort("seq")
        .unique("ref", keep="first", maintain_order=True)  # an application is decided once
        .filter(pl.col("data").str.json_path_match("$.outcome") == "approved")
        .select("ref", parse_times(pl.col("at"), "UTC").alias(REPAIRED_AT))
    )
    return (
        target.filter(pl.col("source").is_not_null())  # not a listing's repair
        .join(approved, on="ref")
        .sort(REPAIRED_AT, "ref")
        .unique(["source", "event_id"], keep="first", maintain_order=True)
        .select("source", "event_id", REPAIRED_AT, pl.col("ref").alias(REPAIRED_BY))
        .cast(schema)
    )


def repairs_for(store: Store, subjects: Sequence[str]) -> pl.DataFrame:
    """`repairs_from` the case actions of these subjects."""
    if not subjects:
        return repairs_from(pl.DataFrame())
    return repairs_from(store.case_actions_for(subjects))


def repaired(stored: pl.DataFrame, repairs: pl.DataFrame) -> pl.DataFrame:
    """`stored` (`events_for` rows) with `repaired_at` and `repaired_by` beside every event an
    approved repair ended (`repairs_from`), null beside the others; as it is if none."""
    stored = stored.drop(REPAIRED_AT, REPAIRED_BY, strict=False)
    if repairs.is_empty():
        return stored
    marks = repairs.rename({"event_id": "id"})
    return stored.join(marks, on=["source", "id"], how="left", maintain_order="left")


def refresh_caches(
    store: Store,
    schemes: Sequence[Scheme],
    subjects: Sequence[str],
    as_of: datetime,
    *,
    stored: pl.DataFrame | None = None,
) -> list[Derived]:
    """Re-derive these subjects under every scheme and replace their caches, in the caller's
    transaction if there is one. `stored`, if given, holds every stored event of these
    subjects (a caller that has them in hand saves reading them back); the disputes settled
    by `as_of` and the approved repairs are applied to it. Returns what was derived."""
    if not subjects:
        return []
    if stored is None:
        stored = store.events_for(subjects)
    stored = repaired(settle(store, schemes, stored, as_of), repairs_for(store, subjects))
    position = store.head().seq
    done = []
    for scheme in schemes:
        derived = derive(stored, scheme, as_of)
        store.replace_caches(
            scheme.id,
            subjects,
            derived.entries,
            derived.standings,
            as_of=as_of,
            log_position=position,
            rulebooks=scheme.versions,
        )
        done.append(derived)
    return done

"""A subject's standing and its explanation, from the facts in a store, as of any moment.

Computed from the subject's stored events every time (one subject derives in milliseconds),
so a reading never depends on a cache being fresh. Beside the entries, an explanation lists
the subject's events that produce no entry and why: withdrawn by a void, removed by a
dispute, awaiting corroboration or review, rejected by a reviewer. An entry whose event is
disputed shows it: `disputed`, the dispute's ref and its state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from socialcredit.errors import SocialCreditError
from socialcredit.kernel.reasons import with_reasons
from socialcredit.rules.plan import VOID
from socialcredit.services.derive import (
    Derived,
    counting_events,
    derive,
    repaired,
    repairs_from,
    standings_at,
)
from socialcredit.services.disputes import (
    REMOVED,
    SubjectDispute,
    disputed_events,
    disputes_from,
    settled,
)
from socialcredit.services.schemes import Scheme, published_schemes
from socialcredit.storage import Store

__all__ = ["Reading", "SubjectRecord", "read_subject", "read_subject_over"]


@dataclass(frozen=True)
class Reading:
    """One subject under one scheme as of a moment."""

    scheme: Scheme
    as_of: datetime
    standing: dict[str, object] | None  # None: no event this scheme scores
    entries: pl.DataFrame  # with `reason`, `disputed`, `dispute`, `dispute_state`
    log_position: int


@dataclass(frozen=True)
class SubjectRecord:
    """A subject's readings under every scheme, and the events that produce no entry."""

    subject: str
    readings: list[Reading]
    unscored: pl.DataFrame  # source, id, type, occurred_at, why
    disputes: list[SubjectDispute]  # those opened by the reading's moment


def _marked(entries: pl.DataFrame, disputes: list[SubjectDispute]) -> pl.DataFrame:
    """Entries with `disputed`, and the ref and state of the latest dispute of their event."""
    return entries.join(
        disputed_events(disputes), on=["source", "event_id"], how="left", maintain_order="left"
    ).with_columns(disputed=pl.col("dispute").is_not_null())


def _unscored(stored: pl.DataFrame, disputes: list[SubjectDispute]) -> pl.DataFrame:
    voids = stored.filter((pl.col("type") == VOID) & (pl.col("status") == "accepted")).select(
        "source",
        id=pl.col("data").str.json_path_match("$.target"),
        _by=pl.col("id"),
    )
    frame = stored.join(voids, on=["source", "id"], how="left")
    counting = counting_events(stored).select("source", "id", _counts=pl.lit(True))
    frame = frame.join(counting, on=["source", "id"], how="left").join(
        disputed_events(disputes).rename({"event_id": "id"}), on=["source", "id"], how="left"
    )
    why = (
        pl.when(pl.col("_by").is_not_null())
        .then(pl.format("withdrawn by void {}", "_by"))
        .when(pl.col("status") == REMOVED)
        .then(pl.format("removed by dispute {} ({})", "dispute", "dispute_state"))
        .when(pl.col("review") == "reject")
        .then(pl.lit("rejected by a reviewer"))
        .when(pl.col("_counts").is_null())
        .then(pl.lit("pending: awaiting corroboration by another source or a review"))
    )
    return (
        frame.with_columns(why=why)
        .filter(pl.col("why").is_not_null())
        .select("seq", "source", "id", "type", "occurred_at", "why")
    )


def read_subject(
    store: Store, subject: str, as_of: datetime, scheme_id: str | None = None
) -> SubjectRecord:
    """The subject's standing and entries under each scheme (or one), as of `as_of`."""
    return read_subject_over(store, subject, [as_of], scheme_id)[as_of]


def read_subject_over(
    store: Store, subject: str, moments: Iterable[datetime], scheme_id: str | None = None
) -> dict[datetime, SubjectRecord]:
    """`read_subject` at each of the moments, the store read once. Between two moments only
    the disputes settled in between change which events count, so moments at which the same
    events count share one derivation, and each takes its standing from it."""
    everyone = published_schemes(store)
    if not everyone:
        raise SocialCreditError(
            "no rulebook is published in this store; run `socialcredit init` first"
        )
    schemes = everyone
    if scheme_id is not None:
        schemes = [s for s in everyone if s.id == scheme_id]
        if not schemes:
            raise SocialCreditError(f"no published scheme {scheme_id!r}")
    # One read of the case actions gives the disputes at every moment and the repairs.
    actions = store.case_actions_for([subject])
    zones = {s.id: s.plan.timezone for s in everyone}  # each dispute on its scheme's clock
    events, repairs = store.events_for([subject]), repairs_from(actions)
    shared: dict[frozenset[tuple[str, str]], _Derivations] = {}
    found: dict[datetime, SubjectRecord] = {}
    for moment in sorted(set(moments)):
        disputes = [d for d in disputes_from(actions, zones, moment) if d.shown]
        removed = frozenset((d.source, d.event_id) for d in disputes if d.removed)
        if removed not in shared:
            shared[removed] = _Derivations(repaired(settled(events, disputes), repairs))
        derivations = shared[removed]
        stored = derivations.stored
        position = int(stored.select(pl.col("seq").max().fill_null(0)).item())
        readings = []
        for scheme in schemes:
            entries, standings = derivations.at(scheme, moment)
            rows = standings.filter(pl.col("subject") == subject)
            readings.append(
                Reading(
                    scheme,
                    moment,
                    rows.row(0, named=True) if rows.height else None,
                    _marked(entries, disputes),
                    position,
                )
            )
        found[moment] = SubjectRecord(subject, readings, _unscored(stored, disputes), disputes)
    return found


class _Derivations:
    """Each scheme's derivation of one set of stored events, made when first needed, and
    its standings at any moment."""

    def __init__(self, stored: pl.DataFrame) -> None:
        self.stored = stored
        self._made: dict[str, tuple[Derived, pl.DataFrame]] = {}

    def at(self, scheme: Scheme, moment: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The entries with their reasons, and the standings at `moment`."""
        if scheme.id not in self._made:
            derived = derive(self.stored, scheme, moment)
            self._made[scheme.id] = (derived, with_reasons(derived.entries))
            return self._made[scheme.id][1], derived.standings
        derived, entries = self._made[scheme.id]
        return entries, standings_at(derived, self.stored, moment)

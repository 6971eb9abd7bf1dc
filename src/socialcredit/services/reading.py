"""A subject's standing and its explanation, from the facts in a store, as of any moment.

Computed from the subject's stored events every time (one subject derives in milliseconds),
so a reading never depends on a cache being fresh. Beside the entries, an explanation lists
the subject's events that produce no entry and why: withdrawn by a void, removed by a
dispute, awaiting corroboration or review, rejected by a reviewer. An entry whose event is
disputed shows it: `disputed`, the dispute's ref and its state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from socialcredit.errors import SocialCreditError
from socialcredit.kernel.reasons import with_reasons
from socialcredit.rules.plan import VOID
from socialcredit.services.derive import counting_events, derive, repaired, repairs_for
from socialcredit.services.disputes import (
    REMOVED,
    SubjectDispute,
    disputed_events,
    disputes_for,
    settled,
)
from socialcredit.services.schemes import Scheme, published_schemes
from socialcredit.storage import Store

__all__ = ["Reading", "SubjectRecord", "read_subject"]


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
    schemes = published_schemes(store)
    if not schemes:
        raise SocialCreditError(
            "no rulebook is published in this store; run `socialcredit init` first"
        )
    # Disputes are read under every scheme: each runs on its own scheme's clock.
    disputes = [d for d in disputes_for(store, schemes, [subject], as_of) if d.shown]
    if scheme_id is not None:
        schemes = [s for s in schemes if s.id == scheme_id]
        if not schemes:
            raise SocialCreditError(f"no published scheme {scheme_id!r}")
    stored = repaired(settled(store.events_for([subject]), disputes), repairs_for(store, [subject]))
    position = int(stored.select(pl.col("seq").max().fill_null(0)).item())
    readings = []
    for scheme in schemes:
        derived = derive(stored, scheme, as_of)
        rows = derived.standings.filter(pl.col("subject") == subject)
        readings.append(
            Reading(
                scheme,
                as_of,
                rows.row(0, named=True) if rows.height else None,
                _marked(with_reasons(derived.entries), disputes),
                position,
            )
        )
    return SubjectRecord(subject, readings, _unscored(stored, disputes), disputes)

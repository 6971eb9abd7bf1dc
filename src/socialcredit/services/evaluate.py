"""Stateless evaluation: events from a file, a rulebook, a moment; standings out. No store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from socialcredit.ingest.events import typed_events
from socialcredit.ingest.readers import Rejection, read_events_file
from socialcredit.kernel.entries import derive_entries
from socialcredit.kernel.reasons import with_reasons
from socialcredit.kernel.standing import standings
from socialcredit.rules.plan import Plan

__all__ = ["Evaluation", "evaluate_events", "evaluate_file"]


@dataclass(frozen=True)
class Evaluation:
    """Standings as of one moment, the entries behind them, and the rows set aside."""

    plan: Plan
    as_of: datetime
    standings: pl.DataFrame
    entries: pl.DataFrame
    rejected: list[Rejection]


def evaluate_events(
    events: pl.DataFrame, plan: Plan, as_of: datetime, subjects: pl.Series | None = None
) -> Evaluation:
    """Derive entries and standings from a typed event frame (for `subjects`, if given)."""
    entries = derive_entries(events, plan)
    result = standings(events, entries, plan, as_of, subjects)
    return Evaluation(plan, as_of, result, with_reasons(entries), [])


def evaluate_file(path: Path, plan: Plan, as_of: datetime, fmt: str | None = None) -> Evaluation:
    """Read, check and evaluate one event file; unusable rows are returned, not raised."""
    raw, unreadable = read_events_file(path, fmt)
    events, rejected = typed_events(raw, plan)
    evaluation = evaluate_events(events, plan, as_of)
    problems = sorted([*unreadable, *rejected], key=lambda r: r.line)
    return Evaluation(plan, as_of, evaluation.standings, evaluation.entries, problems)

"""Stateless evaluation: events from a file, a rulebook, a moment; standings out. No store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path

import polars as pl

from socialcredit.ingest.events import typed_events
from socialcredit.ingest.readers import Rejection, read_events_file
from socialcredit.kernel.entries import Derivation, derive
from socialcredit.kernel.reasons import with_reasons
from socialcredit.kernel.standing import standings_of
from socialcredit.rules.plan import Plan

__all__ = ["Evaluation", "evaluate_events", "evaluate_file"]


@dataclass(eq=False)
class Evaluation:
    """Standings as of one moment, the entries behind them, and the rows set aside."""

    plan: Plan
    as_of: datetime
    standings: pl.DataFrame
    derivation: Derivation
    rejected: list[Rejection] = field(default_factory=list)

    @cached_property
    def entries(self) -> pl.DataFrame:
        """The entries with their reasons, spelled out when first asked for: standings need
        only the kernel's codes."""
        return with_reasons(self.derivation.entries())


def evaluate_events(
    events: pl.DataFrame, plan: Plan, as_of: datetime, subjects: pl.Series | None = None
) -> Evaluation:
    """Derive entries and standings from a typed event frame (for `subjects`, if given)."""
    derivation = derive(events, plan)
    return Evaluation(plan, as_of, standings_of(derivation, plan, as_of, subjects), derivation)


def evaluate_file(path: Path, plan: Plan, as_of: datetime, fmt: str | None = None) -> Evaluation:
    """Read, check and evaluate one event file; unusable rows are returned, not raised."""
    raw, unreadable = read_events_file(path, fmt)
    events, rejected = typed_events(raw, plan)
    evaluation = evaluate_events(events, plan, as_of)
    evaluation.rejected = sorted([*unreadable, *rejected], key=lambda r: r.line)
    return evaluation

"""Figures about a store for whoever runs it: how large the ledger is, where its head is,
how much waits for review. Aggregates only, never anything about one subject, so they may
be shown to a monitor that holds no token."""

from __future__ import annotations

from dataclasses import dataclass

from socialcredit.storage import Store

__all__ = ["LedgerFigures", "ledger_figures"]


@dataclass(frozen=True)
class LedgerFigures:
    """The ledger's size and head, and the queues of work on it."""

    events: int
    head_seq: int
    head_hash: str
    pending_unreviewed: int
    rulebook_versions: int


def ledger_figures(store: Store) -> LedgerFigures:
    """The figures as the store has them now."""
    head = store.head()
    return LedgerFigures(
        events=store.event_count(),
        head_seq=head.seq,
        head_hash=head.hash,
        pending_unreviewed=store.pending_events().height,
        rulebook_versions=store.rulebook_versions().height,
    )

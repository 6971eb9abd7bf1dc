"""Relying parties told of the decisions a dispute has since corrected.

When a dispute removes an event, every relying party denied on the subject's record before
the removal is told: those denied while the event was disputed (from the dispute's opening
to the removal), and those denied earlier whose reasons rested on the event. The notice, a
case action of kind `notice.decision_corrected` about the subject with an inbox delivery to
the party, names the decision, the record removed and why, and the answer the decision
gets now: asked again as of its own moment over the facts as they stand, the record gone.
Each decision is told once for each dispute (the notice's ref names both).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from socialcredit.domain.disputes import State
from socialcredit.services.decide import evaluate
from socialcredit.services.disputes import SubjectDispute, disputes_for, settled
from socialcredit.services.schemes import Scheme
from socialcredit.storage import Store

__all__ = [
    "DECISION_CORRECTED",
    "Correction",
    "correct_decisions",
    "corrected",
    "correction_ref",
]

DECISION_CORRECTED = "notice.decision_corrected"
_WHY = {
    State.WITHDRAWN: "the source withdrew it",
    State.REMOVED_UNVERIFIED: "the source did not confirm it by the dispute's deadline",
    State.REMOVED_BY_REVIEWER: "the platform's reviewer found that its source cannot "
    "substantiate it",
}


@dataclass(frozen=True)
class Correction:
    """One relying party told that a decision it got rested on a record since removed."""

    ref: str
    decision_id: str
    party: str
    dispute: str
    decision_now: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready."""
        return dict(self.__dict__)


def correction_ref(decision_id: str, dispute: str) -> str:
    """The ref of the notice telling a decision's party of one dispute's removal."""
    return f"corrected:{decision_id}:{dispute}"


def _rests_on(reasons: str, source: str, event_id: str) -> bool:
    """Whether a stored decision's reasons (JSON text) name the event in their basis."""
    return any(
        basis.get("source") == source and basis.get("event_id") == event_id
        for reason in json.loads(reasons)
        for basis in reason.get("basis", [])
    )


def corrected(decisions: pl.DataFrame, dispute: SubjectDispute) -> list[dict[str, Any]]:
    """The denials among the subject's stored decisions (`decisions_for` rows) that the
    dispute's removal corrects; none while the event still counts."""
    removed_at = dispute.removed_at
    if removed_at is None:
        return []
    return [
        row
        for row in decisions.filter(pl.col("outcome") == "deny").iter_rows(named=True)
        if row["decided_at"] < removed_at
        and (
            row["decided_at"] >= dispute.opened_at
            or _rests_on(row["reasons"], dispute.source, dispute.event_id)
        )
    ]


def _notice(
    dispute: SubjectDispute, decision: dict[str, Any], outcome_now: str, reasons_now: list[str]
) -> dict[str, Any]:
    opened = dispute.dispute.opened
    removed_at = dispute.removed_at
    assert removed_at is not None, "only a removal corrects a decision"
    state = dispute.dispute.state
    assert state is not None
    record = f"{opened.source}/{opened.event_id} ({opened.rule})"
    asked = decision["as_of"].astimezone(removed_at.tzinfo)
    return {
        "to": decision["party"],
        "decision_id": decision["decision_id"],
        "purpose": decision["purpose"],
        "decided_at": decision["decided_at"].isoformat(),
        "as_of": decision["as_of"].isoformat(),
        "decision_was": decision["outcome"],
        "decision_now": outcome_now,
        "dispute": dispute.ref,
        "removed": {"source": opened.source, "event_id": opened.event_id, "rule": opened.rule},
        "removed_at": removed_at.isoformat(),
        "rested_on_record": _rests_on(decision["reasons"], opened.source, opened.event_id),
        "what_changed": (
            f"the record {record} about {dispute.subject} was removed on "
            f"{removed_at:%Y-%m-%d} after dispute {dispute.ref}: {_WHY[state]}. Asked again as "
            f"of {asked:%Y-%m-%d %H:%M} without it, the answer for "
            f"{decision['purpose']} is {outcome_now}."
        ),
        "reasons_now": reasons_now,
    }


def correct_decisions(
    store: Store,
    schemes: list[Scheme],
    dispute: SubjectDispute,
    *,
    now: datetime,
    told: Collection[str],
) -> list[Correction]:
    """Tell the party of every decision the dispute's removal corrects and whose notice ref
    is not in `told`; what was told."""
    due = [
        row
        for row in corrected(store.decisions_for([dispute.subject]), dispute)
        if correction_ref(row["decision_id"], dispute.ref) not in told
    ]
    if not due:
        return []
    shown = [d for d in disputes_for(store, schemes, [dispute.subject], now) if d.shown]
    stored = settled(store.events_for([dispute.subject]), shown)
    actions, deliveries, done = [], [], []
    for row in due:
        outcome, reasons, _ = evaluate(
            store,
            schemes,
            subject=dispute.subject,
            purpose=row["purpose"],
            as_of=row["as_of"],
            stored=stored,
            disputes=shown,
        )
        ref = correction_ref(row["decision_id"], dispute.ref)
        data = _notice(dispute, row, outcome, [r.text for r in reasons])
        actions.append(
            {
                "kind": DECISION_CORRECTED,
                "subject": dispute.subject,
                "ref": ref,
                "data": json.dumps(data, ensure_ascii=False),
                "at": now.isoformat(),
            }
        )
        deliveries.append(
            {
                "notice": ref,
                "channel": "inbox",
                "status": "sent",
                "detail": f"to {row['party']}",
                "at": now,
            }
        )
        done.append(Correction(ref, row["decision_id"], row["party"], dispute.ref, outcome))
    store.append_case_actions(pl.DataFrame(actions))
    store.append_deliveries(pl.DataFrame(deliveries))
    return done

"""Case actions as the store keeps them: one row per act of due process, its data as JSON."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import polars as pl

from socialcredit.storage import Store

__all__ = ["append_case_action", "case_action"]


def case_action(
    kind: str, subject: str, ref: str, data: dict[str, Any], at: datetime
) -> dict[str, str]:
    """The stored row of one case action (`at` an aware moment)."""
    return {
        "kind": kind,
        "subject": subject,
        "ref": ref,
        "data": json.dumps(data, ensure_ascii=False),
        "at": at.isoformat(),
    }


def append_case_action(
    store: Store, kind: str, subject: str, ref: str, data: dict[str, Any], at: datetime
) -> None:
    """Append one case action, in the caller's transaction if there is one."""
    store.append_case_actions(pl.DataFrame([case_action(kind, subject, ref, data, at)]))

"""The access log: who read what about a subject, when, and for what purpose (DESIGN 2.8).

Decisions log their own read (`decide`). Everything else that shows a subject's personal
data to someone other than the subject (a reviewer or an operator reading a score, an
explanation, the notices) logs it here, so the subject's "who asked about me" is whole.
The subject reading their own record is not logged: the log answers who else looked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import polars as pl

from socialcredit.storage import Store

__all__ = ["access_of", "log_reads"]


def log_reads(
    store: Store,
    *,
    who: str,
    role: str,
    subjects: Iterable[str],
    what: str,
    at: datetime,
    purpose: str | None = None,
) -> None:
    """Log one read of each subject's data, in one transaction; a subject reading their
    own is not logged."""
    read = [s for s in dict.fromkeys(subjects) if not (role == "subject" and s == who)]
    if not read:
        return
    rows = pl.DataFrame(
        {"who": who, "role": role, "subject": read, "what": what, "purpose": purpose},
        schema_overrides={"purpose": pl.String},
    )
    store.append_access(rows.with_columns(at=pl.lit(at)))


def access_of(store: Store, subject: str) -> list[dict[str, Any]]:
    """Every logged read of the subject's data, oldest first: who, role, what, purpose, at."""
    log = store.access_for(subject)
    return log.select("who", "role", "what", "purpose", "at").to_dicts()

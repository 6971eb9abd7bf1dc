"""Write scoring scenarios as short event lists and run them through the kernel."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from socialcredit.kernel.entries import derive, derive_entries
from socialcredit.kernel.standing import standings, standings_of
from socialcredit.rules.plan import Plan

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADULT = "37100319900307123X"  # born 1990-03-07
OTHER_ADULT = "371003198505120025"  # born 1985-05-12
MINOR = "371003200801010015"  # born 2008-01-01: 18 on 2026-01-01

_SCHEMA = {
    "id": pl.String,
    "source": pl.String,
    "subject": pl.String,
    "type": pl.String,
    "occurred_at": pl.Datetime("us", "UTC"),
    "act": pl.String,
    "target": pl.String,
    "amount_cny": pl.Float64,
    "months": pl.Float64,
    "value_cny": pl.Float64,
    "hours": pl.Float64,
    "level": pl.String,
    "case_no": pl.String,
    "birth_date": pl.Date,
}


def at(text: str) -> datetime:
    """A Wendeng wall-clock time ("2024-03-01" or "2024-03-01T09:30") as an aware moment."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def end_of(day: str) -> datetime:
    """The last moment of a Wendeng calendar day."""
    return at(f"{day}T23:59:59.999999")


class Scenario:
    """Events for one or more subjects, built up call by call."""

    def __init__(self, plan: Plan, subject: str = ADULT) -> None:
        self.plan, self.subject, self.rows = plan, subject, []  # type: list[dict[str, Any]]

    def add(
        self,
        event_type: str,
        when: str,
        *,
        subject: str | None = None,
        act: str | None = None,
        source: str = "src",
        **data: Any,
    ) -> str:
        event_id = f"e{len(self.rows) + 1}"
        self.rows.append(
            {
                "id": event_id,
                "source": source,
                "subject": subject or self.subject,
                "type": event_type,
                "occurred_at": at(when),
                "act": act,
                **data,
            }
        )
        return event_id

    def void(self, target: str, when: str) -> None:
        self.add("void", when, target=target)

    def frame(self) -> pl.DataFrame:
        rows = [{k: r.get(k) for k in _SCHEMA if k != "birth_date"} for r in self.rows]
        return pl.DataFrame(rows, schema={k: v for k, v in _SCHEMA.items() if k != "birth_date"})

    def entries(self) -> pl.DataFrame:
        return derive_entries(self.frame(), self.plan)

    def standing(self, day: str, subject: str | None = None) -> dict[str, Any]:
        frame = self.frame()
        table = standings(frame, derive_entries(frame, self.plan), self.plan, end_of(day))
        # The standing straight from the kernel's codes is the same.
        assert standings_of(derive(frame, self.plan), self.plan, end_of(day)).equals(table)
        return table.filter(pl.col("subject") == (subject or self.subject)).row(0, named=True)

    def score(self, day: str, subject: str | None = None) -> int:
        return int(self.standing(day, subject)["score"])

    def grade(self, day: str, subject: str | None = None) -> str:
        return str(self.standing(day, subject)["grade"])

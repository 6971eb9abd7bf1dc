"""Event batches for the store tests, written as short rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl

RECORDED = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
LATER = datetime(2025, 1, 2, 8, 0, tzinfo=UTC)
ADULT = "37100319900307123X"


def events(*rows: dict[str, Any]) -> pl.DataFrame:
    """An event batch from short rows; unspecified fields get ordinary values."""
    defaults: dict[str, Any] = {
        "source": "traffic.weihai",
        "subject": ADULT,
        "type": "traffic.fine",
        "occurred_at": "2024-03-01T09:30:00+08:00",
        "jurisdiction": "371003",
        "act": None,
        "data": '{"amount_cny":800}',
        "status": "accepted",
    }
    return pl.DataFrame(
        [{**defaults, **row} for row in rows], schema=dict.fromkeys(["id", *defaults], pl.String)
    )


def numbered(n: int, **fields: Any) -> pl.DataFrame:
    """A batch of n events with ids tj-1 .. tj-n."""
    return events(*({"id": f"tj-{i}", **fields} for i in range(1, n + 1)))


# Enough batches of wide rows to take SQLite's log well past its automatic checkpoint (a
# thousand pages of 4 KiB): about this many bytes of event data.
WIDE = '{"note":"' + "x" * 2000 + '"}'
WIDE_BATCHES, WIDE_ROWS = 12, 250
WIDE_BYTES = WIDE_BATCHES * WIDE_ROWS * len(WIDE)


def fill_wide(store: Any) -> None:
    """Append WIDE_BATCHES batches of WIDE_ROWS wide events, one commit each."""
    for batch in range(WIDE_BATCHES):
        rows = ({"id": f"w-{batch}-{i}", "data": WIDE} for i in range(WIDE_ROWS))
        store.append_events(events(*rows), recorded_at=RECORDED)

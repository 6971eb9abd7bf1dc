"""Ingest one file into a store, as `socialcredit ingest` does, for the crash test to kill.

    python -m tests.ingest_child DB FILE BATCH_ROWS

The clock is fixed: every event's hash covers its `recorded_at`, so a clean run and a run
resumed after a crash can only reach the same head hash if they record at the same moment.
A line `done total` is printed (and flushed) after each committed batch, and `0 total` once
the file is read, so the parent can time its kill against the batches.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from socialcredit.services.ingest import ingest_file
from socialcredit.storage import open_store

RECORDED_AT = datetime(2026, 1, 1, tzinfo=UTC)


def report(done: int, total: int) -> None:
    """Tell the parent how far the committed batches reach."""
    print(done, total, flush=True)


def main(db: str, path: str, batch_rows: str) -> None:
    """Ingest `path` into the store at `db` in batches of `batch_rows`."""
    with open_store(db) as store:
        ingest_file(
            store,
            Path(path),
            clock=lambda: RECORDED_AT,
            batch_rows=int(batch_rows),
            progress=report,
        )


if __name__ == "__main__":
    main(*sys.argv[1:])

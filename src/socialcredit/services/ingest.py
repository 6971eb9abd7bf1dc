"""Ingest event files into a store: read, map, record in atomic batches, quarantine; and
record a batch of event objects a source sends over the wire, with a result per object.

Every row that is not recorded (unreadable, failing a check, or conflicting with a stored
event) goes to a quarantine file beside the input, `<input>.quarantine.ndjson`: one JSON
object per row with its `line`, the `field` at fault, the `reason` and the `row` as read.
The file is rewritten by every run, and removed when a run quarantines nothing, so it always
describes the latest run. Good rows are recorded batch by batch, each batch in one
transaction; a crash loses no committed batch and leaves no partial one, and running the same
file again adds nothing that is already stored.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from socialcredit.errors import SocialCreditError
from socialcredit.ingest.formats.textframe import LINE, flatten_record, rows_frame
from socialcredit.ingest.mapping import Mapping, apply_mapping
from socialcredit.ingest.readers import Rejection, read_events_file
from socialcredit.services.record import Ledger, Recorded, ledger_of, record
from socialcredit.services.working_set import WorkingSet
from socialcredit.storage import Store

__all__ = [
    "BATCH_ROWS",
    "FileSummary",
    "RowResult",
    "ingest_file",
    "ingest_records",
    "quarantine_path",
]

BATCH_ROWS = 100_000


@dataclass
class FileSummary:
    """What ingesting one file did."""

    path: Path
    rows: int = 0
    new: int = 0
    exists: int = 0
    pending: int = 0
    quarantined: int = 0
    subjects: int = 0
    seconds: float = 0.0
    quarantine: Path | None = None
    warnings: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The summary as JSON-ready data."""
        return {
            "file": str(self.path),
            "rows": self.rows,
            "new": self.new,
            "exists": self.exists,
            "pending": self.pending,
            "quarantined": self.quarantined,
            "subjects_rederived": self.subjects,
            "seconds": round(self.seconds, 3),
            "quarantine": str(self.quarantine) if self.quarantine else None,
            "warnings": [str(w) for w in self.warnings],
        }


def quarantine_path(path: Path) -> Path:
    """Where the rows of `path` that were not recorded are written."""
    return path.with_name(path.name + ".quarantine.ndjson")


def _with_source(
    rows: pl.DataFrame, source: str | None, sent: str = "the file is ingested"
) -> tuple[pl.DataFrame, list[Rejection]]:
    """`--source`: rows without one are from it; a row naming another source is refused."""
    if source is None:
        return rows, []
    if "source" not in rows.columns:
        return rows.with_columns(source=pl.lit(source)), []
    other = rows.filter(pl.col("source").is_not_null() & (pl.col("source") != source))
    rejected = [
        Rejection(line, "source", f"{sent} as from {source}, this row says {named}")
        for line, named in other.select("_line", "source").iter_rows()
    ]
    kept = rows.filter(pl.col("source").is_null() | (pl.col("source") == source))
    return kept.with_columns(pl.col("source").fill_null(source)), rejected


def _write_quarantine(path: Path, rejected: list[Rejection], rows: pl.DataFrame) -> Path | None:
    target = quarantine_path(path)
    if not rejected:
        target.unlink(missing_ok=True)
        return None
    by_line = {
        int(row.pop("_line")): {k: v for k, v in row.items() if v is not None}
        for row in rows.filter(pl.col("_line").is_in([r.line for r in rejected])).iter_rows(
            named=True
        )
    }
    # Written whole to a temporary file and renamed, so a crash never leaves half of one.
    partial = target.with_name(target.name + ".partial")
    with partial.open("w", encoding="utf-8") as out:
        for r in sorted(rejected, key=lambda r: r.line):
            item = {
                "line": r.line,
                "field": r.field,
                "reason": r.reason,
                "row": by_line.get(r.line),
            }
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
        out.flush()
        os.fsync(out.fileno())
    partial.replace(target)
    return target


def ingest_file(
    store: Store,
    path: Path,
    *,
    clock: Callable[[], datetime],
    fmt: str | None = None,
    mapping: Mapping | None = None,
    source: str | None = None,
    ledger: Ledger | None = None,
    batch_rows: int = BATCH_ROWS,
    progress: Callable[[int, int], None] | None = None,
) -> FileSummary:
    """Ingest one file; `progress(done, total)` is called after each batch."""
    started = time.perf_counter()
    ledger = ledger or ledger_of(store)
    raw, rejected = read_events_file(path, fmt)
    summary = FileSummary(path, rows=raw.height + len(rejected))
    rows = raw
    if mapping is not None:
        rows, unmapped = apply_mapping(raw, mapping)
        rejected += unmapped
    rows, foreign = _with_source(rows, source)
    rejected += foreign
    if progress:
        progress(0, rows.height)
    working = WorkingSet()
    for start in range(0, rows.height, batch_rows):
        batch = rows.slice(start, batch_rows)
        done: Recorded = record(store, batch, ledger, recorded_at=clock(), working=working)
        summary.new += done.count("new")
        summary.exists += done.count("exists")
        summary.pending += done.count("pending")
        summary.subjects += done.subjects
        summary.warnings += done.warnings
        rejected += done.rejected
        if progress:
            progress(min(start + batch_rows, rows.height), rows.height)
    summary.quarantined = len(rejected)
    summary.quarantine = _write_quarantine(path, rejected, raw)
    summary.seconds = time.perf_counter() - started
    return summary


@dataclass(frozen=True)
class RowResult:
    """What became of one event object of a batch: its `line` (1 for the first object),
    its id as sent, and `outcome`: "new", "pending" (new, awaiting corroboration or
    review), "exists" (stored before with the same content) or "rejected", with the
    `field` at fault and the `reason`. `warnings` are notes on a recorded row."""

    line: int
    id: str | None
    outcome: str
    field: str | None = None
    reason: str | None = None
    warnings: tuple[str, ...] = ()


def _flattened(records: Sequence[object]) -> tuple[pl.DataFrame, list[Rejection]]:
    """Event objects as a text frame with `_line`, and the items that are not objects (or
    have a field name no column can have, `flatten_record`). Keys starting with "_" are
    dropped: those names are the recorder's own columns."""
    rows, lines, rejected = [], [], []
    for line, item in enumerate(records, start=1):
        row = flatten_record(item) if isinstance(item, dict) else "not a JSON object"
        if isinstance(row, str):
            rejected.append(Rejection(line, "", row))
            continue
        rows.append({k: v for k, v in row.items() if not k.startswith("_")})
        lines.append(line)
    return rows_frame(rows, lines), rejected


def ingest_records(
    store: Store, records: Sequence[object], *, source: str, recorded_at: datetime
) -> list[RowResult]:
    """Record decoded event objects (the wire format) from one source in one transaction,
    as `ingest_file` records a batch; a result per object, in order. Objects that name
    another source are rejected; the ones that name none are from `source`."""
    ledger = ledger_of(store)
    if not ledger.schemes:
        raise SocialCreditError(
            "no rulebook is published in this store; run `socialcredit init` first"
        )
    frame, rejected = _flattened(records)
    ids = dict(frame.select(LINE, "id").iter_rows()) if "id" in frame.columns else {}
    frame, foreign = _with_source(frame, source, "the batch is sent")
    rejected += foreign
    done = record(store, frame, ledger, recorded_at=recorded_at) if frame.height else Recorded()
    warned: dict[int, list[str]] = {}
    for warning in done.warnings:
        warned.setdefault(warning.line, []).append(warning.reason)
    results = [
        RowResult(
            line,
            ids.get(line),
            "pending" if status == "pending" and outcome == "new" else outcome,
            warnings=tuple(warned.get(line, ())),
        )
        for line, outcome, status in done.outcomes.select(LINE, "outcome", "status").iter_rows()
    ]
    results += [
        RowResult(r.line, ids.get(r.line), "rejected", r.field or None, r.reason)
        for r in [*rejected, *done.rejected]
    ]
    return sorted(results, key=lambda r: r.line)

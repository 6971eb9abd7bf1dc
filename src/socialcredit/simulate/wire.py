"""Synthetic events in the public wire format, as sources would send them.

The kernel's frame has typed columns; a source sends JSON objects with the data fields
nested under `data` and `occurred_at` as ISO 8601 text with its offset. The demo and the
ingest benchmark write files in this form so that they go through the real ingest path.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from socialcredit.domain.events import TOP_LEVEL

__all__ = ["source_types", "wire_frame", "write_ndjson"]


def wire_frame(
    events: pl.DataFrame, *, timezone: str = "Asia/Shanghai", jurisdiction: str = "371003"
) -> pl.DataFrame:
    """Kernel events as wire records: top-level fields plus a `data` struct of the rest."""
    data = [c for c in events.columns if c not in (*TOP_LEVEL, "birth_date")]
    when = pl.col("occurred_at").dt.convert_time_zone(timezone).dt.strftime("%Y-%m-%dT%H:%M:%S%:z")
    return events.select(
        "id",
        "source",
        "subject",
        "type",
        occurred_at=when,
        jurisdiction=pl.lit(jurisdiction),
        act="act",
        data=pl.struct(data),
    )


def write_ndjson(events: pl.DataFrame, path: Path, **options: str) -> Path:
    """Write kernel events to `path` as wire-format NDJSON."""
    wire_frame(events, **options).write_ndjson(path)
    return path


def source_types(events: pl.DataFrame) -> dict[str, list[str]]:
    """Each source in the events and the event types it reports (voids aside)."""
    rows = (
        events.filter(pl.col("type") != "void")
        .group_by("source")
        .agg(pl.col("type").unique().sort())
        .sort("source")
    )
    return {source: list(types) for source, types in rows.iter_rows()}

"""Cached entries packed one row per subject and write: a subject's entries as one CSV text.

The entry cache is written in bulk at every ingest batch and read whole per subject, never
searched by an entry's fields, so it is stored as one row per (scheme, subject, write): the
entries that one `replace_caches` call wrote for the subject, with the write's log position
and rulebook versions, and `entry_count` and `entries`. `entries` holds one line per entry,
the entry columns but `subject` in `PACKED` order, comma-separated: text always quoted (a
quote doubled), so that an empty field is an absent value and `""` the empty text; times as
wall-clock microseconds since 1970-01-01; booleans 1 or 0. A write of n entries over k
subjects inserts k rows instead of n, both ways column-wise in Polars: the lines are built
with string expressions, and a read joins every pack's text and parses it with Polars' CSV
reader (several times faster than decoding JSON arrays, and smaller).

Only the storage layer sees packs: `entries_for` hands back the rows, one per entry.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from socialcredit.domain.events import ENTRY_COLUMNS
from socialcredit.storage.frames import ENTRY_CACHE_SCHEMA

__all__ = ["PACKED", "pack_entries", "unpack_entries"]

PACKED = [name for name in ENTRY_COLUMNS if name != "subject"]  # the fields of a line
_WALL_CLOCK = pl.Datetime("us")
_TIMES = [name for name in PACKED if ENTRY_CACHE_SCHEMA[name] == _WALL_CLOCK]
_FLAGS = [name for name in PACKED if ENTRY_CACHE_SCHEMA[name] == pl.Boolean]


def _line_dtype(name: str) -> pl.DataType:
    """How a field of a line is read: times and booleans as the integers written."""
    if name in _TIMES:
        return pl.Int64()
    return pl.Int8() if name in _FLAGS else ENTRY_CACHE_SCHEMA[name]


_LINE_SCHEMA = {name: _line_dtype(name) for name in PACKED}


def _field(name: str) -> pl.Expr:
    column = pl.col(name)
    dtype = ENTRY_CACHE_SCHEMA[name]
    if name in _TIMES:
        text = column.cast(_WALL_CLOCK).cast(pl.Int64).cast(pl.String)
    elif name in _FLAGS:
        text = column.cast(pl.Int8).cast(pl.String)
    elif dtype == pl.String:
        text = pl.lit('"') + column.str.replace_all('"', '""', literal=True) + pl.lit('"')
    else:
        text = column.cast(dtype).cast(pl.String)
    return text.fill_null("")


def pack_entries(entries: pl.DataFrame) -> pl.DataFrame:
    """Entry rows (`ENTRY_COLUMNS`) as one row per subject: `subject`, `entry_count` and
    `entries` (the lines), subjects in the order they first appear, lines in row order."""
    line = pl.concat_str([_field(name) for name in PACKED], separator=",")
    return entries.group_by("subject", maintain_order=True).agg(
        entry_count=pl.len().cast(pl.Int64), entries=line.str.join("\n")
    )


def unpack_entries(packs: pl.DataFrame) -> pl.DataFrame:
    """Rows of packs (`entry_count`, `entries` and any other columns, repeated beside each
    of their entries) as one row per entry, the entry columns in the cache's dtypes."""
    others = [name for name in packs.columns if name not in ("entry_count", "entries")]
    if packs.is_empty():
        empty = pl.DataFrame(schema={name: ENTRY_CACHE_SCHEMA[name] for name in PACKED})
        return packs.select(others).hstack(empty.get_columns())
    # Every pack holds at least one entry, and a line ends only where an entry does (a
    # line break inside quoted text is part of the text), so the packs' texts joined by
    # line breaks are one CSV text whose rows follow the packs in order.
    text = packs.get_column("entries").str.join("\n").item()
    lines = pl.read_csv(
        text.encode(), has_header=False, new_columns=PACKED, schema=_LINE_SCHEMA, quote_char='"'
    )
    counts = packs.get_column("entry_count").to_numpy()
    owner = pl.Series(np.repeat(np.arange(packs.height), counts))
    if owner.len() != lines.height:
        raise ValueError(f"cached entry packs hold {lines.height} lines, not {owner.len()}")
    rows = packs.select(others)[owner].hstack(lines.get_columns())
    return rows.with_columns(pl.col(_TIMES).cast(_WALL_CLOCK), pl.col(_FLAGS).cast(pl.Boolean))

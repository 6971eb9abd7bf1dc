"""The derived caches in SQL: entries and standings, replaced per subject in one transaction.

Entries are stored packed, one row per subject and write (`storage.packing`): the entries
one `replace_caches` call wrote for a subject, with the log position and rulebook versions
of that write. Replacing a subject's entries deletes its packs; keeping them adds a pack.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import polars as pl

from socialcredit.storage.chain import canonical_json
from socialcredit.storage.contract import ENTRY_CACHE_COLUMNS, STANDING_CACHE_COLUMNS
from socialcredit.storage.frames import ENTRY_CACHE_SCHEMA, STANDING_CACHE_SCHEMA
from socialcredit.storage.packing import pack_entries, unpack_entries
from socialcredit.storage.sql.base import SqlBase

__all__ = ["Caches"]

_PACK_COLUMNS = ("scheme", "subject", "log_position", "rulebooks", "entry_count", "entries")
_PACK_SCHEMA = {
    "scheme": pl.String(),
    "subject": pl.String(),
    "log_position": pl.Int64(),
    "rulebooks": ENTRY_CACHE_SCHEMA["rulebooks"],
    "entry_count": pl.Int64(),
    "entries": pl.String(),
}
_ENTRY_ORDER = ["scheme", "subject", "valid_from", "source", "event_id", "rule"]


class Caches(SqlBase):
    """Entries and standings with the log position and rulebook versions behind them."""

    def replace_caches(
        self,
        scheme: str,
        subjects: Iterable[str],
        entries: pl.DataFrame,
        standings: pl.DataFrame,
        *,
        as_of: datetime,
        log_position: int,
        rulebooks: Sequence[str],
        keep_entries: Iterable[str] = (),
    ) -> None:
        """Replace the cached entries and standings of these subjects in one transaction;
        the subjects in `keep_entries` keep their cached entries and get `entries` added."""
        if as_of.tzinfo is None:
            raise ValueError(f"as_of {as_of} must be timezone-aware")
        listed = pl.Series("subject", list(subjects), dtype=pl.String)
        provenance = {
            "log_position": pl.lit(log_position, pl.Int64),
            "rulebooks": pl.lit(canonical_json(list(rulebooks))),
        }
        for frame, label in ((entries, "entries"), (standings, "standings")):
            outside = frame.filter(~pl.col("subject").is_in(listed.implode()))
            strays = outside.get_column("subject").unique()
            if strays.len():
                raise ValueError(
                    f"{label} for subjects not being replaced: {strays.head(3).to_list()}"
                )
        packs = pack_entries(entries).select(
            pl.lit(scheme).alias("scheme"), "subject", *_PACK_COLUMNS[-2:], **provenance
        )
        standings = standings.select(
            pl.lit(scheme).alias("scheme"),
            *STANDING_CACHE_COLUMNS[1:-3],
            as_of=pl.lit(as_of).dt.convert_time_zone("UTC"),
            **provenance,
        )
        kept = pl.Series(list(keep_entries), dtype=pl.String)
        replaced = listed.filter(~listed.is_in(kept.implode()))
        # A standing is replaced by the new one of its subject; only the subjects left
        # without one have theirs deleted.
        vanished = listed.filter(~listed.is_in(standings.get_column("subject").implode()))
        with self._writing():
            for table, which in (("entries", replaced), ("standings", vanished)):
                if which.len():
                    condition, params = self._among("subject", which.to_list())
                    self._execute(
                        f"DELETE FROM {table} WHERE scheme = ? AND {condition}", [scheme, *params]
                    )
            self._insert_frame("entries", packs)
            self._upsert_frame("standings", standings, ("subject", "scheme"))

    def entries_for(
        self, subjects: Iterable[str] | None = None, scheme: str | None = None
    ) -> pl.DataFrame:
        """Cached entries of these subjects (or all), under one scheme (or all)."""
        condition, params = self._which(subjects, scheme)
        packs = self._read(
            f"SELECT {', '.join(_PACK_COLUMNS)} FROM entries WHERE {condition}",
            params,
            _PACK_SCHEMA,
        )
        rows = unpack_entries(packs).select(ENTRY_CACHE_COLUMNS).sort(_ENTRY_ORDER)
        return rows.cast(pl.Schema(ENTRY_CACHE_SCHEMA))

    def standings_for(
        self, subjects: Iterable[str] | None = None, scheme: str | None = None
    ) -> pl.DataFrame:
        """Cached standings of these subjects (or all), under one scheme (or all)."""
        condition, params = self._which(subjects, scheme)
        return self._read(
            f"SELECT {', '.join(STANDING_CACHE_COLUMNS)} FROM standings "
            f"WHERE {condition} ORDER BY scheme, subject",
            params,
            STANDING_CACHE_SCHEMA,
        )

    def drop_caches(self, keep: Iterable[str] = ()) -> None:
        """Remove every cached entry and standing of the schemes not in `keep`."""
        condition, params = self._among("scheme", list(keep))
        with self._writing():
            for table in ("entries", "standings"):
                self._execute(f"DELETE FROM {table} WHERE NOT ({condition})", params)

    def _which(self, subjects: Iterable[str] | None, scheme: str | None) -> tuple[str, list[Any]]:
        conditions, params = ["1 = 1"], []
        if subjects is not None:
            condition, among = self._among("subject", list(subjects))
            conditions.append(condition)
            params += among
        if scheme is not None:
            conditions.append("scheme = ?")
            params.append(scheme)
        return " AND ".join(conditions), params

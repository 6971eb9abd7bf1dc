"""The derived caches in SQL: entries and standings, replaced per subject in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import polars as pl

from socialcredit.storage.chain import canonical_json
from socialcredit.storage.contract import ENTRY_CACHE_COLUMNS, STANDING_CACHE_COLUMNS
from socialcredit.storage.frames import ENTRY_CACHE_SCHEMA, STANDING_CACHE_SCHEMA
from socialcredit.storage.sql.base import SqlBase

__all__ = ["Caches"]


class Caches(SqlBase):
    """Entries and standings with the log position and rulebook versions behind them."""

    def replace_caches(
        self,
        subjects: Iterable[str],
        entries: pl.DataFrame,
        standings: pl.DataFrame,
        *,
        as_of: datetime,
        log_position: int,
        rulebooks: Sequence[str],
    ) -> None:
        """Replace the cached entries and standings of these subjects in one transaction."""
        if as_of.tzinfo is None:
            raise ValueError(f"as_of {as_of} must be timezone-aware")
        names = list(subjects)
        provenance = {
            "log_position": pl.lit(log_position, pl.Int64),
            "rulebooks": pl.lit(canonical_json(list(rulebooks))),
        }
        for frame, label in ((entries, "entries"), (standings, "standings")):
            strays = frame.filter(~pl.col("subject").is_in(names)).get_column("subject").unique()
            if strays.len():
                raise ValueError(
                    f"{label} for subjects not being replaced: {strays.head(3).to_list()}"
                )
        entries = entries.select(*ENTRY_CACHE_COLUMNS[:-2], **provenance)
        standings = standings.select(
            *STANDING_CACHE_COLUMNS[:-3],
            as_of=pl.lit(as_of).dt.convert_time_zone("UTC"),
            **provenance,
        )
        with self._writing():
            condition, params = self._among("subject", names)
            self._execute(f"DELETE FROM entries WHERE {condition}", params)
            self._execute(f"DELETE FROM standings WHERE {condition}", params)
            self._insert_frame("entries", entries)
            self._insert_frame("standings", standings)

    def entries_for(self, subjects: Iterable[str]) -> pl.DataFrame:
        """Cached entries of these subjects, with their provenance."""
        condition, params = self._among("subject", list(subjects))
        return self._read(
            f"SELECT {', '.join(ENTRY_CACHE_COLUMNS)} FROM entries WHERE {condition} "
            "ORDER BY subject, valid_from, source, event_id, rule",
            params,
            ENTRY_CACHE_SCHEMA,
        )

    def standings_for(self, subjects: Iterable[str]) -> pl.DataFrame:
        """Cached standings of these subjects, with their provenance."""
        condition, params = self._among("subject", list(subjects))
        return self._read(
            f"SELECT {', '.join(STANDING_CACHE_COLUMNS)} FROM standings "
            f"WHERE {condition} ORDER BY subject",
            params,
            STANDING_CACHE_SCHEMA,
        )

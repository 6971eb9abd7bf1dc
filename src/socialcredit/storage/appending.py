"""A batch of events against what is stored: which rows are new, which exist, which conflict.

Pure Polars, shared by every backend: the backend fetches the stored records with the
batch's keys, these functions decide each row's outcome and build the new records with
their positions and hashes, and the backend inserts them in bulk.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from socialcredit.storage.chain import canonical_forms, chain_hashes
from socialcredit.storage.contract import EVENT_COLUMNS, SENT_FIELDS, ChainHead

__all__ = ["KEY", "batch_of", "classify", "iso_text", "new_records"]

KEY = ["source", "id"]
_REQUIRED = ("source", "id", "subject", "type", "occurred_at", "status")
_COMPARED = [name for name in SENT_FIELDS if name not in KEY]


def iso_text(moment: datetime) -> str:
    """An aware moment as ISO 8601 text in UTC with microseconds, the form the store keeps."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment} must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def batch_of(events: pl.DataFrame) -> pl.DataFrame:
    """The input rows as text columns in a fixed order, with `_row`, their input position."""
    missing = [name for name in _REQUIRED if name not in events.columns]
    if missing:
        raise ValueError(f"events lack columns: {', '.join(missing)}")
    columns = [*SENT_FIELDS, "status"]
    for name in columns:
        if name in events.columns and events.schema[name] not in (pl.String, pl.Null):
            raise ValueError(f"events.{name} must be text, not {events.schema[name]}")
    defaults = {"jurisdiction": None, "act": None, "data": "{}"}
    return events.select(
        (pl.col(name) if name in events.columns else pl.lit(defaults[name]))
        .cast(pl.String)
        .alias(name)
        for name in columns
    ).with_row_index("_row")


def classify(batch: pl.DataFrame, stored: pl.DataFrame, head: ChainHead) -> pl.DataFrame:
    """Each batch row's outcome against the stored records with its key (`seq` and the
    sent fields) and against earlier rows of the batch. New rows get positions after
    `head` in input order. Columns: `_row`, the sent fields, `status`, `outcome`, `seq`,
    `differing`."""
    if stored.is_empty() and not batch.select(KEY).is_duplicated().any():
        return _all_new(batch, head)
    known = _known(batch, stored, head)
    joined = batch.join(known, on=KEY, how="left", suffix="_stored", nulls_equal=True)
    differing = pl.concat_list(
        pl.when(pl.col(name).eq_missing(pl.col(f"{name}_stored")))
        .then(None)
        .otherwise(pl.lit(name))
        for name in _COMPARED
    ).list.drop_nulls()
    outcome = (
        pl.when(pl.col("_first") == pl.col("_row"))
        .then(pl.lit("new"))
        .when(differing.list.len() == 0)
        .then(pl.lit("exists"))
        .otherwise(pl.lit("conflict"))
    )
    return joined.select(
        "_row",
        *SENT_FIELDS,
        "status",
        outcome.alias("outcome"),
        "seq",
        differing.alias("differing"),
    ).sort("_row")


def _known(batch: pl.DataFrame, stored: pl.DataFrame, head: ChainHead) -> pl.DataFrame:
    """The record each key of the batch stands for: the stored one or, for a key not
    stored, its first row in the batch (`_first`) at the next free position."""
    first = batch.filter(pl.col("_row") == pl.col("_row").min().over(KEY))
    fresh = first.join(stored, on=KEY, how="anti", nulls_equal=True).sort("_row")
    fresh = fresh.with_columns(
        seq=pl.int_range(head.seq + 1, head.seq + 1 + pl.len(), dtype=pl.Int64)
    )
    return pl.concat(
        [
            stored.select(
                *SENT_FIELDS, pl.col("seq").cast(pl.Int64), _first=pl.lit(None, pl.UInt32)
            ),
            fresh.select(*SENT_FIELDS, "seq", _first="_row"),
        ]
    )


def _all_new(batch: pl.DataFrame, head: ChainHead) -> pl.DataFrame:
    """The common case, without the joins: no key is stored or repeated."""
    return batch.with_columns(
        outcome=pl.lit("new"),
        seq=pl.int_range(head.seq + 1, head.seq + 1 + pl.len(), dtype=pl.Int64),
        differing=pl.lit([], dtype=pl.List(pl.String)),
    )


def new_records(classified: pl.DataFrame, head: ChainHead, recorded_at: str) -> pl.DataFrame:
    """The rows to insert, in log order, with `recorded_at`, `prev_hash` and `hash`."""
    records = (
        classified.filter(pl.col("outcome") == "new")
        .sort("seq")
        .with_columns(recorded_at=pl.lit(recorded_at, pl.String))
    )
    hashes = chain_hashes(head.hash, canonical_forms(records).to_list())
    return records.with_columns(
        prev_hash=pl.Series([head.hash, *hashes][:-1], dtype=pl.String),
        hash=pl.Series(hashes, dtype=pl.String),
    ).select(EVENT_COLUMNS)

"""Checking the event log's hash chain one chunk of records at a time.

Each record is checked against its own stored neighbours, so a record altered in place
shows up once (its hash no longer matches its content) and a record whose hash was also
rewritten shows up at the next record (whose `prev_hash` no longer matches). Records cut
from the end of the log leave no trace in the chain: compare `head()` with a published head.
"""

from __future__ import annotations

import polars as pl

from socialcredit.storage.chain import link_hashes
from socialcredit.storage.contract import ChainBreak, ChainHead

__all__ = ["chunk_breaks"]


def chunk_breaks(chunk: pl.DataFrame, before: ChainHead, forms: pl.Series) -> list[ChainBreak]:
    """The broken records of a chunk of consecutive records (in seq order) that follows
    the record `before`; `forms` are the chunk's canonical forms."""
    recomputed = link_hashes(chunk.get_column("prev_hash").to_list(), forms.to_list())
    previous_seq = pl.col("seq").shift(1, fill_value=before.seq)
    problems = pl.concat_list(
        pl.when(pl.col("seq") != previous_seq + 1).then(
            pl.format("follows seq {}: the records between are missing", previous_seq)
        ),
        pl.when(pl.col("prev_hash") != pl.col("hash").shift(1, fill_value=before.hash)).then(
            pl.lit("prev_hash is not the hash of the record before")
        ),
        pl.when(pl.col("hash") != pl.Series(recomputed, dtype=pl.String)).then(
            pl.lit("hash does not match the record's content")
        ),
    ).list.drop_nulls()
    broken = chunk.select("seq", "source", "id", problems.alias("problems")).filter(
        pl.col("problems").list.len() > 0
    )
    return [
        ChainBreak(seq, source, id_, "; ".join(found))
        for seq, source, id_, found in broken.iter_rows()
    ]

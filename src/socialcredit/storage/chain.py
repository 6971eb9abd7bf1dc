"""The hash chain of the event log: one canonical form per record, one SHA-256 per link.

A record's canonical form is the JSON object of its `RECORD_FIELDS`: keys sorted, no
whitespace, UTF-8 text with only the escapes JSON requires (no `\\uXXXX` for non-ASCII),
`seq` as an integer, absent values as `null`, and `data` as its stored text (a JSON string
inside the object, so the form is rebuilt from the stored columns alone). Then

    hash = SHA-256(prev_hash + canonical form), over UTF-8, as 64 lowercase hex digits

where `prev_hash` is the hash of the record before, and `GENESIS` (64 zeros) for the first.
Python's `json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`
writes the same form, so anyone can recheck an export of the events table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import polars as pl

__all__ = [
    "GENESIS",
    "RECORD_FIELDS",
    "canonical_forms",
    "canonical_json",
    "chain_hashes",
    "content_hash",
    "link_hashes",
]

GENESIS = "0" * 64
RECORD_FIELDS = (
    "act",
    "data",
    "id",
    "jurisdiction",
    "occurred_at",
    "recorded_at",
    "seq",
    "source",
    "status",
    "subject",
    "type",
)


def canonical_json(value: object) -> str:
    """Canonical JSON text: sorted keys, no whitespace, UTF-8; the form `data` is stored in."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def canonical_forms(records: pl.DataFrame) -> pl.Series:
    """The canonical form of every record, column-wise by Polars' JSON encoder."""
    fields = [pl.col(name).cast(pl.Int64 if name == "seq" else pl.String) for name in RECORD_FIELDS]
    return records.select(pl.struct(fields).struct.json_encode()).to_series()


def chain_hashes(prev_hash: str, forms: Iterable[str]) -> list[str]:
    """The hashes of consecutive new records after the record whose hash is `prev_hash`."""
    # SHA-256 chaining is sequential by nature: each link needs the one before.
    hashes: list[str] = []
    for form in forms:
        prev_hash = hashlib.sha256(f"{prev_hash}{form}".encode()).hexdigest()
        hashes.append(prev_hash)
    return hashes


def link_hashes(prev_hashes: Iterable[str], forms: Iterable[str]) -> list[str]:
    """Each record's hash from its own stored `prev_hash`: links checked one by one."""
    return [
        hashlib.sha256(f"{prev}{form}".encode()).hexdigest()
        for prev, form in zip(prev_hashes, forms, strict=True)
    ]


def content_hash(text: str) -> str:
    """SHA-256 of a rulebook's text, as published."""
    return hashlib.sha256(text.encode()).hexdigest()

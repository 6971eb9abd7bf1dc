"""Numbered schema migrations, shipped as SQL files in `migrations/<dialect>/NNNN_name.sql`.

Each is applied once, in number order, in the same transaction as the row that records it
in the `migrations` table, so a crash never leaves one half applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from socialcredit.errors import SchemaVersionError

__all__ = ["Migration", "migrations_for", "to_apply"]

_NAME = re.compile(r"(\d{4})_(\w+)\.sql")


@dataclass(frozen=True)
class Migration:
    """One numbered schema change."""

    number: int
    name: str
    sql: str


def migrations_for(dialect: str) -> list[Migration]:
    """Every migration shipped for a dialect ("sqlite" or "postgres"), in number order."""
    folder = resources.files("socialcredit.storage").joinpath("migrations", dialect)
    found = [
        Migration(int(match.group(1)), match.group(2), item.read_text(encoding="utf-8"))
        for item in folder.iterdir()
        if (match := _NAME.fullmatch(item.name))
    ]
    return sorted(found, key=lambda m: m.number)


def to_apply(dialect: str, applied: set[int], where: str) -> list[Migration]:
    """The shipped migrations not yet in `applied`; refuses a database that is newer."""
    shipped = migrations_for(dialect)
    newest = max(m.number for m in shipped)
    unknown = sorted(n for n in applied if n > newest)
    if unknown:
        raise SchemaVersionError(
            f"{where} has schema migration {unknown[-1]:04d}, but this socialcredit knows "
            f"migrations up to {newest:04d} only; upgrade socialcredit to open it"
        )
    return [m for m in shipped if m.number not in applied]

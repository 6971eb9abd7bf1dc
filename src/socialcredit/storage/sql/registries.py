"""Rulebook versions, sources, relying parties, subjects and case actions in SQL:
append-only registries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any

import polars as pl

from socialcredit.errors import PublishConflictError, RecordRejectedError
from socialcredit.storage.appending import iso_text
from socialcredit.storage.chain import canonical_json, content_hash
from socialcredit.storage.contract import (
    CASE_ACTION_COLUMNS,
    Party,
    Published,
    Registered,
    Source,
)
from socialcredit.storage.frames import CASE_ACTION_SCHEMA, RULEBOOK_SCHEMA, SUBJECT_SCHEMA, typed
from socialcredit.storage.sql.base import SqlBase

__all__ = ["Registries"]

_SOURCE = "id, name, trust, allowed, credential_hash"
_PARTY = "id, name, purposes, credential_hash"
# The view over each versioned registry that shows the latest version of every record.
_VIEWS = {"source": "sources", "party": "parties"}


class Registries(SqlBase):
    """Published rulebooks, the source, party and subject registries, and case actions."""

    def publish_rulebook(
        self, rulebook: str, version: str, effective: date, text: str, *, published_at: datetime
    ) -> Published:
        """Store a rulebook version's text; the same again is "exists", other text is refused."""
        digest = content_hash(text)
        with self._writing():
            stored = self._fetch(
                "SELECT effective, content_hash FROM rulebook_versions "
                "WHERE rulebook = ? AND version = ?",
                (rulebook, version),
            )
            if stored and tuple(stored[0]) == (effective.isoformat(), digest):
                return Published(rulebook, version, digest, "exists")
            if stored:
                raise PublishConflictError(
                    f"rulebook {rulebook} version {version} is already published with other "
                    f"content (sha256 {stored[0][1]}, effective {stored[0][0]}); "
                    "a published version never changes: publish the change as a new version"
                )
            self._execute(
                "INSERT INTO rulebook_versions "
                "(rulebook, version, effective, content_hash, text, published_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (rulebook, version, effective.isoformat(), digest, text, iso_text(published_at)),
            )
        return Published(rulebook, version, digest, "new")

    def rulebook_versions(self, rulebook: str | None = None) -> pl.DataFrame:
        """Published versions (all, or of one rulebook), by rulebook then effective date."""
        where, params = ("WHERE rulebook = ?", [rulebook]) if rulebook else ("", [])
        return self._read(
            f"SELECT {', '.join(RULEBOOK_SCHEMA)} FROM rulebook_versions {where} "
            "ORDER BY rulebook, effective, version",
            params,
            RULEBOOK_SCHEMA,
        )

    # --- sources, parties and subjects ----------------------------------------------------

    def register_source(self, source: Source, *, registered_at: datetime) -> Registered:
        """Add a source or a new version of it: "new", "updated", or "exists" if unchanged."""
        fields = {
            "name": source.name,
            "trust": source.trust,
            "allowed": canonical_json(list(source.allowed)),
            "credential_hash": source.credential_hash,
        }
        return self._add_version("source", source, fields, _source, registered_at)

    def register_party(self, party: Party, *, registered_at: datetime) -> Registered:
        """Add a relying party or a new version of it: "new", "updated", or "exists"."""
        fields = {
            "name": party.name,
            "purposes": canonical_json(list(party.purposes)),
            "credential_hash": party.credential_hash,
        }
        return self._add_version("party", party, fields, _party, registered_at)

    def _add_version(
        self,
        kind: str,
        record: Source | Party,
        fields: dict[str, Any],
        read: Callable[[Sequence[Any]], Source | Party],
        registered_at: datetime,
    ) -> Registered:
        """Store `record` as the next version in `{kind}_versions`, unless the latest
        version (in the view over it) already is the same record."""
        view = _VIEWS[kind]
        with self._writing():
            latest = self._fetch(
                f"SELECT id, {', '.join(fields)}, version FROM {view} WHERE id = ?", (record.id,)
            )
            if latest and read(latest[0]) == record:
                return "exists"
            version = int(latest[0][-1]) + 1 if latest else 1
            columns = [kind, "version", *fields, "registered_at"]
            self._execute(
                f"INSERT INTO {kind}_versions ({', '.join(columns)}) "
                f"VALUES ({', '.join('?' * len(columns))})",
                (record.id, version, *fields.values(), iso_text(registered_at)),
            )
        return "updated" if latest else "new"

    def sources(self) -> list[Source]:
        """Every registered source as its latest version has it, by id."""
        with self._translated():
            return [
                _source(row) for row in self._fetch(f"SELECT {_SOURCE} FROM sources ORDER BY id")
            ]

    def source(self, id: str) -> Source | None:
        """One source as its latest version has it, or None."""
        with self._translated():
            found = self._fetch(f"SELECT {_SOURCE} FROM sources WHERE id = ?", (id,))
        return _source(found[0]) if found else None

    def parties(self) -> list[Party]:
        """Every registered relying party as its latest version has it, by id."""
        with self._translated():
            return [_party(row) for row in self._fetch(f"SELECT {_PARTY} FROM parties ORDER BY id")]

    def party(self, id: str) -> Party | None:
        """One relying party as its latest version has it, or None."""
        with self._translated():
            found = self._fetch(f"SELECT {_PARTY} FROM parties WHERE id = ?", (id,))
        return _party(found[0]) if found else None

    def register_subjects(self, subjects: pl.DataFrame, *, registered_at: datetime) -> int:
        """Register subjects (`id`, `kind`); how many were new. A changed kind is refused."""
        given = subjects.select("id", "kind").unique("id", keep="first", maintain_order=True)
        with self._writing():
            condition, params = self._among("id", given.get_column("id").to_list())
            stored = typed(
                self._fetch(
                    f"SELECT id, kind, registered_at FROM subjects WHERE {condition}", params
                ),
                SUBJECT_SCHEMA,
            )
            clash = given.join(stored, on="id", suffix="_stored").filter(
                pl.col("kind") != pl.col("kind_stored")
            )
            if not clash.is_empty():
                id_, kind, was = clash.row(0)[:3]
                raise RecordRejectedError(
                    f"subject {id_} is registered as {was}, not {kind}; a subject's kind never "
                    f"changes ({clash.height} such subject(s) in this batch, none registered)"
                )
            new = given.join(stored, on="id", how="anti").with_columns(
                registered_at=pl.lit(iso_text(registered_at))
            )
            self._insert_frame("subjects", new)
        return new.height

    def subjects(self, ids: Iterable[str] | None = None) -> pl.DataFrame:
        """Registered subjects (all, or these): `id`, `kind`, `registered_at`."""
        condition, params = ("1 = 1", []) if ids is None else self._among("id", list(ids))
        return self._read(
            f"SELECT id, kind, registered_at FROM subjects WHERE {condition} ORDER BY id",
            params,
            SUBJECT_SCHEMA,
        )

    # --- case actions ---------------------------------------------------------------------

    def append_case_actions(self, actions: pl.DataFrame) -> int:
        """Append case actions (`kind`, `subject`, `ref`, `data` JSON text, `at`); how many."""
        if dict(actions.schema) == _STORED_ACTIONS:  # already as stored (a group's notices)
            rows = actions
        else:
            rows = actions.select(
                "kind",
                "subject",
                pl.col("ref") if "ref" in actions.columns else pl.lit(None, pl.String).alias("ref"),
                pl.col("data") if "data" in actions.columns else pl.lit("{}").alias("data"),
                _iso(actions, "at"),
            )
        with self._writing():
            self._insert_frame("case_actions", rows)
        return rows.height

    def case_actions_for(
        self,
        subjects: Iterable[str] | None = None,
        *,
        refs: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        after: int | None = None,
    ) -> pl.DataFrame:
        """Case actions about these subjects (or all), with these refs (or any), of these
        kinds (or any), appended after the seq `after` (or ever), in the order they were
        appended."""
        conditions, params = ["1 = 1"], []
        for column, values in (("subject", subjects), ("ref", refs), ("kind", kinds)):
            if values is not None:
                condition, among = self._among(column, list(values))
                conditions.append(condition)
                params += among
        if after is not None:
            conditions.append("seq > ?")
            params.append(after)
        return self._read(
            f"SELECT {', '.join(CASE_ACTION_COLUMNS)} FROM case_actions "
            f"WHERE {' AND '.join(conditions)} ORDER BY seq",
            params,
            CASE_ACTION_SCHEMA,
        )


def _source(row: Sequence[Any]) -> Source:
    id_, name, trust, allowed, credential_hash = row[:5]
    return Source(id_, name, trust, tuple(json.loads(allowed)), credential_hash)


def _party(row: Sequence[Any]) -> Party:
    id_, name, purposes, credential_hash = row[:4]
    return Party(id_, name, tuple(json.loads(purposes)), credential_hash)


_STORED_ACTIONS = dict.fromkeys(("kind", "subject", "ref", "data", "at"), pl.String())


def _iso(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A time column as the store's ISO text: aware datetimes in UTC, text as given."""
    dtype = frame.schema[name]
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            raise ValueError(f"{name} must be timezone-aware")
        return pl.col(name).dt.convert_time_zone("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S%.6f+00:00")
    return pl.col(name).cast(pl.String)

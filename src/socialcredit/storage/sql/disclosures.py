"""What was told to whom, in SQL: the eligibility decisions given to relying parties, every
read of personal data, and the delivery of notices. Append-only facts, a batch per
transaction; times are kept as UTC instants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import polars as pl

from socialcredit.errors import RecordRejectedError
from socialcredit.storage.contract import ACCESS_COLUMNS, DECISION_COLUMNS, DELIVERY_COLUMNS
from socialcredit.storage.frames import ACCESS_SCHEMA, DECISION_SCHEMA, DELIVERY_SCHEMA
from socialcredit.storage.sql.base import SqlBase

__all__ = ["Disclosures"]

# ISO 8601 with an offset ("+08:00" or "Z"); the fraction of a second is optional.
_ISO = "%Y-%m-%dT%H:%M:%S%.f%#z"


class Disclosures(SqlBase):
    """Decisions, the access log and notice deliveries."""

    def append_decisions(self, decisions: pl.DataFrame) -> int:
        """Append eligibility decisions in one transaction; how many."""
        rows = _prepared(decisions, "decisions", _DECISION)
        with self._writing():
            self._insert_frame("decisions", rows)
        return rows.height

    def decisions_for(
        self, subjects: Iterable[str] | None = None, party: str | None = None
    ) -> pl.DataFrame:
        """Decisions about these subjects (or all), given to one party (or any), in order."""
        conditions, params = ["1 = 1"], []
        if subjects is not None:
            condition, among = self._among("subject", list(subjects))
            conditions.append(condition)
            params += among
        if party is not None:
            conditions.append("party = ?")
            params.append(party)
        return self._read(
            f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions "
            f"WHERE {' AND '.join(conditions)} ORDER BY seq",
            params,
            DECISION_SCHEMA,
        )

    def append_access(self, reads: pl.DataFrame) -> int:
        """Append reads of personal data in one transaction; how many."""
        rows = _prepared(reads, "reads", _ACCESS, optional=("purpose",))
        with self._writing():
            self._insert_frame("access_log", rows)
        return rows.height

    def access_for(self, subject: str) -> pl.DataFrame:
        """Every logged read of one subject's data, in the order it was logged."""
        return self._read(
            f"SELECT {', '.join(ACCESS_COLUMNS)} FROM access_log WHERE subject = ? ORDER BY seq",
            (subject,),
            ACCESS_SCHEMA,
        )

    def append_deliveries(self, deliveries: pl.DataFrame) -> int:
        """Append attempts to deliver notices in one transaction; how many. Every `notice`
        must be the ref of a stored case action, or nothing of the batch is kept."""
        rows = _prepared(deliveries, "deliveries", _DELIVERY, optional=("detail",))
        with self._writing():
            self._refuse_unknown_notices(rows.get_column("notice").drop_nulls().unique())
            self._insert_frame("notice_deliveries", rows)
        return rows.height

    def _refuse_unknown_notices(self, refs: pl.Series) -> None:
        condition, params = self._among("ref", refs.to_list())
        found = self._fetch(f"SELECT DISTINCT ref FROM case_actions WHERE {condition}", params)
        unknown = sorted(set(refs.to_list()) - {ref for (ref,) in found})
        if unknown:
            raise RecordRejectedError(
                f"no case action has the ref {unknown[0]!r} ({len(unknown)} unknown notice "
                "ref(s) in this batch, none recorded); issue the notice before delivering it"
            )

    def deliveries_for(self, notices: Iterable[str]) -> pl.DataFrame:
        """Every delivery attempt of these notices (case action refs), in order."""
        condition, params = self._among("notice", list(notices))
        return self._read(
            f"SELECT {', '.join(DELIVERY_COLUMNS)} FROM notice_deliveries "
            f"WHERE {condition} ORDER BY seq",
            params,
            DELIVERY_SCHEMA,
        )


def _prepared(
    frame: pl.DataFrame,
    label: str,
    required: Mapping[str, Callable[[pl.Series], pl.Expr]],
    optional: tuple[str, ...] = (),
) -> pl.DataFrame:
    """The columns to store, each converted to the table's terms; an optional text column
    that is absent is stored as nulls. One select, so that a small batch (a group of
    decisions) pays Polars' fixed cost per call once, not once per column."""
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise ValueError(f"{label} need the column(s) {', '.join(missing)}")
    stored = {
        **{name: _STORED[convert] for name, convert in required.items()},
        **dict.fromkeys(optional, pl.String),
    }
    if dict(frame.schema) == stored:  # already as stored, column for column (a group of decisions)
        return frame
    return frame.select(
        *(convert(frame.get_column(name)) for name, convert in required.items()),
        *(
            pl.col(n).cast(pl.String) if n in frame.columns else pl.lit(None, pl.String).alias(n)
            for n in optional
        ),
    )


def _text(column: pl.Series) -> pl.Expr:
    return pl.col(column.name).cast(pl.String)


def _integer(column: pl.Series) -> pl.Expr:
    return pl.col(column.name).cast(pl.Int64)


def _instant(column: pl.Series) -> pl.Expr:
    """Aware datetimes in UTC, or ISO 8601 text with an offset parsed to them."""
    name, dtype = column.name, column.dtype
    if dtype == pl.String:
        parsed = column.str.to_datetime(_ISO, time_unit="us", time_zone="UTC", strict=False)
        bad = column.filter(parsed.is_null() & column.is_not_null())
        if bad.len():
            raise ValueError(
                f"{name} {bad[0]!r} is not an ISO 8601 time with an offset "
                "(such as 2025-01-01T08:00:00+08:00)"
            )
        return pl.lit(parsed).alias(name)
    if dtype == _UTC_MICROSECONDS:
        return pl.col(name)
    if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
        return pl.col(name).dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    if dtype == pl.Null:
        return pl.col(name).cast(_UTC_MICROSECONDS)
    raise ValueError(
        f"{name} must be timezone-aware datetimes or ISO 8601 text with an offset, not {dtype}"
    )


def _json_list(column: pl.Series) -> pl.Expr:
    """A list of text as JSON array text; text is taken to be JSON already."""
    name = column.name
    if column.dtype in (pl.String, pl.Null):
        return pl.col(name).cast(pl.String)
    if not isinstance(column.dtype, pl.List):
        raise ValueError(f"{name} must be lists of text or JSON text, not {column.dtype}")
    # A one-field struct is the one shape Polars encodes as JSON in bulk; its list is kept.
    encoded = pl.struct(pl.col(name).cast(pl.List(pl.String))).struct.json_encode()
    array = encoded.str.strip_prefix(f'{{"{name}":').str.strip_suffix("}")
    return pl.when(pl.col(name).is_not_null()).then(array).alias(name)


_UTC_MICROSECONDS = pl.Datetime("us", "UTC")
# What each conversion gives.
_STORED: Mapping[Callable[[pl.Series], pl.Expr], pl.DataType] = {
    _text: pl.String(),
    _integer: pl.Int64(),
    _instant: _UTC_MICROSECONDS,
    _json_list: pl.String(),
}
_DECISION: Mapping[str, Callable[[pl.Series], pl.Expr]] = {
    **dict.fromkeys(("decision_id", "party", "subject", "purpose", "outcome", "reasons"), _text),
    "rulebooks": _json_list,
    "log_position": _integer,
    "as_of": _instant,
    "decided_at": _instant,
}
_ACCESS = {**dict.fromkeys(("who", "role", "subject", "what"), _text), "at": _instant}
_DELIVERY = {**dict.fromkeys(("notice", "channel", "status"), _text), "at": _instant}

"""Type and check raw event rows against a rulebook plan, column by column.

Every row that cannot be scored exactly as written is set aside with its line and the
field at fault; the others become the kernel's event frame. Nothing is guessed: an unknown
type, a missing amount or a level the rulebook does not know is a rejection, not a zero.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from socialcredit.ingest.readers import Rejection
from socialcredit.kernel.tables import rule_table
from socialcredit.rules.model import ByField, Lookup
from socialcredit.rules.plan import CONSENT_SCHEME, VOID, Plan

__all__ = ["Check", "data_fields", "ensure_columns", "parse_times", "set_aside", "typed_events"]

# A check on rows: (is the row bad, the field at fault, the reason), reported in order.
Check = tuple[pl.Expr, str, pl.Expr]

REQUIRED = ("id", "source", "subject", "type", "occurred_at")
_AWARE = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M%#z", "%Y-%m-%d %H:%M:%S%.f%#z")
_LOCAL = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)


_INSTANT = pl.Datetime("us", "UTC")


def parse_times(text: pl.Expr, timezone: str) -> pl.Expr:
    """ISO 8601 text as UTC instants; text without an offset is wall-clock time in `timezone`.

    Each value is read by the first of the formats (those with an offset, then those
    without) that fits it."""
    return text.map_batches(lambda column: _parsed(column, timezone), return_dtype=_INSTANT)


def _format_readers(timezone: str) -> list[pl.Expr]:
    text = pl.col("t")
    aware = [text.str.to_datetime(f, strict=False, time_unit="us", time_zone="UTC") for f in _AWARE]
    local = [
        text.str.to_datetime(f, strict=False, time_unit="us")
        .dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        for f in _LOCAL
    ]
    return [*aware, *local]


def _parsed(column: pl.Series, timezone: str) -> pl.Series:
    # Format by format, each over only the values no earlier format read: the same result as
    # coalescing all of them, but a column in one format (the usual case) is read once, not
    # eight times. Whole columns at a time, never a value at a time.
    frame = pl.DataFrame({"t": column.cast(pl.String)})
    result = pl.Series(column.name, dtype=_INSTANT).extend_constant(None, column.len())
    for reader in _format_readers(timezone):
        pending = frame.get_column("t").set(result.is_not_null(), None)
        if pending.null_count() == pending.len():
            break
        read = frame.with_columns(t=pending).select(reader.alias("r")).to_series()
        result = pl.select(pl.coalesce(pl.lit(result), pl.lit(read))).to_series()
    return result.alias(column.name)


def _fields(
    plan: Plan,
) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[tuple[str, str], set[str]]]:
    numeric: dict[str, set[str]] = {}
    text: dict[str, set[str]] = {}
    allowed: dict[tuple[str, str], set[str]] = {}
    numeric_names = rule_table(plan).numeric_fields()
    for segment in plan.segments:
        for rule in segment.rules:
            for name in rule.fields:
                if rule.repair and name == rule.repair.match:
                    continue
                (numeric if name in numeric_names else text).setdefault(rule.on, set()).add(name)
            for spec in (rule.points, rule.validity):
                if isinstance(spec, Lookup | ByField):
                    allowed.setdefault((rule.on, spec.field), set()).update(spec.values)
    return numeric, text, allowed


def _problems(frame: pl.DataFrame, plan: Plan) -> list[Check]:
    """(is the row bad, field, reason) checks, in the order they are reported."""
    checks: list[Check] = []
    for name in REQUIRED:
        checks.append((pl.col(name).is_null(), name, pl.lit("missing")))
    checks.append(
        (
            pl.col("_at").is_null(),
            "occurred_at",
            pl.format("{} is not an ISO 8601 date or time", pl.col("occurred_at")),
        )
    )
    known = sorted(plan.known_types())
    checks.append(
        (
            ~pl.col("type").is_in(known),
            "type",
            pl.format(
                "unknown event type {} (not in the vocabulary of {})",
                pl.col("type"),
                pl.lit(plan.rulebook),
            ),
        )
    )
    checks.append(
        (
            (pl.col("type") == VOID) & pl.col("target").is_null(),
            "target",
            pl.lit("a void names the id of the event it withdraws in data.target"),
        )
    )
    numeric, text, allowed = _fields(plan)
    for event_type, names in sorted(numeric.items()):
        for name in sorted(names):
            value = pl.col(name).cast(pl.Float64, strict=False)
            of_type = pl.col("type") == event_type
            checks.append(
                (
                    of_type & pl.col(name).is_null(),
                    name,
                    pl.lit(f"{event_type} needs a number in {name}"),
                )
            )
            checks.append(
                (
                    of_type
                    & pl.col(name).is_not_null()
                    & (value.is_null() | value.is_nan() | value.is_infinite() | (value < 0)),
                    name,
                    pl.format("{} is not a non-negative number", pl.col(name)),
                )
            )
    for event_type, names in sorted(text.items()):
        for name in sorted(names):
            values = sorted(allowed.get((event_type, name), set()))
            of_type = pl.col("type") == event_type
            checks.append(
                (
                    of_type & ~pl.col(name).is_in(values).fill_null(False),
                    name,
                    pl.format(
                        "{} is not one of " + ", ".join(values), pl.col(name).fill_null("nothing")
                    ),
                )
            )
    return checks


def ensure_columns(frame: pl.DataFrame, names: Iterable[str]) -> pl.DataFrame:
    """The frame with a null text column for each name it lacks."""
    return frame.with_columns(
        pl.lit(None, dtype=pl.String).alias(n) for n in names if n not in frame.columns
    )


def data_fields(plan: Plan) -> list[str]:
    """Every data field the plan's rules read, repair match fields included, and the scheme a
    consent event names where the plan is opt-in."""
    numeric, text, _ = _fields(plan)
    matched = {
        r.repair.match for g in plan.segments for r in g.rules if r.repair and r.repair.match
    }
    # A repair's match field is optional (a missing one matches any), but kept when given.
    # So is the scheme a consent event names: an opt-in plan reads it (see `kernel.standing`).
    opt_in = any(g.membership == "opt-in" for g in plan.segments)
    named = {CONSENT_SCHEME} if opt_in else set()
    return sorted({n for s in (*numeric.values(), *text.values()) for n in s} | matched | named)


def typed_events(
    raw: pl.DataFrame, plan: Plan, *, repeats: bool = True
) -> tuple[pl.DataFrame, list[Rejection]]:
    """The kernel's event frame from text rows (keeping `_line`), and a rejection for every
    unusable row.

    With `repeats`, a second row with the same (source, id) is rejected too; a store, which
    settles repeats itself, turns that off.
    """
    numeric, _, _ = _fields(plan)
    fields = data_fields(plan)
    frame = ensure_columns(raw, [*REQUIRED, "act", "target", *fields])
    frame = frame.with_columns(_at=parse_times(pl.col("occurred_at"), plan.timezone))
    checks = _problems(frame, plan)
    frame = frame.with_columns(_bad=_first_failure(checks))
    if repeats:
        frame = _duplicates(frame)
    rejected = _rejections(frame.filter(pl.col("_bad").is_not_null()), checks)
    good = frame.filter(pl.col("_bad").is_null())
    numbers = sorted({n for s in numeric.values() for n in s})
    events = good.select(
        *(["_line"] if "_line" in good.columns else []),
        *[c for c in REQUIRED if c != "occurred_at"],
        "act",
        "target",
        occurred_at=pl.col("_at"),
        **{n: pl.col(n).cast(pl.Float64) for n in numbers},
        **{n: pl.col(n) for n in fields if n not in numbers},
    )
    return events, rejected


def _first_failure(checks: list[Check]) -> pl.Expr:
    """The index of the first check each row fails, or null."""
    first = pl.lit(None, dtype=pl.Int32)
    for i, (bad, _, _) in reversed(list(enumerate(checks))):
        first = pl.when(bad.fill_null(False)).then(pl.lit(i, dtype=pl.Int32)).otherwise(first)
    return first


def set_aside(frame: pl.DataFrame, checks: list[Check]) -> tuple[pl.DataFrame, list[Rejection]]:
    """The rows passing every check, and a rejection (first failure) for each other row."""
    frame = frame.with_columns(_bad=_first_failure(checks))
    rejected = _rejections(frame.filter(pl.col("_bad").is_not_null()), checks)
    return frame.filter(pl.col("_bad").is_null()).drop("_bad"), rejected


def _duplicates(frame: pl.DataFrame) -> pl.DataFrame:
    """A second row with the same (source, id) is rejected; the first one stands."""
    again = pl.col("_line").rank("ordinal").over("source", "id") > 1
    return frame.with_columns(
        _bad=pl.when(pl.col("_bad").is_null() & again & pl.col("id").is_not_null())
        .then(pl.lit(-1, dtype=pl.Int32))
        .otherwise("_bad"),
        _first=pl.col("_line").min().over("source", "id"),
    )


def _rejections(bad: pl.DataFrame, checks: list[Check]) -> list[Rejection]:
    if bad.is_empty():
        return []
    field = pl.col("_bad").replace_strict(
        {i: name for i, (_, name, _) in enumerate(checks)} | {-1: "id"}, return_dtype=pl.String
    )
    reason = (
        pl.format("repeats the (source, id) of line {}", pl.col("_first"))
        if "_first" in bad.columns
        else pl.lit(None, dtype=pl.String)
    )
    for i, (_, _, why) in enumerate(checks):
        reason = pl.when(pl.col("_bad") == i).then(why).otherwise(reason)
    rows = bad.select("_line", field.alias("field"), reason.alias("reason")).sort("_line")
    return [Rejection(line, name, why) for line, name, why in rows.iter_rows()]

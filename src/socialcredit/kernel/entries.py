"""Events to entries, for any number of subjects in one call, with Polars.

The same semantics as `kernel.reference`, step for step, written as joins and group-wise
window operations. Rows keep the event order (local time, source, id) from the start, so
every `over(...)` window sees a group's events in time order without a per-group sort.
Repeat doubling depends on whether earlier entries are still valid, which depends on their
own doubling; it is solved by iterating whole-column passes to the fixed point (each pass
settles at least one more event of every chain, and real chains are a few events long).
"""

from __future__ import annotations

import polars as pl

from socialcredit.domain.identifiers import ADULT_AGE
from socialcredit.kernel.frames import prepare_events
from socialcredit.kernel.identity import adult_from
from socialcredit.kernel.tables import (
    RuleTable,
    add_offset,
    base_points,
    offsets_in,
    rule_table,
    tier_total,
    validity_offset,
)
from socialcredit.rules.model import Cumulative, DirectGrade, Fixed
from socialcredit.rules.plan import Plan

__all__ = ["ENTRY_COLUMNS", "derive_entries"]

FOREVER = pl.lit(None, dtype=pl.Datetime("us"))

ENTRY_COLUMNS = [
    "subject",
    "event_id",
    "source",
    "type",
    "rule",
    "rulebook",
    "kind",
    "status",
    "base_points",
    "applied_points",
    "grade",
    "doubled",
    "capped",
    "valid_from",
    "valid_until",
    "ended_at",
    "ended_by",
]


def _with_base(scored: pl.DataFrame, table: RuleTable) -> pl.DataFrame:
    """Base points of every rule kind but cumulative tiers (those need the running sum)."""
    by_points: dict[str, list[int]] = {}
    for key, rule in table.rules.items():
        if not isinstance(rule.points, Fixed | DirectGrade | Cumulative):
            by_points.setdefault(repr(rule.points), []).append(key)
    base = pl.col("fixed_points")
    for keys in by_points.values():
        expr = base_points(table.rules[keys[0]])
        base = pl.when(pl.col("key").is_in(keys)).then(expr).otherwise(base)
    return scored.with_columns(base_points=base)


def _with_cumulative(scored: pl.DataFrame, table: RuleTable) -> pl.DataFrame:
    """Tier rises from the running sum of the field, on the rows of cumulative rules only."""
    keys = table.keys_where(Cumulative)
    is_cum = pl.col("key").is_in(keys)
    rows, rest = scored.filter(is_cum).sort("_order"), scored.filter(~is_cum)
    if rows.is_empty():
        return rest.with_columns(pl.col("base_points").fill_null(0))
    amount = pl.lit(None, dtype=pl.Float64)
    rise = pl.lit(None, dtype=pl.Int64)
    for key in keys:
        points = table.rules[key].points
        assert isinstance(points, Cumulative)
        amount = pl.when(pl.col("key") == key).then(pl.col(points.field)).otherwise(amount)
    rows = rows.with_columns(_amount=amount).with_columns(
        _after=pl.col("_amount").cum_sum().over("_sid", "_rid")
    )
    for key in keys:
        points = table.rules[key].points
        assert isinstance(points, Cumulative)
        before = pl.col("_after") - pl.col("_amount")
        gained = tier_total(points.tiers, pl.col("_after")) - tier_total(points.tiers, before)
        rise = pl.when(pl.col("key") == key).then(gained).otherwise(rise)
    rows = rows.with_columns(base_points=rise.fill_null(0)).drop("_amount", "_after")
    return pl.concat([rest.with_columns(pl.col("base_points").fill_null(0)), rows])


def _with_minors(scored: pl.DataFrame) -> pl.DataFrame:
    adult_on = adult_from(pl.col("birth_date"), ADULT_AGE)
    minor = pl.col("negative") & (pl.col("t").dt.date() < adult_on).fill_null(False)
    return scored.with_columns(
        status=pl.when(minor).then(pl.lit("minor")).otherwise(pl.lit("counted")),
        applied_points=pl.when(minor).then(0).otherwise(pl.col("base_points")),
    )


def _rank() -> pl.Expr:
    grade = pl.col("kind") == "grade"
    magnitude = pl.col("base_points").abs().cast(pl.Int64)
    return (
        grade.cast(pl.Int64) * (1 << 50)
        + pl.col("grade_rank").fill_null(0).cast(pl.Int64) * (1 << 40)
        + pl.when(grade).then(0).otherwise(magnitude * 2 + (pl.col("base_points") < 0))
    )


def _with_acts(scored: pl.DataFrame) -> pl.DataFrame:
    """One act, one entry: later reports of an act supersede only if they outrank."""
    in_act = pl.col("act").is_not_null() & (pl.col("status") == "counted")
    acts = scored.filter(in_act)
    rest = scored.filter(~in_act).with_columns(
        ended_at=FOREVER, ended_by=pl.lit(None, dtype=pl.String)
    )
    if acts.is_empty():
        return rest
    group = ("_sid", "act")
    acts = (
        acts.sort("_order")
        .with_columns(_rank=_rank())
        .with_columns(_best=pl.col("_rank").cum_max().shift(1).over(group))
    )
    leads = pl.col("_best").is_null() | (pl.col("_rank") > pl.col("_best"))
    acts = acts.with_columns(_lead=leads).with_columns(
        _holder=pl.when("_lead").then(pl.col("event_id")).forward_fill().over(group),
    )
    leaders = acts.filter("_lead").with_columns(
        ended_at=pl.col("t").shift(-1).over(group),
        ended_by=pl.col("event_id").shift(-1).over(group),
    )
    followers = acts.filter(~pl.col("_lead")).with_columns(
        status=pl.lit("superseded"),
        applied_points=pl.lit(0, dtype=pl.Int64),
        ended_at=pl.col("t"),
        ended_by=pl.col("_holder"),
    )
    helpers = ("_rank", "_best", "_lead", "_holder")
    return pl.concat([rest, leaders.drop(helpers), followers.drop(helpers)], how="diagonal")


def _until(frame: pl.DataFrame, table: RuleTable) -> pl.Expr:
    """Validity end of each row, built only from the rules present in `frame`."""
    present = set(frame.get_column("key").unique().to_list())
    by_validity: dict[str, list[int]] = {}
    for key in sorted(present):
        by_validity.setdefault(repr(table.rules[key].validity), []).append(key)
    offset = pl.lit(None, dtype=pl.String)
    for keys in by_validity.values():
        expr = validity_offset(table.rules[keys[0]].validity, pl.col("applied_points"))
        offset = pl.when(pl.col("key").is_in(keys)).then(expr).otherwise(offset)
    return add_offset(pl.col("t"), offset, offsets_in(table, present))


def _capped(applied: pl.Expr) -> list[pl.Expr]:
    period = (
        pl.when(pl.col("cap_period") == "month")
        .then(pl.col("t").dt.year() * 100 + pl.col("t").dt.month())
        .otherwise(pl.col("t").dt.year() * 100)
    )
    magnitude = applied.abs()
    has_cap = pl.col("cap_most").is_not_null()
    # Only entries made under a version with a cap use it up (as in the reference).
    used = pl.when(has_cap).then(magnitude).otherwise(0)
    spent = used.cum_sum().over("_sid", "_rid", period) - used
    room = (pl.col("cap_most") - spent).clip(lower_bound=0)
    kept = pl.min_horizontal(magnitude, room)
    return [
        pl.when(has_cap).then(kept * applied.sign()).otherwise(applied).cast(pl.Int64),
        has_cap & (kept < magnitude),
    ]


def _settle(ordered: pl.DataFrame, table: RuleTable) -> pl.DataFrame:
    """Doubling, caps and validity of counted entries of order-dependent rules, to a fixpoint."""
    doubled = pl.Series("doubled", [False] * ordered.height, dtype=pl.Boolean)
    any_cap = ordered.get_column("cap_most").is_not_null().any()
    until = _until(ordered, table)
    for _ in range(ordered.height + 1):
        frame = ordered.with_columns(doubled=doubled)
        applied = pl.col("base_points") * pl.when("doubled").then(2).otherwise(1)
        value, capped = _capped(applied) if any_cap else [applied, pl.lit(False)]
        frame = frame.with_columns(applied_points=value, capped=capped)
        frame = frame.with_columns(valid_until=until)
        end = pl.min_horizontal(pl.col("valid_until"), pl.col("ended_at"))
        latest = end.fill_null(pl.datetime(9999, 12, 31)).cum_max().shift(1).over("_sid", "_rid")
        again = frame.select(
            (pl.col("repeat") & (latest > pl.col("t")).fill_null(False)).alias("doubled")
        ).to_series()
        if again.equals(doubled):
            return frame
        doubled = again
    raise AssertionError("doubling did not settle")  # unreachable: each pass fixes one more


def _with_combining(scored: pl.DataFrame, table: RuleTable) -> pl.DataFrame:
    """Doubling (to a fixpoint), caps and validity; each on only the rows that need it."""
    repeating = sorted({r.id for r in table.rules.values() if r.repeat})
    capped = sorted({r.id for r in table.rules.values() if r.cap} - set(repeating))
    counted = pl.col("status") == "counted"
    in_repeat = counted & pl.col("rule").is_in(repeating)
    in_cap = counted & pl.col("rule").is_in(capped)
    parts = [_settle(scored.filter(in_repeat).sort("_order"), table)]
    once = scored.filter(in_cap).sort("_order")
    value, was_capped = _capped(pl.col("base_points"))
    once = once.with_columns(applied_points=value, capped=was_capped, doubled=pl.lit(False))
    parts.append(once.with_columns(valid_until=_until(once, table)))
    rest = scored.filter(~in_repeat & ~in_cap)
    rest = rest.with_columns(doubled=pl.lit(False), capped=pl.lit(False))
    parts.append(rest.with_columns(valid_until=_until(rest, table)))
    return pl.concat(parts, how="diagonal")


def _match_value(table: RuleTable) -> pl.Expr:
    """The value of each repaired rule's own `match` field (null where it has none)."""
    value = pl.lit(None, dtype=pl.String)
    for rule in {r.id: r for r in table.rules.values() if r.repair and r.repair.match}.values():
        assert rule.repair is not None
        assert rule.repair.match is not None
        field = pl.col(rule.repair.match).cast(pl.String)
        value = pl.when(pl.col("rule") == rule.id).then(field).otherwise(value)
    return value


def _with_repairs(entries: pl.DataFrame, events: pl.DataFrame, table: RuleTable) -> pl.DataFrame:
    repairs = events.join(table.repairs, on=["seg", "type"], how="inner")
    if repairs.is_empty():
        return entries
    grades = entries.filter((pl.col("kind") == "grade") & (pl.col("status") == "counted"))
    end = pl.min_horizontal("valid_until", "ended_at")
    pairs = grades.select(
        "subject",
        "rule",
        "_order",
        "valid_from",
        _end=end,
        _mine=_match_value(table),
    ).join(
        repairs.select(
            "subject",
            "rule",
            "match",
            _rt=pl.col("t"),
            _rorder=pl.col("_order"),
            _rev=pl.col("event_id"),
            _theirs=_match_value(table),
        ),
        on=["subject", "rule"],
        how="inner",
    )
    pairs = _matching(pairs).filter(
        (pl.col("valid_from") <= pl.col("_rt"))
        & (pl.col("_end").is_null() | (pl.col("_rt") < pl.col("_end")))
    )
    first = pairs.sort("_rorder").group_by("_order", maintain_order=True).first()
    entries = entries.join(first.select("_order", "_rt", "_rev"), on="_order", how="left")
    entries = entries.with_columns(
        ended_at=pl.when(pl.col("_rt").is_not_null()).then("_rt").otherwise("ended_at"),
        ended_by=pl.when(pl.col("_rt").is_not_null()).then("_rev").otherwise("ended_by"),
    ).drop("_rt", "_rev")
    used = first.select(pl.col("_rorder").alias("_order")).unique()
    made = repairs.join(used, on="_order", how="semi").with_columns(
        kind=pl.lit("repair"),
        status=pl.lit("counted"),
        valid_from=pl.col("t"),
        base_points=pl.col("repair_points"),
        applied_points=pl.col("repair_points"),
        grade=pl.lit(None, dtype=pl.String),
        doubled=pl.lit(False),
        capped=pl.lit(False),
        valid_until=add_offset(pl.col("t"), pl.col("repair_offset"), offsets_in(table)),
        ended_at=FOREVER,
        ended_by=pl.lit(None, dtype=pl.String),
    )
    return pl.concat([entries, made], how="diagonal")


def _matching(pairs: pl.DataFrame) -> pl.DataFrame:
    either_missing = pl.col("_mine").is_null() | pl.col("_theirs").is_null()
    return pairs.filter(
        pl.col("match").is_null() | either_missing | (pl.col("_mine") == pl.col("_theirs"))
    )


def derive_entries(events: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """Every entry the plan derives from an event frame (see `kernel.frames` for columns)."""
    table = rule_table(plan)
    prepared = prepare_events(events, plan, table)
    scored = prepared.join(table.frame, on=["seg", "type"], how="inner", maintain_order="left")
    scored = scored.with_columns(valid_from=pl.col("t"))
    scored = _with_cumulative(_with_base(scored, table), table)
    scored = _with_acts(_with_minors(scored))
    entries = _with_combining(scored, table)
    entries = _with_repairs(entries, prepared, table)
    return entries.select(ENTRY_COLUMNS)

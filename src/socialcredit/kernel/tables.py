"""A Plan turned into small Polars tables and expressions the kernel joins against."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.domain.durations import Duration
from socialcredit.rules.model import (
    Bands,
    ByField,
    ByMagnitude,
    Cumulative,
    DirectGrade,
    Fixed,
    Lookup,
    PerUnit,
    Progressive,
    Rule,
)
from socialcredit.rules.plan import Plan

__all__ = ["RuleTable", "rule_table"]

NUMERIC = pl.Float64


@dataclass(frozen=True)
class RuleTable:
    """Every (segment, rule) of a plan as a row of `frame` whose index is its key, plus the
    rules by key, the repairs, and the arrays that find a row's key from its type."""

    frame: pl.DataFrame
    repairs: pl.DataFrame
    rules: dict[int, Rule]
    starts: tuple[object, ...]
    types: dict[str, int]
    key_of: npt.NDArray[np.int64]
    rule_of: npt.NDArray[np.int64]

    def by_key(self, column: str, keys: pl.Expr) -> pl.Expr:
        """Each rule key in `keys` replaced by that rule's value of a `frame` column."""
        values = self.frame.get_column(column)
        return keys.replace_strict(
            self.frame.get_column("key"), values, default=None, return_dtype=values.dtype
        )

    def grade_ranks(self, ranks: dict[str, int]) -> npt.NDArray[np.int64]:
        """Per rule key, the rank (in `ranks`) of the direct grade it gives; -1 for none."""
        grade = self.frame.get_column("grade")
        return grade.replace_strict(ranks, default=-1, return_dtype=pl.Int64).to_numpy()

    def values(self, column: str, keys: npt.NDArray[np.int64]) -> pl.Series:
        """That rule's value of a `frame` column for each rule key in `keys`."""
        return self.frame.get_column(column).gather(keys)

    def array(self, column: str) -> npt.NDArray[np.int64]:
        """A numeric or boolean `frame` column as integers indexed by rule key (null: 0)."""
        values = self.frame.get_column(column).fill_null(0).cast(pl.Int64)
        return np.asarray(values.to_numpy(), np.int64)

    def numeric_fields(self) -> set[str]:
        """Data fields the plan reads as numbers."""
        found = set()
        for rule in self.rules.values():
            if isinstance(rule.points, PerUnit | Bands | Progressive | Cumulative):
                found.add(rule.points.field)
        return found

    def text_fields(self) -> set[str]:
        """Data fields the plan reads as text."""
        found = set()
        for rule in self.rules.values():
            if isinstance(rule.points, Lookup):
                found.add(rule.points.field)
            if isinstance(rule.validity, ByField):
                found.add(rule.validity.field)
            if rule.repair and rule.repair.match:
                found.add(rule.repair.match)
        return found - self.numeric_fields()


def _row(key: int, rule: Rule, grade_rank: int | None) -> dict[str, object]:
    return {
        "key": key,
        "rule": rule.id,
        "rulebook": f"{rule.rulebook}@{rule.version}",
        "kind": "grade" if isinstance(rule.points, DirectGrade) else "points",
        "negative": rule.negative,
        "grade": rule.points.grade if isinstance(rule.points, DirectGrade) else None,
        "grade_rank": grade_rank,
        "fixed_points": rule.points.points if isinstance(rule.points, Fixed) else None,
    }


_SCHEMA = {
    "key": pl.Int32,
    "rule": pl.String,
    "rulebook": pl.String,
    "kind": pl.String,
    "negative": pl.Boolean,
    "grade": pl.String,
    "grade_rank": pl.Int32,
    "fixed_points": pl.Int64,
}
_REPAIR_SCHEMA = {
    "seg": pl.Int32,
    "type": pl.String,
    "rule": pl.String,
    "rulebook": pl.String,
    "repair_points": pl.Int64,
    "repair_offset": pl.String,
    "match": pl.String,
}


def rule_table(plan: Plan) -> RuleTable:
    """Number every (segment, rule) pair and lay the plan out as join tables."""
    rows: list[dict[str, object]] = []
    repairs: list[dict[str, object]] = []
    rules: dict[int, Rule] = {}
    placed: list[tuple[int, Rule]] = []
    for seg, segment in enumerate(plan.segments):
        for rule in segment.rules:
            key = len(rules)
            rules[key] = rule
            placed.append((seg, rule))
            grades = segment.grades
            rank = (
                grades.rank(rule.points.grade)
                if isinstance(rule.points, DirectGrade) and grades is not None
                else None
            )
            rows.append(_row(key, rule, rank))
            if rule.repair:
                repairs.append(
                    {
                        "seg": seg,
                        "type": rule.repair.on,
                        "rule": rule.id,
                        "rulebook": f"{rule.rulebook}@{rule.version}",
                        "repair_points": rule.repair.points,
                        "repair_offset": rule.repair.validity.polars_offset,
                        "match": rule.repair.match,
                    }
                )
    named = {r.on for r in rules.values()} | {r.repair.on for r in rules.values() if r.repair}
    types = {on: i for i, on in enumerate(sorted(named))}
    key_of = np.full((len(plan.segments), max(len(types), 1)), -1, np.int64)
    codes: dict[str, int] = {}  # one code per rule id, shared by its versions
    for key, (seg, rule) in enumerate(placed):
        key_of[seg, types[rule.on]] = key
    return RuleTable(
        frame=pl.DataFrame(rows, schema=_SCHEMA),
        repairs=pl.DataFrame(repairs, schema=_REPAIR_SCHEMA),
        rules=rules,
        starts=tuple(s.start for s in plan.segments),
        types=types,
        key_of=key_of,
        rule_of=np.array([codes.setdefault(r.id, len(codes)) for r in rules.values()] or [0]),
    )


def _bands(value: pl.Expr, bands: Iterable[tuple[float, object]]) -> pl.Expr:
    pairs = list(bands)
    expr: pl.Expr = pl.lit(None)
    for bound, result in reversed(pairs):
        expr = pl.when(value <= bound).then(pl.lit(result)).otherwise(expr)
    return expr


def base_points(rule: Rule) -> pl.Expr:
    """The base points of one event under a non-cumulative points rule."""
    p = rule.points
    if isinstance(p, Fixed):
        return pl.lit(p.points, dtype=pl.Int64)
    if isinstance(p, PerUnit):
        return (pl.col(p.field).floor() * p.each).cast(pl.Int64)
    if isinstance(p, Bands):
        return _bands(pl.col(p.field), p.bands).cast(pl.Int64)
    if isinstance(p, Lookup):
        return pl.col(p.field).replace_strict(dict(p.values), default=None, return_dtype=pl.Int64)
    if isinstance(p, Progressive):
        a = pl.col(p.field)
        parts = [
            ((a - b.above).clip(0, b.up_to - b.above) / b.step).floor().clip(upper_bound=b.most)
            * b.each
            for b in p.brackets
        ]
        return pl.sum_horizontal(parts).cast(pl.Int64)
    return pl.lit(0, dtype=pl.Int64)


def offsets_in(table: RuleTable, keys: Iterable[int] | None = None) -> list[str]:
    """Every distinct offset string the rules (all, or those keyed) can produce."""
    found: set[str] = set()
    chosen = table.rules if keys is None else {k: table.rules[k] for k in keys}
    for rule in chosen.values():
        v = rule.validity
        if isinstance(v, Duration):
            found.add(v.polars_offset)
        elif isinstance(v, ByMagnitude):
            found.update(d.polars_offset for _, d in v.bands)
        elif isinstance(v, ByField):
            found.update(d.polars_offset for d in v.values.values())
        if rule.repair:
            found.add(rule.repair.validity.polars_offset)
    return sorted(found)


def add_offset(moment: pl.Expr, offset: pl.Expr, offsets: list[str]) -> pl.Expr:
    """`moment` moved by a per-row offset drawn from a known, small set of offsets."""
    if not offsets:
        return pl.lit(None, dtype=pl.Datetime("us"))
    expr: pl.Expr = pl.lit(None, dtype=pl.Datetime("us"))
    for item in offsets:
        expr = pl.when(offset == item).then(moment.dt.offset_by(item)).otherwise(expr)
    return expr

"""Events to entries, for any number of subjects in one call.

The same semantics as `kernel.reference`, step for step. Per-event work (base points, minors)
is Polars expressions over whole columns in input order; one act, one entry and repairs are
joins and windows over the few rows they concern; the chains of a subject's events under one
rule (cumulative tiers, doubling, caps, validity) are one compiled pass in processing order
(`kernel.chains`). Entries come out in input order, repairs last.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.domain.events import ENTRY_COLUMNS
from socialcredit.domain.identifiers import ADULT_AGE
from socialcredit.kernel.chains import chains, cumulative_rises
from socialcredit.kernel.derivation import MOMENT, Derivation
from socialcredit.kernel.frames import Prepared, prepare_events
from socialcredit.kernel.identity import adult_days, adult_from
from socialcredit.kernel.scan import COUNTED, NEVER, SUPERSEDED, firsts, grouped, statuses
from socialcredit.kernel.scan import acts as scan_acts
from socialcredit.kernel.tables import (
    RuleTable,
    add_offset,
    base_points,
    offsets_in,
    rule_table,
)
from socialcredit.rules.model import (
    Bands,
    Cumulative,
    DirectGrade,
    Fixed,
    Lookup,
    PerUnit,
    Progressive,
)
from socialcredit.rules.plan import Plan

__all__ = ["ENTRY_COLUMNS", "Derivation", "derive", "derive_entries"]

# The type of a conversion's entry when a credit repair's approval, not an event, made it.
CREDIT_REPAIR = "repair.decision"

I64 = npt.NDArray[np.int64]


def _base(prepared: Prepared, table: RuleTable) -> I64:
    """Base points per position: fixed points by lookup, each other kind by its expression
    over the positions of its rules only, cumulative tiers from running sums."""
    key = prepared.sorted_key
    base = table.array("fixed_points")[key] if key.size else np.zeros(0, np.int64)
    groups: dict[str, list[int]] = {}  # keys by points (cumulative ones under "")
    for k, rule in table.rules.items():
        if isinstance(rule.points, Cumulative):
            groups.setdefault("", []).append(k)
        elif not isinstance(rule.points, Fixed | DirectGrade):
            groups.setdefault(repr(rule.points), []).append(k)
    group_of_key = np.full(max(table.rule_of.size, 1), -1, np.int64)
    for g, keys in enumerate(groups.values()):
        group_of_key[keys] = g
    starts, positions = grouped(key, group_of_key, len(groups))
    for g, (points, keys) in enumerate(groups.items()):
        at = positions[starts[g] : starts[g + 1]]
        if at.size and points == "":
            base[at] = cumulative_rises(prepared, table, at)
        elif at.size:
            rule = table.rules[keys[0]]
            assert isinstance(rule.points, PerUnit | Bands | Lookup | Progressive)
            values = prepared.events.select(rule.points.field).gather(prepared.order[at])
            base[at] = values.select(base_points(rule).fill_null(0)).to_series().to_numpy()
    return np.asarray(base, np.int64)


def _adult_days(prepared: Prepared, plan: Plan) -> I64:
    """Per subject code, the local day (days since 1970) the subject turns 18; a day far in
    the past where the birth date is unknown."""
    unknown = np.iinfo(np.int32).min
    code = prepared.code
    subjects = int(code[-1]) + 1 if code.size else 0
    events = prepared.events
    if subjects == 0 or (
        "birth_date" not in events.columns and "person" not in plan.latest.subjects
    ):
        return np.full(subjects, unknown, np.int64)
    # The first row of each subject in processing order speaks for the subject.
    first = prepared.order[firsts(code)]
    if "birth_date" not in events.columns:
        return adult_days(events.get_column("subject").gather(first), ADULT_AGE, unknown)
    born = events.get_column("birth_date").gather(first).to_frame()
    adult = born.select(adult_from(pl.col("birth_date"), ADULT_AGE))
    days = adult.to_series().cast(pl.Int32).fill_null(unknown).to_numpy()
    return np.asarray(days, np.int64)


def _status(prepared: Prepared, table: RuleTable, plan: Plan) -> I64:
    """Per position: COUNTED, or MINOR for a negative rule's event before the subject turned
    18."""
    negative = table.array("negative").astype(np.bool_)
    adult = _adult_days(prepared, plan)
    status = np.empty(prepared.code.size, np.int64)
    statuses(prepared.code, prepared.sorted_key, prepared.sorted_t, negative, adult, status)
    return status


def _rank(table: RuleTable) -> pl.Expr:
    """Act ranking: direct grade over points, worse grade first, then magnitude, then sign."""
    grade = table.by_key("kind", pl.col("_key")) == "grade"
    magnitude = pl.col("_base").abs()
    return (
        grade.cast(pl.Int64) * (1 << 50)
        + table.by_key("grade_rank", pl.col("_key")).cast(pl.Int64).fill_null(0) * (1 << 40)
        + pl.when(grade).then(0).otherwise(magnitude * 2 + (pl.col("_base") < 0))
    )


def _resolve_acts(
    prepared: Prepared, table: RuleTable, base: I64, status: I64, ended: I64, ender: I64
) -> None:
    """One act, one entry: later reports of an act supersede only if they outrank. Sets
    `status`, `ended` (local time) and `ender` (the ending row), all per position, in place."""
    has_act = prepared.events.get_column("act").is_not_null().to_numpy()
    rows = np.flatnonzero(has_act & (prepared.key >= 0))
    at = prepared.position[rows]
    counted = status[at] == COUNTED
    rows, at = rows[counted], at[counted]
    if rows.size == 0:
        return
    reports = (
        prepared.events.select("act", "source", "id")
        .gather(rows)
        .with_columns(
            _key=prepared.key[rows],
            _row=rows,
            _at=at,
            _subject=prepared.code[at],
            _t=prepared.t[rows],
            _base=base[at],
        )
        .sort("_subject", "act", "_t", "source", "id")
    )
    new = (pl.col("_subject") != pl.col("_subject").shift()) | (
        pl.col("act") != pl.col("act").shift()
    )
    keyed = reports.select(new.fill_null(True), _rank(table))
    lead, holder, until, by = scan_acts(
        keyed.to_series(0).to_numpy(),
        keyed.to_series(1).to_numpy(),
        reports.get_column("_row").to_numpy(),
        reports.get_column("_t").to_numpy(),
    )
    position = reports.get_column("_at").to_numpy()
    ending = lead & (by >= 0)
    ended[position[ending]] = until[ending]
    ender[position[ending]] = by[ending]
    follower = ~lead
    status[position[follower]] = SUPERSEDED
    ended[position[follower]] = reports.get_column("_t").to_numpy()[follower]
    ender[position[follower]] = holder[follower]


def _match_value(table: RuleTable) -> pl.Expr:
    """The value of each repaired rule's own `match` field (null where it has none)."""
    value = pl.lit(None, dtype=pl.String)
    for rule in {r.id: r for r in table.rules.values() if r.repair and r.repair.match}.values():
        assert rule.repair is not None
        assert rule.repair.match is not None
        field = pl.col(rule.repair.match).cast(pl.String)
        value = pl.when(pl.col("rule") == rule.id).then(field).otherwise(value)
    return value


def _repairs(
    prepared: Prepared,
    table: RuleTable,
    status: I64,
    until: I64,
    ended: I64,
    ender: I64,
    by_repair: npt.NDArray[np.bool_],
) -> pl.DataFrame:
    """A repair event ends every counted direct grade of its rule that still counts at its
    time (and matches); it adds its own entry once per rule it repaired. Sets `ended`,
    `ender` and `by_repair` (per position) of the grades it ends in place; returns the
    repair entries."""
    if table.repairs.is_empty():
        return pl.DataFrame()
    repair_types = [table.types[t] for t in table.repairs.get_column("type").unique()]
    repairing = np.isin(prepared.type_code, repair_types) & (prepared.seg >= 0)
    events = np.flatnonzero(repairing & ~prepared.withdrawn)
    is_grade = (table.frame.get_column("kind") == "grade").to_numpy()
    grades = np.flatnonzero(is_grade[prepared.sorted_key] & (status == COUNTED))
    if events.size == 0 or grades.size == 0:
        return pl.DataFrame()
    matched = sorted({r.repair.match for r in table.rules.values() if r.repair and r.repair.match})
    repairs = (
        prepared.events.select("subject", "source", "id", "type", *matched)
        .gather(events)
        .with_columns(_row=events, _t=prepared.t[events], seg=prepared.seg[events].astype(np.int32))
        .join(table.repairs, on=["seg", "type"], how="inner")
    )
    end = np.minimum(until[grades], ended[grades])
    rows = prepared.order[grades]
    held = (
        prepared.events.select("subject", *matched)
        .gather(rows)
        .with_columns(
            _at=grades, _t=prepared.t[rows], _end=end, rule=table.values("rule", prepared.key[rows])
        )
    )
    pairs = held.select(
        "subject",
        "rule",
        _code=prepared.code[grades],
        _grade=pl.col("_at"),
        _from=pl.col("_t"),
        _end="_end",
        _mine=_match_value(table),
    ).join(
        repairs.select(
            "subject",
            "rule",
            "match",
            "source",
            "id",
            "rulebook",
            "repair_points",
            "repair_offset",
            _rrow=pl.col("_row"),
            _rt=pl.col("_t"),
            _theirs=_match_value(table),
        ),
        on=["subject", "rule"],
        how="inner",
    )
    either_missing = pl.col("_mine").is_null() | pl.col("_theirs").is_null()
    pairs = pairs.filter(
        (pl.col("match").is_null() | either_missing | (pl.col("_mine") == pl.col("_theirs")))
        & (pl.col("_from") <= pl.col("_rt"))
        & (pl.col("_rt") < pl.col("_end"))
    )
    first = pairs.sort("_rt", "source", "id").group_by("_grade", maintain_order=True).first()
    at = first.get_column("_grade").to_numpy()
    ended[at] = first.get_column("_rt").to_numpy()
    ender[at] = first.get_column("_rrow").to_numpy()
    by_repair[at] = False  # ended by the event, before any credit repair
    made = repairs.join(
        first.select("_code", "rule", _row=pl.col("_rrow")).unique(),
        on=["_row", "rule"],
        how="inner",
        maintain_order="left",
    )
    return _repair_entries(made.rename({"id": "event_id"}), table)


def _conversions(
    prepared: Prepared, table: RuleTable, by_repair: npt.NDArray[np.bool_], ended: I64
) -> pl.DataFrame:
    """A credit repair approved for a penalty whose rule converts it (the rule's `repair`)
    converts it as the rule's repair event would, at the approval: the penalty ended then
    (`chains`), and the conversion's own entry, named by the application."""
    specs = [r.repair for r in table.rules.values()]  # by rule key
    converting = np.array([spec is not None for spec in specs], np.bool_)
    at = np.flatnonzero(by_repair & converting[prepared.sorted_key])
    if at.size == 0 or "repaired_by" not in prepared.events.columns:
        return pl.DataFrame()
    rows = prepared.order[at]
    keys = prepared.sorted_key[at]
    points = pl.Series([s.points if s else 0 for s in specs], dtype=pl.Int64)
    offsets = pl.Series([s.validity.polars_offset if s else None for s in specs], dtype=pl.String)
    return _repair_entries(
        prepared.events.select("subject", "source", event_id=pl.col("repaired_by"))
        .gather(rows)
        .with_columns(
            type=pl.lit(CREDIT_REPAIR),
            rule=table.values("rule", keys),
            rulebook=table.values("rulebook", keys),
            repair_points=points.gather(keys),
            repair_offset=offsets.gather(keys),
            _t=ended[at],
            _code=prepared.code[at],
        ),
        table,
    )


def _repair_entries(repairs: pl.DataFrame, table: RuleTable) -> pl.DataFrame:
    """Repair entries from `subject`, `event_id`, `source`, `type`, `rule`, `rulebook`,
    `repair_points`, `repair_offset` and `_t` (local time, microseconds), each with `_code`,
    its subject's code, last."""
    start = pl.col("_t").cast(MOMENT)
    return repairs.select(
        "subject",
        "event_id",
        "source",
        "type",
        "rule",
        "rulebook",
        kind=pl.lit("repair"),
        status=pl.lit("counted"),
        base_points="repair_points",
        applied_points="repair_points",
        grade=pl.lit(None, dtype=pl.String),
        doubled=pl.lit(False),
        capped=pl.lit(False),
        valid_from=start,
        valid_until=add_offset(start, pl.col("repair_offset"), offsets_in(table)),
        ended_at=pl.lit(None, dtype=MOMENT),
        ended_by=pl.lit(None, dtype=pl.String),
        _code="_code",
    )


def derive(events: pl.DataFrame, plan: Plan) -> Derivation:
    """What the plan derives from an event frame (see `kernel.frames` for columns), as codes
    in processing order (`Derivation.entries()` spells it out)."""
    table = rule_table(plan)
    prepared = prepare_events(events, plan, table)
    base = _base(prepared, table)
    status = _status(prepared, table, plan)
    ended = np.full(base.size, NEVER, np.int64)
    ender = np.full(base.size, -1, np.int64)
    _resolve_acts(prepared, table, base, status, ended, ender)
    applied, doubled, capped, until, by_repair = chains(prepared, table, base, status, ended)
    repairs = _repairs(prepared, table, status, until, ended, ender, by_repair)
    conversions = _conversions(prepared, table, by_repair, ended)
    found = [f for f in (repairs, conversions) if f.height]
    made = pl.concat(found, how="vertical") if found else pl.DataFrame({"_code": []})
    return Derivation(
        prepared,
        table,
        status,
        base,
        applied,
        doubled,
        capped,
        until,
        ended,
        ender,
        by_repair,
        made.drop("_code"),
        made.get_column("_code").cast(pl.Int64).to_numpy(),
    )


def derive_entries(events: pl.DataFrame, plan: Plan) -> pl.DataFrame:
    """Every entry the plan derives from an event frame (see `kernel.frames` for columns)."""
    return derive(events, plan).entries()

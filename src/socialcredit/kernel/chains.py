"""The order-dependent rules, applied chain by chain: cumulative tiers, doubling, caps, ends.

The rule-by-rule facts the compiled scans need (does the rule repeat, its cap, how its
validity is chosen) are laid out here as small arrays indexed by rule key. Calendar
arithmetic stays in Polars: every validity length is applied once to each local day in the
data's range, and the scan looks the shifted day up.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import polars as pl

from socialcredit.domain.durations import Duration
from socialcredit.kernel.frames import Prepared
from socialcredit.kernel.scan import (
    BY_FIELD,
    BY_MAGNITUDE,
    DAY,
    FIXED,
    NO_END,
    Chains,
    combine,
    running,
)
from socialcredit.kernel.tables import RuleTable, offsets_in
from socialcredit.rules.model import ByField, ByMagnitude, Cumulative

__all__ = ["chains", "running_totals"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def running_totals(prepared: Prepared, table: RuleTable) -> tuple[F64, F64]:
    """For rows of cumulative rules: the field, and its sum over the subject's earlier rows."""
    amount = pl.lit(None, dtype=pl.Float64)
    cumulative = np.zeros(max(table.rule_of.size, 1), np.bool_)
    for key in table.keys_where(Cumulative):
        points = table.rules[key].points
        assert isinstance(points, Cumulative)
        cumulative[key] = True
        amount = pl.when(pl.col("_key") == key).then(pl.col(points.field)).otherwise(amount)
    values = prepared.events.select(amount.fill_null(0.0)).to_series().to_numpy()
    is_cumulative = np.zeros(prepared.key.size, np.bool_)
    live = prepared.key >= 0
    is_cumulative[live] = cumulative[prepared.key[live]]
    before = running(prepared.order, prepared.code, prepared.rule, values, is_cumulative)
    return values, before


def _shifted(offsets: list[str], first: int, last: int) -> I64:
    """Each local day from `first` to `last` (days since 1970) moved by each offset."""
    days = pl.int_range(first, last + 1, eager=True).cast(pl.Int32).cast(pl.Date)
    table = np.empty((max(len(offsets), 1), last - first + 1), np.int64)
    for i, offset in enumerate(offsets):
        moved = days.dt.offset_by(offset)
        table[i] = moved.cast(pl.Int32).to_numpy()
    return table


def _validity(table: RuleTable, index: dict[str, int]) -> tuple[I64, I64, F64, I64]:
    size = max(table.rule_of.size, 1)
    widest = max(
        [len(r.validity.bands) for r in table.rules.values() if isinstance(r.validity, ByMagnitude)]
        or [1]
    )
    kind = np.full(size, NO_END, np.int64)
    offset = np.full(size, -1, np.int64)
    bounds = np.full((size, widest), -np.inf)
    band_offsets = np.full((size, widest), -1, np.int64)
    for key, rule in table.rules.items():
        v = rule.validity
        if isinstance(v, Duration):
            kind[key], offset[key] = FIXED, index[v.polars_offset]
        elif isinstance(v, ByMagnitude):
            kind[key] = BY_MAGNITUDE
            for b, (bound, duration) in enumerate(v.bands):
                bounds[key, b] = bound
                band_offsets[key, b] = index[duration.polars_offset]
        elif isinstance(v, ByField):
            kind[key] = BY_FIELD
    return kind, offset, bounds, band_offsets


def _field_offsets(prepared: Prepared, table: RuleTable, index: dict[str, int]) -> I64:
    """The validity offset chosen by a field's value, on the rows of such rules only."""
    found = np.full(prepared.key.size, -1, np.int64)
    for key, rule in table.rules.items():
        v = rule.validity
        if isinstance(v, ByField):
            rows = np.flatnonzero(prepared.key == key)
            lookup = {value: index[d.polars_offset] for value, d in v.values.items()}
            values = prepared.events.get_column(v.field).gather(rows)
            found[rows] = values.replace_strict(lookup, default=-1, return_dtype=pl.Int64)
    return found


def _periods(prepared: Prepared, table: RuleTable) -> I64:
    monthly = np.zeros(max(table.rule_of.size, 1), np.bool_)
    for key, rule in table.rules.items():
        monthly[key] = rule.cap is not None and rule.cap.period == "month"
    t = pl.Series(prepared.t).cast(pl.Datetime("us"))
    year, month = t.dt.year().cast(pl.Int64).to_numpy(), t.dt.month().cast(pl.Int64).to_numpy()
    live = prepared.key >= 0
    by_month = np.zeros(prepared.key.size, np.bool_)
    by_month[live] = monthly[prepared.key[live]]
    return np.asarray(year * 100 + np.where(by_month, month, 0), np.int64)


def chains(prepared: Prepared, table: RuleTable, base: I64, status: I64, ended: I64) -> Chains:
    """Applied points, doubled, capped and validity end (NEVER for none) of every row."""
    size = max(table.rule_of.size, 1)
    repeat = np.zeros(size, np.bool_)
    cap = np.full(size, -1, np.int64)
    for key, rule in table.rules.items():
        repeat[key] = rule.repeat
        cap[key] = rule.cap.most if rule.cap else -1
    offsets = offsets_in(table)
    index = {offset: i for i, offset in enumerate(offsets)}
    live_t = prepared.t[prepared.order]
    first = int(live_t.min() // DAY) if live_t.size else 0
    last = int(live_t.max() // DAY) if live_t.size else 0
    kind, offset, bounds, band_offsets = _validity(table, index)
    return combine(
        prepared.order,
        prepared.code,
        prepared.rule,
        prepared.key,
        prepared.t,
        base,
        status,
        ended,
        _periods(prepared, table),
        _field_offsets(prepared, table, index),
        repeat,
        cap,
        kind,
        offset,
        bounds,
        band_offsets,
        _shifted(offsets, first, last),
        first,
    )

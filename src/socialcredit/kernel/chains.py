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
from socialcredit.kernel.compiled import parts
from socialcredit.kernel.frames import Prepared
from socialcredit.kernel.scan import (
    BY_FIELD,
    BY_MAGNITUDE,
    DAY,
    FIXED,
    NO_END,
    Chains,
    combine,
    grouped,
    rises,
    subject_pieces,
)
from socialcredit.kernel.tables import RuleTable, offsets_in
from socialcredit.rules.model import ByField, ByMagnitude, Cumulative

__all__ = ["chains", "cumulative_rises"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]


def cumulative_rises(prepared: Prepared, table: RuleTable, at: I64) -> I64:
    """At the positions `at` (ascending) of the cumulative rules: the rise of the tier total
    that the subject's running sum of the field (over its earlier positions of the same rule)
    makes with the position's own value."""
    size = max(table.rule_of.size, 1)
    widest = max([len(c.tiers) for c in _cumulative(table).values()] or [1])
    thresholds = np.zeros((size, widest))
    points = np.zeros((size, widest), np.int64)
    tiers = np.zeros(size, np.int64)
    amount = np.zeros(at.size)
    key = prepared.sorted_key[at]
    rows = prepared.order[at]
    for k, cumulative in _cumulative(table).items():
        tiers[k] = len(cumulative.tiers)
        for i, (threshold, earned) in enumerate(cumulative.tiers):
            thresholds[k, i], points[k, i] = threshold, earned
        mine = np.flatnonzero(key == k)
        values = prepared.events.get_column(cumulative.field).gather(rows[mine])
        amount[mine] = values.fill_null(0.0).to_numpy()
    code, rule = prepared.code, prepared.sorted_rule
    return rises(code, rule, prepared.sorted_key, at, amount, thresholds, points, tiers)


def _cumulative(table: RuleTable) -> dict[int, Cumulative]:
    return {k: r.points for k, r in table.rules.items() if isinstance(r.points, Cumulative)}


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


def _field_offsets(prepared: Prepared, table: RuleTable, index: dict[str, int], found: I64) -> None:
    """At the positions of rules whose validity a field's value chooses, that offset (-1 for
    a value without one), into `found`; other positions are left as they are."""
    by_field = {k: r.validity for k, r in table.rules.items() if isinstance(r.validity, ByField)}
    group_of_key = np.full(max(table.rule_of.size, 1), -1, np.int64)
    group_of_key[list(by_field)] = np.arange(len(by_field))
    starts, positions = grouped(prepared.sorted_key, group_of_key, len(by_field))
    for g, v in enumerate(by_field.values()):
        at = positions[starts[g] : starts[g + 1]]
        lookup = {value: index[d.polars_offset] for value, d in v.values.items()}
        values = prepared.events.get_column(v.field).gather(prepared.order[at])
        chosen = values.replace_strict(lookup, default=-1, return_dtype=pl.Int64)
        found[at] = chosen.to_numpy()


def chains(prepared: Prepared, table: RuleTable, base: I64, status: I64, ended: I64) -> Chains:
    """Applied points, doubled, capped, validity end (NEVER for none) and ended by a credit
    repair, of every position; `base`, `status` and `ended` (updated in place) are per
    position too."""
    size = max(table.rule_of.size, 1)
    repeat = np.zeros(size, np.bool_)
    cap = np.full(size, -1, np.int64)
    monthly = np.zeros(size, np.bool_)
    for key, rule in table.rules.items():
        repeat[key] = rule.repeat
        cap[key] = rule.cap.most if rule.cap else -1
        monthly[key] = rule.cap is not None and rule.cap.period == "month"
    offsets = offsets_in(table)
    index = {offset: i for i, offset in enumerate(offsets)}
    live_t = prepared.sorted_t
    first = int(live_t.min() // DAY) if live_t.size else 0
    last = int(live_t.max() // DAY) if live_t.size else 0
    kind, offset, bounds, band_offsets = _validity(table, index)
    n = base.size
    until = np.empty(n, np.int64)
    # The field's offsets go where the validity ends will: `combine` reads each before it
    # writes the end there, so no array of its own is needed.
    _field_offsets(prepared, table, index, until)
    flags = [np.empty(n, np.bool_) for _ in range(3)]
    out: Chains = (np.empty(n, np.int64), flags[0], flags[1], until, flags[2])
    combine(
        prepared.code,
        prepared.sorted_rule,
        prepared.sorted_key,
        prepared.sorted_t,
        base,
        status,
        ended,
        prepared.sorted_repaired,
        repeat,
        (table.frame.get_column("kind") == "grade").to_numpy(),
        cap,
        monthly,
        kind,
        offset,
        bounds,
        band_offsets,
        _shifted(offsets, first, last),
        first,
        subject_pieces(prepared.code, parts()),
        out,
    )
    return out

"""One pass over each (subject, rule) chain in time order: running sums, doubling, caps, ends.

Rows are visited in the processing order of `kernel.order` (positions `order`, subject codes
`code`); per-row inputs and outputs are indexed by row, so results land in input order.
Entry states: COUNTED, MINOR (a negative rule at an event before 18), SUPERSEDED (by a
higher-ranked report of the same act). NEVER marks a window with no end.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from socialcredit.kernel.compiled import compiled

__all__ = ["COUNTED", "DAY", "MINOR", "NEVER", "SUPERSEDED", "Chains", "combine", "running"]

COUNTED, MINOR, SUPERSEDED = 0, 1, 2
NEVER = np.iinfo(np.int64).max
DAY = 86_400_000_000  # microseconds

# Validity kinds per rule key.
NO_END, FIXED, BY_MAGNITUDE, BY_FIELD = 0, 1, 2, 3

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
Chains = tuple[I64, B, B, I64]


@compiled
def running(order: I64, code: I64, rule: I64, amount: F64, cumulative: B) -> F64:
    """For each row of a cumulative rule, the sum of the field over the subject's earlier
    rows of the same rule (NaN elsewhere)."""
    before = np.full(amount.shape[0], np.nan)
    total = 0.0
    for j in range(order.shape[0]):
        i = order[j]
        if j == 0 or code[j] != code[j - 1] or rule[i] != rule[order[j - 1]]:
            total = 0.0
        if cumulative[i]:
            before[i] = total
            total += amount[i]
    return before


@compiled
def _end(
    k: int,
    applied: int,
    field_offset: int,
    t: int,
    validity: I64,
    offset: I64,
    bounds: F64,
    band_offsets: I64,
    shifted: I64,
    first_day: int,
) -> int:
    kind = validity[k]
    if kind == NO_END:
        return NEVER
    if kind == FIXED:
        chosen = offset[k]
    elif kind == BY_FIELD:
        chosen = field_offset
    else:
        chosen = -1
        for b in range(bounds.shape[1]):
            if abs(applied) <= bounds[k, b]:
                chosen = band_offsets[k, b]
                break
    if chosen < 0:
        return NEVER
    day = t // DAY
    return int(shifted[chosen, day - first_day] * DAY + (t - day * DAY))


@compiled
def combine(
    order: I64,
    code: I64,
    rule: I64,
    key: I64,
    t: I64,
    base: I64,
    status: I64,
    ended: I64,
    period: I64,
    field_offset: I64,
    repeat: B,
    cap: I64,
    validity: I64,
    offset: I64,
    bounds: F64,
    band_offsets: I64,
    shifted: I64,
    first_day: int,
) -> Chains:
    """Applied points, doubled, capped and validity end of every row, chain by chain.

    A counted entry of a repeat rule is doubled while an earlier counted entry of the same
    rule still counts; a cap (magnitude per calendar period, -1 for none) then cuts it; its
    window follows from the applied magnitude, a field, or a fixed length.
    """
    n = base.shape[0]
    applied = np.zeros(n, np.int64)
    doubled = np.zeros(n, np.bool_)
    capped = np.zeros(n, np.bool_)
    until = np.full(n, NEVER, np.int64)
    latest = np.iinfo(np.int64).min
    spent = 0
    current = -1
    for j in range(order.shape[0]):
        i = order[j]
        if j == 0 or code[j] != code[j - 1] or rule[i] != rule[order[j - 1]]:
            latest = np.iinfo(np.int64).min
            spent = 0
            current = -1
        k = key[i]
        points = 0
        if status[i] == COUNTED:
            points = base[i]
            if repeat[k] and latest > t[i]:
                points *= 2
                doubled[i] = True
            if cap[k] >= 0:
                if period[i] != current:
                    current = period[i]
                    spent = 0
                room = max(cap[k] - spent, 0)
                spent += abs(points)
                if abs(points) > room:
                    points = room if points > 0 else -room
                    capped[i] = True
        applied[i] = points
        until[i] = _end(
            k,
            points,
            field_offset[i],
            t[i],
            validity,
            offset,
            bounds,
            band_offsets,
            shifted,
            first_day,
        )
        if status[i] == COUNTED:
            latest = max(latest, min(until[i], ended[i]))
    return applied, doubled, capped, until

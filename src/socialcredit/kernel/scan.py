"""One pass over each (subject, rule) chain in time order: running sums, doubling, caps, ends;
and the passes before it: minors, and the positions of each group of rule keys.

Every input and output is per position of the processing order of `kernel.order`, so each
scan reads memory front to back; `to_rows` reads results back in row order once at the end.
Entry states: COUNTED, MINOR (a negative rule at an event before 18), SUPERSEDED (by a
higher-ranked report of the same act). NEVER marks a window with no end.
"""

from __future__ import annotations

import numba
import numpy as np
import numpy.typing as npt

from socialcredit.kernel.compiled import compiled, in_parallel

__all__ = [
    "COUNTED",
    "DAY",
    "MINOR",
    "NEVER",
    "SUPERSEDED",
    "Chains",
    "acts",
    "combine",
    "firsts",
    "grouped",
    "rises",
    "statuses",
    "subject_pieces",
    "to_rows",
]

COUNTED, MINOR, SUPERSEDED = 0, 1, 2
NEVER = np.iinfo(np.int64).max
DAY = 86_400_000_000  # microseconds

# Validity kinds per rule key.
NO_END, FIXED, BY_MAGNITUDE, BY_FIELD = 0, 1, 2, 3

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
Chains = tuple[I64, B, B, I64, B]


@compiled
def firsts(code: I64) -> I64:
    """The first position of each subject code (`code` ascending from 0)."""
    first = np.empty(code[-1] + 1 if code.shape[0] else 0, np.int64)
    for j in range(code.shape[0]):
        if j == 0 or code[j] != code[j - 1]:
            first[code[j]] = j
    return first


@in_parallel
def statuses(code: I64, key: I64, t: I64, negative: B, adult_day: I64, status: I64) -> None:
    """Per position, into `status`: MINOR for a negative rule's event before the local day
    its subject turned 18 (`adult_day` per subject code), COUNTED otherwise."""
    for j in numba.prange(code.shape[0]):
        minor = negative[key[j]] and t[j] // DAY < adult_day[code[j]]
        status[j] = MINOR if minor else COUNTED


@compiled
def grouped(key: I64, group_of_key: I64, groups: int) -> tuple[I64, I64]:
    """The positions of each group of rule keys, ascending: group g's are
    `positions[starts[g]:starts[g + 1]]`; keys in group -1 are left out."""
    counts = np.zeros(groups + 1, np.int64)
    for j in range(key.shape[0]):
        g = group_of_key[key[j]]
        if g >= 0:
            counts[g + 1] += 1
    for g in range(groups):
        counts[g + 1] += counts[g]
    starts = counts.copy()
    positions = np.empty(counts[groups], np.int64)
    for j in range(key.shape[0]):
        g = group_of_key[key[j]]
        if g >= 0:
            positions[counts[g]] = j
            counts[g] += 1
    return starts, positions


@compiled
def _tier_total(k: int, amount: float, thresholds: F64, points: I64, tiers: I64) -> int:
    """The total earned at `amount` by key k's tiers: the last tier reached counts. As in
    Polars, NaN compares above every number."""
    for i in range(tiers[k] - 1, -1, -1):
        threshold = thresholds[k, i]
        if amount != amount or (threshold == threshold and amount >= threshold):
            return int(points[k, i])
    return 0


@compiled
def rises(
    code: I64,
    rule: I64,
    key: I64,
    at: I64,
    amount: F64,
    thresholds: F64,
    points: I64,
    tiers: I64,
) -> I64:
    """At each position `at` (ascending) of a cumulative rule, with the field's `amount`: the
    rise of the tier total from the sum of the subject's earlier amounts of the same rule to
    that sum plus its own. Key k has `tiers[k]` tiers, in the first columns of `thresholds`
    and `points`."""
    rise = np.empty(at.shape[0], np.int64)
    total = 0.0
    for i in range(at.shape[0]):
        j = at[i]
        if i == 0 or code[j] != code[at[i - 1]] or rule[j] != rule[at[i - 1]]:
            total = 0.0
        k = key[j]
        after = total + amount[i]
        rise[i] = _tier_total(k, after, thresholds, points, tiers) - _tier_total(
            k, total, thresholds, points, tiers
        )
        total = after
    return rise


@compiled
def _month(t: int) -> int:
    """year * 100 + month of a local time (microseconds since 1970), by the days-to-civil
    algorithm of the proleptic Gregorian calendar."""
    z = t // DAY + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    month = mp + 3 if mp < 10 else mp - 9
    year = yoe + era * 400 + (1 if month <= 2 else 0)
    return year * 100 + month


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
def subject_pieces(code: I64, pieces: int) -> I64:
    """Bounds of `pieces` slices of the positions that split no subject."""
    n = code.shape[0]
    bounds = np.empty(pieces + 1, np.int64)
    bounds[0], bounds[pieces] = 0, n
    for p in range(1, pieces):
        at = max(n * p // pieces, bounds[p - 1])
        while 0 < at < n and code[at] == code[at - 1]:
            at += 1
        bounds[p] = at
    return bounds


@in_parallel
def combine(
    code: I64,
    rule: I64,
    key: I64,
    t: I64,
    base: I64,
    status: I64,
    ended: I64,
    repaired: I64,
    repeat: B,
    grade: B,
    cap: I64,
    monthly: B,
    validity: I64,
    offset: I64,
    bounds: F64,
    band_offsets: I64,
    shifted: I64,
    first_day: int,
    pieces: I64,
    out: Chains,
) -> None:
    """Applied points, doubled, capped, validity end, and whether a credit repair ended it,
    of every position, chain by chain, into `out`; the slices `pieces` (split at subjects)
    run side by side. On entry, the validity ends (`out[3]`) hold the offset a field chose
    at the positions of rules whose validity is by field.

    A counted entry of a repeat rule is doubled while an earlier counted entry of the same
    rule still counts; a cap (magnitude per calendar year or month, -1 for none) then cuts
    it; its window follows from the applied magnitude, a field, or a fixed length. A counted
    penalty (negative points or a direct grade) still in force when a repair of its event
    was approved ends then (`ended` is set in place), so it doubles nothing after.
    """
    applied, doubled, capped, until, by_repair = out
    for p in numba.prange(pieces.shape[0] - 1):
        latest = np.iinfo(np.int64).min
        spent = 0
        current = -1
        for j in range(pieces[p], pieces[p + 1]):
            if j == pieces[p] or code[j] != code[j - 1] or rule[j] != rule[j - 1]:
                latest = np.iinfo(np.int64).min
                spent = 0
                current = -1
            k = key[j]
            points = 0
            doubled[j] = capped[j] = by_repair[j] = False
            if status[j] == COUNTED:
                points = base[j]
                if repeat[k] and latest > t[j]:
                    points *= 2
                    doubled[j] = True
                if cap[k] >= 0:
                    month = _month(t[j])
                    period = month if monthly[k] else month // 100 * 100
                    if period != current:
                        current = period
                        spent = 0
                    room = max(cap[k] - spent, 0)
                    spent += abs(points)
                    if abs(points) > room:
                        points = room if points > 0 else -room
                        capped[j] = True
            applied[j] = points
            until[j] = _end(
                k,
                points,
                until[j],
                t[j],
                validity,
                offset,
                bounds,
                band_offsets,
                shifted,
                first_day,
            )
            if status[j] == COUNTED:
                r = repaired[j]
                if (points < 0 or grade[k]) and t[j] <= r < min(until[j], ended[j]):
                    ended[j] = r
                    by_repair[j] = True
                latest = max(latest, min(until[j], ended[j]))


@compiled
def acts(new: B, rank: I64, row: I64, t: I64) -> tuple[B, I64, I64, I64]:
    """One act, one entry, over reports sorted by (subject, act, time, source, id); `new`
    marks the first report of each act. A report leads if it outranks every earlier one of
    its act. Per report: whether it leads, the leading report it falls under (its row), and
    for a leader the time and row of the next leader (NEVER and -1 for none)."""
    n = rank.shape[0]
    lead = np.zeros(n, np.bool_)
    holder = np.empty(n, np.int64)
    until = np.full(n, NEVER, np.int64)
    by = np.full(n, -1, np.int64)
    best = 0
    last = -1
    for j in range(n):
        if new[j]:
            last = -1
        if last < 0 or rank[j] > best:
            lead[j] = True
            if last >= 0:
                until[last] = t[j]
                by[last] = row[j]
            last = j
            best = rank[j]
        holder[j] = row[last]
    return lead, holder, until, by


@compiled
def to_rows(position: I64, packed: I64) -> I64:
    """Per-position records (one row of `packed` each) read back in row order: row r gets
    position[r]'s record. One record is one cache line, so each row costs one random read."""
    out = np.empty((position.shape[0], packed.shape[1]), np.int64)
    for r in range(position.shape[0]):
        out[r, :] = packed[position[r], :]
    return out

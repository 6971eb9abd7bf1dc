"""Subjects found by hash: a dense code per distinct subject, and per-subject sums and maxima.

Polars groups ten million text keys in seconds; a compiled open-addressing table on a 64-bit
hash of the identifier does it in a fraction of that, because the table holds only the
distinct subjects and stays small. A second, independent hash tells the caller when two
subjects share the first, and the caller then groups on the text itself.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from socialcredit.kernel.compiled import compiled

__all__ = ["Table", "codes_of", "counted_at", "most", "new_table", "total"]

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

# Slots as records (first hash, second hash, code + 1 or 0 when empty, unused) so that one
# probe reads one cache line; and the number of codes used.
Table = tuple[npt.NDArray[np.uint64], int]


@compiled
def _grown(slots: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    size = slots.shape[0] * 2
    mask = size - 1
    grown = np.zeros((size, 4), np.uint64)
    for s in range(slots.shape[0]):
        if slots[s, 2] != 0:
            at = np.int64(slots[s, 0] & np.uint64(mask))
            while grown[at, 2] != 0:
                at = (at + 1) & mask
            grown[at, :] = slots[s, :]
    return grown


@compiled
def new_table() -> Table:
    """An empty table."""
    return np.zeros((1 << 16, 4), np.uint64), 0


@compiled
def codes_of(table: Table, h: U64, check: U64, add: bool) -> tuple[Table, I64, I64, bool]:
    """The code of each row's subject (new subjects get the next codes if `add`, else -1),
    the first row of each subject added, the table, and False if two subjects share `h`."""
    slots, used = table
    n = h.shape[0]
    codes = np.empty(n, np.int64)
    firsts = np.empty(n, np.int64)
    added = 0
    distinct = True
    for i in range(n):
        if 2 * (used + 1) > slots.shape[0]:
            slots = _grown(slots)
        mask = slots.shape[0] - 1
        at = np.int64(h[i] & np.uint64(mask))
        while True:
            if slots[at, 2] == 0:
                if add:
                    slots[at, 0], slots[at, 1], slots[at, 2] = h[i], check[i], used + 1
                    codes[i] = used
                    firsts[added] = i
                    added += 1
                    used += 1
                else:
                    codes[i] = -1
                break
            if slots[at, 0] == h[i]:
                codes[i] = np.int64(slots[at, 2]) - 1
                if slots[at, 1] != check[i]:
                    distinct = False
                break
            at = (at + 1) & mask
    return (slots, used), codes, firsts[:added], distinct


@compiled
def total(codes: I64, values: I64, size: int) -> I64:
    """Per code, the sum of `values` over the rows with that code (rows coded -1 left out)."""
    sums = np.zeros(size, np.int64)
    for i in range(codes.shape[0]):
        if codes[i] >= 0:
            sums[codes[i]] += values[i]
    return sums


@compiled
def most(codes: I64, values: I64, size: int) -> I64:
    """Per code, the largest of `values` over its rows, ignoring -1 (-1 where none)."""
    best = np.full(size, -1, np.int64)
    for i in range(codes.shape[0]):
        if codes[i] >= 0 and values[i] > best[codes[i]]:
            best[codes[i]] = values[i]
    return best


@compiled
def counted_at(
    code: I64,
    status: I64,
    start: I64,
    until: I64,
    ended: I64,
    applied: I64,
    key: I64,
    rank_of_key: I64,
    moment: int,
    counted: int,
) -> tuple[I64, I64, I64]:
    """Per subject code (`code` ascending, per position like the rest): the first position,
    the sum of `applied` and the largest rank of a key (-1: none) over the positions whose
    status is `counted` and that have begun and not yet ended at `moment`."""
    size = code[-1] + 1 if code.shape[0] else 0
    first = np.empty(size, np.int64)
    points = np.zeros(size, np.int64)
    worst = np.full(size, -1, np.int64)
    for j in range(code.shape[0]):
        c = code[j]
        if j == 0 or c != code[j - 1]:
            first[c] = j
        if status[j] == counted and start[j] <= moment and min(until[j], ended[j]) > moment:
            points[c] += applied[j]
            worst[c] = max(worst[c], rank_of_key[key[j]])
    return first, points, worst

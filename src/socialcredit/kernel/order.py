"""The kernel's processing order: events grouped by subject, then rule, then time.

A comparison sort of ten million rows by (subject, rule, time) costs seconds; subjects are
spread by a 64-bit hash of their identifier instead, so a counting sort on the hash's top
bits puts every subject's events in one small bucket, and each bucket is then sorted on its
own. A second, independent hash catches two subjects sharing the first (the caller then
falls back to exact codes), so subjects are never merged.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from socialcredit.kernel.compiled import compiled

__all__ = ["Order", "bucket_bits", "ordered", "tied"]

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

Order = tuple[I64, I64, bool]


def bucket_bits(rows: int) -> int:
    """Top hash bits to bucket on: about eight rows a bucket, between 1 and 24 bits."""
    return int(min(24, max(1, np.ceil(np.log2(max(rows, 2) / 8)))))


@compiled
def _before(h: U64, rule: I64, t: I64, a: int, b: int) -> bool:
    if h[a] != h[b]:
        return bool(h[a] < h[b])
    if rule[a] != rule[b]:
        return bool(rule[a] < rule[b])
    if t[a] != t[b]:
        return bool(t[a] < t[b])
    return a < b


@compiled
def _sort_bucket(order: I64, lo: int, hi: int, h: U64, rule: I64, t: I64) -> None:
    if hi - lo <= 32:  # insertion sort: buckets hold a handful of rows
        for i in range(lo + 1, hi):
            row = order[i]
            j = i - 1
            while j >= lo and _before(h, rule, t, row, order[j]):
                order[j + 1] = order[j]
                j -= 1
            order[j + 1] = row
        return
    # A large bucket (one busy subject): three stable sorts, least significant key first.
    rows = order[lo:hi].copy()
    rows = rows[np.argsort(t[rows], kind="mergesort")]
    rows = rows[np.argsort(rule[rows], kind="mergesort")]
    rows = rows[np.argsort(h[rows], kind="mergesort")]
    order[lo:hi] = rows


@compiled
def ordered(h: U64, check: U64, rule: I64, t: I64, bits: int) -> Order:
    """Positions of the rows sorted by (h, rule, t, row), each position's subject code
    (0, 1, ... in that order), and False if two subjects share `h` (told apart by `check`).
    """
    n = h.shape[0]
    shift = np.uint64(64 - bits)
    counts = np.zeros((1 << bits) + 1, np.int64)
    for i in range(n):
        counts[np.int64(h[i] >> shift) + 1] += 1
    for b in range(1 << bits):
        counts[b + 1] += counts[b]
    order = np.empty(n, np.int64)
    fill = counts[:-1].copy()
    for i in range(n):
        bucket = np.int64(h[i] >> shift)
        order[fill[bucket]] = i
        fill[bucket] += 1
    for b in range(1 << bits):
        if counts[b + 1] - counts[b] > 1:
            _sort_bucket(order, counts[b], counts[b + 1], h, rule, t)
    code = np.empty(n, np.int64)
    current = -1
    distinct = True
    for j in range(n):
        i = order[j]
        if j == 0 or h[i] != h[order[j - 1]]:
            current += 1
        elif check[i] != check[order[j - 1]]:
            distinct = False
        code[j] = current
    return order, code, distinct


@compiled
def tied(order: I64, code: I64, rule: I64, t: I64) -> I64:
    """Positions in runs of equal (subject, rule, time), whose order needs the event keys."""
    n = order.shape[0]
    mark = np.zeros(n, np.bool_)
    for j in range(1, n):
        a, b = order[j - 1], order[j]
        if code[j] == code[j - 1] and rule[a] == rule[b] and t[a] == t[b]:
            mark[j - 1] = True
            mark[j] = True
    return np.flatnonzero(mark)

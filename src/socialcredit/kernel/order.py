"""The kernel's processing order: events grouped by subject, then rule, then time.

A comparison sort of ten million rows by (subject, rule, time) costs seconds; subjects are
spread by a 64-bit hash of their identifier instead. Two stable counting passes on the
hash's top bits (each at most 12 bits wide, so every bucket's write position stays in cache)
move the keys into small runs, one or a few subjects each, and each run is then sorted on its
own, in contiguous memory. A second, independent hash catches two subjects sharing the first
(the caller then falls back to exact codes), so subjects are never merged.

The sort is written by hand because neither NumPy nor Polars sorts on a key computed from
four columns without first materialising it as rows, which costs more than the sort.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from socialcredit.kernel.compiled import compiled

__all__ = ["Order", "bucket_bits", "ordered", "tied"]

I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

# Positions (rows in processing order), each position's subject code, whether no two subjects
# shared a hash, and the rule and time of each position.
Order = tuple[I64, I64, bool, I64, I64]

_PASS_BITS = 12


def bucket_bits(rows: int) -> int:
    """Top hash bits to bucket on: about eight rows a bucket, between 1 and 24 bits."""
    return int(min(2 * _PASS_BITS, max(1, np.ceil(np.log2(max(rows, 2) / 8)))))


@compiled
def _counting_pass(
    src: tuple[U64, U64, I64, I64, I64],
    dst: tuple[U64, U64, I64, I64, I64],
    shift: int,
    width: int,
) -> None:
    """Stable counting sort of `src` into `dst` on bits [shift, shift + width) of the hash."""
    h, check, rule, t, row = src
    dh, dcheck, drule, dt, drow = dst
    mask = np.uint64((1 << width) - 1)
    by = np.uint64(shift)
    counts = np.zeros((1 << width) + 1, np.int64)
    for i in range(h.shape[0]):
        counts[np.int64((h[i] >> by) & mask) + 1] += 1
    for bucket in range(1 << width):
        counts[bucket + 1] += counts[bucket]
    for i in range(h.shape[0]):
        b = np.int64((h[i] >> by) & mask)
        at = counts[b]
        counts[b] = at + 1
        dh[at], dcheck[at], drule[at], dt[at], drow[at] = h[i], check[i], rule[i], t[i], row[i]


@compiled
def _before(h: U64, rule: I64, t: I64, row: I64, a: int, b: int) -> bool:
    if h[a] != h[b]:
        return bool(h[a] < h[b])
    if rule[a] != rule[b]:
        return bool(rule[a] < rule[b])
    if t[a] != t[b]:
        return bool(t[a] < t[b])
    return bool(row[a] < row[b])


@compiled
def _sort_run(keys: tuple[U64, U64, I64, I64, I64], lo: int, hi: int) -> None:
    """Sort positions [lo, hi) by (hash, rule, time, row), all five arrays together."""
    h, check, rule, t, row = keys
    if hi - lo <= 32:  # insertion sort: runs hold a handful of rows
        for i in range(lo + 1, hi):
            j = i
            while j > lo and _before(h, rule, t, row, j, j - 1):
                h[j], h[j - 1] = h[j - 1], h[j]
                check[j], check[j - 1] = check[j - 1], check[j]
                rule[j], rule[j - 1] = rule[j - 1], rule[j]
                t[j], t[j - 1] = t[j - 1], t[j]
                row[j], row[j - 1] = row[j - 1], row[j]
                j -= 1
        return
    # A long run (a busy subject): three stable sorts, least significant key first; rows
    # are ascending within the run already, so ties keep row order.
    p = np.argsort(t[lo:hi], kind="mergesort")
    p = p[np.argsort(rule[lo:hi][p], kind="mergesort")]
    p = p[np.argsort(h[lo:hi][p], kind="mergesort")]
    h[lo:hi] = h[lo:hi][p]
    check[lo:hi] = check[lo:hi][p]
    rule[lo:hi] = rule[lo:hi][p]
    t[lo:hi] = t[lo:hi][p]
    row[lo:hi] = row[lo:hi][p]


@compiled
def ordered(h: U64, check: U64, rule: I64, t: I64, bits: int) -> Order:
    """Positions of the rows sorted by (h, rule, t, row), each position's subject code
    (0, 1, ... in that order), False if two subjects share `h` (told apart by `check`), and
    the rule and time of each position.
    """
    n = h.shape[0]
    a = (h.copy(), check.copy(), rule.copy(), t.copy(), np.arange(n, dtype=np.int64))
    b = (np.empty_like(h), np.empty_like(check), np.empty_like(rule), np.empty_like(t))
    spare = (b[0], b[1], b[2], b[3], np.empty(n, np.int64))
    low = bits // 2
    if low > 0:
        _counting_pass(a, spare, 64 - bits, low)
        a, spare = spare, a
    _counting_pass(a, spare, 64 - (bits - low), bits - low)
    a = spare
    sh, scheck, srule, st, srow = a
    top = np.uint64(64 - bits)
    lo = 0
    for j in range(1, n + 1):
        if j == n or (sh[j] >> top) != (sh[lo] >> top):
            if j - lo > 1:
                _sort_run(a, lo, j)
            lo = j
    code = np.empty(n, np.int64)
    current = -1
    distinct = True
    for j in range(n):
        if j == 0 or sh[j] != sh[j - 1]:
            current += 1
        elif scheck[j] != scheck[j - 1]:
            distinct = False
        code[j] = current
    return srow, code, distinct, srule, st


@compiled
def tied(code: I64, rule: I64, t: I64) -> I64:
    """Positions in runs of equal (subject, rule, time), whose order needs the event keys;
    `rule` and `t` are per position."""
    n = code.shape[0]
    mark = np.zeros(n, np.bool_)
    for j in range(1, n):
        if code[j] == code[j - 1] and rule[j] == rule[j - 1] and t[j] == t[j - 1]:
            mark[j - 1] = True
            mark[j] = True
    return np.flatnonzero(mark)

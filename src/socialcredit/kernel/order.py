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

import numba
import numpy as np
import numpy.typing as npt

from socialcredit.kernel.compiled import compiled, in_parallel, parts
from socialcredit.kernel.scratch import scratch

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


# Each row travels as one record of four words, so that a counting pass writes one place per
# row rather than five: the hash, the check hash, the rule and row packed in one word (rule
# above `_ROW_BITS`), and the time (its bits; compared as signed).
_ROW_BITS = 40
_ROW_MASK = (1 << _ROW_BITS) - 1
_H, _CHECK, _RULE_ROW, _T = 0, 1, 2, 3


@in_parallel
def _counting_pass(src: U64, dst: U64, shift: int, width: int, pieces: int) -> None:
    """Stable counting sort of the records `src` into `dst` on bits [shift, shift + width)
    of the hash. Each of `pieces` slices of `src` is counted and moved by a thread of its
    own, into the places its rows take in the one stable order."""
    n = src.shape[0]
    mask = np.uint64((1 << width) - 1)
    by = np.uint64(shift)
    counts = np.zeros((pieces, 1 << width), np.int64)
    for p in numba.prange(pieces):
        for i in range(n * p // pieces, n * (p + 1) // pieces):
            counts[p, np.int64((src[i, _H] >> by) & mask)] += 1
    total = 0
    for bucket in range(1 << width):
        for p in range(pieces):
            count = counts[p, bucket]
            counts[p, bucket] = total
            total += count
    for p in numba.prange(pieces):
        for i in range(n * p // pieces, n * (p + 1) // pieces):
            b = np.int64((src[i, _H] >> by) & mask)
            at = counts[p, b]
            counts[p, b] = at + 1
            dst[at, 0], dst[at, 1] = src[i, 0], src[i, 1]
            dst[at, 2], dst[at, 3] = src[i, 2], src[i, 3]


@compiled
def _before(r: U64, a: int, b: int) -> bool:
    """Record `a` sorts before record `b`: by hash, rule, time (signed), row."""
    if r[a, _H] != r[b, _H]:
        return bool(r[a, _H] < r[b, _H])
    rule_a, rule_b = (
        r[a, _RULE_ROW] >> np.uint64(_ROW_BITS),
        r[b, _RULE_ROW] >> np.uint64(_ROW_BITS),
    )
    if rule_a != rule_b:
        return bool(rule_a < rule_b)
    t_a, t_b = np.int64(r[a, _T]), np.int64(r[b, _T])
    if t_a != t_b:
        return bool(t_a < t_b)
    return bool(r[a, _RULE_ROW] < r[b, _RULE_ROW])


@compiled
def _sort_run(r: U64, lo: int, hi: int) -> None:
    """Sort records [lo, hi) by (hash, rule, time, row)."""
    if hi - lo <= 32:  # insertion sort: runs hold a handful of rows
        for i in range(lo + 1, hi):
            j = i
            while j > lo and _before(r, j, j - 1):
                for w in range(4):
                    r[j, w], r[j - 1, w] = r[j - 1, w], r[j, w]
                j -= 1
        return
    # A long run (a busy subject): three stable sorts, least significant key first; rows
    # are ascending within the run already, so ties keep row order.
    m = hi - lo
    t, rule, h = np.empty(m, np.int64), np.empty(m, np.uint64), np.empty(m, np.uint64)
    for k in range(m):
        t[k] = np.int64(r[lo + k, _T])
        rule[k] = r[lo + k, _RULE_ROW] >> np.uint64(_ROW_BITS)
        h[k] = r[lo + k, _H]
    p = np.argsort(t, kind="mergesort")
    p = p[np.argsort(rule[p], kind="mergesort")]
    p = p[np.argsort(h[p], kind="mergesort")]
    run = r[lo:hi].copy()
    for k in range(m):
        r[lo + k, :] = run[p[k], :]


@in_parallel
def _records(h: U64, check: U64, rule: I64, t: I64, rows: I64, r: U64) -> None:
    for i in numba.prange(rows.shape[0]):
        row = rows[i]
        r[i, _H], r[i, _CHECK] = h[row], check[row]
        r[i, _RULE_ROW] = (np.uint64(rule[row]) << np.uint64(_ROW_BITS)) | np.uint64(row)
        r[i, _T] = np.uint64(t[row])


@compiled
def _splits(a: U64, bits: int, pieces: int) -> I64:
    """Bounds of `pieces` slices of the sorted records that split no run of records sharing
    the top `bits` of the hash (nor any subject)."""
    n = a.shape[0]
    top = np.uint64(64 - bits)
    bounds = np.empty(pieces + 1, np.int64)
    bounds[0], bounds[pieces] = 0, n
    for p in range(1, pieces):
        at = max(n * p // pieces, bounds[p - 1])
        while 0 < at < n and (a[at, _H] >> top) == (a[at - 1, _H] >> top):
            at += 1
        bounds[p] = at
    return bounds


@in_parallel
def _sort_runs(a: U64, bits: int, bounds: I64) -> None:
    """Sort each run of records sharing the top `bits` of the hash on its own."""
    top = np.uint64(64 - bits)
    for p in numba.prange(bounds.shape[0] - 1):
        lo, end = bounds[p], bounds[p + 1]
        for j in range(lo + 1, end + 1):
            if j == end or (a[j, _H] >> top) != (a[lo, _H] >> top):
                if j - lo > 1:
                    _sort_run(a, lo, j)
                lo = j


@in_parallel
def _unpacked(a: U64, bounds: I64, out: I64) -> bool:
    """Row, subject code, rule and time of each sorted record, into the four rows of `out`;
    False if two subjects share a hash. `bounds` split no subject."""
    row, srule, st, code = out[0], out[1], out[2], out[3]
    pieces = bounds.shape[0] - 1
    subjects = np.zeros(pieces + 1, np.int64)
    shared = np.zeros(pieces, np.bool_)
    for p in numba.prange(pieces):
        for j in range(bounds[p], bounds[p + 1]):
            if j == 0 or a[j, _H] != a[j - 1, _H]:
                subjects[p + 1] += 1
            elif a[j, _CHECK] != a[j - 1, _CHECK]:
                shared[p] = True
    for p in range(pieces):
        subjects[p + 1] += subjects[p]
    for p in numba.prange(pieces):
        current = subjects[p] - 1
        for j in range(bounds[p], bounds[p + 1]):
            if j == 0 or a[j, _H] != a[j - 1, _H]:
                current += 1
            code[j] = current
            row[j] = np.int64(a[j, _RULE_ROW] & np.uint64(_ROW_MASK))
            srule[j] = np.int64(a[j, _RULE_ROW] >> np.uint64(_ROW_BITS))
            st[j] = np.int64(a[j, _T])
    return not shared.any()


def ordered(
    h: U64,
    check: U64,
    rule: I64,
    t: I64,
    bits: int,
    rows: I64 | None = None,
    pieces: int | None = None,
) -> Order:
    """Positions of the rows sorted by (h, rule, t, row) (each position's row), each
    position's subject code (0, 1, ... in that order), False if two subjects share `h` (told
    apart by `check`), and the rule and time of each position. `h`, `check`, `rule` and `t`
    are per row; `rows` (ascending; default: all) are the rows to order. Rules must be below
    2**23 and rows below 2**40. The work is split in `pieces` (default: one per thread),
    which changes nothing in the result.
    """
    pieces = parts() if pieces is None else pieces
    rows = np.arange(h.shape[0], dtype=np.int64) if rows is None else rows
    n = rows.shape[0]
    # The records go into working memory kept between calls, and the results into a buffer
    # from NumPy (which asks for huge pages): fresh memory costs a fault per page on first
    # touch, and the counting passes touch every page.
    a = scratch("records", n, 4)
    spare = np.empty((n, 4), np.uint64)
    _records(h, check, rule, t, rows, a)
    low = bits // 2
    if low > 0:  # an even number of passes, so that the sorted records end in `a`
        _counting_pass(a, spare, 64 - bits, low, pieces)
        _counting_pass(spare, a, 64 - (bits - low), bits - low, pieces)
    else:
        _counting_pass(a, spare, 64 - bits, bits, pieces)
        a[:] = spare
    bounds = _splits(a, bits, pieces)
    _sort_runs(a, bits, bounds)
    out = spare.reshape(-1).view(np.int64).reshape(4, n)
    distinct = _unpacked(a, bounds, out)
    return out[0], out[3], distinct, out[1], out[2]


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

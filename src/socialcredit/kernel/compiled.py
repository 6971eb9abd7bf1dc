"""Compiled scans for the order-dependent rules, and the one decorator that compiles them.

Polars has no expression for a scan whose step depends on the previous step's output:
whether a fine is doubled depends on whether an earlier fine, itself perhaps doubled (and so
valid for longer), still counts. Such scans are written here as plain loops over columns
sorted by (subject, rule, time) and compiled with Numba; they take and return NumPy arrays,
touch no Python objects, and run once over the data, never once per subject from Python.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import numba

__all__ = ["compiled", "in_parallel", "parts"]

F = TypeVar("F", bound=Callable[..., object])


def compiled(function: F) -> F:
    """Compile `function` to machine code (cached on disk between runs)."""
    return cast(F, numba.njit(cache=True, nogil=True)(function))


def in_parallel(function: F) -> F:
    """`compiled`, with its `numba.prange` loops spread over the threads (cached likewise).

    Such a function splits its work into `parts()` pieces whose results never depend on how
    many there are, so the answer is the same on any machine.
    """
    return cast(F, numba.njit(cache=True, nogil=True, parallel=True)(function))


def parts() -> int:
    """How many pieces `in_parallel` functions split their work into: one per thread."""
    return int(numba.get_num_threads())

"""Working memory that the kernel reuses from one call to the next.

Fresh memory costs a page fault per page on first touch, and on a busy machine the kernel
spent about a third of its time in them. A buffer that never outlives a call (the records
the processing order sorts) is therefore kept per thread and handed out again, grown when a
larger call needs more. It holds no result: whatever was in it is overwritten.
"""

from __future__ import annotations

import threading

import numpy as np
import numpy.typing as npt

__all__ = ["scratch"]

_kept = threading.local()


def scratch(name: str, rows: int, width: int) -> npt.NDArray[np.uint64]:
    """A `rows` x `width` buffer of this thread's, the same memory as the last call with
    `name` (unless it was too small); its contents are undefined."""
    kept: dict[str, npt.NDArray[np.uint64]] = _kept.__dict__.setdefault("buffers", {})
    held = kept.get(name)
    if held is None or held.size < rows * width:
        held = kept[name] = np.empty(rows * width, np.uint64)
    return held[: rows * width].reshape(rows, width)

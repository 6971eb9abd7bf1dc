"""The server's stores leave their checkpoints to the checkpointer's thread, which folds
the log into the database while requests go on."""

from __future__ import annotations

import time
from pathlib import Path

from socialcredit.api.context import Checkpointer, StorePool
from tests.storage.rows import WIDE_BYTES, fill_wide
from tests.storage.test_checkpoints import sizes


def test_the_checkpointer_folds_the_log_a_deferring_pool_left(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    pool = StorePool(str(path))
    pool.prime()
    pool.defer_checkpoints()
    with pool.borrowed() as store:
        fill_wide(store)
    assert sizes(path)[0] < WIDE_BYTES  # the pool's commits left it all in the log
    checkpointer = Checkpointer(str(path), every=0.05)
    checkpointer.start()
    try:
        deadline = time.monotonic() + 20
        while sizes(path)[0] < WIDE_BYTES and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sizes(path)[0] > WIDE_BYTES
    finally:
        checkpointer.stop()
        pool.close()

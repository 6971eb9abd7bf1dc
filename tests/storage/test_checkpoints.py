"""Checkpoints left to a thread of their own: a store whose commits defer them keeps the
contract, and on SQLite its commits stop folding the log into the database, which
`checkpoint` then does."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from socialcredit.storage import open_store, sqlite
from tests.storage.conftest import Backend
from tests.storage.rows import (
    WIDE,
    WIDE_BATCHES,
    WIDE_BYTES,
    WIDE_ROWS,
    fill_wide,
)


def test_a_store_that_defers_its_checkpoints_keeps_the_contract(backend: Backend) -> None:
    with open_store(backend.target) as store:
        store.defer_checkpoints()
        fill_wide(store)
        store.checkpoint()
        store.checkpoint()  # nothing left to fold: no error
        assert store.event_count() == WIDE_BATCHES * WIDE_ROWS
        assert store.verify_chain() == []
    with open_store(backend.target) as again:
        assert again.event_count() == WIDE_BATCHES * WIDE_ROWS


def sizes(path: Path) -> tuple[int, int]:
    """The sizes of a SQLite database file and of its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size, wal.stat().st_size if wal.exists() else 0


@pytest.mark.parametrize("deferred", [False, True])
def test_sqlite_commits_fold_the_log_only_when_not_deferred(tmp_path: Path, deferred: bool) -> None:
    path = tmp_path / "ledger.db"
    with open_store(path) as store:
        if deferred:
            store.defer_checkpoints()
        before, _ = sizes(path)
        fill_wide(store)
        database, log = sizes(path)
        if deferred:
            # Every page is still in the log; the database file has not grown.
            assert database == before
            assert log > WIDE_BYTES
            store.checkpoint()
            assert sizes(path)[0] > WIDE_BYTES
        else:
            # Commits checkpointed as they went: the database holds most of it already.
            assert database > WIDE_BYTES // 2
            assert log < WIDE_BYTES


def test_a_deferred_log_under_steady_commits_is_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Passive checkpoints alone never find the log wholly copied while another connection
    # commits all the time, so the log would grow without end; past RESTART_FRAMES a
    # restart checkpoint starts it again from its beginning.
    monkeypatch.setattr(sqlite, "RESTART_FRAMES", 100)
    path = tmp_path / "ledger.db"
    open_store(path).close()
    stop = threading.Event()

    def commit_steadily() -> None:
        # A second connection committing small rows back to back, as a busy server does.
        writer = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("CREATE TABLE stream (n INTEGER, note TEXT)")
        n = 0
        while not stop.is_set():
            n += 1
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT INTO stream VALUES (?, ?)", (n, WIDE))
            writer.execute("COMMIT")
        writer.close()

    # Opened first: opening takes the write lock, which the writer never lets go for long.
    checkpointer = open_store(path)
    probe = sqlite3.connect(path, isolation_level=None)
    writing = threading.Thread(target=commit_steadily)
    writing.start()
    longest = 0
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            checkpointer.checkpoint()
            time.sleep(0.005)
            # The frames the log holds (a passive checkpoint reports them).
            _, frames, _ = probe.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            longest = max(longest, frames)
    finally:
        stop.set()
        writing.join()
    (written,) = probe.execute("SELECT count(*) FROM stream").fetchone()
    probe.close()
    checkpointer.close()
    # Each commit adds two frames or so: without a restart the log would hold them all.
    assert written > 500
    assert longest < written

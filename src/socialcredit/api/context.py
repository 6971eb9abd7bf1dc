"""What every endpoint is handed: a store lent from the server's pool, and the time now.

Opening a store costs a connection and a migration check, so the server keeps the stores
it has opened and lends each to one request at a time (and keeps one more, the reading
store, for the few small reads made on the event loop); a request that finds none idle
opens another. A store that failed (its connection lost) is closed, not lent again. The
pool is closed when the server stops.

While the server runs, its stores' commits leave the write-ahead log to the checkpointer,
a thread of its own (`Checkpointer`): no request waits while a commit folds the log into
the database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from socialcredit.errors import StoreError, StoreUnavailableError
from socialcredit.storage import Store, open_store

__all__ = ["Checkpointer", "Clock", "Now", "StorePool", "Stored", "reading_store"]

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)


class StorePool:
    """Open stores of one target, each lent to one request at a time."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._idle: list[Store] = []
        self._reader: Store | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._deferring = False

    def prime(self) -> None:
        """Open the first store now, so that a store that cannot be opened fails at once."""
        with self.borrowed():
            pass

    @contextmanager
    def borrowed(self) -> Iterator[Store]:
        """A store for the length of the block, returned to the pool afterwards."""
        with self._lock:
            store = self._idle.pop() if self._idle else None
        if store is None:
            store = self._opened()
        try:
            yield store
        except BaseException as exc:
            if _failed(exc):
                store.close()
            else:
                self._give_back(store)
            raise
        self._give_back(store)

    def _give_back(self, store: Store) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(store)
                return
        store.close()

    def reading(self) -> Store:
        """The reading store, opened on first use (and again after `close`): one store kept
        for the small reads made on the event loop itself, never lent to a thread."""
        with self._lock:
            if self._reader is None:
                self._reader = self._opened()
            return self._reader

    def defer_checkpoints(self) -> None:
        """Every store of the pool, open or opened later, leaves its checkpoints to a
        `Checkpointer` (`Store.defer_checkpoints`)."""
        with self._lock:
            self._deferring = True
            opened = [*self._idle, *([self._reader] if self._reader is not None else [])]
        for store in opened:
            store.defer_checkpoints()

    def _opened(self) -> Store:
        store = open_store(self.target)
        if self._deferring:
            store.defer_checkpoints()
        return store

    def close(self) -> None:
        """Close every idle store and the reading store; stores lent out are closed when
        they come back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            reader, self._reader = self._reader, None
        for store in [*idle, *([reader] if reader is not None else [])]:
            store.close()


class Checkpointer:
    """Checkpoints a store's write-ahead log every `every` seconds from a thread of its own,
    for a pool whose stores defer theirs. The driver lets the interpreter's lock go while
    the database works, so requests go on meanwhile."""

    def __init__(self, target: str, every: float = 0.2) -> None:
        self._target, self._every = target, every
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Open its store and start checkpointing."""
        store = open_store(self._target)
        self._thread = threading.Thread(
            target=self._run, args=(store,), name="checkpointer", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """A last checkpoint, then stop."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _run(self, store: Store) -> None:
        try:
            while True:
                stopping = self._stopping.wait(self._every)
                try:
                    store.checkpoint()
                except StoreError:
                    log.exception("the checkpoint failed; trying again")
                if stopping:
                    return
        finally:
            store.close()


def _failed(exc: BaseException) -> bool:
    """Whether the store itself failed (its connection lost, its file gone), rather than
    refused a request (a conflict, a review already made) and can serve the next one."""
    return isinstance(exc, StoreUnavailableError) or type(exc) is StoreError


def _store(request: Request) -> Iterator[Store]:
    pool: StorePool = request.app.state.pool
    with pool.borrowed() as store:
        yield store


def reading_store(request: Request) -> Store:
    """The server's reading store (`StorePool.reading`), for the small reads made on the
    event loop itself: sign-in, a relying party's registration."""
    pool: StorePool = request.app.state.pool
    return pool.reading()


async def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock()


Stored = Annotated[Store, Depends(_store)]
Now = Annotated[datetime, Depends(_now)]

"""What every endpoint is handed: a store lent from the server's pool, and the time now.

Opening a store costs a connection and a migration check, so the server keeps the stores
it has opened and lends each to one request at a time; a request that finds none idle
opens another. A store that failed (its connection lost) is closed, not lent again. The
pool is closed when the server stops.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from socialcredit.errors import StoreError, StoreUnavailableError
from socialcredit.storage import Store, open_store

__all__ = ["Clock", "Now", "StorePool", "Stored"]

Clock = Callable[[], datetime]


class StorePool:
    """Open stores of one target, each lent to one request at a time."""

    def __init__(self, target: str) -> None:
        self.target = target
        self._idle: list[Store] = []
        self._lock = threading.Lock()
        self._closed = False

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
            store = open_store(self.target)
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

    def close(self) -> None:
        """Close every idle store; stores lent out are closed when they come back."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for store in idle:
            store.close()


def _failed(exc: BaseException) -> bool:
    """Whether the store itself failed (its connection lost, its file gone), rather than
    refused a request (a conflict, a review already made) and can serve the next one."""
    return isinstance(exc, StoreUnavailableError) or type(exc) is StoreError


def _store(request: Request) -> Iterator[Store]:
    pool: StorePool = request.app.state.pool
    with pool.borrowed() as store:
        yield store


def _now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock()


Stored = Annotated[Store, Depends(_store)]
Now = Annotated[datetime, Depends(_now)]

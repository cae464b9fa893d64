"""A connection pool that lends connections in the order requests asked for them.

SQLAlchemy's `AsyncAdaptedQueuePool` keeps its connections in an `asyncio.Queue` and takes one
with `get_nowait()` before it waits. When a request gives a connection back, the queue wakes
the request that waited longest, but any request that runs before that one resumes takes the
connection first ("barging"); the woken request finds the queue empty and waits again, at the
end of the line (`asyncio.Queue.get`; python/cpython#83055, MagicStack/asyncpg#1247 for the
same in asyncpg's pool). Under 32 clients and a pool of 10, a few reads waited lap after lap:
p99 170-600 ms, once 1 s, where the mean was 30 ms (bench/README.md, finding 13).

`FairQueue` hands a returned connection straight to the longest waiter, and a request that
finds others waiting joins the end of the line instead of taking what comes back. Nothing
else changes: the pool's size, overflow, timeout (then `sqlalchemy.exc.TimeoutError`, 503)
and what it does with a connection given back.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from typing import Any

from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util.concurrency import await_
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty


class FairQueue(AsyncAdaptedQueue[Any]):
    """`AsyncAdaptedQueue` in first-come, first-served order (see the module).

    Invariant: while a live waiter exists, the queue itself is empty (a connection given back
    goes to the waiter).
    """

    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._waiters: collections.deque[asyncio.Future[Any]] = collections.deque()

    def put_nowait(self, item: Any) -> None:
        """Give `item` to the longest waiter, else keep it.

        Raises:
            sqlalchemy.util.queue.Full: nobody waits and the queue holds `maxsize` items.
        """
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a waiter that gave up (timeout, cancelled) is skipped
                waiter.set_result(item)
                return
        super().put_nowait(item)

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        """As `put_nowait`: the pool gives connections back without waiting (`block=False`)."""
        self.put_nowait(item)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """An item: at once if nobody waits before us and one is kept; else, with `block`,
        after everyone who asked earlier, waiting at most `timeout` seconds (None: no limit).

        Raises:
            sqlalchemy.util.queue.Empty: none was free (`block=False`) or came in time.
            asyncio.CancelledError: the request was cancelled while waiting; an item given to
                it meanwhile goes to the next waiter.
        """
        if not any(not w.done() for w in self._waiters):
            try:
                return self._queue.get_nowait()
            except asyncio.QueueEmpty:
                pass
        if not block:
            raise Empty()
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            if timeout is None:
                return await_(waiter)
            # An item handed over as the timeout fires is still returned (asyncio.wait_for).
            return await_(asyncio.wait_for(waiter, timeout))
        except TimeoutError:
            raise Empty() from None
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.put_nowait(waiter.result())  # ours, but we are gone: the next one's
            raise
        finally:
            if not waiter.done():
                waiter.cancel()
            with contextlib.suppress(ValueError):  # already taken off by `put_nowait`
                self._waiters.remove(waiter)


class FairQueuePool(AsyncAdaptedQueuePool):
    """`AsyncAdaptedQueuePool` lending connections first come, first served (`FairQueue`);
    for `create_async_engine(poolclass=...)`, with the same arguments."""

    _queue_class = FairQueue

"""Connections are lent first come, first served (`apicore.pool`): a request that finds others
waiting joins the end of the line instead of taking the connection just given back, a waiter
that gives up leaves the line, and a connection handed to a cancelled waiter goes on to the next
one. Both databases' engines use this pool."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.util.concurrency import greenlet_spawn
from sqlalchemy.util.queue import Empty

from apicore import db as db_module
from apicore.db import Database, create_engine
from apicore.pool import FairQueue, FairQueuePool


async def _get(queue: FairQueue, *, block: bool = True, timeout: float | None = None) -> Any:
    # The pool calls `get` from SQLAlchemy's greenlet (`await_` needs one).
    return await greenlet_spawn(queue.get, block, timeout)


async def test_a_connection_given_back_goes_to_the_longest_waiter_not_to_a_newcomer() -> None:
    queue = FairQueue(maxsize=1)
    queue.put_nowait("connection")
    held = await _get(queue)
    waiter = asyncio.create_task(_get(queue))
    await asyncio.sleep(0.01)  # the waiter is in line
    queue.put_nowait(held)
    # Before the waiter has run again, a newcomer asks: with `asyncio.Queue.get_nowait` it would
    # take the connection, and the waiter would go to the end of the line.
    with pytest.raises(Empty):
        await _get(queue, block=False)
    late = asyncio.create_task(_get(queue))
    assert await waiter == "connection"
    assert not late.done()
    queue.put_nowait("connection")
    assert await late == "connection"


async def test_waiters_are_served_in_the_order_they_asked() -> None:
    queue = FairQueue(maxsize=1)
    served: list[int] = []

    async def request(number: int) -> None:
        item = await _get(queue)
        served.append(number)
        await asyncio.sleep(0)  # hold it for a moment, as a request does
        queue.put_nowait(item)

    queue.put_nowait("connection")
    holder = await _get(queue)
    tasks = []
    for number in range(8):
        tasks.append(asyncio.create_task(request(number)))
        await asyncio.sleep(0)  # each asks in turn
    queue.put_nowait(holder)
    await asyncio.gather(*tasks)
    assert served == list(range(8))


async def test_a_waiter_that_times_out_leaves_the_line() -> None:
    queue = FairQueue(maxsize=1)
    with pytest.raises(Empty):
        await _get(queue, timeout=0.05)
    queue.put_nowait("connection")  # nobody waits any more: kept
    assert await _get(queue, block=False) == "connection"


async def test_a_connection_handed_to_a_cancelled_waiter_goes_to_the_next() -> None:
    queue = FairQueue(maxsize=1)
    first = asyncio.create_task(_get(queue))
    second = asyncio.create_task(_get(queue))
    await asyncio.sleep(0.01)
    queue.put_nowait("connection")  # handed to `first`, which has not run yet
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await asyncio.wait_for(second, 1) == "connection"


@pytest.mark.parametrize(
    "url",
    ["sqlite+aiosqlite:///{tmp}/pool.db", "postgresql+asyncpg://nobody@127.0.0.1:1/none"],
    ids=["sqlite", "postgresql"],
)
def test_both_databases_use_the_fair_pool(url: str, tmp_path: Path) -> None:
    engine = create_engine(url.format(tmp=tmp_path))
    assert isinstance(engine.sync_engine.pool, FairQueuePool)


async def test_sqlite_sessions_get_the_one_connection_in_the_order_they_asked(tmp_path: Path) -> None:
    db = Database.connect(f"sqlite+aiosqlite:///{tmp_path / 'order.db'}")
    served: list[int] = []
    try:
        first = await db.engine.connect()  # holds the process's one connection

        async def request(number: int) -> None:
            async with db.engine.connect() as connection:
                served.append(number)
                await connection.exec_driver_sql("SELECT 1")

        tasks = []
        for number in range(6):
            tasks.append(asyncio.create_task(request(number)))
            await asyncio.sleep(0.01)
        await first.close()
        await asyncio.gather(*tasks)
        assert served == list(range(6))
    finally:
        await db.dispose()


async def test_a_pool_wait_past_its_timeout_is_still_sqlalchemys_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The services answer SQLAlchemy's pool timeout with 503 (`apicore.db`): unchanged.
    monkeypatch.setattr(db_module, "SQLITE_QUEUE_SECONDS", 0.05)
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'timeout.db'}")
    try:
        held = await engine.connect()
        with pytest.raises(PoolTimeout):
            await engine.connect()
        await held.close()
        async with engine.connect() as connection:  # the line is empty again
            await connection.exec_driver_sql("SELECT 1")
    finally:
        await engine.dispose()

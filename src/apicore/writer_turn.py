"""Whose turn it is to write a SQLite database, among the processes that share it.

SQLite keeps no queue for its write lock: a writer that finds it taken gets SQLITE_BUSY and must
try again later. Our writers tried again after 1, 2, 4 ... 50 ms (`apicore.db._on_loop`), so with
2 worker processes the one that had just committed usually began again before the other looked:
under 32 clients creating persons, p99 was 520-650 ms against 180-200 ms with a turn
(bench/README.md, finding 8). Here a writer first takes an exclusive `flock(2)` on a file
beside the database (`<database>-writer.lock`), then runs `BEGIN IMMEDIATE`, and lets the
`flock` go after COMMIT or ROLLBACK. A process waiting for it sleeps in the kernel, in a thread
of its own, and wakes as soon as the holder lets go; the event loop goes on meanwhile.

The turn is only an order of arrival; SQLite's own lock still guards the data. A writer that
does not take the turn (the `sqlite3` shell, a migration) is waited for as before, and an error
here costs a wait, never a write.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import queue
import sqlite3
import threading
from dataclasses import dataclass, field

import structlog

_log = structlog.get_logger("apicore.writer_turn")

LOCK_SUFFIX = "-writer.lock"
"""Added to the database file's name to make the lock file's."""


def busy_error() -> sqlite3.OperationalError:
    """The error SQLite gives when its write lock stays taken: `database is locked`, with
    SQLITE_BUSY as its code, so that the services answer it as they answer SQLite's own
    (503, `apicore.db.lock_held_elsewhere`)."""
    error = sqlite3.OperationalError("database is locked")
    error.sqlite_errorcode = sqlite3.SQLITE_BUSY
    error.sqlite_errorname = "SQLITE_BUSY"
    return error


@dataclass(slots=True)
class _Wait:
    """One wait for the turn, shared by the loop and the thread that sleeps in `flock`.

    Under `guard`: the thread sets `granted` once it holds the lock, unless the loop gave up
    first (`abandoned`), in which case the thread lets it go at once; `finished` once it is
    done with the file descriptor.
    """

    done: asyncio.Future[None]
    guard: threading.Lock = field(default_factory=threading.Lock)
    granted: bool = False
    abandoned: bool = False
    finished: bool = False


def _waiter(fd: int, waits: queue.SimpleQueue[_Wait | None]) -> None:
    """The thread that sleeps in `flock` for one connection's waits, one after the other (two
    waits on one file descriptor at once would both be granted); `None` ends it and closes
    `fd`."""
    while (wait := waits.get()) is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            failed = False
        except OSError:
            failed = True
        with wait.guard:
            if not failed and wait.abandoned:
                fcntl.flock(fd, fcntl.LOCK_UN)
            else:
                wait.granted = not failed
            wait.finished = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            wait.done.get_loop().call_soon_threadsafe(_settle, wait.done)
    os.close(fd)


def _settle(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)


class WriterTurn:
    """The turn at writing the SQLite database at `database` for one connection.

    Use `await take(timeout)` before `BEGIN IMMEDIATE` and `give_back()` after the transaction
    ends; `close()` with the connection. Not for concurrent use: a process's pool holds one
    SQLite connection, and only the request holding it begins transactions.
    """

    def __init__(self, database: str) -> None:
        self._path = database + LOCK_SUFFIX
        self._fd: int | None = None
        self._usable = True
        self._held = False
        self._waits: queue.SimpleQueue[_Wait | None] | None = None
        self._last: _Wait | None = None

    def _descriptor(self) -> int | None:
        if self._fd is not None and not self._same_file(self._fd):
            # Deleted or replaced (an operator tidying the folder): processes started since
            # lock the new file, so this connection must too.
            self.close()
        if self._fd is None and self._usable:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as error:
                # A read-only folder: writers then wait as SQLite makes them.
                self._usable = False
                _log.warning("sqlite.writer_turn_unavailable", error=type(error).__name__)
        return self._fd

    def _same_file(self, fd: int) -> bool:
        try:
            now, ours = os.stat(self._path), os.fstat(fd)
        except OSError:
            return False
        return (now.st_dev, now.st_ino) == (ours.st_dev, ours.st_ino)

    @property
    def held(self) -> bool:
        """Whether this connection holds the turn."""
        return self._held

    async def take(self, timeout: float) -> None:
        """Wait until no other connection of ours writes the database, at most `timeout`
        seconds, without blocking the event loop.

        Raises:
            sqlite3.OperationalError: `database is locked` (SQLITE_BUSY) after `timeout`.
            asyncio.CancelledError: the waiting task was cancelled; the turn is not kept.
        """
        if self._held:
            return
        fd = self._descriptor()
        if fd is None:
            return
        try:
            if self._last is not None and not self._last.finished:
                # A wait given up is still asleep in `flock` on this descriptor: a lock taken
                # here now would be the same lock, let go when that wait ends. Queue behind it.
                raise BlockingIOError
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass
        except OSError as error:  # e.g. ENOLCK: a file system without flock
            self._usable = False
            _log.warning("sqlite.writer_turn_unavailable", error=type(error).__name__)
            return
        else:
            self._held = True
            return
        if self._waits is None:
            self._waits = queue.SimpleQueue()
            threading.Thread(
                target=_waiter, args=(fd, self._waits), name="sqlite-writer-turn", daemon=True
            ).start()
        wait = _Wait(asyncio.get_running_loop().create_future())
        self._last = wait
        self._waits.put(wait)
        try:
            await asyncio.wait_for(asyncio.shield(wait.done), timeout)
        except (TimeoutError, asyncio.CancelledError) as stopped:
            with wait.guard:
                granted = wait.granted
                wait.abandoned = not granted
            if isinstance(stopped, asyncio.CancelledError):
                if granted:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                raise
            if not granted:
                raise busy_error() from None
        else:
            if not wait.granted:  # flock itself failed: wait as SQLite makes us
                return
        self._held = True

    def give_back(self) -> None:
        """Let the next writer go (nothing if this connection does not hold the turn)."""
        if self._held and self._fd is not None:
            self._held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Give the turn back and close the lock file (after the waiting thread's last wait)."""
        self.give_back()
        fd, self._fd = self._fd, None
        self._last = None
        if self._waits is not None:
            self._waits.put(None)  # the thread closes `fd` when its waits are over
            self._waits = None
        elif fd is not None:
            os.close(fd)

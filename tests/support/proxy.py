"""A small HTTP/1.1 proxy on loopback that sits between the two services in integration tests.

It forwards each request to its upstream unchanged and records what passed (method, path,
`Idempotency-Key`, `X-Request-ID`, status). On request it loses answers the way a real network
does: it forwards the request, lets the upstream commit and answer, then closes the caller's
connection without passing the answer on (`drop_replies`); or it holds requests without
forwarding them (`black_hole`), like a peer that stopped answering.

It runs its own event loop in a thread, so synchronous tests can steer it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from tests.support.services import free_port


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request that reached the upstream, and what became of its answer."""

    method: str
    path: str
    idempotency_key: str | None
    request_id: str | None
    status: int
    dropped: bool


ReplyFilter = Callable[[str, str], bool]
"""`(method, path) → True` for the requests a rule applies to."""


class _Malformed(Exception):
    pass


async def _read_message(reader: asyncio.StreamReader) -> tuple[bytes, dict[str, str], bytes] | None:
    """One HTTP/1.1 message: (head, lowercase headers, body); None at a clean end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise _Malformed from exc
        return None
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n")[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return head, headers, body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    raw = b""
    while True:
        size_line = await reader.readuntil(b"\r\n")
        raw += size_line
        size = int(size_line.split(b";")[0].strip(), 16)
        raw += await reader.readexactly(size + 2)
        if size == 0:
            return raw


class LossyProxy:
    """`with LossyProxy(upstream_port) as proxy:` listens on `proxy.url` until the block ends."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self.exchanges: list[Exchange] = []
        self._drop: list[tuple[ReplyFilter, int]] = []
        self._black_hole: ReplyFilter | None = None
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._held: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """Base URL callers should use instead of the upstream's."""
        return f"http://127.0.0.1:{self.port}"

    def drop_replies(self, matches: ReplyFilter, count: int = 1) -> None:
        """Lose the answers of the next `count` requests that `matches`, after the upstream answered."""
        with self._lock:
            self._drop.append((matches, count))

    def black_hole(self, matches: ReplyFilter | None) -> None:
        """Hold every request that `matches` without forwarding it (None: forward again; held
        connections are then closed, as a peer that restarts would)."""
        with self._lock:
            self._black_hole = matches
        if matches is None:
            self._loop.call_soon_threadsafe(self._release_held)

    @property
    def held(self) -> int:
        """How many callers the black hole holds right now."""
        return len(self._held)

    def seen(self, matches: ReplyFilter) -> list[Exchange]:
        """The exchanges that `matches`, in order."""
        with self._lock:
            return [e for e in self.exchanges if matches(e.method, e.path)]

    def __enter__(self) -> LossyProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._release_held()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def _release_held(self) -> None:
        for writer in list(self._held):
            writer.close()
        self._held.clear()

    def _take_drop(self, method: str, path: str) -> bool:
        with self._lock:
            for i, (matches, count) in enumerate(self._drop):
                if matches(method, path):
                    if count <= 1:
                        del self._drop[i]
                    else:
                        self._drop[i] = (matches, count - 1)
                    return True
        return False

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                message = await _read_message(reader)
                if message is None:
                    return
                head, headers, body = message
                method, path = head.decode("latin-1").split(" ", 2)[:2]
                with self._lock:
                    hole = self._black_hole
                if hole is not None and hole(method, path):
                    self._held.add(writer)
                    await reader.read()  # until the caller gives up or we close it
                    return
                if upstream is None:
                    upstream = await asyncio.open_connection("127.0.0.1", self.upstream_port)
                up_reader, up_writer = upstream
                up_writer.write(head + body)
                await up_writer.drain()
                answer = await _read_message(up_reader)
                if answer is None:
                    return
                answer_head, _answer_headers, answer_body = answer
                status = int(answer_head.split(b" ", 2)[1])
                dropped = self._take_drop(method, path)
                with self._lock:
                    self.exchanges.append(
                        Exchange(
                            method,
                            path,
                            headers.get("idempotency-key"),
                            headers.get("x-request-id"),
                            status,
                            dropped,
                        )
                    )
                if dropped:
                    return  # the upstream committed and answered; the caller never hears it
                writer.write(answer_head + answer_body)
                await writer.drain()
        except (_Malformed, ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        finally:
            self._tasks.discard(task)
            self._held.discard(writer)
            for w in (writer, *(upstream[1:] if upstream else ())):
                w.close()
                with contextlib.suppress(Exception):
                    await w.wait_closed()


def path_is(method: str, path: str) -> ReplyFilter:
    """A filter for one method and path (the query string ignored)."""
    return lambda m, p: m == method and p.split("?", 1)[0] == path

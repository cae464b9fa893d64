"""The event loop the services run on: uvloop, taking every waiting connection at once when
the process listens alone.

Why: since libuv 1.45 (libuv/libuv#3696, "unix: don't accept() connections in a loop") a
uvloop server accepts one connection per turn of its loop. Under load a turn runs the
callbacks of every busy connection, several milliseconds, so a burst of new connections waits
in the kernel's queue and is taken one a turn, behind the requests of connections already
open: 32 connections opened together (phones reconnecting when the network comes back, a load
generator) waited up to 0.4 s for their first answer while the median answer took 0.08 s
(bench/README.md, finding 14). asyncio's own loop accepts up to `backlog` connections a turn;
this loop does the same and keeps uvloop's speed everywhere else.

A socket shared by several worker processes (`serve --workers N`) stays uvloop's: there one
connection a turn is what spreads a burst evenly over the workers (each takes connections as
often as it turns; a greedy one took 22 to 25 of 32), which is libuv's reason for it.

uvicorn (0.36 and later) takes it as `loop="apicore.eventloop:new_event_loop"`.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Callable, Iterable
from typing import Any

import structlog

from apicore.logs import Throttle

_log = structlog.get_logger("apicore.eventloop")

_paused = Throttle(seconds=10.0)
"""Out of descriptors, accepting pauses every second: one log line in 10 s, with the count."""

ACCEPT_RETRY_SECONDS = 1.0
"""After the process ran out of descriptors or memory accepting, accepting pauses this long
(asyncio's `constants.ACCEPT_RETRY_DELAY`): the connections wait in the kernel's queue instead
of the loop spinning on a socket that stays readable."""

_RESOURCE_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class AcceptingServer(asyncio.AbstractServer):
    """A TCP server that accepts, each time a listening socket is readable, every connection
    waiting (at most `backlog`) and hands each to the loop's `connect_accepted_socket`. Plain
    TCP only: TLS ends at the proxy in front of the services.

    Its shape is asyncio's `Server` as uvicorn uses it (`close`, `wait_closed`, `sockets`,
    `is_serving`); the connections it accepted are uvicorn's to close, which tracks them.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        sockets: Iterable[socket.socket],
        protocol_factory: Callable[[], asyncio.BaseProtocol],
        backlog: int,
    ) -> None:
        self._loop = loop
        self._sockets = tuple(sockets)
        self._protocol_factory = protocol_factory
        self._backlog = max(1, backlog)
        self._serving = False
        self._closed = loop.create_future()
        self._handshakes: set[asyncio.Task[Any]] = set()  # held until done (asyncio's advice)
        for sock in self._sockets:
            sock.setblocking(False)
        self._start()

    def _start(self) -> None:
        if self._serving or self._closed.done():
            return
        self._serving = True
        for sock in self._sockets:
            self._loop.add_reader(sock.fileno(), self._accept, sock)

    def _pause(self) -> None:
        self._serving = False
        for sock in self._sockets:
            self._loop.remove_reader(sock.fileno())

    def _accept(self, listening: socket.socket) -> None:
        for _ in range(self._backlog):
            try:
                connection, _address = listening.accept()
            except (BlockingIOError, InterruptedError):
                return  # nothing more waiting
            except ConnectionAbortedError:
                continue  # the client gave up while it waited
            except OSError as error:
                if error.errno not in _RESOURCE_ERRORS:
                    raise
                _paused(_log.error, "server.accept_paused", error=errno.errorcode.get(error.errno or 0, "?"))
                self._pause()
                self._loop.call_later(ACCEPT_RETRY_SECONDS, self._start)
                return
            connection.setblocking(False)
            task = self._loop.create_task(self._connect(connection))
            self._handshakes.add(task)
            task.add_done_callback(self._handshakes.discard)

    async def _connect(self, connection: socket.socket) -> None:
        try:
            await self._loop.connect_accepted_socket(self._protocol_factory, connection)
        except OSError:
            connection.close()  # reset before its transport was made: nobody to answer

    @property
    def sockets(self) -> tuple[socket.socket, ...]:
        """The listening sockets; none once closed."""
        return () if self._closed.done() else self._sockets

    def close(self) -> None:
        """Stop accepting and close the listening sockets; open connections are left alone."""
        if self._closed.done():
            return
        if self._serving:
            self._pause()
        for sock in self._sockets:
            sock.close()
        self._closed.set_result(None)

    async def wait_closed(self) -> None:
        """Return once `close` was called."""
        await asyncio.shield(self._closed)

    def get_loop(self) -> asyncio.AbstractEventLoop:
        """The loop the server accepts on."""
        return self._loop

    def is_serving(self) -> bool:
        """Whether it accepts connections now."""
        return self._serving

    async def start_serving(self) -> None:
        """Nothing to do: it serves from its creation."""

    async def serve_forever(self) -> None:
        """Wait until closed."""
        await self.wait_closed()


def listening_sockets(host: str | None, port: int | None, backlog: int) -> list[socket.socket]:
    """Bound, listening TCP sockets on `port` (0: one the kernel picks), one per address `host`
    resolves to (`None` or "": every interface), as asyncio's `create_server` makes them:
    `SO_REUSEADDR`, IPv6 sockets IPv6-only.

    Raises:
        OSError: the address is in use or not this host's, or the name does not resolve.
    """
    found = socket.getaddrinfo(host or None, port or 0, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    opened: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in dict.fromkeys(found):
            sock = socket.socket(family, kind, proto)
            opened.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                sock.bind(address)
            except OSError as error:
                # The address in the message, as asyncio's and uvloop's servers say it.
                reason = (error.strerror or str(error)).lower()
                raise OSError(
                    error.errno, f"error while attempting to bind on address {address!r}: {reason}"
                ) from None
            sock.listen(backlog)
    except OSError:
        for sock in opened:
            sock.close()
        raise
    return opened


try:
    import uvloop
except ImportError:  # pragma: no cover - uvicorn[standard] brings it wherever it runs

    def new_event_loop() -> asyncio.AbstractEventLoop:
        """asyncio's loop, where uvloop is missing: it accepts up to `backlog` a turn itself."""
        return asyncio.new_event_loop()

else:

    class AcceptingLoop(uvloop.Loop):
        """uvloop whose TCP servers on a host and port are `AcceptingServer`s; any other
        (a socket handed over by uvicorn's supervisor, TLS, options we never pass) is
        uvloop's own."""

        async def create_server(  # type: ignore[override]
            self,
            protocol_factory: Callable[[], asyncio.BaseProtocol],
            host: str | None = None,
            port: int | None = None,
            *,
            sock: socket.socket | None = None,
            backlog: int = 100,
            ssl: Any = None,
            **options: Any,
        ) -> asyncio.AbstractServer:
            if sock is not None:
                return await super().create_server(
                    protocol_factory, sock=sock, backlog=backlog, ssl=ssl, **options
                )
            if ssl is not None or options:
                return await super().create_server(
                    protocol_factory, host, port or 0, backlog=backlog, ssl=ssl, **options
                )
            return AcceptingServer(self, listening_sockets(host, port, backlog), protocol_factory, backlog)

    def new_event_loop() -> asyncio.AbstractEventLoop:
        """A new `AcceptingLoop`."""
        return AcceptingLoop()

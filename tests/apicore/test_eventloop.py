"""The services' event loop (`apicore.eventloop`): a server listening alone takes every waiting
connection in one turn of a busy loop (uvloop's own takes one a turn: bench/README.md,
finding 14), pauses instead of spinning when out of descriptors, closes cleanly, and runs the
services under uvicorn."""

from __future__ import annotations

import asyncio
import errno
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from structlog.testing import capture_logs

from apicore import eventloop
from apicore.eventloop import AcceptingServer, new_event_loop
from apicore.logs import Throttle

BURST = 16


class _Counting(asyncio.Protocol):
    """Counts the connections made and closes each at once."""

    def __init__(self, made: list[float]) -> None:
        self.made = made

    def connection_made(self, transport: Any) -> None:
        self.made.append(time.monotonic())
        transport.close()


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    made = new_event_loop()
    try:
        yield made
    finally:
        made.close()


def _connect_burst(port: int, count: int) -> list[socket.socket]:
    # On loopback the kernel completes each handshake itself: the connections wait in the
    # listening socket's queue until the server accepts them.
    return [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]


def _run_busy_turns(loop: asyncio.AbstractEventLoop, turns: int, busy_seconds: float = 0.005) -> None:
    """Run `turns` turns of `loop`, each also running a callback that holds it `busy_seconds`
    (as requests in flight do)."""
    done = loop.create_future()
    left = [turns]

    def busy() -> None:
        time.sleep(busy_seconds)
        left[0] -= 1
        if left[0] <= 0:
            done.set_result(None)
        else:
            loop.call_soon(busy)

    loop.call_soon(busy)
    loop.run_until_complete(done)


def test_a_busy_loop_takes_a_whole_burst_of_connections_in_its_first_turns(
    loop: asyncio.AbstractEventLoop,
) -> None:
    made: list[float] = []
    server = loop.run_until_complete(loop.create_server(lambda: _Counting(made), "127.0.0.1", 0, backlog=100))
    assert isinstance(server, AcceptingServer)
    port = server.sockets[0].getsockname()[1]
    clients = _connect_burst(port, BURST)
    try:
        # uvloop's own server accepted one connection a turn: 4 of the 16 here.
        _run_busy_turns(loop, 3)
        assert len(made) == BURST
    finally:
        for client in clients:
            client.close()
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.run_until_complete(asyncio.sleep(0.01))  # the transports close


def test_connections_accepted_are_served(loop: asyncio.AbstractEventLoop) -> None:
    async def scenario() -> bytes:
        async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(await reader.readline())
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(echo, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write("Жусан\n".encode())
        answer = await reader.readline()
        writer.close()
        server.close()
        await server.wait_closed()
        return answer

    assert loop.run_until_complete(scenario()) == "Жусан\n".encode()


def test_closing_stops_accepting_and_releases_the_port(loop: asyncio.AbstractEventLoop) -> None:
    made: list[float] = []
    server = loop.run_until_complete(loop.create_server(lambda: _Counting(made), "127.0.0.1", 0))
    port = server.sockets[0].getsockname()[1]
    assert server.is_serving()
    server.close()
    loop.run_until_complete(server.wait_closed())
    assert not server.is_serving()
    assert server.sockets == ()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)
    # The port can be bound again at once (SO_REUSEADDR, nothing left listening).
    again = loop.run_until_complete(loop.create_server(lambda: _Counting(made), "127.0.0.1", port))
    again.close()


def test_a_port_in_use_raises_oserror_as_asyncio_does(loop: asyncio.AbstractEventLoop) -> None:
    taken = socket.create_server(("127.0.0.1", 0))
    try:
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match="in use") as refused:
            loop.run_until_complete(loop.create_server(asyncio.Protocol, "127.0.0.1", port))
        # uvicorn logs this message alone: it names the address, as asyncio's does.
        assert f"('127.0.0.1', {port})" in str(refused.value)
        assert refused.value.errno == errno.EADDRINUSE
    finally:
        taken.close()


class _OutOfDescriptors(socket.socket):
    """A listening socket whose first accept fails as a process out of descriptors does."""

    failures = 1

    def accept(self) -> tuple[socket.socket, Any]:
        if self.failures:
            self.failures -= 1
            raise OSError(errno.EMFILE, "Too many open files")
        return super().accept()


def test_out_of_descriptors_pauses_accepting_then_takes_the_waiting_connection(
    loop: asyncio.AbstractEventLoop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(eventloop, "ACCEPT_RETRY_SECONDS", 0.1)
    monkeypatch.setattr(eventloop, "_paused", Throttle(seconds=10.0))
    listening = _OutOfDescriptors(socket.AF_INET, socket.SOCK_STREAM)
    listening.failures = 3
    listening.bind(("127.0.0.1", 0))
    listening.listen(10)
    made: list[float] = []
    server = AcceptingServer(loop, [listening], lambda: _Counting(made), backlog=10)
    client = socket.create_connection(listening.getsockname())
    try:
        with capture_logs() as logs:
            _run_busy_turns(loop, 3, busy_seconds=0.001)
            # Refused: the loop stopped watching the socket rather than waking on it again.
            assert made == []
            assert not server.is_serving()
            loop.run_until_complete(asyncio.sleep(0.6))  # three pauses, then the accept works
        assert len(made) == 1
        assert server.is_serving()
        # Three pauses, one line: a process out of descriptors does not flood its log.
        assert [line["event"] for line in logs] == ["server.accept_paused"]
        assert logs[0]["error"] == "EMFILE"
    finally:
        client.close()
        server.close()
        loop.run_until_complete(asyncio.sleep(0.01))  # the transports close


def test_a_socket_handed_over_by_uvicorns_supervisor_stays_uvloops(loop: asyncio.AbstractEventLoop) -> None:
    # Shared by worker processes: one connection a turn spreads a burst over them.
    shared = socket.create_server(("127.0.0.1", 0))
    server = loop.run_until_complete(loop.create_server(asyncio.Protocol, sock=shared))
    try:
        assert not isinstance(server, AcceptingServer)
    finally:
        server.close()


def test_uvicorn_serves_an_app_on_this_loop() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                event = (await receive())["type"].removeprefix("lifespan.")
                await send({"type": f"lifespan.{event}.complete"})
                if event == "shutdown":
                    return
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        name = type(asyncio.get_running_loop()).__name__
        await send({"type": "http.response.body", "body": name.encode()})

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, loop="apicore.eventloop:new_event_loop", log_config=None
    )
    server = uvicorn.Server(config)

    async def scenario() -> tuple[str, str]:
        serving = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient() as client:
            answers = await asyncio.gather(*(client.get(f"http://127.0.0.1:{port}/") for _ in range(BURST)))
        server.should_exit = True
        await serving
        return answers[0].text, ",".join(sorted({str(answer.status_code) for answer in answers}))

    loop_factory = config.get_loop_factory()
    assert loop_factory is not None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        name, status = runner.run(scenario())
    assert (name, status) == ("AcceptingLoop", "200")


def test_both_services_serve_on_this_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    from docs_service.cli import main as docs_main
    from intake_api.cli import main as intake_main

    started: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **options: started.append(options))
    monkeypatch.setattr("apicore.cli.configure_logging", lambda *_args, **_options: None)
    for main in (intake_main, docs_main):
        assert main(["serve", "--port", "0"]) == 0
    assert [options["loop"] for options in started] == ["apicore.eventloop:new_event_loop"] * 2

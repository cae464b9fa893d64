"""SIGTERM stops `serve` within its grace (`apicore.cli.GRACEFUL_SHUTDOWN_SECONDS`) even when a
client has stopped sending in the middle of a body: a newcomer trial saw the process wait 61 s
for such a connection, past `make run`'s and `docker stop`'s 10 s before SIGKILL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from apicore.cli import GRACEFUL_SHUTDOWN_SECONDS
from tests.support.services import ServiceProcess, free_port


def test_a_client_stalled_in_mid_body_does_not_hold_the_shutdown(tmp_path: Path) -> None:
    env = {
        "INTAKE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}",
        "INTAKE_OUTBOX_ENABLED": "false",
    }
    script = str(Path(sys.executable).with_name("intake-api"))
    subprocess.run([script, "migrate"], env={**os.environ, **env}, check=True, capture_output=True)
    service = ServiceProcess("intake-api", free_port(), env, tmp_path / "intake.log")
    service.start()
    stalled = socket.create_connection(("127.0.0.1", service.port))
    try:
        stalled.sendall(
            b"POST /v1/persons HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 100\r\n\r\n{"id":'
        )
        time.sleep(0.5)  # the request is in, its body unfinished
        assert service.process is not None
        started = time.monotonic()
        service.process.terminate()
        service.process.wait(timeout=60)
        took = time.monotonic() - started
        assert took < GRACEFUL_SHUTDOWN_SECONDS + 4, f"stopped after {took:.1f} s"
        assert "Finished server process" in service.logs()
    finally:
        stalled.close()
        service.stop()

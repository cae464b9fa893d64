"""Both services as real uvicorn processes on loopback ports, for integration tests."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

import httpx

_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, and that this process has not
    handed out before: the kernel may give the same free port to two calls in a row, and two
    services of one deployment then raced for it (the second's health check reached the first)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


class ServiceProcess:
    """One service started with its console script (`intake-api serve`)."""

    def __init__(self, script: str, port: int, env: Mapping[str, str], log_path: Path) -> None:
        self.script = script
        self.port = port
        self.env = {**os.environ, **env}
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None

    @property
    def url(self) -> str:
        """Base URL on loopback."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        """Start and wait until `/healthz` answers."""
        executable = str(Path(sys.executable).with_name(self.script))
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [executable, "serve", "--port", str(self.port)], env=self.env, stdout=self._log, stderr=self._log
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.script} exited: {self.log_path.read_text(errors='replace')[-3000:]}"
                )
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    if f"Uvicorn running on {self.url}" not in self.logs():
                        # Another server on the port answered, not ours: fail here, not later.
                        raise RuntimeError(f"{self.script}: port {self.port} is served by another process")
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.script} did not become healthy")

    def stop(self) -> None:
        """Stop gracefully (SIGTERM), killing after 10 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL: the process dies at once, with no shutdown of its own (a crash, the OOM killer)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_records(self) -> list[dict[str, object]]:
        """The JSON log lines the process wrote so far (other lines skipped)."""
        records = []
        for line in self.logs().splitlines():
            with contextlib.suppress(ValueError):
                record = json.loads(line)
                if isinstance(record, dict):
                    records.append(record)
        return records

    def logs(self) -> str:
        """What the process wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def start_dispatcher(script: str, env: Mapping[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """`<script> dispatch` in a process of its own, its output appended to `log_path`."""
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [str(Path(sys.executable).with_name(script)), "dispatch"],
            env={**os.environ, **env},
            stdout=log,
            stderr=log,
        )

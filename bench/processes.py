"""Real uvicorn processes on loopback ports, and the resident memory of each of their processes.

The services start with their own command line (`intake-api serve --port P --workers N`); the
baselines with `uvicorn --factory`. Each runs in a session of its own so that stopping it
(SIGTERM, then SIGKILL after 10 s) reaches its worker processes and nothing else.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.databases import BIN, ROOT


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            found.extend(int(c) for c in text.split())
    except OSError:
        return []
    return found


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (Linux `/proc`)."""
    tree, queue = [], [pid]
    while queue:
        current = queue.pop()
        tree.append(current)
        queue.extend(_children(current))
    return tree


def rss_mb(pid: int) -> float | None:
    """Resident set size of one process in MiB (VmRSS), or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class RssSampler:
    """Samples the RSS of a process tree every `interval` seconds; keeps the peak per process."""

    root: int
    interval: float = 0.25
    peaks: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def sample(self) -> None:
        """Take one sample now."""
        for pid in process_tree(self.root):
            value = rss_mb(pid)
            if value is not None:
                self.peaks[pid] = max(value, self.peaks.get(pid, 0.0))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()

    def workers_peak(self) -> float:
        """The largest peak among the serving processes (the supervisor counts when it serves)."""
        return max(self.peaks.values(), default=0.0)


class Server:
    """One HTTP server process (and its workers) started from a command line."""

    def __init__(
        self, name: str, command: Sequence[str], env: Mapping[str, str], port: int, log_dir: Path
    ) -> None:
        self.name = name
        self.command = list(command)
        self.env = {**os.environ, **env}
        self.port = port
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base URL on loopback."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0, *, workers: int = 1) -> None:
        """Start, and wait until `/healthz` answers from every worker (a few probes each).

        Raises:
            RuntimeError: the process exited or never became healthy (with the end of its log).
        """
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own command lines
                self.command, env=self.env, stdout=log, stderr=log, cwd=ROOT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        healthy = 0
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    healthy += 1
                    # Several answers in a row: with N workers each has likely started.
                    if healthy >= 3 * workers and self._workers_up(workers):
                        return
                    continue
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not become healthy:\n{self.log_tail()}")

    def _workers_up(self, workers: int) -> bool:
        if workers <= 1 or self.process is None:
            return True
        return len(process_tree(self.process.pid)) >= workers + 1

    def log_tail(self, size: int = 3000) -> str:
        """The end of the process's log."""
        return self.log_path.read_text(errors="replace")[-size:] if self.log_path.exists() else ""

    def stop(self) -> None:
        """SIGTERM the process group; SIGKILL it after 10 s."""
        if self.process is None or self.process.poll() is not None:
            return
        pgid = os.getpgid(self.process.pid)
        os.killpg(pgid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait()


def service_server(
    service: str, port: int, workers: int, env: Mapping[str, str], log_dir: Path, *, label: str
) -> Server:
    """`intake-api serve` / `docs-service serve` with `env` (its `INTAKE_*` / `DOCS_*` settings)."""
    script = {"intake": "intake-api", "docs": "docs-service"}[service]
    command = [str(BIN / script), "serve", "--port", str(port), "--workers", str(workers)]
    return Server(label, command, env, port, log_dir)


def baseline_server(
    app: str, port: int, workers: int, env: Mapping[str, str], log_dir: Path, *, label: str
) -> Server:
    """A baseline app (`raw` or `orm`) under uvicorn with `workers` processes."""
    command = [
        str(BIN / "python"), "-m", "uvicorn", f"bench.baselines.{app}:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return Server(label, command, env, port, log_dir)

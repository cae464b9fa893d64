"""The load generators: wrk pinned to one CPU with `taskset`, replaying prepared requests, and
a one-at-a-time client for batches (whose seconds dwarf any client's overhead).

wrk runs one thread (the CPU it is pinned to) with N connections, closed loop: latency is the
time each answer took, without coordinated-omission correction.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

LUA = Path(__file__).resolve().parent / "lua" / "replay.lua"
_UNIT_SEPARATOR = "\x1f"


@dataclass(frozen=True, slots=True)
class PreparedRequest:
    """One HTTP request for the replay script."""

    method: str
    target: str
    headers: Mapping[str, str]
    body: str = ""
    """JSON on one line (no newline inside), or empty."""


def write_requests(path: Path, requests: Iterable[PreparedRequest]) -> int:
    """Write requests in the replay script's three-line format; returns how many.

    Raises:
        ValueError: a header or body holds a newline or the unit separator.
    """
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for req in requests:
            headers = _UNIT_SEPARATOR.join(f"{k}: {v}" for k, v in req.headers.items())
            for part in (req.target, headers, req.body):
                if "\n" in part or (part is not headers and _UNIT_SEPARATOR in part):
                    raise ValueError("a request part holds a newline or the unit separator")
            out.write(f"{req.method} {req.target}\n{headers}\n{req.body}\n")
            count += 1
    return count


def json_line(value: Any) -> str:
    """JSON on one line, UTF-8 kept (what a phone sends)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def wrk_available() -> str | None:
    """None when wrk and taskset are installed, else what is missing."""
    missing = [tool for tool in ("wrk", "taskset") if shutil.which(tool) is None]
    return None if not missing else "missing " + ", ".join(missing) + " (Debian packages wrk, util-linux)"


def run_wrk(
    url: str,
    requests_file: Path,
    *,
    seconds: int,
    connections: int,
    cpu: int,
    once: bool,
    timeout_s: int = 60,
) -> dict[str, Any]:
    """Run wrk against `url` replaying `requests_file`; returns the summary the script prints.

    Raises:
        RuntimeError: wrk failed or printed no summary.
    """
    command = [
        "taskset", "-c", str(cpu), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
        f"--timeout={timeout_s}s", "-s", str(LUA), url, "--", str(requests_file), "once" if once else "wrap",
    ]  # fmt: skip
    done = subprocess.run(  # noqa: S603 - our own command line
        command, capture_output=True, text=True, check=False, timeout=seconds + timeout_s + 30
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            summary: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
            return summary
    raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def run_sequential(
    url: str, requests: list[PreparedRequest], *, timeout_s: float = 300
) -> tuple[list[float], dict[str, int]]:
    """Send `requests` one at a time; returns each one's seconds and the count of each status."""
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    with httpx.Client(base_url=url, timeout=timeout_s) as client:
        for req in requests:
            started = time.perf_counter()
            answer = client.request(
                req.method, req.target, headers=dict(req.headers), content=req.body.encode()
            )
            latencies.append(time.perf_counter() - started)
            statuses[str(answer.status_code)] = statuses.get(str(answer.status_code), 0) + 1
    return latencies, statuses

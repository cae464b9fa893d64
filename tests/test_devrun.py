"""`make run` (`apicore.devrun`) as a newcomer uses it: keys where they can be found again, and
both services gone when it is stopped, whichever way."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.services import free_port

READY = "stops both services."


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _start(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, int]:
    intake_port, docs_port = free_port(), free_port()
    env = {
        **os.environ,
        "INTAKE_PORT": str(intake_port),
        "DOCS_PORT": str(docs_port),
        "INTAKE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}",
        "DOCS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'docs.db'}",
    }
    output = tmp_path / "make-run.log"
    with output.open("wb") as log:  # the services write here too, for as long as they run
        process = subprocess.Popen(
            [sys.executable, "-m", "apicore.devrun"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # As a background job of a script starts it (`make run &`, CI, nohup): SIGINT
            # ignored. Ctrl-C and `kill -INT` must stop it all the same.
            preexec_fn=_ignore_interrupts,
        )
    deadline = time.monotonic() + 120
    while READY not in output.read_text("utf-8", errors="replace") and process.poll() is None:
        assert time.monotonic() < deadline, "make run printed no keys within 2 minutes"
        time.sleep(0.2)
    assert _listening(intake_port), "make run did not start intake_api"
    assert _listening(docs_port), "make run did not start docs_service"
    return process, intake_port, docs_port


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_stopping_make_run_stops_both_services(tmp_path: Path, stop: signal.Signals) -> None:
    process, intake_port, docs_port = _start(tmp_path)
    try:
        keys = (tmp_path / "var" / "dev-keys.env").read_text("utf-8").splitlines()
        assert {line.split("=", 1)[0] for line in keys} >= {
            "INTAKE_FIELD_WORKER",
            "INTAKE_ADMIN",
            "DOCS_SERVICE",
        }
        assert all(line.split("=", 1)[1].startswith("rk_") for line in keys)
        assert (tmp_path / "var" / "dev-keys.env").stat().st_mode & 0o077 == 0
        process.send_signal(stop)
        assert process.wait(timeout=30) in {0, 130}
        deadline = time.monotonic() + 10
        while (_listening(intake_port) or _listening(docs_port)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _listening(intake_port), "intake_api outlived make run"
        assert not _listening(docs_port), "docs_service outlived make run"
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        found.extend(int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
    return found


def test_a_service_that_dies_is_named_and_the_other_stopped(tmp_path: Path) -> None:
    process, _intake_port, docs_port = _start(tmp_path)
    try:
        docs, intake = _children(process.pid)[:2]  # started in this order (apicore.devrun)
        os.kill(intake, signal.SIGKILL)
        assert process.wait(timeout=30) == 1
        log = (tmp_path / "make-run.log").read_text("utf-8", errors="replace")
        assert "intake_api stopped (killed by SIGKILL): stopping the other service too." in log
        deadline = time.monotonic() + 10
        while _listening(docs_port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _listening(docs_port), "docs_service outlived intake_api"
        assert docs != intake
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

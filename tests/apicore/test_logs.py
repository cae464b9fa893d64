"""The JSON log lines as an operator's collector reads them: whole lines, even when several
worker processes write to one stderr."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

LINES = 10_000

WORKER = textwrap.dedent(
    f"""
    import structlog
    from apicore.logs import configure_logging

    configure_logging("INFO", service="intake_api")
    log = structlog.get_logger("test")
    for n in range({LINES}):
        log.info("request", method="POST", route="/v1/persons", status=201, n=n)
    """
)


def test_two_workers_sharing_stderr_write_whole_lines(tmp_path: Path) -> None:
    log_file = tmp_path / "service.log"
    # As uvicorn's workers do: both inherit the one stderr of the process that started them.
    with log_file.open("wb") as shared:
        workers = [subprocess.Popen([sys.executable, "-c", WORKER], stderr=shared) for _ in range(2)]
        for worker in workers:
            assert worker.wait(60) == 0
    lines = log_file.read_text("utf-8").splitlines()
    events = [json.loads(line) for line in lines]  # a broken line fails here
    assert len(events) == 2 * LINES
    assert sorted(e["n"] for e in events) == sorted(list(range(LINES)) * 2)

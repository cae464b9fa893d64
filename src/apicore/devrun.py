"""`make run`: migrate both SQLite databases under var/, create the reference operations, mint
fresh development keys (revoking the previous run's, and writing them to var/dev-keys.env) and
run both services until Ctrl-C, SIGTERM or SIGHUP, which stop both.

Works only through the services' command lines, so it knows nothing of their insides.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

INTAKE_PORT = int(os.environ.get("INTAKE_PORT", "8000"))
DOCS_PORT = int(os.environ.get("DOCS_PORT", "8001"))


def _port_taken(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


def _cli(name: str) -> list[str]:
    return [str(Path(sys.executable).with_name(name))]


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, check=True, capture_output=True, text=True)  # noqa: S603
    return done.stdout


def _keys(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


KEYS_FILE = Path("var/dev-keys.env")


def _write_keys(intake_keys: dict[str, str], docs_keys: dict[str, str]) -> None:
    """The keys as `INTAKE_<ROLE>=...` and `DOCS_<ROLE>=...` lines, readable by the owner only:
    the service's log lines follow the printed block and push it out of sight."""
    lines = [f"INTAKE_{role.upper()}={key}" for role, key in intake_keys.items()]
    lines += [f"DOCS_{role.upper()}={key}" for role, key in docs_keys.items()]
    KEYS_FILE.touch(mode=0o600)
    KEYS_FILE.chmod(0o600)
    KEYS_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _stop_on_signals() -> None:
    """SIGTERM and SIGHUP (a `kill`, a closed terminal) stop both services as Ctrl-C does;
    before, they ended `make run` and left both services running on their ports. SIGINT too,
    even where it came in ignored: a background job of a script (`make run &`, `nohup`) starts
    with SIGINT ignored, and `kill -INT` then did nothing."""

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGHUP, interrupt)
    signal.signal(signal.SIGINT, interrupt)


def main() -> int:
    """Prepare and start both services; returns when both have stopped."""
    taken = [port for port in (INTAKE_PORT, DOCS_PORT) if _port_taken(port)]
    if taken:
        print(  # noqa: T201
            f"Port(s) {', '.join(map(str, taken))} already in use on 127.0.0.1. Stop what listens there, "
            "or choose others: make run INTAKE_PORT=8100 DOCS_PORT=8101",
            file=sys.stderr,
        )
        return 2
    Path("var").mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("INTAKE_DATABASE_URL", "sqlite+aiosqlite:///var/intake.db")
    env.setdefault("DOCS_DATABASE_URL", "sqlite+aiosqlite:///var/docs.db")
    intake, docs = _cli("intake-api"), _cli("docs-service")
    print("Migrating var/intake.db and var/docs.db ...", flush=True)  # noqa: T201
    _run([*intake, "migrate"], env)
    _run([*docs, "migrate"], env)
    _run([*intake, "seed-operations"], env)
    print("Loading invented demo families into an empty database ...", flush=True)  # noqa: T201
    print(_run([*intake, "demo-data", "--seed", "1", "--if-empty"], env).strip(), flush=True)  # noqa: T201
    intake_keys = _keys(_run([*intake, "mint-dev-keys"], env))
    docs_keys = _keys(_run([*docs, "mint-dev-keys"], env))
    env["INTAKE_DOCS_SERVICE_KEY"] = docs_keys["service"]
    env["DOCS_INTAKE_SERVICE_KEY"] = intake_keys["service"]
    env["INTAKE_DOCS_SERVICE_URL"] = f"http://127.0.0.1:{DOCS_PORT}"
    env["DOCS_INTAKE_SERVICE_URL"] = f"http://127.0.0.1:{INTAKE_PORT}"
    _write_keys(intake_keys, docs_keys)
    _stop_on_signals()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        # The documents service first: intake delivers document needs to it from its first second.
        processes.append(subprocess.Popen([*docs, "serve", "--port", str(DOCS_PORT)], env=env))  # noqa: S603
        if not _wait_healthy(processes, [DOCS_PORT]):
            return 1
        processes.append(subprocess.Popen([*intake, "serve", "--port", str(INTAKE_PORT)], env=env))  # noqa: S603
        if not _wait_healthy(processes, [INTAKE_PORT, DOCS_PORT]):
            return 1
    except KeyboardInterrupt:
        _stop(processes)
        return 130
    lines = [
        "",
        f"intake_api    http://127.0.0.1:{INTAKE_PORT}/docs   (ReDoc: /redoc)",
        f"docs_service  http://127.0.0.1:{DOCS_PORT}/docs   (ReDoc: /redoc)",
        "",
        "Development API keys (new every `make run`; the previous run's are revoked):",
        *(f"  intake {role:<13} {key}" for role, key in intake_keys.items()),
        *(f"  docs   {role:<13} {key}" for role, key in docs_keys.items()),
        f"(also in {KEYS_FILE}, readable by you only)",
        "",
        "Ctrl-C stops both services.",
    ]
    print("\n".join(lines), flush=True)  # noqa: T201
    try:
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        _stop(processes)
        return max((p.returncode or 0) for p in processes)
    # A service stopped on its own: say which and how before stopping the other, whose log
    # lines would otherwise be the last words (a newcomer trial saw `make run` end silently).
    name, ended = next(
        (n, p) for n, p in zip(("docs_service", "intake_api"), processes, strict=True) if p.poll() is not None
    )
    print(  # noqa: T201
        f"{name} stopped ({_how(ended.returncode)}): stopping the other service too.",
        file=sys.stderr,
        flush=True,
    )
    _stop(processes)
    return 1


def _how(returncode: int) -> str:
    """`exit status N`, or `killed by SIGKILL` for a process ended by a signal."""
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit status {returncode}"


def _wait_healthy(processes: list[subprocess.Popen[bytes]], ports: list[int]) -> bool:
    """Wait up to 30 s for `/healthz` on every port; on failure stop `processes`, say so, False."""
    deadline = time.monotonic() + 30
    while not all(_healthy(port) for port in ports):
        if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
            print("A service did not start: see its log above.", file=sys.stderr)  # noqa: T201
            _stop(processes)
            return False
        time.sleep(0.2)
    return True


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    for p in processes:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


if __name__ == "__main__":
    raise SystemExit(main())

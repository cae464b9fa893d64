"""The console scripts as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKENDS

SCRIPTS = ["intake-api", "docs-service"]


def run(
    script: str, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    executable = str(Path(sys.executable).with_name(script))
    return subprocess.run(
        [executable, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=60,
    )


@pytest.mark.parametrize(("script", "prefix"), [("intake-api", "INTAKE_"), ("docs-service", "DOCS_")])
def test_a_wrong_setting_stops_the_command_naming_it(script: str, prefix: str) -> None:
    done = run(script, "migrate", env={f"{prefix}DATABASE_URL": "mysql://root@localhost/x"})
    assert done.returncode == 2
    assert "database_url" in done.stderr


@pytest.mark.parametrize(("script", "prefix"), [("intake-api", "INTAKE_"), ("docs-service", "DOCS_")])
def test_migrate_then_keys_are_created_shown_once_and_revoked(
    script: str, prefix: str, tmp_path: Path
) -> None:
    env = {f"{prefix}DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"}
    assert run(script, "migrate", env=env).returncode == 0
    created = run(script, "create-key", "--role", "registrar", "--name", "clerk-1", env=env)
    assert created.returncode == 0
    key = created.stdout.strip()
    assert key.startswith("rk_")
    assert len(key) > 40
    raw = (
        (tmp_path / "db.sqlite").read_bytes() + (tmp_path / "db.sqlite-wal").read_bytes()
        if (tmp_path / "db.sqlite-wal").exists()
        else (tmp_path / "db.sqlite").read_bytes()
    )
    assert key.encode() not in raw
    revoked = run(script, "revoke-key", "--name", "clerk-1", env=env)
    assert revoked.returncode == 0
    assert "revoked 1 key" in revoked.stdout


def test_intake_seeds_the_reference_operations_once(tmp_path: Path) -> None:
    env = {"INTAKE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'intake.sqlite'}"}
    assert run("intake-api", "migrate", env=env).returncode == 0
    first = run("intake-api", "seed-operations", env=env)
    assert "zhusan-2" in first.stdout
    assert "rusafa" in first.stdout
    again = run("intake-api", "seed-operations", env=env)
    assert "none" in again.stdout


def test_a_busy_database_stops_a_command_with_a_message_and_try_again(tmp_path: Path) -> None:
    from tests.support.items import foreign_write_lock

    path = tmp_path / "intake.sqlite"
    env = {"INTAKE_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}
    assert run("intake-api", "migrate", env=env).returncode == 0
    with foreign_write_lock(path):
        refused = run("intake-api", "create-key", "--role", "auditor", "--name", "late", env=env)
    assert refused.returncode == 75  # EX_TEMPFAIL
    assert "database is busy" in refused.stderr
    assert "nothing was changed" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert refused.stdout == ""
    created = run("intake-api", "create-key", "--role", "auditor", "--name", "late", env=env)
    assert created.returncode == 0, created.stderr


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="needs TEST_POSTGRES_URL (always set in CI)")
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_postgresql_statement_that_times_out_stops_a_command_with_a_message(intake_db_url: str) -> None:
    """A lock held by another session outlasts `INTAKE_DATABASE_TIMEOUT_SECONDS`: a message and
    75, no traceback, no key; once the lock is gone the same command works."""
    import asyncpg

    from tests.support.databases import _asyncpg_dsn

    env = {"INTAKE_DATABASE_URL": intake_db_url, "INTAKE_DATABASE_TIMEOUT_SECONDS": "1"}

    async def locked_while(command: list[str]) -> subprocess.CompletedProcess[str]:
        holder = await asyncpg.connect(_asyncpg_dsn(intake_db_url))
        try:
            async with holder.transaction():
                await holder.execute("LOCK TABLE api_key IN ACCESS EXCLUSIVE MODE")
                return await asyncio.to_thread(run, "intake-api", *command, env=env)
        finally:
            await holder.close()

    refused = asyncio.run(locked_while(["create-key", "--role", "auditor", "--name", "late"]))
    assert refused.returncode == 75, refused.stderr
    assert "did not answer in time" in refused.stderr
    assert "nothing was changed" in refused.stderr
    assert "Traceback" not in refused.stderr
    created = run("intake-api", "create-key", "--role", "auditor", "--name", "late", env=env)
    assert created.returncode == 0, created.stderr
    revoked = run("intake-api", "revoke-key", "--name", "late", env=env)
    assert "revoked 1 key" in revoked.stdout  # the refused attempt left no key behind


@pytest.mark.parametrize("host", ["127.0.0.1:1", "nosuchhost.invalid"])
@pytest.mark.parametrize(("script", "prefix"), [("intake-api", "INTAKE_"), ("docs-service", "DOCS_")])
def test_an_unreachable_postgresql_stops_a_command_with_a_message(
    script: str, prefix: str, host: str
) -> None:
    """A refused port and a host name that does not resolve: asyncpg raises both unwrapped
    (`ConnectionRefusedError`, `socket.gaierror`); a message and 75, not a traceback and 1."""
    env = {f"{prefix}DATABASE_URL": f"postgresql+asyncpg://u:p@{host}/registry"}
    refused = run(script, "create-key", "--role", "auditor", "--name", "x", env=env)
    assert refused.returncode == 75, refused.stderr
    assert "cannot be reached" in refused.stderr
    assert "Traceback" not in refused.stderr

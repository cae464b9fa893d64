"""Failure drills: real uvicorn processes, real databases, real faults (a database that stops, a
process killed with SIGKILL, a disk that fills up).

The PostgreSQL drills run on a private cluster (`initdb` in a temporary folder, its own port),
never on the shared server. Locally they skip when the server binaries are missing; under CI
(`CI` set) a missing tool fails instead, so nothing is silently left out.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from apicore import migrations
from apicore.auth import Role
from tests.conftest import FIXTURES_DIR, make_keys
from tests.drills.cluster import PrivateCluster, server_binaries

STARTUP_SECONDS = 60.0
"""How long a service may take to answer `/healthz`: generous, a loaded 2-core machine is slow."""


def require_tool(available: bool, reason: str) -> None:
    """Skip locally when a tool a drill needs is missing; fail under CI, where it must be there."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run every drill: see .ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivateCluster]:
    """A PostgreSQL cluster of the drills' own, started; stopped and removed after the session."""
    require_tool(
        server_binaries() is not None,
        "PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql-15",
    )
    try:
        cluster = PrivateCluster.create()
    except KeyError:
        require_tool(False, "running as root, but there is no `postgres` system user to own the cluster")
        raise
    try:
        yield cluster
    finally:
        cluster.destroy()


def migrated_database(cluster: PrivateCluster, section: str) -> str:
    """A new database on `cluster` migrated to head (`intake` or `docs`); returns its URL."""
    url = cluster.new_database(f"drill_{section}")
    migrations.upgrade(section, url)
    return url


def keys_for(url: str, section: str) -> dict[Role, str]:
    """One key per role in the database at `url`."""
    if section == "intake":
        from intake_api.models import platform
    else:
        from docs_service.models import platform
    return asyncio.run(make_keys(url, platform))


def bearer(key: str, lang: str = "en") -> dict[str, str]:
    """Headers with `key` and a language."""
    return {"Authorization": f"Bearer {key}", "Accept-Language": lang}


def seed_operations(base_url: str, admin_key: str) -> None:
    """Create the operations the field scenario families arrived with."""
    ops = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"]
    for op in ops:
        r = httpx.post(f"{base_url}/v1/operations", json=op, headers=bearer(admin_key), timeout=10)
        assert r.status_code == 201, r.text


def child_body(person_id: str) -> dict[str, Any]:
    """A child's registration (a birth certificate need follows), unique by `person_id`."""
    data = json.loads((FIXTURES_DIR / "family-kk.json").read_text("utf-8"))
    body: dict[str, Any] = data["requests"][1]["body"]  # a girl born 2016, zhusan-2, no IIN
    body["id"] = person_id
    return body


def read_log(path: Path) -> str:
    """A service's log, for assertion messages."""
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


class MidBatchLock:
    """Stops a batch in the middle of its writes, so that a fault strikes it there for sure.

    A batch writes all its items together, one statement per table (persons, names, search
    words, needs and their outbox events, then status events, audit, idempotency records), in
    well under a second: too fast to hit by timing. So the drill holds a lock on `table`
    (`status_event`) that the batch's INSERT must wait for: with persons, names and needs already
    written in its open transaction, the batch stops there until the lock goes, and
    `wait_until_blocked` returns once it does. The lock is held by a connection in a thread of
    its own; `release` (or leaving the `with` block) ends it, as does the server's stopping.
    """

    def __init__(self, cluster: PrivateCluster, database: str, table: str = "status_event") -> None:
        self.cluster = cluster
        self.database = database
        self.table = table
        self._locked = threading.Event()
        self._release = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._hold()), daemon=True)

    async def _hold(self) -> None:
        conn = await self.cluster.connect(self.database)
        try:
            transaction = conn.transaction()
            await transaction.start()
            # SHARE ROW EXCLUSIVE conflicts with the ROW EXCLUSIVE lock every INSERT takes.
            await conn.execute(f'LOCK TABLE "{self.table}" IN SHARE ROW EXCLUSIVE MODE')
            self._locked.set()
            while not self._release.is_set():
                await asyncio.sleep(0.02)
            await transaction.rollback()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            pass  # the server stopped under us: the lock went with it
        finally:
            self._locked.set()
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await conn.close(timeout=2)

    def __enter__(self) -> MidBatchLock:
        self._thread.start()
        assert self._locked.wait(30), f"could not lock {self.table}"
        return self

    def wait_until_blocked(self, timeout: float = 60.0) -> None:
        """Return once another backend waits for our lock inside a transaction that has written.

        Raises:
            AssertionError: no batch came to the lock within `timeout` seconds.
        """

        async def blocked() -> bool:
            conn = await self.cluster.connect(self.database)
            try:
                return bool(
                    await conn.fetchval(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1"
                        " AND wait_event_type = 'Lock' AND backend_xid IS NOT NULL"
                        " AND pid <> pg_backend_pid()",
                        self.database,
                    )
                )
            finally:
                await conn.close()

        deadline = time.monotonic() + timeout
        while not asyncio.run(blocked()):
            assert time.monotonic() < deadline, f"no batch stopped at the lock on {self.table}"
            time.sleep(0.05)

    def release(self) -> None:
        """Let the lock go (the batch, if its connection still lives, goes on)."""
        self._release.set()
        self._thread.join(timeout=10)

    def __exit__(self, *_exc: object) -> None:
        self.release()

"""Failure drills: real uvicorn processes, real databases, real faults (a database that stops, a
process killed with SIGKILL, a disk that fills up).

The PostgreSQL drills run on a private cluster (`initdb` in a temporary folder, its own port),
never on the shared server. Locally they skip when the server binaries are missing; under CI
(`CI` set) a missing tool fails instead, so nothing is silently left out.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


async def wait_for_mid_batch(cluster: PrivateCluster, database: str, key: str, *, run_for: float) -> None:
    """Return once the batch that claimed `key` has been writing for `run_for` seconds and its
    transaction is still open: the moment to strike.

    Raises:
        AssertionError: it never started, or it ended before the fault (nothing to drill).
    """
    conn = await cluster.connect(database)
    try:

        async def writing() -> bool:
            # Our own connection has no transaction id: another backend with one is the batch.
            return bool(
                await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND backend_xid IS NOT NULL"
                    " AND pid <> pg_backend_pid()",
                    database,
                )
            )

        deadline = time.monotonic() + 60
        # The claim commits first, in a transaction of its own; then the batch's one begins.
        while not await conn.fetchval("SELECT count(*) FROM idempotency_record WHERE key = $1", key):
            assert time.monotonic() < deadline, "the batch never claimed its key"
            await asyncio.sleep(0.01)
        while not await writing():
            assert time.monotonic() < deadline, "the batch never started writing"
            await asyncio.sleep(0.01)
        await asyncio.sleep(run_for)
        assert await writing(), "the batch finished before the fault: nothing was drilled"
    finally:
        await conn.close()

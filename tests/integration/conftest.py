"""Both services as real uvicorn processes on loopback ports, on fresh databases, with a key
per role in each and a fast outbox in both directions."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from apicore.auth import Role
from docs_service.models import platform as docs_platform
from intake_api.models import platform as intake_platform
from tests.conftest import make_keys
from tests.support.families import KK_GIRL, person_body
from tests.support.services import ServiceProcess, free_port

FAST_OUTBOX = {
    "OUTBOX_POLL_SECONDS": "0.2",
    "OUTBOX_BACKOFF_BASE_SECONDS": "0.2",
    "OUTBOX_BACKOFF_CAP_SECONDS": "1",
}


@dataclass
class Deployment:
    """The two services (not started yet) and their keys."""

    intake: ServiceProcess
    docs: ServiceProcess
    intake_keys: dict[Role, str]
    docs_keys: dict[Role, str]


@pytest.fixture
def deployment(intake_db_url: str, docs_db_url: str, tmp_path: Path) -> Iterator[Deployment]:
    """Both services configured to reach each other; each test starts them in its own order."""
    intake_keys = asyncio.run(make_keys(intake_db_url, intake_platform))
    docs_keys = asyncio.run(make_keys(docs_db_url, docs_platform))
    docs_port, intake_port = free_port(), free_port()
    docs = ServiceProcess(
        "docs-service",
        docs_port,
        {
            "DOCS_DATABASE_URL": docs_db_url,
            "DOCS_INTAKE_SERVICE_URL": f"http://127.0.0.1:{intake_port}",
            "DOCS_INTAKE_SERVICE_KEY": intake_keys[Role.service],
            **{f"DOCS_{name}": value for name, value in FAST_OUTBOX.items()},
        },
        tmp_path / "docs.log",
    )
    intake = ServiceProcess(
        "intake-api",
        intake_port,
        {
            "INTAKE_DATABASE_URL": intake_db_url,
            "INTAKE_DOCS_SERVICE_URL": f"http://127.0.0.1:{docs_port}",
            "INTAKE_DOCS_SERVICE_KEY": docs_keys[Role.service],
            **{f"INTAKE_{name}": value for name, value in FAST_OUTBOX.items()},
        },
        tmp_path / "intake.log",
    )
    yield Deployment(intake, docs, intake_keys, docs_keys)
    intake.stop()
    docs.stop()


T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str, seconds: float = 20) -> T:
    """The first non-None answer of `probe` within `seconds` (polled every 0.2 s)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (found := probe()) is not None:
            return found
        time.sleep(0.2)
    raise AssertionError(f"not within {seconds} s: {what}")


def bearer(key: str) -> dict[str, str]:
    """An `Authorization` header for `key`."""
    return {"Authorization": f"Bearer {key}"}


def child() -> dict[str, Any]:
    """A fresh child's registration (a scenario girl under a new id, without an IIN)."""
    body = person_body(KK_GIRL)
    body["id"] = str(uuid.uuid4())
    body.pop("iin", None)
    return body


def pages(client: httpx.Client, url: str, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    """Every item of a paginated list."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": 200, **({"cursor": cursor} if cursor else {})}
        r = client.get(url, params=query, headers=headers)
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        if not (cursor := r.json()["next_cursor"]):
            return items


def outbox(client: httpx.Client, url: str, key: str) -> list[dict[str, Any]]:
    """Every event of a service's outbox, as its admin lists them."""
    return pages(client, f"{url}/v1/outbox", bearer(key))

"""Drill: the disk under intake's SQLite database fills up while the service runs.

The database lives on a small tmpfs (a size-limited file system, mounted for the drill) that a
filler file then fills to the last block. A write that finds no room gets a localised 503
`storage-full` problem with `Retry-After` (503 rather than 507: phones and KoboToolbox retry a
503), the database stays intact (`PRAGMA integrity_check`, the earlier rows readable), and once
space is freed the same service serves again, without a restart.

Mounting needs root (or CAP_SYS_ADMIN): locally the drill skips without it; CI runs as root.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apicore import migrations
from apicore.auth import Role
from apicore.problems import PROBLEM_JSON, StorageFull
from tests.drills.conftest import (
    STARTUP_SECONDS,
    bearer,
    child_body,
    keys_for,
    read_log,
    require_tool,
    seed_operations,
)
from tests.support.services import ServiceProcess, free_port

DISK_SIZE = "16m"
LANGS = ("kk", "ru", "ar")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs mounted for the test, unmounted after."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    require_tool(
        os.geteuid() == 0 and shutil.which("mount") is not None,
        "the disk-full drill mounts a size-limited tmpfs, which needs root",
    )
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE},mode=0700", "returnee-drill", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    require_tool(mounted.returncode == 0, f"this machine refuses to mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        # Lazily: a process killed by a failing test may still hold a file open on it.
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def _fill(disk: Path) -> Path:
    """Write a file until the file system has no free block left; returns its path."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        chunk = 1 << 20
        while chunk >= 512:
            try:
                os.write(fd, b"\0" * chunk)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                chunk //= 2
    finally:
        os.close(fd)
    return filler


def _integrity(path: Path) -> tuple[str, int, int]:
    """`PRAGMA integrity_check`, and the numbers of persons and names, read-only."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchone()[0]
        persons = conn.execute("SELECT count(*) FROM person").fetchone()[0]
        names = conn.execute("SELECT count(*) FROM person_name").fetchone()[0]
        return str(check), int(persons), int(names)
    finally:
        conn.close()


def _reads_on_record(path: Path, person_id: str) -> int:
    """The `person.read` audit events of one person, read-only."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        query = "SELECT count(*) FROM audit_event WHERE action = 'person.read' AND subject_id = ?"
        return int(conn.execute(query, (uuid.UUID(person_id).hex,)).fetchone()[0])
    finally:
        conn.close()


def _assert_storage_full(response: httpx.Response, lang: str) -> None:
    where = f"{response.request.method} {response.request.url.path} [{lang}]"
    assert response.status_code == 503, f"{where}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == PROBLEM_JSON, where
    assert response.headers["content-language"] == lang, where
    assert int(response.headers["retry-after"]) > 0, where
    problem = response.json()
    assert problem["type"].endswith(StorageFull.slug), where
    assert problem["title"] == StorageFull.title.render(lang), where
    assert StorageFull.detail is not None
    assert problem["detail"] == StorageFull.detail.render(lang), where


def test_disk_full_gives_503_and_leaves_database_intact(small_disk: Path, tmp_path: Path) -> None:
    database = small_disk / "intake.db"
    url = f"sqlite+aiosqlite:///{database}"
    migrations.upgrade("intake", url)
    keys = keys_for(url, "intake")
    log = tmp_path / "intake.log"  # not on the small disk: the logs must not fill it
    service = ServiceProcess(
        "intake-api",
        free_port(),
        {
            "INTAKE_DATABASE_URL": url,
            "INTAKE_OUTBOX_ENABLED": "false",
            # A request that claimed its key and then found the disk full cannot release it
            # (that is a write too): its retries wait out this lease.
            "INTAKE_IDEMPOTENCY_LEASE_SECONDS": "2",
        },
        log,
    )
    field_worker = bearer(keys[Role.field_worker])
    try:
        service.start(timeout=STARTUP_SECONDS)
        with httpx.Client(base_url=service.url, timeout=30) as client:

            def register(person_id: str, lang: str = "en", *, keyed: bool = True) -> httpx.Response:
                headers = {**field_worker, "Accept-Language": lang}
                if keyed:
                    headers["Idempotency-Key"] = f"k-{person_id}"
                return client.post("/v1/persons", json=child_body(person_id), headers=headers)

            seed_operations(service.url, keys[Role.admin])
            acknowledged = [str(uuid.uuid4()) for _ in range(5)]
            for person_id in acknowledged:
                assert register(person_id).status_code == 201

            started = time.monotonic()
            filler = _fill(small_disk)
            assert os.statvfs(small_disk).f_bavail == 0
            # The first writes may still fit in blocks SQLite's files already hold; within a
            # few dozen registrations the write-ahead log needs a block it cannot get.
            refused: list[tuple[str, str, bool]] = []
            for attempt in range(60):
                person_id, lang = str(uuid.uuid4()), LANGS[attempt % 3]
                # Every other one without a key: then the first write is the person's, not the
                # key's claim.
                keyed = attempt % 2 == 0
                answer = register(person_id, lang, keyed=keyed)
                if answer.status_code == 201:
                    acknowledged.append(person_id)
                    continue
                _assert_storage_full(answer, lang)
                refused.append((person_id, lang, keyed))
                if len(refused) == 4:
                    break
            assert len(refused) == 4, "the full disk never refused a write"
            # Every read of a person is audited: one that cannot be recorded is not served. A
            # read's audit row is small, and may still fit where a registration did not (a
            # checkpoint lets the write-ahead log start again in blocks it holds): such a read
            # is served, and must then be on record.
            served = 0
            for _ in range(200):
                read = client.get(
                    f"/v1/persons/{acknowledged[0]}", headers={**field_worker, "Accept-Language": "ar"}
                )
                if read.status_code != 200:
                    break
                served += 1
            _assert_storage_full(read, "ar")
            print(f"drill.disk_full: {len(acknowledged) - 5} writes and {served} reads fitted, then refused")  # noqa: T201

            check, persons, names = _integrity(database)
            assert check == "ok"
            assert persons == len(acknowledged)
            assert names == 2 * len(acknowledged)
            assert _reads_on_record(database, acknowledged[0]) == served

            filler.unlink()
            # The refused ones, retried (under their keys, if any), go through: a 503 is never kept.
            deadline = time.monotonic() + 15
            for person_id, lang, keyed in refused:
                answer = register(person_id, lang, keyed=keyed)
                while answer.status_code == 409 and time.monotonic() < deadline:
                    time.sleep(float(answer.headers.get("retry-after", "1")))
                    answer = register(person_id, lang, keyed=keyed)
                assert answer.status_code == 201, answer.text
                acknowledged.append(person_id)
            for person_id in acknowledged:
                assert client.get(f"/v1/persons/{person_id}", headers=field_worker).status_code == 200
            print(f"drill.disk_full: served again {time.monotonic() - started:.2f} s after the disk filled")  # noqa: T201
    finally:
        service.stop()
    check, persons, names = _integrity(database)
    assert (check, persons, names) == ("ok", len(acknowledged), 2 * len(acknowledged))
    assert "request.failed" not in log.read_text(errors="replace"), read_log(log)

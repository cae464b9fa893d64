"""A private PostgreSQL cluster for failure drills: `initdb` in a temporary folder, its own port.

The drills stop and start the database under running services, so they never touch the shared
server on 5432 that the rest of the suite uses. As root, PostgreSQL refuses to run, so the
cluster belongs to the `postgres` system user (`runuser`); as anyone else, to that user.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tests.support.services import free_port

USER = "drill"
"""The cluster's superuser, who also owns the drills' databases."""


def server_binaries() -> Path | None:
    """The folder holding `initdb`, `pg_ctl` and `postgres` (the newest Debian version first)."""
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _owner() -> str | None:
    """The system user who runs the cluster: `postgres` as root, else whoever we are."""
    if os.geteuid() != 0:
        return None
    pwd.getpwnam("postgres")  # KeyError when there is none: the caller says so
    return "postgres"


@dataclass
class PrivateCluster:
    """A running PostgreSQL cluster on 127.0.0.1:`port`, with password authentication."""

    bin_dir: Path
    root: Path
    port: int
    password: str
    owner: str | None

    @property
    def data_dir(self) -> Path:
        """The cluster's data folder."""
        return self.root / "data"

    @property
    def log_path(self) -> Path:
        """The server's log (read it when a drill fails)."""
        return self.root / "server.log"

    @classmethod
    def create(cls) -> PrivateCluster:
        """`initdb` a new cluster in a temporary folder and start it on a free port.

        Raises:
            KeyError: running as root and there is no `postgres` system user.
            RuntimeError: `initdb` or `pg_ctl` failed (with their output and the server's log).
        """
        bin_dir = server_binaries()
        assert bin_dir is not None
        owner = _owner()
        root = Path(tempfile.mkdtemp(prefix="returnee-drill-pg-"))
        if owner is not None:
            entry = pwd.getpwnam(owner)
            os.chown(root, entry.pw_uid, entry.pw_gid)
        cluster = cls(bin_dir, root, free_port(), secrets.token_urlsafe(16), owner)
        try:
            password_file = root / "password"
            password_file.write_text(cluster.password)
            if owner is not None:
                os.chown(password_file, entry.pw_uid, entry.pw_gid)
            cluster._run(
                "initdb",
                "-D",
                str(cluster.data_dir),
                "-U",
                USER,
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",  # a throwaway cluster: no need to wait for the disk here
            )
            password_file.unlink()
            cluster.start()
        except BaseException:
            cluster.destroy()
            raise
        return cluster

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if self.owner is not None:
            command = ["runuser", "-u", self.owner, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root, check=False)
        if done.returncode != 0:
            server_log = self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}\n{server_log}")

    def start(self) -> None:
        """Start the server and wait until it accepts connections (listens on loopback only)."""
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.root} -c max_connections=60"
        )
        self._run(
            "pg_ctl",
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_path),
            "-o",
            options,
        )
        asyncio.run(self._wait_until_accepting())

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: roll back open transactions, disconnect clients, checkpoint)."""
        self._run("pg_ctl", "stop", "-w", "-t", "60", "-D", str(self.data_dir), "-m", mode)

    def destroy(self) -> None:
        """Stop the server if it runs and remove its folder."""
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str) -> str:
        """A SQLAlchemy URL of `database` on this cluster."""
        return f"postgresql+asyncpg://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    async def connect(self, database: str = "postgres") -> asyncpg.Connection:
        """A direct connection, for setting up and for looking at what a drill left."""
        return await asyncpg.connect(
            host="127.0.0.1", port=self.port, user=USER, password=self.password, database=database
        )

    def new_database(self, label: str) -> str:
        """Create an empty database; returns its SQLAlchemy URL."""
        name = f"{label}_{uuid.uuid4().hex[:10]}"

        async def create() -> None:
            conn = await self.connect()
            try:
                await conn.execute(f'CREATE DATABASE "{name}"')
            finally:
                await conn.close()

        asyncio.run(create())
        return self.url(name)

    async def _wait_until_accepting(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                conn = await self.connect()
            except (OSError, asyncpg.CannotConnectNowError):
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
            else:
                await conn.close()
                return

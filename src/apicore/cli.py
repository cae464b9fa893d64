"""The command line both services share: `serve`, `migrate`, `create-key`, `revoke-key`,
`openapi`, plus the service's own commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fastapi import FastAPI
from pydantic import ValidationError
from pydantic_settings import SettingsError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from apicore import migrations
from apicore.auth import Role, create_key, revoke_keys
from apicore.db import Database
from apicore.logs import configure_logging
from apicore.openapi import build_openapi
from apicore.outbox import DispatcherLock
from apicore.problems import UNREACHABLE_ERRORS, database_problem
from apicore.settings import ServiceSettings
from apicore.tables import PlatformTables

ExtraCommand = Callable[[ServiceSettings, argparse.Namespace], int]

GRACEFUL_SHUTDOWN_SECONDS = 8
"""After SIGTERM, how long `serve` waits for requests in flight and open connections before it
cancels them and stops: under `make run`'s 10 s, and under `docker stop`'s and Kubernetes'
default grace (10 and 30 s), which end in SIGKILL."""


def _key_name(value: str) -> str:
    """A key's name: 1–100 visible characters (who holds it: a person, a system)."""
    value = value.strip()
    if not 1 <= len(value) <= 100 or not value.isprintable():
        raise argparse.ArgumentTypeError("a key name is 1 to 100 printable characters")
    return value


EXIT_TRY_AGAIN = 75
"""Exit status of a command the database could not serve for now (busy, unreachable, full):
`EX_TEMPFAIL` of sysexits.h, "try again later"."""

_OUTAGES = {
    "database-busy": "the database is busy (another program holds its write lock for over 5 s): try again",
    "database-unavailable": "the database cannot be reached: check that it runs and try again",
    "storage-full": "the database's disk is full: free space and try again",
}

_NO_ANSWER = "the database did not answer in time (see *_DATABASE_TIMEOUT_SECONDS): try again"


@dataclass(frozen=True, slots=True)
class ServiceCLI:
    """What the shared commands need to know of one service."""

    prog: str
    """Console script name (`intake-api`)."""
    app_factory: str
    """Import path of the app factory for uvicorn (`intake_api.app:create_app`)."""
    alembic_section: str
    settings_cls: type[ServiceSettings]
    create_app: Callable[[ServiceSettings], FastAPI]
    tables: PlatformTables
    default_port: int
    extra: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], ExtraCommand]] = field(
        default_factory=dict
    )
    """Extra subcommands: name → (help, add arguments, run)."""

    def build_parser(self) -> argparse.ArgumentParser:
        """The argparse parser with every subcommand."""
        parser = argparse.ArgumentParser(prog=self.prog)
        sub = parser.add_subparsers(dest="command", required=True)
        serve = sub.add_parser("serve", help="run the HTTP service with uvicorn")
        serve.add_argument("--host", default="127.0.0.1")
        serve.add_argument("--port", type=int, default=self.default_port)
        serve.add_argument("--workers", type=int, default=1)
        sub.add_parser("migrate", help="migrate the database to the latest revision")
        sub.add_parser(
            "dispatch", help="deliver outbox events in a process of its own (no HTTP server); Ctrl-C stops"
        )
        create = sub.add_parser("create-key", help="create an API key and print it once")
        create.add_argument("--role", required=True, choices=[r.value for r in Role])
        create.add_argument("--name", required=True, type=_key_name)
        revoke = sub.add_parser("revoke-key", help="revoke every active key with this name")
        revoke.add_argument("--name", required=True, type=_key_name)
        sub.add_parser("openapi", help="print the OpenAPI document as JSON")
        dev = sub.add_parser(
            "mint-dev-keys", help="revoke the previous development keys and print a new one per role"
        )
        dev.add_argument("--prefix", default="dev")
        for name, (help_text, add_arguments, _run) in self.extra.items():
            add_arguments(sub.add_parser(name, help=help_text))
        return parser

    def main(self, argv: Sequence[str] | None = None) -> int:
        """Run a command; returns the exit status."""
        args = self.build_parser().parse_args(argv)
        try:
            settings = self.settings_cls()
        except (ValidationError, SettingsError) as exc:
            print(f"{self.prog}: invalid setting:\n{exc}", file=sys.stderr)  # noqa: T201
            return 2
        try:
            return self._run(args, settings)
        except DBAPIError as exc:
            outage = database_problem(exc)
            if outage is None:
                raise  # a bug: its traceback is wanted
            # Not the error's text: it may carry statement parameters (names, IINs).
            print(f"{self.prog}: {_OUTAGES[outage.slug]}; nothing was changed", file=sys.stderr)  # noqa: T201
            return EXIT_TRY_AGAIN
        except UNREACHABLE_ERRORS:
            # asyncpg's refused connection or unresolvable host, raised unwrapped.
            print(f"{self.prog}: {_OUTAGES['database-unavailable']}; nothing was changed", file=sys.stderr)  # noqa: T201
            return EXIT_TRY_AGAIN
        except (TimeoutError, PoolTimeout):
            # PostgreSQL did not answer within `*_DATABASE_TIMEOUT_SECONDS` (a lock held by
            # another session, a server that stopped answering); the transaction is gone with
            # its connection.
            print(f"{self.prog}: {_NO_ANSWER}; nothing was changed", file=sys.stderr)  # noqa: T201
            return EXIT_TRY_AGAIN

    def _run(self, args: argparse.Namespace, settings: ServiceSettings) -> int:
        if args.command == "serve":
            import uvicorn

            from apicore.http_protocol import IMPORT_PATH as HTTP_PROTOCOL

            configure_logging(settings.log_level, service=self.prog.replace("-", "_"))
            uvicorn.run(
                self.app_factory,
                log_config=None,  # our JSON logging, configured above
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                access_log=False,
                proxy_headers=False,
                # A request the parser refuses gets a problem document, not plain text.
                http=HTTP_PROTOCOL,
                # No WebSocket route exists: an `Upgrade` is ignored (RFC 9110, 7.8) and the
                # request answered as HTTP, not refused with uvicorn's bare text 403.
                ws="none",
                # uvloop, taking every waiting connection at once (`apicore.eventloop`).
                loop="apicore.eventloop:new_event_loop",
                # On SIGTERM, requests in flight get this long; then they are cancelled (their
                # transactions roll back). A client stalled in mid-body held the process 60 s.
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
            )
            return 0
        if args.command == "dispatch":
            lock = DispatcherLock(settings.database_url)
            if not lock.try_acquire():
                print(  # noqa: T201
                    f"{self.prog}: another dispatcher already delivers this SQLite database's outbox "
                    f"(lock {lock.path}); a SQLite database has one. If it is the service itself, "
                    "set OUTBOX_ENABLED=false (with the service's prefix) on the service.",
                    file=sys.stderr,
                )
                return 1
            # The dispatcher in the app takes the lock again; PostgreSQL needs none.
            lock.release()
            configure_logging(settings.log_level, service=self.prog.replace("-", "_"))
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(self._dispatch(settings))
            return 0
        if args.command == "migrate":
            migrations.upgrade(self.alembic_section, settings.database_url)
            return 0
        if args.command == "create-key":
            token = asyncio.run(self._create_key(settings, Role(args.role), args.name))
            print(token)  # noqa: T201 - shown once, on purpose
            return 0
        if args.command == "revoke-key":
            count = asyncio.run(self._revoke(settings, args.name))
            if count == 0:
                print(f"{self.prog}: no active key is named {args.name}", file=sys.stderr)  # noqa: T201
                return 1
            print(f"revoked {count} key(s) named {args.name}")  # noqa: T201
            return 0
        if args.command == "mint-dev-keys":
            for role, token in asyncio.run(self._mint_dev_keys(settings, args.prefix)).items():
                print(f"{role.value}={token}")  # noqa: T201 - shown once, on purpose
            return 0
        if args.command == "openapi":
            spec = build_openapi(self.create_app(settings))
            # Bytes, so that the spec is UTF-8 whatever the terminal's encoding.
            sys.stdout.buffer.write(json.dumps(spec, indent=2, ensure_ascii=False).encode("utf-8") + b"\n")
            return 0
        _help, _add, run = self.extra[args.command]
        return run(settings, args)

    async def _dispatch(self, settings: ServiceSettings) -> None:
        # The app's own lifespan builds the database, the HTTP client and the topics and runs
        # the dispatcher; this process serves no HTTP. On PostgreSQL several may run (each claim
        # is leased with FOR UPDATE SKIP LOCKED); on SQLite one holds the dispatcher lock.
        app = self.create_app(settings.model_copy(update={"outbox_enabled": True}))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with app.router.lifespan_context(app):
            await stop.wait()

    async def _create_key(self, settings: ServiceSettings, role: Role, name: str) -> str:
        db = Database.connect(settings.database_url, timeout=settings.database_timeout_seconds)
        try:
            async with db.transaction() as session:
                _key_id, token = await create_key(session, self.tables, role=role, name=name)
        finally:
            await db.dispose()
        return token

    async def _mint_dev_keys(self, settings: ServiceSettings, prefix: str) -> dict[Role, str]:
        db = Database.connect(settings.database_url, timeout=settings.database_timeout_seconds)
        try:
            async with db.transaction() as session:
                minted = {}
                for role in Role:
                    name = f"{prefix}-{role.value}"
                    await revoke_keys(session, self.tables, name=name)
                    minted[role] = (await create_key(session, self.tables, role=role, name=name))[1]
                return minted
        finally:
            await db.dispose()

    async def _revoke(self, settings: ServiceSettings, name: str) -> int:
        db = Database.connect(settings.database_url, timeout=settings.database_timeout_seconds)
        try:
            async with db.transaction() as session:
                return await revoke_keys(session, self.tables, name=name)
        finally:
            await db.dispose()

"""`intake-api`: serve, migrate, keys, OpenAPI, reference operations."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from apicore.audit import AuditTrail
from apicore.cli import ServiceCLI
from apicore.db import Database
from apicore.logs import configure_logging
from apicore.settings import ServiceSettings
from intake_api import models
from intake_api.app import create_app
from intake_api.operations import service as operation_service
from intake_api.settings import IntakeSettings


async def _seed_operations(settings: ServiceSettings) -> list[str]:
    db = Database.connect(settings.database_url, timeout=settings.database_timeout_seconds)
    try:
        async with db.transaction() as session:
            return await operation_service.ensure_reference_operations(
                session, audit=AuditTrail(models.platform)
            )
    finally:
        await db.dispose()


def _run_seed(settings: ServiceSettings, _args: argparse.Namespace) -> int:
    created = asyncio.run(_seed_operations(settings))
    print("created operations: " + (", ".join(created) if created else "none (all present)"))  # noqa: T201
    return 0


def _add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same programme")
    parser.add_argument("--families", type=int, default=30, choices=range(1, 501), metavar="1..500")
    parser.add_argument("--if-empty", action="store_true", help="do nothing when persons exist")


def _run_demo(settings: ServiceSettings, args: argparse.Namespace) -> int:
    from intake_api import demo

    assert isinstance(settings, IntakeSettings)
    created = demo.run(settings, seed=args.seed, families=args.families, only_if_empty=args.if_empty)
    print(f"demo data: {created} invented persons created")  # noqa: T201
    return 0


def _add_reconcile_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repair", action="store_true", help="settle what can be settled without a person")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of lines")


def _run_reconcile(settings: ServiceSettings, args: argparse.Namespace) -> int:
    from intake_api import reconcile

    assert isinstance(settings, IntakeSettings)
    configure_logging(settings.log_level, service="intake_api")
    return reconcile.main(settings, fix=args.repair, as_json=args.json)


CLI = ServiceCLI(
    prog="intake-api",
    app_factory="intake_api.app:create_app",
    alembic_section="intake",
    settings_cls=IntakeSettings,
    create_app=create_app,  # type: ignore[arg-type]
    tables=models.platform,
    default_port=8000,
    extra={
        "seed-operations": (
            "create the reference operations (zhusan-2, rusafa) if absent",
            lambda p: None,
            _run_seed,
        ),
        "reconcile": (
            "compare needs and statuses with the documents service; report, and --repair",
            _add_reconcile_arguments,
            _run_reconcile,
        ),
        "demo-data": (
            "fill an empty database with invented families (for exploring /docs)",
            _add_demo_arguments,
            _run_demo,
        ),
    },
)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of `intake-api`."""
    return CLI.build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `intake-api`."""
    return CLI.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())

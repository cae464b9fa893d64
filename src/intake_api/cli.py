"""`intake-api`: serve, migrate, keys, OpenAPI, reference operations."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from apicore.audit import AuditTrail
from apicore.cli import ServiceCLI
from apicore.db import Database
from apicore.settings import ServiceSettings
from intake_api import models
from intake_api.app import create_app
from intake_api.operations import service as operation_service
from intake_api.settings import IntakeSettings


async def _seed_operations(settings: ServiceSettings) -> list[str]:
    db = Database.connect(settings.database_url)
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
        )
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

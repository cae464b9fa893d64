"""`docs-service`: serve, migrate, keys, OpenAPI."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from apicore.cli import ServiceCLI
from docs_service import models
from docs_service.app import create_app
from docs_service.settings import DocsSettings

CLI = ServiceCLI(
    prog="docs-service",
    app_factory="docs_service.app:create_app",
    alembic_section="docs",
    settings_cls=DocsSettings,
    create_app=create_app,  # type: ignore[arg-type]
    tables=models.platform,
    default_port=8001,
)


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of `docs-service`."""
    return CLI.build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `docs-service`."""
    return CLI.main(argv)


if __name__ == "__main__":
    raise SystemExit(main())

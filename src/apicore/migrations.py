"""Alembic plumbing both services' migration trees share (`alembic/<service>/env.py`)."""

from __future__ import annotations

import asyncio
import functools
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from apicore.db import create_engine


def find_alembic_ini() -> Path:
    """`ALEMBIC_CONFIG`, else `./alembic.ini`, else the one at the root of the source checkout.

    Raises:
        FileNotFoundError: none of them exists.
    """
    candidates = [
        os.environ.get("ALEMBIC_CONFIG"),
        "alembic.ini",
        Path(__file__).resolve().parents[2] / "alembic.ini",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate).resolve()
    raise FileNotFoundError("alembic.ini not found: run from the project folder or set ALEMBIC_CONFIG")


def alembic_config(section: str, database_url: str) -> Config:
    """The Alembic config of one service (`intake` or `docs`) against `database_url`."""
    ini = find_alembic_ini()
    cfg = Config(str(ini), ini_section=section)
    cfg.set_main_option("script_location", str(ini.parent / cfg.get_main_option("script_location", section)))
    cfg.attributes["database_url"] = database_url
    return cfg


@functools.cache
def head_revision(section: str) -> str | None:
    """The revision a service's code expects its database at (the head of its migration tree),
    or None when its migrations cannot be found here (no `alembic.ini`)."""
    try:
        config = alembic_config(section, "")
    except FileNotFoundError:
        return None
    return ScriptDirectory.from_config(config).get_current_head()


def upgrade(section: str, database_url: str, revision: str = "head") -> None:
    """Migrate a service database up (blocking; call from a thread inside an event loop)."""
    command.upgrade(alembic_config(section, database_url), revision)


def downgrade(section: str, database_url: str, revision: str = "base") -> None:
    """Migrate a service database down (blocking)."""
    command.downgrade(alembic_config(section, database_url), revision)


def run_env(context: Any, target_metadata: MetaData, default_url: str) -> None:
    """The body of an `env.py`: offline SQL or online against the async engine.

    `render_as_batch` lets SQLite alter tables; types and server defaults are compared.
    """
    url = context.config.attributes.get("database_url") or default_url
    options: dict[str, Any] = {
        "target_metadata": target_metadata,
        "render_as_batch": True,
        "compare_type": True,
        "compare_server_default": True,
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def run(connection: Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def online() -> None:
        engine = create_engine(url, pool_size=1, timeout=None)  # a backfill may take minutes
        try:
            async with engine.connect() as connection:
                await connection.run_sync(run)
                await connection.commit()
        finally:
            await engine.dispose()

    asyncio.run(online())

"""Settings of the documents service (environment variables `DOCS_*`)."""

from __future__ import annotations

from pydantic import AnyHttpUrl
from pydantic_settings import SettingsConfigDict

from apicore.settings import ServiceSettings


class DocsSettings(ServiceSettings):
    """Documents service settings; see the README's table."""

    model_config = SettingsConfigDict(env_prefix="DOCS_", extra="ignore", frozen=True)

    database_url: str = "sqlite+aiosqlite:///var/docs.db"
    intake_service_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000")
    """Base URL of the intake service."""
    intake_service_key: str = ""
    """A `service` key of the intake service (for status changes sent back)."""

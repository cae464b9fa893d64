"""Settings of the intake service (environment variables `INTAKE_*`)."""

from __future__ import annotations

from pydantic import AnyHttpUrl
from pydantic_settings import SettingsConfigDict

from apicore.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    """Intake settings; see the README's table."""

    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore", frozen=True)

    database_url: str = "sqlite+aiosqlite:///var/intake.db"
    docs_service_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8001")
    """Base URL of the documents service."""
    docs_service_key: str = ""
    """A `service` key of the documents service, used to deliver document needs."""

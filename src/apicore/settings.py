"""Settings shared by both services, read from the environment by pydantic-settings."""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Knobs every service has. Subclasses set `env_prefix` (`INTAKE_`, `DOCS_`).

    A wrong value fails at start with a pydantic `ValidationError` naming the variable.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    database_url: str = "sqlite+aiosqlite:///var/service.db"
    """SQLAlchemy async URL: `sqlite+aiosqlite:///path` or `postgresql+asyncpg://...`."""
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    """Request bodies larger than this get 413 (bytes)."""
    idempotency_ttl_hours: int = Field(default=72, ge=1, le=24 * 365)
    """How long a stored `Idempotency-Key` answer is replayed (hours)."""
    idempotency_lease_seconds: int = Field(default=60, ge=1, le=3600)
    """After this long, a key whose request never finished may be taken over (seconds)."""
    auth_cache_seconds: float = Field(default=5.0, ge=0, le=300)
    """How long a process trusts an API key it has checked (seconds): a revoked key is refused
    everywhere at most this long after `revoke-key`. 0: every request looks its key up."""
    log_level: str = "INFO"
    database_pool_size: int = Field(default=10, ge=1, le=200)
    """PostgreSQL connections per process; SQLite always uses one writer connection."""
    database_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    """PostgreSQL: how long a statement, or opening a connection, may go unanswered before the
    request fails with 503 (a server or network that stopped answering without closing the
    connection would otherwise hold the request for ever). Seconds."""
    outbox_enabled: bool = True
    """Run the outbox dispatcher inside the service process."""
    outbox_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    outbox_max_attempts: int = Field(default=1000, ge=1, le=100_000)
    """Attempts before an event is kept as dead: with the 5-minute cap, about 3.5 days of an
    unreachable receiver (a network that is down for a weekend loses nothing)."""
    outbox_backoff_base_seconds: float = Field(default=0.5, gt=0, le=60)
    outbox_backoff_cap_seconds: float = Field(default=300.0, gt=0, le=86_400)
    client_read_timeout_seconds: float = Field(default=60.0, gt=0, le=3600)
    """How long a client may take over a request's headers (from their first byte), and stay
    silent within its body, before the server gives up: 408 for headers, the connection closed
    for a body (nginx's `client_header_timeout`, `client_body_timeout`). Seconds."""
    http_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    """Timeout of each call to the other service (seconds)."""

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("one of DEBUG, INFO, WARNING, ERROR")
        return level

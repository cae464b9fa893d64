"""Settings of the documents service (environment variables `DOCS_*`)."""

from __future__ import annotations

import re
from typing import Any, Final

from pydantic import AnyHttpUrl, Field, field_validator
from pydantic_settings import SettingsConfigDict

from apicore.settings import ServiceSettings
from docs_service.document_requests.numbers import NUMBER_KINDS, NumberFormats
from docs_service.document_requests.workflow import DOCUMENT_KINDS, ISSUED, path

# Programme targets, not legal deadlines: the days a request may stay in each state before it
# shows as overdue. Set them to the offices' own service standards with DOCS_TARGET_DAYS.
DEFAULT_TARGET_DAYS: Final[dict[str, dict[str, int]]] = {
    "birth_certificate": {
        "requested": 10,
        "documents_collected": 10,
        # A DNA test or a court decision takes weeks.
        "parentage_confirmed": 45,
        "registered": 5,
        "printed": 10,
    },
    "passport": {
        "requested": 5,
        "biometrics_taken": 5,
        "approved": 15,
        "produced": 10,
    },
}


class DocsSettings(ServiceSettings):
    """Documents service settings; see the README's table."""

    model_config = SettingsConfigDict(env_prefix="DOCS_", extra="ignore", frozen=True)

    database_url: str = "sqlite+aiosqlite:///var/docs.db"
    intake_service_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000")
    """Base URL of the intake service."""
    intake_service_key: str = ""
    """A `service` key of the intake service: the person check reads persons with it. Empty: only
    the intake service itself (role `service`) can open requests, on its own word."""
    intake_attempts: int = Field(default=3, ge=1, le=10)
    """Attempts of each call to the intake service (network errors, timeouts, 502/503/504)."""
    intake_retry_budget_seconds: float = Field(default=10.0, gt=0, le=120)
    """Total time the attempts of one call may take, waits included (seconds)."""
    intake_retry_after_seconds: int = Field(default=30, ge=1, le=3600)
    """`Retry-After` of the 503 answered when the intake service cannot be reached (seconds)."""
    target_days: dict[str, dict[str, int]] = Field(default_factory=lambda: DEFAULT_TARGET_DAYS)
    """Days a request may stay in each open state, per kind (JSON; merged into the defaults):
    `DOCS_TARGET_DAYS='{"passport": {"approved": 20}}'`."""
    number_formats: dict[str, str] = Field(default_factory=dict)
    """Regular expressions replacing the default number formats, by kind of number (JSON):
    `DOCS_NUMBER_FORMATS='{"passport": "N[0-9]{8}"}'`. Kinds: `passport`,
    `birth_certificate_series`, `birth_certificate_number`, `civil_act_record`; the defaults and
    what they rest on are in `document_requests/numbers.py`."""

    @field_validator("number_formats")
    @classmethod
    def _known_number_formats(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(NUMBER_KINDS))
        if unknown:
            raise ValueError(f"unknown kinds of number {unknown}; expected some of {list(NUMBER_KINDS)}")
        try:
            NumberFormats(**value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from exc
        return value

    def formats(self) -> NumberFormats:
        """The number formats in force: the defaults with the configured ones replacing them."""
        return NumberFormats(**self.number_formats)

    @field_validator("target_days", mode="before")
    @classmethod
    def _merge_target_days(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        merged = {kind: dict(days) for kind, days in DEFAULT_TARGET_DAYS.items()}
        for kind, days in value.items():
            if kind not in DOCUMENT_KINDS:
                raise ValueError(f"unknown document kind {kind!r}; expected one of {DOCUMENT_KINDS}")
            if not isinstance(days, dict):
                raise ValueError(f"{kind}: expected an object of state -> days")
            states = {s for s in path(kind) if s != ISSUED}
            for state, n in days.items():
                if state not in states:
                    raise ValueError(f"{kind}: {state!r} is not an open state of this kind")
                if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 3650:
                    raise ValueError(f"{kind}.{state}: days must be a whole number from 1 to 3650")
                merged[kind][state] = n
        return merged

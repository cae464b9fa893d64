"""Reading persons from the intake service, the system of record for returnees.

One class around the service's shared `httpx.AsyncClient`: the `service` key, the request id
(`X-Request-ID`, so one id crosses both services' logs), a timeout per attempt and a bounded
number of attempts with exponential backoff and jitter (`stamina`). Only what may pass by itself
is retried: network errors, timeouts, 502, 503 and 504. A refused key (401/403) is a
misconfiguration an operator fixes: it is not retried, and callers answer 503 as for an outage.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import httpx
import stamina
import structlog
from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, ValidationError

from apicore.i18n import _l
from apicore.outbox import problem_type
from apicore.problems import PROBLEM_TYPE_PREFIX, Problem
from apicore.requestids import REQUEST_ID_HEADER, current_request_id
from docs_service.settings import DocsSettings

log = structlog.get_logger("docs_service.intake_client")

PERSON_NOT_FOUND = PROBLEM_TYPE_PREFIX + "person-not-found"
"""The problem type intake answers for an unknown person id (intake_api/persons/service.py)."""


_RETRIED_STATUSES = frozenset({502, 503, 504})


class IntakeName(BaseModel):
    """One name of a person as intake reads it back (`PersonRead.names[]`)."""

    model_config = ConfigDict(extra="ignore")

    script: str
    lang: str | None = None
    kind: str
    given: str
    family: str | None = None
    patronymic: str | None = None
    latin_suggested: str | None = None
    current: bool = True


class IntakePerson(BaseModel):
    """The part of intake's `PersonRead` the documents service uses (other fields ignored)."""

    model_config = ConfigDict(extra="ignore")

    id: uuid.UUID
    category: str
    sex: str | None = None
    birth_date: str | None = None
    iin: str | None = None
    names: list[IntakeName] = []


class IntakeUnavailable(Problem):
    status = 503
    slug = "intake-unavailable"
    title = _l("Service unavailable")
    detail = _l(
        "The intake service cannot be reached to check the person. Nothing was saved; try again later."
    )

    def __init__(self, retry_after: int) -> None:
        super().__init__(headers={"Retry-After": str(retry_after)})


class _Transient(Exception):
    """An answer worth another attempt (502/503/504)."""


class IntakeClient:
    """Calls to the intake service on behalf of the current request."""

    def __init__(self, http: httpx.AsyncClient, settings: DocsSettings) -> None:
        self.http = http
        self.settings = settings
        self.base_url = str(settings.intake_service_url).rstrip("/")

    @property
    def configured(self) -> bool:
        """True when a key for the intake service is set (`DOCS_INTAKE_SERVICE_KEY`)."""
        return bool(self.settings.intake_service_key)

    def _headers(self) -> dict[str, str]:
        headers = {
            "Authorization": f"Bearer {self.settings.intake_service_key}",
            "Accept": "application/json",
        }
        request_id = current_request_id()
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        return headers

    async def person(self, person_id: uuid.UUID) -> IntakePerson | None:
        """The person with this id, or None when intake has no such person.

        Raises:
            IntakeUnavailable: not configured, unreachable after the allowed attempts, a refused
                key, or an answer that is not a person (503 with `Retry-After`).
        """
        unavailable = IntakeUnavailable(self.settings.intake_retry_after_seconds)
        if not self.configured:
            log.error("intake.not_configured")
            raise unavailable
        url = f"{self.base_url}/v1/persons/{person_id}"
        try:
            response = await self._get(url)
        except (httpx.HTTPError, _Transient) as exc:
            log.warning("intake.unreachable", error=type(exc).__name__)
            raise unavailable from exc
        if response.status_code == 404 and problem_type(response) == PERSON_NOT_FOUND:
            return None
        if response.status_code == 404:
            # A 404 that is not intake's answer about the person: a wrong URL, a proxy's page.
            # Saying "unknown person" would kill the need for good; the address needs fixing.
            log.error("intake.wrong_address", status=404)
            raise unavailable
        if response.status_code in {401, 403}:
            log.error("intake.key_refused", status=response.status_code)
            raise unavailable
        if response.status_code != 200:
            log.warning("intake.unexpected_status", status=response.status_code)
            raise unavailable
        try:
            body: Any = response.json()
            return IntakePerson.model_validate(body)
        except (ValueError, ValidationError) as exc:
            log.error("intake.unreadable_person")
            raise unavailable from exc

    async def _get(self, url: str) -> httpx.Response:
        timeout = self.settings.http_timeout_seconds
        async for attempt in stamina.retry_context(
            on=(httpx.TransportError, _Transient),
            attempts=self.settings.intake_attempts,
            timeout=self.settings.intake_retry_budget_seconds,
            wait_initial=0.1,
            wait_max=2.0,
            wait_jitter=0.2,
        ):
            with attempt:
                response = await self.http.get(url, headers=self._headers(), timeout=timeout)
                if response.status_code in _RETRIED_STATUSES:
                    raise _Transient(f"HTTP {response.status_code}")
                return response
        raise AssertionError("unreachable: stamina raises after the last attempt")  # pragma: no cover


async def _intake_client(request: Request) -> IntakeClient:  # async: no thread hop
    ctx = request.app.state.ctx
    return IntakeClient(ctx.http, ctx.settings)


Intake = Annotated[IntakeClient, Depends(_intake_client)]
"""The intake client of the current request."""

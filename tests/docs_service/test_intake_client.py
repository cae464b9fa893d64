"""The intake client against a fake intake (httpx.MockTransport): key, request id, retries."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from apicore.requestids import set_request_id
from docs_service.intake_client import IntakeClient, IntakeUnavailable
from docs_service.settings import DocsSettings

PERSON_ID = uuid.UUID("5a110000-0000-4000-8000-000000000002")
PERSON = {
    "id": str(PERSON_ID),
    "category": "child",
    "sex": "female",
    "birth_date": "2016-03",
    "iin": None,
    "names": [
        {
            "script": "Cyrl",
            "lang": "kk",
            "kind": "kazakh",
            "given": "Айару",
            "family": "Сейітқызы",
            "patronymic": None,
            "latin_suggested": "AIARU SEIITKYZY",
            "current": True,
            "id": "x",
        },
    ],
    "unknown_future_field": {"ignored": True},
}


def settings(**overrides: object) -> DocsSettings:
    values: dict[str, object] = {
        "intake_service_url": "http://intake.test/base/",
        "intake_service_key": "rk_secret",
        "intake_attempts": 3,
        "intake_retry_after_seconds": 17,
        **overrides,
    }
    return DocsSettings(**values)  # type: ignore[arg-type]


class Script:
    """Answers in order; records every request."""

    def __init__(self, *answers: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return answer(request)


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=PERSON)


def status(code: int) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(code, json={"status": code})


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


def timed_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("slow", request=request)


async def call(script: Script, **overrides: object) -> object:
    async with httpx.AsyncClient(transport=httpx.MockTransport(script)) as http:
        return await IntakeClient(http, settings(**overrides)).person(PERSON_ID)


class TestPerson:
    async def test_reads_the_person_ignoring_fields_it_does_not_use(self) -> None:
        person = await call(Script(ok))
        assert getattr(person, "category", None) == "child"
        assert [n.family for n in getattr(person, "names", [])] == ["Сейітқызы"]

    async def test_sends_the_service_key_and_the_request_id_to_the_person_url(self) -> None:
        script = Script(ok)
        set_request_id("req-1234567890")
        try:
            await call(script)
        finally:
            set_request_id(None)
        [request] = script.requests
        assert str(request.url) == f"http://intake.test/base/v1/persons/{PERSON_ID}"
        assert request.headers["authorization"] == "Bearer rk_secret"
        assert request.headers["x-request-id"] == "req-1234567890"

    async def test_unknown_person_is_none(self) -> None:
        def not_found(request: httpx.Request) -> httpx.Response:
            return httpx.Response(404, json={"type": "urn:returnee-registry:problem:person-not-found"})

        assert await call(Script(not_found)) is None

    async def test_a_404_that_is_not_about_the_person_is_unavailable(self) -> None:
        # A wrong address or a proxy's page: retry later, never "no such person".
        with pytest.raises(IntakeUnavailable):
            await call(Script(status(404)))

    @pytest.mark.parametrize("transient", [status(502), status(503), status(504), refused, timed_out])
    async def test_a_transient_failure_is_retried_into_success(
        self, transient: Callable[[httpx.Request], httpx.Response]
    ) -> None:
        script = Script(transient, transient, ok)
        person = await call(script)
        assert person is not None
        assert len(script.requests) == 3

    async def test_gives_up_after_the_configured_attempts_with_retry_after(self) -> None:
        script = Script(status(503))
        with pytest.raises(IntakeUnavailable) as caught:
            await call(script, intake_attempts=2)
        assert len(script.requests) == 2
        assert caught.value.status == 503
        assert caught.value.headers == {"Retry-After": "17"}

    @pytest.mark.parametrize("code", [401, 403])
    async def test_a_refused_key_is_not_retried_and_is_unavailable(self, code: int) -> None:
        script = Script(status(code))
        with pytest.raises(IntakeUnavailable):
            await call(script)
        assert len(script.requests) == 1

    @pytest.mark.parametrize("code", [400, 422, 500])
    async def test_another_status_is_unavailable_without_retry(self, code: int) -> None:
        script = Script(status(code))
        with pytest.raises(IntakeUnavailable):
            await call(script)
        assert len(script.requests) == 1

    async def test_an_answer_that_is_not_a_person_is_unavailable(self) -> None:
        with pytest.raises(IntakeUnavailable):
            await call(Script(lambda r: httpx.Response(200, json={"id": "nope"})))

    async def test_without_a_key_nothing_is_sent(self) -> None:
        script = Script(ok)
        with pytest.raises(IntakeUnavailable):
            await call(script, intake_service_key="")
        assert script.requests == []

    async def test_the_retry_budget_bounds_the_total_time(self) -> None:
        script = Script(status(503))
        with pytest.raises(IntakeUnavailable):
            await call(script, intake_attempts=10, intake_retry_budget_seconds=0.3)
        assert 1 <= len(script.requests) < 10

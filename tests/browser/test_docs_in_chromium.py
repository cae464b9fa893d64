"""The docs as their readers see them: `/docs` of each service in headless Chromium.

Each service runs as a real uvicorn process on loopback. The page must render every operation
of the spec, show the request examples in Kazakh, Russian and Arabic, and answer "Try it out"
with a key; no request may leave loopback (an isolated government network has no CDN). A
screenshot of each lands in `bench/results/`.

Chromium is Debian's (`apt-get install chromium`), driven by Playwright over its pipe: nothing
is downloaded (`playwright install` is never run). Locally the test skips without Chromium;
under CI (`CI` set) it fails instead.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Locator,
    Page,
    Request,
    Route,
    WebError,
    expect,
    sync_playwright,
)

from apicore import migrations
from apicore.auth import Role
from tests.conftest import FIXTURES_DIR, make_keys
from tests.support.services import ServiceProcess, free_port

RESULTS_DIR = Path(__file__).resolve().parents[2] / "bench" / "results"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # as root, Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # No calls home: component and safe-browsing updates, sync, metrics.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LANGS = ("kk", "ru", "ar")
RENDER_TIMEOUT_MS = 30_000
STARTUP_SECONDS = 60.0
"""Generous: on a loaded 2-core machine imports alone can take many seconds."""
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def chromium_path() -> str | None:
    """Debian's Chromium, if installed."""
    return shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@dataclass(frozen=True)
class ServiceUnderTest:
    """How to start one service and what to try in its docs."""

    name: str
    script: str
    section: str
    env: dict[str, str]
    list_path: str
    """A list endpoint to run with "Try it out"."""
    role: Role
    """The role whose key is entered under "Authorize"."""
    examples_path: str
    """A POST endpoint whose body examples must show in kk, ru and ar."""


SERVICES = {
    "intake": ServiceUnderTest(
        name="intake",
        script="intake-api",
        section="intake",
        env={"INTAKE_OUTBOX_ENABLED": "false", "INTAKE_DOCS_SERVICE_URL": "http://127.0.0.1:9"},
        list_path="/v1/operations",
        role=Role.field_worker,
        examples_path="/v1/persons",
    ),
    "documents": ServiceUnderTest(
        name="documents",
        script="docs-service",
        section="docs",
        env={
            "DOCS_OUTBOX_ENABLED": "false",
            "DOCS_INTAKE_SERVICE_URL": "http://127.0.0.1:9",
            "DOCS_INTAKE_SERVICE_KEY": "unused",
        },
        list_path="/v1/requests",
        role=Role.case_worker,
        examples_path="/v1/requests",
    ),
}


@dataclass
class RunningService:
    """A service process on a fresh migrated SQLite database, with a key per role."""

    spec: ServiceUnderTest
    process: ServiceProcess
    keys: dict[Role, str]


@pytest.fixture(params=list(SERVICES))
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningService]:
    """One service, started; stopped after the test."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    spec = SERVICES[str(request.param)]
    url = f"sqlite+aiosqlite:///{tmp_path / f'{spec.section}.db'}"
    migrations.upgrade(spec.section, url)
    if spec.section == "intake":
        from intake_api.models import platform
    else:
        from docs_service.models import platform
    keys = asyncio.run(make_keys(url, platform))
    prefix = "INTAKE_" if spec.section == "intake" else "DOCS_"
    process = ServiceProcess(
        spec.script, free_port(), {f"{prefix}DATABASE_URL": url, **spec.env}, tmp_path / "service.log"
    )
    try:
        process.start(timeout=STARTUP_SECONDS)
        yield RunningService(spec, process, keys)
    finally:
        process.stop()


@dataclass
class Traffic:
    """Every request the browser made, and those that would have left loopback."""

    urls: list[str]
    escaped: list[str]
    errors: list[str]
    """Uncaught page errors and console errors (a Content-Security-Policy violation is one)."""


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[tuple[BrowserContext, Traffic]]:
    """Headless Chromium with a new empty profile, its language Kazakh, watching every request."""
    executable = chromium_path()
    if executable is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/debian-packages lists `chromium` for CI")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-noto-core)")
    traffic = Traffic([], [], [])
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=executable,
            headless=True,
            args=CHROMIUM_FLAGS,
            locale="kk-KZ",
            viewport={"width": 1280, "height": 900},
        )

        def watch(route: Route, request: Request) -> None:
            traffic.urls.append(request.url)
            if urlsplit(request.url).hostname in {"127.0.0.1", "localhost", "::1"}:
                route.continue_()
            else:
                # Refused here, so the test stays off the network even when the page fails it.
                traffic.escaped.append(request.url)
                route.abort()

        def page_error(error: WebError) -> None:
            traffic.errors.append(f"page error: {error.error}")

        def console(message: ConsoleMessage) -> None:
            if message.type == "error":
                traffic.errors.append(f"console: {message.text}")

        context.route("**/*", watch)
        context.on("weberror", page_error)
        context.on("console", console)
        try:
            yield context, traffic
        finally:
            context.close()


def _operation(page: Page, spec: dict[str, Any], method: str, path: str) -> Locator:
    """The Swagger UI block of one operation (its element id is `operations-{tag}-{operationId}`)."""
    operation = spec["paths"][path][method]
    return page.locator(f'[id="operations-{operation["tags"][0]}-{operation["operationId"]}"]')


def _authorize(page: Page, key: str) -> None:
    page.locator(".scheme-container button.authorize").click()
    modal = page.locator(".modal-ux")
    modal.locator("input").fill(key)
    modal.locator("button.authorize").click()
    expect(modal.locator("button.btn-done")).to_be_visible()
    modal.locator("button.btn-done").click()
    expect(modal).to_be_hidden()


def _seed(running: RunningService) -> str | None:
    """Something for the list to show: an operation in intake (the documents service opens
    requests only for persons intake knows, so its list stays empty here). Returns a code."""
    if running.spec.section != "intake":
        return None
    operation = json.loads((FIXTURES_DIR / "operations.json").read_text("utf-8"))["operations"][0]
    answer = httpx.post(
        f"{running.process.url}/v1/operations",
        json=operation,
        headers={"Authorization": f"Bearer {running.keys[Role.admin]}"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return str(operation["code"])


def test_docs_render_offline_and_try_it_out_works(
    service: RunningService, browser: tuple[BrowserContext, Traffic]
) -> None:
    context, traffic = browser
    base = service.process.url
    spec = httpx.get(f"{base}/openapi.json", timeout=10).json()
    seeded = _seed(service)
    page = context.new_page()
    page.goto(f"{base}/docs")

    # Swagger UI renders every operation of the spec.
    expected = sum(1 for methods in spec["paths"].values() for method in methods if method in HTTP_METHODS)
    expect(page.locator(".opblock")).to_have_count(expected, timeout=RENDER_TIMEOUT_MS)

    # The body examples in the three languages, each exactly the spec's.
    examples_block = _operation(page, spec, "post", service.spec.examples_path)
    examples_block.locator(".opblock-summary").click()
    body = examples_block.locator(".opblock-section-request-body")
    chooser = body.locator("select.examples-select-element")
    examples = spec["paths"][service.spec.examples_path]["post"]["requestBody"]["content"][
        "application/json"
    ]["examples"]
    for lang in LANGS:
        chooser.select_option(lang)
        expect(chooser.locator("option:checked")).to_have_text(examples[lang]["summary"])
        editor = body.locator("textarea.body-param__text")
        expect(editor).not_to_have_value("")
        assert json.loads(editor.input_value()) == examples[lang]["value"], lang
    body.screenshot(path=RESULTS_DIR.joinpath(f"docs-{service.spec.name}-example-ar.png"))
    examples_block.locator(".opblock-summary").click()  # fold it again

    # "Try it out" with a key: the request carries it, and the answer is rendered.
    _authorize(page, service.keys[service.spec.role])
    block = _operation(page, spec, "get", service.spec.list_path)
    block.locator(".opblock-summary").click()
    with page.expect_request(lambda r: urlsplit(r.url).path == service.spec.list_path) as sent:
        block.locator("button.execute").click()
    assert sent.value.headers.get("authorization") == f"Bearer {service.keys[service.spec.role]}"
    live = block.locator(".live-responses-table tbody tr.response")
    expect(live.locator(".response-col_status")).to_have_text("200", timeout=RENDER_TIMEOUT_MS)
    answer = live.locator(".response-col_description")
    expect(answer).to_contain_text('"items"')
    expect(answer).to_contain_text("content-language: kk")  # the browser asked in Kazakh
    if seeded is not None:
        expect(answer).to_contain_text(seeded)
    block.screenshot(
        path=RESULTS_DIR.joinpath(f"docs-{service.spec.name}.png"),
        mask=[block.locator(".curl-command")],  # the command line shows the key
    )

    assert traffic.urls, "the browser made no request at all"
    assert not traffic.escaped, f"requests that left loopback: {traffic.escaped}"
    assert all(urlsplit(url).netloc == urlsplit(base).netloc for url in traffic.urls), traffic.urls
    assert not traffic.errors, traffic.errors

"""The committed OpenAPI documents (`make openapi`) are what the apps serve, valid OpenAPI 3.1,
the same on every machine, with examples in kk, ru and ar and the roles of every operation.

Building an app must have no side effect before its lifespan: `make openapi` on a fresh checkout
creates no `var/` folder and opens no database.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

import apicore.db
import docs_service.app
import intake_api.app
from apicore.auth import Role
from apicore.openapi import build_openapi
from apicore.problems import PROBLEM_JSON, PROBLEM_TYPE_PREFIX
from apicore.settings import ServiceSettings
from docs_service.settings import DocsSettings
from intake_api.settings import IntakeSettings

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ("kk", "ru", "ar")
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
STALE = "openapi/{name}.json differs from the app: run make openapi"


@dataclass(frozen=True)
class Service:
    """One app and the pieces `make openapi` uses to export it."""

    name: str
    create_app: Callable[[Any], FastAPI]
    settings: type[ServiceSettings]
    cli_module: str
    other_settings: dict[str, Any]
    """Non-default values of every setting that could leak into the document."""

    @property
    def committed_path(self) -> Path:
        return ROOT / "openapi" / f"{self.name}.json"

    def build(self, settings: ServiceSettings | None = None) -> dict[str, Any]:
        return build_openapi(self.create_app(settings or self.settings()))


SERVICES = {
    "intake_api": Service(
        "intake_api",
        intake_api.app.create_app,
        IntakeSettings,
        "intake_api.cli",
        {"docs_service_url": "http://docs.example:9000", "docs_service_key": "rk_other"},
    ),
    "docs_service": Service(
        "docs_service",
        docs_service.app.create_app,
        DocsSettings,
        "docs_service.cli",
        {"intake_service_url": "http://intake.example:9000", "intake_service_key": "rk_other"},
    ),
}
OTHER_COMMON_SETTINGS: dict[str, Any] = {
    "database_url": "postgresql+asyncpg://someone:secret@db.example:6543/elsewhere",
    "max_body_bytes": 4096,
    "idempotency_ttl_hours": 1,
    "idempotency_lease_seconds": 5,
    "database_pool_size": 3,
    "outbox_enabled": False,
    "http_timeout_seconds": 1.5,
}


@pytest.fixture(scope="module", params=sorted(SERVICES))
def service(request: pytest.FixtureRequest) -> Service:
    """Each app in turn."""
    return SERVICES[str(request.param)]


@pytest.fixture(scope="module")
def spec(service: Service) -> dict[str, Any]:
    """The app's OpenAPI document, built as `make openapi` builds it."""
    return service.build()


def operations(spec: dict[str, Any], prefix: str = "/") -> list[tuple[str, dict[str, Any]]]:
    """`("POST /v1/persons", operation)` for every operation under `prefix`."""
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in spec["paths"].items()
        if path.startswith(prefix)
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


def export_with_cli(service: Service, cwd: Path, **env: str) -> bytes:
    """What `<service> openapi` prints, run in `cwd` without `INTAKE_*`/`DOCS_*` variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "DOCS_"))}
    result = subprocess.run(
        [sys.executable, "-m", service.cli_module, "openapi"],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    return result.stdout


def example_names(media: dict[str, Any]) -> set[str]:
    return set(media.get("examples") or {})


class TestCommittedSpec:
    def test_equals_what_the_app_builds(self, service: Service, spec: dict[str, Any]) -> None:
        committed = json.loads(service.committed_path.read_text("utf-8"))
        assert spec == committed, STALE.format(name=service.name)

    def test_is_byte_for_byte_what_make_openapi_writes_from_any_folder(
        self, service: Service, tmp_path: Path
    ) -> None:
        # Another folder, another hash seed, no service variables: nothing of the machine leaks.
        stdout = export_with_cli(service, tmp_path, PYTHONHASHSEED="12345")
        assert stdout == service.committed_path.read_bytes(), STALE.format(name=service.name)
        assert list(tmp_path.iterdir()) == [], "exporting created files (var/?)"

    def test_make_openapi_writes_utf_8_whatever_the_terminal_encoding(
        self, service: Service, tmp_path: Path
    ) -> None:
        # A Windows console or a latin-1 locale must not change (or break) the committed file.
        stdout = export_with_cli(service, tmp_path, PYTHONIOENCODING="latin-1")
        assert stdout == service.committed_path.read_bytes()

    def test_building_twice_gives_identical_json(self, service: Service) -> None:
        first, second = service.build(), service.build()
        assert json.dumps(first, ensure_ascii=False) == json.dumps(second, ensure_ascii=False)

    def test_does_not_depend_on_settings(self, service: Service, spec: dict[str, Any]) -> None:
        other = service.settings(**OTHER_COMMON_SETTINGS, **service.other_settings)
        assert service.build(other) == spec

    def test_names_no_path_or_date_of_this_machine(self, spec: dict[str, Any]) -> None:
        text = json.dumps(spec, ensure_ascii=False)
        for local in {str(ROOT), str(Path.home()), sys.prefix, str(Path.cwd())} - {"/"}:
            assert local not in text
        today = dt.datetime.now(dt.UTC).date()
        for day in (today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)):
            assert day.isoformat() not in text


class TestValidity:
    def test_is_valid_openapi_3_1(self, spec: dict[str, Any]) -> None:
        assert spec["openapi"].startswith("3.1.")
        validate(spec, cls=OpenAPIV31SpecValidator)


class TestExamples:
    def test_v1_request_bodies_have_kk_ru_ar_examples(self, spec: dict[str, Any]) -> None:
        missing = [
            f"{name} {media_type}: {sorted(set(TRANSLATED) - example_names(media))}"
            for name, op in operations(spec, "/v1/")
            if "requestBody" in op
            for media_type, media in op["requestBody"]["content"].items()
            if not set(TRANSLATED) <= example_names(media)
        ]
        assert not missing, "request bodies lacking examples:\n" + "\n".join(missing)

    def test_v1_success_responses_have_kk_ru_ar_examples(self, spec: dict[str, Any]) -> None:
        missing = []
        for name, op in operations(spec, "/v1/"):
            successes = {code: r for code, r in op["responses"].items() if code.startswith("2")}
            assert successes, f"{name} documents no success response"
            for code, response in successes.items():
                if code == "204":
                    continue
                content = response.get("content") or {"(no content)": {}}
                missing += [
                    f"{name} {code} {media_type}: {sorted(set(TRANSLATED) - example_names(media))}"
                    for media_type, media in content.items()
                    if not set(TRANSLATED) <= example_names(media)
                ]
        assert not missing, "success responses lacking examples:\n" + "\n".join(missing)

    def test_problem_examples_are_translated(self, spec: dict[str, Any]) -> None:
        problems: list[str] = []
        for name, op in operations(spec):
            for code, response in op["responses"].items():
                if not code.startswith("4"):
                    continue
                examples = response.get("content", {}).get(PROBLEM_JSON, {}).get("examples")
                if not examples:
                    problems.append(f"{name} {code}: no {PROBLEM_JSON} examples")
                    continue
                # Example names are `kk` or, when a status has several problems, `<slug>-kk`.
                titles: dict[str, dict[str, str]] = {}
                for example_name, example in examples.items():
                    slug = example["value"]["type"].removeprefix(PROBLEM_TYPE_PREFIX)
                    locale = example_name.rsplit("-", 1)[-1]
                    titles.setdefault(slug, {})[locale] = example["value"]["title"]
                for slug, by_locale in titles.items():
                    english = by_locale.get("en")
                    for locale in TRANSLATED:
                        title = by_locale.get(locale)
                        if title is None:
                            problems.append(f"{name} {code} {slug}: no {locale} example")
                        elif title == english:
                            problems.append(f"{name} {code} {slug}: {locale} title untranslated: {title!r}")
        assert not problems, "problem examples not translated:\n" + "\n".join(problems)


class TestRoles:
    def test_v1_operations_declare_their_roles(self, spec: dict[str, Any]) -> None:
        roles = {role.value for role in Role}
        undeclared = [
            name
            for name, op in operations(spec, "/v1/")
            if not op.get("x-roles") or not set(op["x-roles"]) <= roles
        ]
        assert not undeclared, f"operations without valid x-roles: {undeclared}"

    def test_v1_operations_document_401_and_403(self, spec: dict[str, Any]) -> None:
        undocumented = [
            f"{name}: {sorted({'401', '403'} - set(op['responses']))}"
            for name, op in operations(spec, "/v1/")
            if not {"401", "403"} <= set(op["responses"])
        ]
        assert not undocumented, f"operations missing 401/403: {undocumented}"


class TestBuildingAnApp:
    def test_creates_no_file_and_opens_no_database(
        self, service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        default_url = service.settings.model_fields["database_url"].default
        assert default_url.startswith("sqlite+aiosqlite:///var/"), "premise: default under var/"

        def no_engine(*args: object, **kwargs: object) -> None:
            raise AssertionError("an engine was created before the lifespan")

        monkeypatch.setattr(apicore.db, "create_async_engine", no_engine)
        monkeypatch.chdir(tmp_path)
        app = service.create_app(service.settings(database_url=default_url))
        build_openapi(app)
        app.openapi()
        assert list(tmp_path.iterdir()) == []

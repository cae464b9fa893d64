"""The OpenAPI document: problem schema, role notes and localised problem examples.

Every operation documents its problems (401/403 where a role is required, 422 where input is
validated, and what the route declares) with examples in Kazakh, Russian, Arabic and English,
rendered from the same catalogs that answer real requests.
"""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from apicore.auth import Forbidden, Unauthorized
from apicore.idempotency import IdempotencyKeyReused, IdempotencyRequestInFlight, InvalidIdempotencyKey
from apicore.problems import (
    PROBLEM_JSON,
    PROBLEM_TYPE_PREFIX,
    PROBLEM_TYPES,
    BodyTooLarge,
    MalformedBody,
    Problem,
    UnsupportedMediaType,
    ValidationFailed,
    problem_key,
)

EXAMPLE_LANGUAGES = ("kk", "ru", "ar", "en")
LANGUAGE_NAMES = {"kk": "Қазақша", "ru": "Русский", "ar": "العربية", "en": "English"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details, in the language `Accept-Language` negotiated.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "code", "message"],
                "properties": {
                    "field": {"type": "string", "description": "Dotted path into the body: `names.0.given`."},
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
}


def problem_example(problem: type[Problem], locale: str) -> dict[str, Any]:
    """An example problem document of this type in `locale`."""
    doc: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + problem.slug,
        "title": problem.title.render(locale),
        "status": problem.status,
    }
    if problem.detail is not None:
        with contextlib.suppress(KeyError, IndexError):
            doc["detail"] = problem.detail.render(locale, **problem.example_params)
    doc["request_id"] = "3f2c9a7e5b1d4c8e9f0a1b2c3d4e5f60"
    return doc


def _examples(keys: list[str]) -> dict[str, Any]:
    examples: dict[str, Any] = {}
    for key in keys:
        problem = PROBLEM_TYPES[key]
        for locale in EXAMPLE_LANGUAGES:
            name = f"{problem.slug}-{locale}" if len(keys) > 1 else locale
            examples[name] = {
                "summary": f"{problem.title.render('en')} ({LANGUAGE_NAMES[locale]})",
                "value": problem_example(problem, locale),
            }
    return examples


def _problem_content(slugs: list[str]) -> dict[str, Any]:
    return {
        PROBLEM_JSON: {
            "schema": {"$ref": "#/components/schemas/Problem"},
            "examples": _examples(slugs),
        }
    }


IF_MATCH_PARAMETER: dict[str, Any] = {
    "name": "If-Match",
    "in": "header",
    "required": True,
    "description": 'The `ETag` you read (`"3"`), or `*` for whatever version is current (RFC 9110): '
    "428 without it, 412 when the record has changed since.",
    "schema": {"type": "string", "minLength": 1},
    "examples": {"version": {"summary": "The version read", "value": '"3"'}},
}
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "1–255 visible ASCII characters chosen by the client: a retry with the same key and "
    "body replays the first answer; the same key with another body is a 422.",
    "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"},
}


def _add_problem(responses: dict[str, Any], status: str, problem: type[Problem], description: str) -> None:
    entry = responses.setdefault(status, {"description": description})
    keys = entry.setdefault("x-problems", [])
    if problem_key(problem) not in keys:
        keys.append(problem_key(problem))


def _document_headers(method: str, operation: dict[str, Any]) -> None:
    """Declare the request headers the services read: `If-Match` where an update answers 428
    without it (apicore.versioning), `Idempotency-Key` on every POST (apicore.transactions)."""
    responses: dict[str, Any] = operation.setdefault("responses", {})
    parameters: list[dict[str, Any]] = operation.setdefault("parameters", [])
    names = {p.get("name", "").lower() for p in parameters if p.get("in") == "header"}
    if "428" in responses and "if-match" not in names:
        parameters.append(IF_MATCH_PARAMETER)
    if method == "post" and "idempotency-key" not in names:
        parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        _add_problem(responses, "400", InvalidIdempotencyKey, "Malformed Idempotency-Key")
        _add_problem(responses, "409", IdempotencyRequestInFlight, "The same key is still being answered")
        if "requestBody" in operation:
            _add_problem(responses, "422", IdempotencyKeyReused, "Validation failed")
    if not parameters:
        del operation["parameters"]


def _document_operation(operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    if operation.get("x-roles"):
        for status, problem, description in (
            ("401", Unauthorized, "No valid API key"),
            ("403", Forbidden, "The key's role may not do this"),
        ):
            entry = responses.setdefault(status, {"description": description})
            keys = entry.setdefault("x-problems", [])
            if problem_key(problem) not in keys:
                keys.insert(0, problem_key(problem))
    if "requestBody" in operation:
        # Refused before the body is validated (apicore.middleware, apicore.transactions).
        _add_problem(responses, "400", MalformedBody, "The body is not UTF-8")
        _add_problem(responses, "413", BodyTooLarge, "The body is larger than the service accepts")
        _add_problem(responses, "415", UnsupportedMediaType, "The body is not JSON")
    if "422" in responses:
        existing = responses["422"].get("x-problems", [])
        responses["422"] = {
            "description": "Validation failed: `errors` names each field",
            "x-problems": [
                problem_key(ValidationFailed),
                *[s for s in existing if s != problem_key(ValidationFailed)],
            ],
        }
    for response in responses.values():
        slugs = response.pop("x-problems", None)
        if slugs:
            response["content"] = _problem_content(slugs)


def build_openapi(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document with problems, roles and localised examples."""
    spec = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path_item in spec.get("paths", {}).values():
        for method, operation in path_item.items():
            if isinstance(operation, dict) and "responses" in operation:
                _document_headers(method, operation)
                _document_operation(operation)
    return spec


def install_openapi(app: FastAPI) -> None:
    """Serve `build_openapi(app)` at `/openapi.json` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

"""RFC 9457 problem details: every error answer of both services, localised.

A `Problem` subclass is an error type with a status, a slug, a title and a detail template;
one set of handlers renders it, FastAPI's validation errors, Starlette's HTTP errors and the
unexpected, as `application/problem+json` in the language the request negotiated.
"""

from __future__ import annotations

import errno
import json
import socket
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, ClassVar

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from apicore.db import lock_held_elsewhere
from apicore.i18n import LazyText, _l, _nl, current_locale
from apicore.logs import Throttle
from apicore.requestids import current_request_id

log = structlog.get_logger("apicore.problems")
_outages = Throttle(seconds=10.0)
"""An outage answers every request alike: its log line at most every 10 s, with a count."""

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:returnee-registry:problem:"
PROBLEM_TYPES: dict[str, type[Problem]] = {}
"""Every problem class by `module.QualifiedName` (two services may reuse a slug)."""


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field: `field` is the dotted path into the body (`names.0.given`)."""

    field: str
    code: str
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def render(self, locale: str) -> dict[str, str]:
        """`{field, code, message}` with the message in `locale`."""
        return {"field": self.field, "code": self.code, "message": field_message(self, locale)}


def problem_key(cls: type[Problem]) -> str:
    """The registry key of a problem class: its module and qualified name."""
    return f"{cls.__module__}.{cls.__qualname__}"


class Problem(Exception):
    """Base of every error the services answer with.

    Subclasses set `status`, `slug`, `title` and optionally `detail` (a template whose
    `{placeholders}` come from the keyword arguments given when raising).
    """

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[LazyText] = _l("Bad request")
    detail: ClassVar[LazyText | None] = None
    example_params: ClassVar[dict[str, Any]] = {}
    """Values for `detail`'s placeholders in the OpenAPI examples."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        PROBLEM_TYPES[problem_key(cls)] = cls

    def __init__(
        self,
        *,
        errors: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        extensions: Mapping[str, Any] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(self.slug)
        self.errors = list(errors)
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})
        self.params = params

    def body(self, locale: str, instance: str | None) -> dict[str, Any]:
        """The problem document in `locale` (RFC 9457 members plus `request_id`, `errors`)."""
        doc: dict[str, Any] = {
            "type": PROBLEM_TYPE_PREFIX + self.slug,
            "title": self.title.render(locale),
            "status": self.status,
        }
        if self.detail is not None:
            doc["detail"] = self.detail.render(locale, **_localised_params(self.params, locale))
        if instance:
            doc["instance"] = instance
        request_id = current_request_id()
        if request_id:
            doc["request_id"] = request_id
        if self.errors:
            doc["errors"] = [e.render(locale) for e in self.errors]
        doc.update(self.extensions)
        return doc

    def to_response(self, instance: str | None = None) -> Response:
        """Render as `application/problem+json` in the current locale."""
        locale = current_locale()
        return Response(
            content=json.dumps(self.body(locale, instance), ensure_ascii=False),
            status_code=self.status,
            media_type=PROBLEM_JSON,
            headers=self.headers,
        )


def _localised_params(params: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """Render lazy texts and lists of them among a detail's parameters."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, LazyText):
            out[name] = value.render(locale)
        elif isinstance(value, list | tuple):
            # Arabic lists take the Arabic comma (U+060C).
            separator = "، " if locale == "ar" else ", "
            out[name] = separator.join(v.render(locale) if isinstance(v, LazyText) else str(v) for v in value)
        else:
            out[name] = value
    return out


class ValidationFailed(Problem):
    status = 422
    slug = "validation-failed"
    title = _l("Validation failed")
    detail = _l("Some fields are invalid.")
    counted_detail = _nl("{count} field is invalid.", "{count} fields are invalid.")
    """The detail once the fields are known, in the plural form of each language (CLDR)."""

    def body(self, locale: str, instance: str | None) -> dict[str, Any]:
        """The problem document; `detail` counts the invalid fields."""
        doc = super().body(locale, instance)
        if self.errors:
            doc["detail"] = self.counted_detail.render(len(self.errors), locale)
        return doc


class NotFound(Problem):
    status = 404
    slug = "not-found"
    title = _l("Not found")
    detail = _l("The resource you asked for does not exist.")


class MethodNotAllowed(Problem):
    status = 405
    slug = "method-not-allowed"
    title = _l("Method not allowed")
    detail = _l("This resource does not accept that method.")


class UnsupportedMediaType(Problem):
    status = 415
    slug = "unsupported-media-type"
    title = _l("Unsupported media type")
    detail = _l("Send the body as application/json.")


class BodyTooLarge(Problem):
    status = 413
    slug = "body-too-large"
    title = _l("Request body too large")
    detail = _l("The request body is larger than {limit} bytes.")


class ServiceUnavailable(Problem):
    status = 503
    slug = "service-unavailable"
    title = _l("Service unavailable")
    detail = _l("The service cannot answer right now. Try again shortly.")


class DatabaseUnavailable(Problem):
    status = 503
    slug = "database-unavailable"
    title = _l("Service unavailable")
    detail = _l("The database cannot be reached. Try again shortly.")

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "5"})


class DatabaseBusy(Problem):
    """The database is there but did not answer in time: every pooled connection stayed in use
    for the pool's 30 s (SQLite: 5 s), another process held SQLite's write lock for 5 s, or a PostgreSQL
    statement went unanswered for `*_DATABASE_TIMEOUT_SECONDS` (a lock held, or a server that
    stopped answering). Nothing was stored; the client may retry."""

    status = 503
    slug = "database-busy"
    title = _l("Service unavailable")
    detail = _l("The database is busy and did not answer in time. Try again shortly.")

    def __init__(self) -> None:
        super().__init__(headers={"Retry-After": "5"})


class StorageFull(Problem):
    """The database has no room left for a write (SQLite: disk full; PostgreSQL: 53100).

    A 503, not WebDAV's 507: phones and KoboToolbox retry a 503 later (DOMAIN.md), while Kobo
    would give up on the submission for good on any other answer. Nothing was stored.
    """

    status = 503
    slug = "storage-full"
    title = _l("No space left to store data")
    detail = _l("The server has run out of storage space, so nothing was saved. Try again later.")

    def __init__(self) -> None:
        # An operator has to free space: a phone should not come back within seconds.
        super().__init__(headers={"Retry-After": "60"})


class MalformedBody(Problem):
    status = 400
    slug = "malformed-body"
    title = _l("Malformed request body")
    detail = _l("The body could not be read: send JSON encoded as UTF-8.")


class MalformedRequest(Problem):
    """A request that is not HTTP/1.1 (RFC 9112), refused by the server's parser before any
    route sees it: answered by `apicore.http_protocol`, never raised by a route."""

    status = 400
    slug = "malformed-request"
    title = _l("Malformed request")
    detail = _l(
        "The request could not be read as HTTP/1.1: a control character or space where the "
        "request line or a header does not allow one, or a request line or header too long."
    )


class HeadTooLarge(Problem):
    """A request line with headers over the server's limit (RFC 6585, 5): answered by
    `apicore.http_protocol` before any route sees it, never raised by a route."""

    status = 431
    slug = "headers-too-large"
    title = _l("Request headers too large")
    detail = _l("The request line and headers together may take at most {limit} bytes.")
    example_params = {"limit": 65536}


class RequestTimeout(Problem):
    """A request line and headers not complete within the server's read timeout of their first
    byte (RFC 9110, 15.5.9): answered by `apicore.http_protocol`, never raised by a route."""

    status = 408
    slug = "request-timeout"
    title = _l("Request timeout")
    detail = _l("The request's headers did not arrive within {seconds} s. Send the request again.")
    example_params = {"seconds": 60}


class InternalError(Problem):
    status = 500
    slug = "internal-error"
    title = _l("Internal error")
    detail = _l("Something went wrong on our side. Quote request id {request_id} when reporting it.")


class HTTPProblem(Problem):
    """Any other HTTP error Starlette raises (status set per instance)."""

    slug = "http-error"
    title = _l("Request refused")

    def __init__(self, status: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.status = status  # type: ignore[misc]


# Messages for `errors[].message`, by error code: pydantic's types and our own codes.
_FIELD_MESSAGES: dict[str, LazyText] = {
    "missing": _l("This field is required."),
    "extra_forbidden": _l("Unknown field: this request does not take it."),
    "bool_type": _l("Must be true or false."),
    "bool_parsing": _l("Must be true or false."),
    "int_type": _l("Must be a whole number."),
    "int_parsing": _l("Must be a whole number."),
    "string_type": _l("Must be text."),
    "string_too_short": _l("Too short: the minimum length is {min_length}."),
    "string_too_long": _l("Too long: the maximum length is {max_length}."),
    "too_short": _l("Too few items: the minimum is {min_length}."),
    "too_long": _l("Too many items: the maximum is {max_length}."),
    "enum": _l("Must be one of: {expected}."),
    "literal_error": _l("Must be one of: {expected}."),
    "uuid_type": _l("Must be a UUID."),
    "uuid_parsing": _l("Must be a UUID."),
    "date_type": _l("Must be a date as YYYY-MM-DD."),
    "date_parsing": _l("Must be a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": _l("Must be a date as YYYY-MM-DD."),
    "json_invalid": _l("The body is not valid JSON."),
    "model_attributes_type": _l("Must be an object."),
    "dict_type": _l("Must be an object."),
    "list_type": _l("Must be a list."),
    "string_pattern_mismatch": _l("Has the wrong format."),
    "greater_than_equal": _l("Must be at least {ge}."),
    "less_than_equal": _l("Must be at most {le}."),
    "greater_than": _l("Must be greater than {gt}."),
    "less_than": _l("Must be less than {lt}."),
    "nul_character": _l("Must not contain a NUL character."),
    "surrogate": _l("Contains a broken character (a lone surrogate)."),
    "replacement_character": _l(
        "Contains bytes that are not UTF-8 (shown as U+FFFD): send the text as UTF-8."
    ),
    "control_character": _l("Must not contain control characters."),
    "bidi_control": _l("Must not contain text-direction control characters."),
    "value_error": _l("Invalid value."),
    "string_unicode": _l("Contains a broken character (a lone surrogate)."),
    "invisible_character": _l("Must not contain invisible or formatting characters."),
    "recursion_depth_exceeded": _l("Nested too deeply."),
}
_FALLBACK_MESSAGE = _l("Invalid value.")


def register_field_message(code: str, message: LazyText) -> None:
    """Make `code` render as `message` in `errors[].message` (domain validators call this)."""
    _FIELD_MESSAGES[code] = message


def field_message(error: FieldError, locale: str) -> str:
    """The localised message of one field error; unknown codes get a generic message."""
    template = _FIELD_MESSAGES.get(error.code, _FALLBACK_MESSAGE)
    params = {k: _param_text(v) for k, v in error.params.items()}
    try:
        return template.render(locale, **params)
    except (KeyError, IndexError):
        return _FALLBACK_MESSAGE.render(locale)


def _param_text(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value


def field_path(loc: Iterable[Any]) -> str:
    """Dotted path into the request from a pydantic `loc`, without the `body` prefix.

    `("body", "names", 0, "given")` → `names.0.given`; query and path parameters keep their
    name (`("query", "limit")` → `limit`).
    """
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts)


MAX_FIELD_ERRORS = 50
"""A body with more invalid fields gets the first 50 and `errors_total`: a small request never
gets a huge answer."""


def validation_problem(errors: Iterable[Mapping[str, Any]]) -> ValidationFailed:
    """A 422 problem from pydantic / FastAPI error dicts (at most `MAX_FIELD_ERRORS` of them)."""
    field_errors: list[FieldError] = []
    total = 0
    for err in errors:
        total += 1
        if len(field_errors) >= MAX_FIELD_ERRORS:
            continue
        ctx = dict(err.get("ctx") or {})
        ctx.pop("error", None)
        if isinstance(ctx.get("expected"), str):
            # pydantic writes "'a', 'b' or 'c'" in English: keep the codes, drop the word.
            ctx["expected"] = ctx["expected"].replace(" or ", ", ")
        code = err["type"]
        if code in {"too_long", "too_short"} and isinstance(err.get("input"), str):
            # A length bound over a text type with its own validator (`Annotated[FreeText,
            # StringConstraints(max_length=...)]`) is checked by pydantic as a generic length:
            # "too many items" said of a text. It is a text's length, and is named as one.
            code = "string_" + code
        # A JSON syntax error's location is a byte offset, not a field: it concerns the body.
        path = "" if code == "json_invalid" else field_path(err.get("loc", ()))
        field_errors.append(FieldError(field=path, code=code, params=ctx))
    extensions = {"errors_total": total} if total > len(field_errors) else None
    return ValidationFailed(errors=field_errors, extensions=extensions)


def _instance(request: Request) -> str:
    return request.url.path


async def _problem_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.to_response(_instance(request))


async def _validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    allowed = _path_methods(request)
    if request.method not in allowed:
        # `PATCH /v1/persons/batch` reached `PATCH /v1/persons/{person_id}` and failed on the id,
        # but the path names the batch resource, which has no PATCH.
        return MethodNotAllowed(headers={"Allow": ", ".join(allowed)}).to_response(_instance(request))
    return validation_problem(exc.errors()).to_response(_instance(request))


def _path_methods(request: Request) -> list[str]:
    """The methods of the routes whose path matches the request's, concrete paths first.

    OpenAPI 3.1 (Path Templating Matching): concrete paths are matched before templated ones,
    so `/v1/persons/batch` is the batch resource, not a person whose id is `batch`. Starlette
    tries routes in order and would take the template for a method the concrete path lacks.
    """
    matching = [
        route
        for route in iter_route_contexts(request.app.router.routes)
        if route.matches(request.scope)[0] != Match.NONE
    ]
    fewest = min((len(getattr(route, "param_convertors", {})) for route in matching), default=0)
    methods: set[str] = set()
    for route in matching:
        if len(getattr(route, "param_convertors", {})) == fewest:
            methods |= set(getattr(route, "methods", None) or ())
    return [method for method in _METHODS if method in methods]


def _allowed_methods(request: Request) -> str | None:
    """Every method the path accepts, across all routes (RFC 9110 15.5.6: Allow lists them all).

    The router raises 405 with the methods of the first route whose path matched only, so `GET`
    and `POST` on one path, declared as two routes, would announce one of them.
    """
    return ", ".join(_path_methods(request)) or None


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _unreadable_body(cause: BaseException | None) -> list[FieldError]:
    """Why FastAPI could not parse a body, when it is not the encoding: its 400 ("error
    parsing the body") chains what `json.loads` raised. Python's parser gives up on nesting
    past its recursion limit and on integers of more than 4,300 digits (CPython's guard against
    quadratic conversion, `sys.set_int_max_str_digits`); "send UTF-8" would mislead for both."""
    if isinstance(cause, RecursionError):
        return [FieldError("", "json_too_deep")]
    if isinstance(cause, ValueError) and not isinstance(cause, UnicodeDecodeError) and "digits" in str(cause):
        return [FieldError("", "number_too_long")]
    return []


_BODY_NOT_JSON = _l("The body could not be read as JSON.")
register_field_message(
    "json_too_deep", _l("Nested too deeply: no request of this service needs more than a few levels.")
)
register_field_message("number_too_long", _l("A number in the body has too many digits."))


async def _http_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    problem: Problem
    if exc.status_code == 404:
        problem = NotFound(headers=headers)
    elif exc.status_code == 400:
        problem = MalformedBody(headers=headers, errors=_unreadable_body(exc.__cause__))
        if problem.errors:
            problem.detail = _BODY_NOT_JSON  # type: ignore[misc]  # the encoding was fine
    elif exc.status_code == 405:
        allowed = _allowed_methods(request)
        if allowed:
            headers["Allow"] = allowed
        problem = MethodNotAllowed(headers=headers)
    else:
        problem = HTTPProblem(exc.status_code, headers=headers)
    return problem.to_response(_instance(request))


async def _stale_handler(request: Request, exc: Exception) -> Response:
    from apicore.versioning import StaleRecord  # versioning builds on this module

    return StaleRecord().to_response(_instance(request))


UNREACHABLE_ERRORS: tuple[type[OSError], ...] = (ConnectionError, socket.gaierror)
"""What connecting to a database server raises, unwrapped, when it cannot be reached."""


async def _unreachable_handler(request: Request, exc: Exception) -> Response:
    # The database (or its network) failed us: a transient 503 the client may retry, not a 500.
    _outages(log.warning, "database.unreachable", error=type(exc).__name__)
    return DatabaseUnavailable().to_response(_instance(request))


_OUT_OF_DESCRIPTORS = frozenset({errno.EMFILE, errno.ENFILE})


async def _os_error_handler(request: Request, exc: Exception) -> Response:
    # The process (EMFILE) or the system (ENFILE) has no file descriptor left for a database
    # connection: an overload the client may retry (a newcomer trial got 500s under
    # `ulimit -n 64`). Any other OSError is a bug, answered 500 by the middleware.
    code = getattr(exc, "errno", None)
    if code not in _OUT_OF_DESCRIPTORS:
        raise exc
    _outages(log.warning, "process.out_of_descriptors", error=errno.errorcode.get(code or 0, "?"))
    return DatabaseBusy().to_response(_instance(request))


async def _busy_handler(request: Request, exc: Exception) -> Response:
    # No connection came free, or a statement got no answer, in time: a 503 the client may retry.
    _outages(log.warning, "database.busy", error=type(exc).__name__)
    return DatabaseBusy().to_response(_instance(request))


# PostgreSQL SQLSTATEs (Appendix A) of a server that is away: class 08 (connection exception),
# 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 53300 too_many_connections.
# asyncpg's errors reach SQLAlchemy as a plain DBAPIError, not an OperationalError.
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
_DISK_FULL_SQLSTATE = "53100"
# A SQLite file that is damaged or not a database at all (SQLITE_CORRUPT, SQLITE_NOTADB): not the
# request's fault, and no request can mend it; the operator restores it (README, backups).
_SQLITE_DAMAGED = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
# A database file moved or removed while the process had it open (`apicore.db.moved_error`):
# its writes would be lost at the next start; the operator restarts the service.
_SQLITE_MOVED = sqlite3.SQLITE_READONLY_DBMOVED


def database_problem(exc: DBAPIError) -> Problem | None:
    """The problem to answer for a database error that is not the request's fault.

    Returns:
        `StorageFull` when the database has no room for a write (SQLite `SQLITE_FULL`,
        PostgreSQL 53100), `DatabaseBusy` when another process kept SQLite's lock too long
        (`SQLITE_BUSY`, `SQLITE_LOCKED`), `DatabaseUnavailable` when it cannot be reached or is going away
        (a lost connection, a server shutting down or starting up) or its SQLite file is damaged
        (`SQLITE_CORRUPT`, `SQLITE_NOTADB`) or was moved while open (`SQLITE_READONLY_DBMOVED`),
        None for anything else (a bug, answered as a 500).
    """
    orig = exc.orig
    sqlstate = str(getattr(orig, "sqlstate", None) or "")
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if sqlstate == _DISK_FULL_SQLSTATE or (
        isinstance(sqlite_code, int) and sqlite_code & 0xFF == sqlite3.SQLITE_FULL
    ):
        return StorageFull()
    if lock_held_elsewhere(orig):
        return DatabaseBusy()
    if isinstance(sqlite_code, int) and (
        sqlite_code & 0xFF in _SQLITE_DAMAGED or sqlite_code == _SQLITE_MOVED
    ):
        return DatabaseUnavailable()
    if (
        isinstance(exc, OperationalError | InterfaceError)
        or exc.connection_invalidated
        or sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
    ):
        return DatabaseUnavailable()
    return None


async def _database_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DBAPIError)
    problem = database_problem(exc)
    if problem is None:
        raise exc  # not an outage: the middleware logs it and answers 500
    error = type(exc.orig).__name__
    code = getattr(exc.orig, "sqlite_errorcode", None)
    if isinstance(problem, StorageFull):
        _outages(log.error, "database.storage_full", error=error)
    elif code == _SQLITE_MOVED:
        _outages(log.error, "database.moved", error="SQLITE_READONLY_DBMOVED")
    elif isinstance(code, int) and code & 0xFF in _SQLITE_DAMAGED:
        _outages(log.error, "database.damaged", error=getattr(exc.orig, "sqlite_errorname", error))
    elif isinstance(problem, DatabaseBusy):
        _outages(log.warning, "database.busy", error=error)
    else:
        _outages(log.warning, "database.unreachable", error=error)
    return problem.to_response(_instance(request))


def install_problem_handlers(app: FastAPI) -> None:
    """Render `Problem`, validation and HTTP errors as localised problem documents.

    Unexpected exceptions are rendered by `apicore.middleware` (outside the router), so they
    carry the request id and language too.
    """
    app.add_exception_handler(Problem, _problem_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(StaleDataError, _stale_handler)
    app.add_exception_handler(DBAPIError, _database_error_handler)
    # A refused or reset connection (`ConnectionError`), and a database host name that does
    # not resolve (`socket.gaierror`, an `OSError` but no `ConnectionError`): asyncpg raises
    # both unwrapped while it connects.
    for unreachable in UNREACHABLE_ERRORS:
        app.add_exception_handler(unreachable, _unreachable_handler)
    # Out of file descriptors while opening a connection (`_os_error_handler`); the handlers
    # above and below are for subclasses of OSError and take precedence.
    app.add_exception_handler(OSError, _os_error_handler)
    # SQLAlchemy's pool timeout (`sqlalchemy.exc.TimeoutError`): every connection stayed in use
    # for 30 s (SQLite: its one connection for 5 s), e.g. waiting on another process's lock
    # while requests queue behind it. The built-in TimeoutError: a PostgreSQL statement or connection attempt
    # unanswered within `*_DATABASE_TIMEOUT_SECONDS`. The client may retry later.
    for busy in (TimeoutError, PoolTimeout):
        app.add_exception_handler(busy, _busy_handler)


def problem_responses(*problems: type[Problem]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems a route can answer with.

    `apicore.openapi` turns the `x-problems` marker into the schema and examples in kk, ru, ar.
    """
    out: dict[int | str, dict[str, Any]] = {}
    for problem in problems:
        entry = out.setdefault(problem.status, {"description": "", "x-problems": []})
        title = problem.title.render("en")
        entry["description"] = f"{entry['description']} / {title}" if entry["description"] else title
        entry["x-problems"].append(problem_key(problem))
    return out

"""Pure ASGI middleware around every request: language, body limit, metrics, access log, and
the last-resort rendering of unexpected errors as a problem with the request id.
"""

from __future__ import annotations

import time
import traceback
from collections import deque
from typing import Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from apicore.i18n import negotiate_locale, set_locale
from apicore.problems import BodyTooLarge, InternalError, Problem
from apicore.requestids import current_request_id

log = structlog.get_logger("apicore.http")


class _BodyLimitExceeded(Exception):
    """Raised from `receive` when the streamed body passes the limit."""


class HTTPMetrics:
    """Prometheus request metrics of one app, in its own registry (two apps may share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests_total",
            "Requests answered",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer a request",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


CLIENT_CLOSED_REQUEST = 499
"""The status counted for a request whose client left before it was read (nginx's 499)."""


class ServiceMiddleware:
    """Negotiates the language, limits the body, measures, logs and renders unexpected errors.

    Args:
        app: the wrapped ASGI app.
        max_body_bytes: larger bodies get 413, whether announced by `Content-Length` or streamed.
        metrics: where to count requests.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, metrics: HTTPMetrics) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        locale = negotiate_locale(headers.get(b"accept-language", b"").decode("latin-1"))
        set_locale(locale)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_language(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message_headers = _cache_rules(list(message.get("headers", [])))
                # A replayed answer keeps the language it was written in; others get ours.
                if not any(k.lower() == b"content-language" for k, _ in message_headers):
                    message_headers.append((b"content-language", locale.encode()))
                message = {**message, "headers": message_headers}
            await send(message)

        limit = self.max_body_bytes
        declared = headers.get(b"content-length")
        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise _BodyLimitExceeded
            # Read the body here, before the app: raised from inside the app's `receive`, the
            # limit would reach FastAPI's body parsing, which turns any error into a 400.
            await self.app(scope, await _limited_body(receive, limit), send_with_language)
        except _BodyLimitExceeded:
            if not response_started:
                await _send_problem(BodyTooLarge(limit=limit), scope, send_with_language)
        except ClientDisconnect:
            # The client went away before its body arrived (a phone losing its network): no
            # answer can reach it and nothing was written. Not a failure of ours: 499 in the
            # metrics and the access line, as nginx counts a client that closed the request.
            status = CLIENT_CLOSED_REQUEST
        except Exception as exc:
            # Not the exception's text: SQLAlchemy writes the statement's parameters into it and
            # PostgreSQL the offending key ("Key (iin)=(...)"): personal data (STYLE.md, Logs).
            log.error(
                "request.failed",
                method=scope["method"],
                route=_route_template(scope),
                error=_exception_types(exc),
                stack="".join(traceback.format_list(traceback.extract_tb(exc.__traceback__))),
            )
            if not response_started:
                request_id = current_request_id() or "-"
                await _send_problem(InternalError(request_id=request_id), scope, send_with_language)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(elapsed)
            log.info(
                "request",
                method=scope["method"],
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )


def _cache_rules(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """`headers` with what no cache may ignore: `Cache-Control: no-store` unless the route set
    its own (the answers are about children: no browser, proxy or phone cache keeps a copy,
    RFC 9111, 5.2.2.5), and `Vary: Accept-Language`, as every answer may be in the language
    asked for (RFC 9110, 12.5.5)."""
    names = {name.lower() for name, _ in headers}
    if b"cache-control" not in names:
        headers.append((b"cache-control", b"no-store"))
    vary = [i for i, (name, _) in enumerate(headers) if name.lower() == b"vary"]
    if not vary:
        headers.append((b"vary", b"Accept-Language"))
    elif not any(b"accept-language" in headers[i][1].lower() for i in vary):
        name, value = headers[vary[0]]
        headers[vary[0]] = (name, value + b", Accept-Language")
    return headers


async def _limited_body(receive: Receive, limit: int) -> Receive:
    """Read the request body (at most `limit` bytes) and return a `receive` that replays it.

    Raises:
        _BodyLimitExceeded: the body, streamed or announced falsely, passes `limit`.
    """
    messages: list[Message] = []
    received = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break  # the client went away: the app learns it from the replay
        received += len(message.get("body", b""))
        if received > limit:
            raise _BodyLimitExceeded
        if not message.get("more_body", False):
            break
    pending = deque(messages)

    async def replay() -> Message:
        return pending.popleft() if pending else await receive()

    return replay


def _exception_types(exc: BaseException) -> str:
    """`IntegrityError <- UniqueViolationError`: the types of an exception and its causes."""
    names: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(names) < 5:
        names.append(type(current).__qualname__)
        current = current.__cause__ or current.__context__
    return " <- ".join(names)


async def _send_problem(problem: Problem, scope: Scope, send: Send) -> None:
    response = problem.to_response(scope.get("path"))
    await response(scope, _no_body, send)


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}

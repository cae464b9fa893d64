"""The HTTP/1.1 protocol the services serve with: uvicorn's httptools protocol, with a request
its parser refuses answered as an RFC 9457 problem instead of uvicorn's plain text.

Why: a request whose bytes are not HTTP/1.1 (a DEL or NUL in a header, a space in a header
name, a request line that is not one, a broken chunk size, a URL too long for the parser) is
refused by the parser before the app sees it. uvicorn answered that with `text/plain` "Invalid
HTTP request received.", the one error of the services that was not a problem document in the
client's language. Passed to uvicorn as `http=` (`uvicorn.Config`: a protocol class, or its
import path, which spawned worker processes import again).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import structlog
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from apicore.i18n import negotiate_locale, use_locale
from apicore.middleware import HTTPMetrics
from apicore.problems import PROBLEM_JSON, MalformedRequest
from apicore.requestids import REQUEST_ID_HEADER

log = structlog.get_logger("apicore.http")

IMPORT_PATH = "apicore.http_protocol:ProblemHttpToolsProtocol"
"""What `uvicorn.run(http=...)` is given."""


def malformed_request_answer(
    headers: list[tuple[bytes, bytes]],
    default_headers: list[tuple[bytes, bytes]],
    request_id: str | None = None,
) -> bytes:
    """The whole HTTP/1.1 answer to a request the parser refused: status line, headers and a
    `malformed-request` problem (400) in the language of the request's `Accept-Language`, if
    the parser got to it before the fault, else the default language (RFC 9457; RFC 9110
    §15.5.1). The connection is closed after it (`Connection: close`), as what follows the
    fault in the stream cannot be trusted to start a request.

    Args:
        headers: the request's headers parsed before the fault, as (lower-case name, value).
        default_headers: uvicorn's own (`server`, `date`), sent with every answer.
        request_id: sent as `X-Request-ID` and in the problem, as every other answer has one.
    """
    accept = next((value for name, value in headers if name == b"accept-language"), None)
    locale = negotiate_locale(accept.decode("latin-1") if accept is not None else None)
    with use_locale(locale):
        problem = MalformedRequest().body(locale, None)
    if request_id is not None:
        problem["request_id"] = request_id
    body = json.dumps(problem, ensure_ascii=False).encode()
    content = [STATUS_LINE[400]]
    for name, value in default_headers:
        content.extend([name, b": ", value, b"\r\n"])
    if request_id is not None:
        content.append(REQUEST_ID_HEADER.lower().encode() + b": " + request_id.encode() + b"\r\n")
    content.extend(
        [
            b"content-type: " + PROBLEM_JSON.encode() + b"\r\n",
            b"content-language: " + locale.encode() + b"\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"cache-control: no-store\r\n",
            b"connection: close\r\n",
            b"\r\n",
            body,
        ]
    )
    return b"".join(content)


UNPARSED_ROUTE = "unparsed"
"""The `route` label (metrics) and field (access log) of a request the parser refused."""


def _metrics_of(app: Any) -> HTTPMetrics | None:
    """The service's `HTTPMetrics` under uvicorn's wrappers (proxy headers, ...), or None."""
    for _ in range(10):
        metrics = getattr(getattr(app, "state", None), "metrics", None)
        if isinstance(metrics, HTTPMetrics):
            return metrics
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol answering a request it cannot parse with a localised
    `malformed-request` problem (400) and closing the connection; everything else is uvicorn's.

    The refusal is counted in `/metrics` and logged as a `request` line (route `unparsed`,
    status 400) with the request id it was answered with, like every other answer, so an
    operator sees a client sending broken bytes; uvicorn also logs its warning "Invalid HTTP
    request received.". Neither carries the request's bytes."""

    def send_400_response(self, msg: str) -> None:
        # `headers` is set at the start of a message: a fault in the request line comes first.
        parsed = self.headers or []
        request_id = uuid.uuid4().hex  # asgi-correlation-id's form: the middleware never ran
        self.transport.write(malformed_request_answer(parsed, self.server_state.default_headers, request_id))
        self.transport.close()
        metrics = _metrics_of(self.app)
        if metrics is not None:
            metrics.requests.labels("-", UNPARSED_ROUTE, "400").inc()
        log.info(
            "request", method="-", route=UNPARSED_ROUTE, status=400, duration_ms=0.0, request_id=request_id
        )

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

import asyncio
import contextlib
import json
import re
import uuid
from typing import Any

import httptools
import structlog
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from apicore.i18n import negotiate_locale, use_locale
from apicore.middleware import HTTPMetrics
from apicore.problems import PROBLEM_JSON, HeadTooLarge, MalformedRequest, Problem
from apicore.requestids import REQUEST_ID_HEADER

log = structlog.get_logger("apicore.http")

IMPORT_PATH = "apicore.http_protocol:ProblemHttpToolsProtocol"
"""What `uvicorn.run(http=...)` is given."""


def malformed_request_answer(
    headers: list[tuple[bytes, bytes]],
    default_headers: list[tuple[bytes, bytes]],
    request_id: str | None = None,
    problem: Problem | None = None,
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
        problem: what to answer instead of `MalformedRequest` (`HeadTooLarge`: 431).
    """
    problem = problem or MalformedRequest()
    accept = next((value for name, value in headers if name == b"accept-language"), None)
    locale = negotiate_locale(accept.decode("latin-1") if accept is not None else None)
    with use_locale(locale):
        document = problem.body(locale, None)
    if request_id is not None:
        document["request_id"] = request_id
    body = json.dumps(document, ensure_ascii=False).encode()
    content = [STATUS_LINE[problem.status]]
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


LINGER_SECONDS = 2.0
"""How long the rest of a refused request is read and dropped before the connection closes."""
_HEAD_END = re.compile(rb"\r?\n\r?\n")
MAX_HEAD_BYTES = 64 * 1024
"""The most a request line and its headers may take together: a phone's request needs under
2 KiB. uvicorn's httptools protocol sets no bound, and a header arriving without end would be
held in memory until the connection drops (nginx refuses past 4 × 8 KiB by default)."""


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol answering a request it cannot parse with a localised
    `malformed-request` problem (400), and a request line with headers over `MAX_HEAD_BYTES`
    with `headers-too-large` (431, RFC 6585), closing the connection; everything else is
    uvicorn's.

    The refusal is counted in `/metrics` and logged as a `request` line (route `unparsed`)
    with the request id it was answered with, like every other answer, so an operator sees a
    client sending broken bytes; uvicorn also logs its warning "Invalid HTTP request
    received." for a 400. Neither carries the request's bytes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0  # of the head being received
        self._tail = b""  # its last bytes, for an end of head split between two reads
        self._in_body = False
        self._milestones = 0  # heads and messages completed
        self._refused = False

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the rest of a refused request, read only so that the answer arrives
        if not self._in_body:
            # Counted before the parser sees the bytes: once it has the whole head, the request
            # is on its way to the app. A read holds at most 256 KiB, the bound on what is fed.
            found = _HEAD_END.search(self._tail + data)
            head = len(data) if found is None else max(0, found.end() - len(self._tail))
            if self._head_bytes + head > MAX_HEAD_BYTES:
                # The headers before the limit, for the language of the answer; not the end.
                with contextlib.suppress(httptools.HttpParserError):
                    self.parser.feed_data(data[: max(0, MAX_HEAD_BYTES - self._head_bytes)])
                self._refuse(HeadTooLarge(limit=MAX_HEAD_BYTES))
                return
            self._head_bytes += head
            self._tail = data[-3:]
        milestones = self._milestones
        super().data_received(data)
        if self._milestones != milestones:
            # A head or a message ended within these bytes: the next head counts from zero
            # (bytes of it in this read go uncounted, which only errs towards letting it in).
            self._head_bytes, self._tail = 0, b""

    def on_headers_complete(self) -> None:
        self._in_body = True
        self._milestones += 1
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        self._milestones += 1
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        self._refuse(MalformedRequest())

    def _refuse(self, problem: Problem) -> None:
        # `headers` is set at the start of a message: a fault in the request line comes first.
        parsed = self.headers or []
        request_id = uuid.uuid4().hex  # asgi-correlation-id's form: the middleware never ran
        self.transport.write(
            malformed_request_answer(parsed, self.server_state.default_headers, request_id, problem)
        )
        # A lingering close, as nginx's: closed at once with bytes of the request still unread,
        # the socket sends a reset, which can destroy the answer before the client reads it.
        # So: our side ends (FIN), what still comes is read and dropped, and the connection is
        # closed when the client closes it or after `LINGER_SECONDS`.
        self._refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
            asyncio.get_running_loop().call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()
        metrics = _metrics_of(self.app)
        if metrics is not None:
            metrics.requests.labels("-", UNPARSED_ROUTE, str(problem.status)).inc()
        log.info(
            "request",
            method="-",
            route=UNPARSED_ROUTE,
            status=problem.status,
            duration_ms=0.0,
            request_id=request_id,
        )

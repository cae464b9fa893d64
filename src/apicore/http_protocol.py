"""The HTTP/1.1 protocol the services serve with: uvicorn's httptools protocol, with what it
refuses before the app answered as RFC 9457 problems, and the bounds it lacks.

Why: a request whose bytes are not HTTP/1.1 (a DEL or NUL in a header, a space in a header
name, a request line that is not one, a broken chunk size) is refused by the parser before the
app sees it. uvicorn answered that with `text/plain` "Invalid HTTP request received.", the one
error of the services that was not a problem document in the client's language. It also set no
bound on a request's head (size or time) nor on a body that stops arriving, and a refusal that
followed pipelined requests was written before their answers, which were then lost although
their writes were stored. Passed to uvicorn as `http=` (`uvicorn.Config`: a protocol class, or
its import path, which spawned worker processes import again).
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

from apicore.i18n import _l, negotiate_locale, use_locale
from apicore.middleware import HTTPMetrics
from apicore.problems import PROBLEM_JSON, HeadTooLarge, MalformedRequest, Problem, RequestTimeout
from apicore.requestids import REQUEST_ID_HEADER

log = structlog.get_logger("apicore.http")

IMPORT_PATH = "apicore.http_protocol:ProblemHttpToolsProtocol"
"""What `uvicorn.run(http=...)` is given."""


def malformed_request_answer(
    headers: list[tuple[bytes, bytes]],
    default_headers: list[tuple[bytes, bytes]],
    request_id: str | None = None,
    problem: Problem | None = None,
    instance: str | None = None,
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
        instance: the request's path, when the parser got to it.
    """
    problem = problem or MalformedRequest()
    accept = next((value for name, value in headers if name == b"accept-language"), None)
    locale = negotiate_locale(accept.decode("latin-1") if accept is not None else None)
    with use_locale(locale):
        document = problem.body(locale, instance)
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
            b"vary: Accept-Language\r\n",
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


LINGER_SECONDS = 2.0
"""How long the rest of a refused request is read and dropped before the connection closes."""
_HEAD_END = re.compile(rb"\r?\n\r?\n")
MAX_HEAD_BYTES = 64 * 1024
"""The most a request line and its headers may take together: a phone's request needs under
2 KiB. uvicorn's httptools protocol sets no bound, and a header arriving without end would be
held in memory until the connection drops (nginx refuses past 4 × 8 KiB by default)."""
DEFAULT_READ_TIMEOUT_SECONDS = 60.0
"""nginx's `client_header_timeout` and `client_body_timeout`; the services take theirs from
`*_CLIENT_READ_TIMEOUT_SECONDS`."""
ONE_HOST = _l("An HTTP/1.1 request carries exactly one Host header (RFC 9112).")
NO_UPGRADE = _l(
    "This service speaks HTTP/1.1 only: send the request without an Upgrade header (curl: without --http2)."
)
_ACCEPT_LANGUAGE = re.compile(rb"\naccept-language[ \t]*:[ \t]*([^\r\n]*)", re.IGNORECASE)
_FRAMING_PER_PIECE = 64
"""Bytes of chunk framing allowed per piece of body (a size line of up to 16 hex digits, CRLFs):
what passes `MAX_HEAD_BYTES` plus this for each piece is trailers or chunk extensions."""


def _service_state(app: Any) -> Any:
    """The service app's `state` under uvicorn's wrappers (proxy headers, ...), or None."""
    for _ in range(10):
        state = getattr(app, "state", None)
        if state is not None and isinstance(getattr(state, "metrics", None), HTTPMetrics):
            return state
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None


def _metrics_of(app: Any) -> HTTPMetrics | None:
    """The service's `HTTPMetrics`, or None."""
    state = _service_state(app)
    return None if state is None else state.metrics


def _read_timeout_of(app: Any) -> float:
    """The service's `client_read_timeout_seconds` (set once its lifespan has started)."""
    ctx = getattr(_service_state(app), "ctx", None)
    value = getattr(getattr(ctx, "settings", None), "client_read_timeout_seconds", None)
    return float(value) if value else DEFAULT_READ_TIMEOUT_SECONDS


# RFC 3986's `host [ ":" port ]`: a registered name (unreserved, sub-delims, %-escapes) or an
# IP literal in brackets; empty is allowed (RFC 9112, 3.2: a target without an authority).
_HOST_VALUE = re.compile(rb"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+;=]*)(:[0-9]*)?")


def one_host(headers: list[tuple[bytes, bytes]], http_version: str) -> bool:
    """Whether a request has the `Host` it must: RFC 9112, 3.2 has a server answer 400 to an
    HTTP/1.1 request without one, to any request with two (which authority is meant would
    depend on who reads it) and to one whose value is not a host (`a, b`, a space). HTTP/1.0
    may leave it out."""
    hosts = [value for name, value in headers if name == b"host"]
    if not hosts:
        return http_version == "1.0"
    return len(hosts) == 1 and _HOST_VALUE.fullmatch(hosts[0].strip()) is not None


class ProblemHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing the connection after each refusal it answers:

    - bytes the parser refuses, or an HTTP/1.1 head without its one `Host`: 400
      `malformed-request`;
    - a request line with headers over `MAX_HEAD_BYTES`: 431 `headers-too-large` (RFC 6585);
    - a head not complete within the read timeout of its first byte: 408 `request-timeout`;
    - a body from which nothing arrives for the read timeout: the connection is closed (the
      request is logged as the client's leaving, 499);
    - a refusal behind pipelined requests still being answered waits for their answers.

    Each refusal carries an `X-Request-ID`, is counted in `/metrics` and logged as a `request`
    line with route `unparsed`, like every other answer; uvicorn also logs its warning "Invalid
    HTTP request received." for bytes its parser refused. Neither carries the request's bytes.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_bytes = 0  # of the head being received
        self._tail = b""  # its last bytes, for an end of head split between two reads
        self._in_body = False
        self._milestones = 0  # heads and messages completed
        self._refused = False
        self._deferred: tuple[Problem, list[tuple[bytes, bytes]]] | None = None
        self._read_timer: asyncio.TimerHandle | None = None
        self._running: Any = None  # the request cycle whose app runs now
        self._read_timeout = _read_timeout_of(self.app)
        self._head = bytearray()  # the raw head being received, for the language of a refusal
        self._parsed_head = 0  # bytes of the head the parser handed over (URL, fields)
        self._body_wire = 0  # bytes received within the body, framing included
        self._body_data = 0  # of which body (what `on_body` got)
        self._body_pieces = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that never sends a byte is a head too slow, not an idle keep-alive.
        self._start_read_timer(self._head_too_slow)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the rest of a refused request, read only so that the answer arrives
        was_in_body, head = self._in_body, 0
        if not self._in_body:
            if self._read_timer is None:
                self._start_read_timer(self._head_too_slow)  # a head: from its first byte
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
            self._head += data[:head]
        else:
            self._body_wire += len(data)
        milestones = self._milestones
        super().data_received(data)
        if self._milestones != milestones:
            # A head or a message ended within these bytes. What the parser handed over of a
            # next head counts (a pipelined request's); a field it holds unfinished is counted
            # with the next read.
            self._head_bytes, self._tail, self._head = self._parsed_head, b"", bytearray()
        if self._refused or self.transport.is_closing():
            return
        if self._in_body:
            if not was_in_body:
                self._body_wire = len(data) - head  # what followed the head in this read
            # Chunk framing beyond a few bytes a piece is trailers or extensions, which uvicorn
            # keeps in memory as they come: bounded like a head.
            if self._body_wire - self._body_data > MAX_HEAD_BYTES + _FRAMING_PER_PIECE * self._body_pieces:
                self._refuse(HeadTooLarge(limit=MAX_HEAD_BYTES))
                return
            self._start_read_timer(self._body_stalled)  # the body goes on: silence from now
        elif self._head_bytes > MAX_HEAD_BYTES:
            self._refuse(HeadTooLarge(limit=MAX_HEAD_BYTES))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._parsed_head = 0

    def on_url(self, url: bytes) -> None:
        self._parsed_head += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._parsed_head += len(name) + len(value) + 4
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._body_wire = self._body_data = self._body_pieces = 0
        self._in_body = True
        self._milestones += 1
        self._stop_read_timer()
        if self._refused:
            return
        if self._parsed_head > MAX_HEAD_BYTES:
            # A head that came whole in one read behind another request's (pipelined).
            self._refuse(HeadTooLarge(limit=MAX_HEAD_BYTES))
            return
        if not one_host(self.headers, self.parser.get_http_version()):
            problem = MalformedRequest()
            problem.detail = ONE_HOST  # type: ignore[misc]  # the parser's faults are others
            self._refuse(problem)
            return
        upgrade = self.parser.should_upgrade()
        if upgrade and any(name in {b"content-length", b"transfer-encoding"} for name, _ in self.headers):
            # The parser stops at the head of a request asking to switch protocols: its body
            # would be lost and the handler would say the body is missing. No switch is made.
            problem = MalformedRequest()
            problem.detail = NO_UPGRADE  # type: ignore[misc]
            self._refuse(problem)
            return
        super().on_headers_complete()
        if upgrade and self.cycle is not None:
            # Answered as HTTP/1.1; the parser reads nothing after it, so the connection closes
            # after the answer instead of leaving requests sent behind it unanswered.
            self.cycle.keep_alive = False

    def on_body(self, body: bytes) -> None:
        self._body_data += len(body)
        self._body_pieces += 1
        if not self._refused:
            super().on_body(body)

    def _unsupported_upgrade_warning(self) -> None:
        pass  # an Upgrade is answered as HTTP (above); uvicorn's advice to install a library is not ours

    def on_message_complete(self) -> None:
        self._in_body = False
        self._milestones += 1
        self._stop_read_timer()
        if not self._refused:
            super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._deferred is not None and not self._in_flight() and not self.transport.is_closing():
            if self.timeout_keep_alive_task is not None:
                self.timeout_keep_alive_task.cancel()
                self.timeout_keep_alive_task = None
            problem, parsed = self._deferred
            self._deferred = None
            self._answer_refusal(problem, parsed)

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_read_timer()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        self._refuse(MalformedRequest())

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        self._running = cycle
        super()._start_asgi_task(cycle, app)

    def _in_flight(self) -> bool:
        """Whether requests before the refused one are still being answered (pipelining)."""
        running = self._running
        return bool(self.pipeline) or (running is not None and not running.response_complete)

    def _start_read_timer(self, handler: Any) -> None:
        self._stop_read_timer()
        self._read_timer = self.loop.call_later(self._read_timeout, handler)

    def _stop_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _head_too_slow(self) -> None:
        self._read_timer = None
        if not self._refused and not self.transport.is_closing():
            self._refuse(RequestTimeout(seconds=round(self._read_timeout)))

    def _body_stalled(self) -> None:
        # The app is reading the body: an answer now would race its own. Closed, the request
        # ends as a client that left (499), and nothing it would have written is kept.
        self._read_timer = None
        if self.flow.read_paused:
            # We stopped reading (the app is behind, or answers pipelined requests first): the
            # client is not the one keeping silent.
            self._start_read_timer(self._body_stalled)
        elif not self.transport.is_closing():
            self.transport.close()

    def _refuse(self, problem: Problem) -> None:
        if self._refused:
            return
        self._refused = True
        self._stop_read_timer()
        # `headers` is set at the start of a message: a fault in the request line comes first.
        # The parser hands a field over only once the next one has begun: the language is
        # also looked for in the raw head, so a fault in the field after it keeps it.
        parsed = list(self.headers or [])
        found = _ACCEPT_LANGUAGE.search(bytes(self._head))
        if found is not None and not any(name == b"accept-language" for name, _ in parsed):
            parsed.append((b"accept-language", found.group(1).strip()))
        if self._in_body and self.cycle is not None:
            # The fault is in the body of the latest request: queued behind others, it never
            # runs; already running, its app is reading this body and learns of the end by
            # the close, so the refusal goes now (it is this request's answer).
            for entry in list(self.pipeline):
                if entry[0] is self.cycle:
                    self.pipeline.remove(entry)
            if self._running is self.cycle:
                self._answer_refusal(problem, parsed)
                return
        if self._in_flight():
            # The answers to the requests before this one go first, then the refusal.
            self._deferred = (problem, parsed)
            return
        self._answer_refusal(problem, parsed)

    def _answer_refusal(self, problem: Problem, parsed: list[tuple[bytes, bytes]]) -> None:
        request_id = uuid.uuid4().hex  # asgi-correlation-id's form: the middleware never ran
        instance = None
        if getattr(self, "url", None):  # set at a message's start, not before
            with contextlib.suppress(httptools.HttpParserInvalidURLError, UnicodeDecodeError):
                instance = httptools.parse_url(self.url).path.decode("ascii")
        self.transport.write(
            malformed_request_answer(parsed, self.server_state.default_headers, request_id, problem, instance)
        )
        # A lingering close, as nginx's: closed at once with bytes of the request still unread,
        # the socket sends a reset, which can destroy the answer before the client reads it.
        # So: our side ends (FIN), what still comes is read and dropped, and the connection is
        # closed when the client closes it or after `LINGER_SECONDS`.
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)
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

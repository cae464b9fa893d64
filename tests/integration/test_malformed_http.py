"""Bytes that are not HTTP/1.1, sent to the real servers: a localised problem, not plain text.

uvicorn's parser refuses these before any route runs, so only a real process shows what a client
gets. The HTTP layer is the same on both databases: SQLite only.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from dataclasses import dataclass

import httpx
import pytest

from apicore.auth import Role
from apicore.problems import PROBLEM_JSON, PROBLEM_TYPE_PREFIX
from tests.integration.conftest import Deployment, bearer, child
from tests.support.families import seed_operations_sync

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

TITLES = {
    "en": "Malformed request",
    "ru": "Некорректный запрос",
    "kk": "Сұрау форматы қате",
    "ar": "طلب غير سليم",
}


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def send_raw(url: str, data: bytes) -> Answer:
    """Send `data` as is and read the answer until the server closes the connection."""
    head, _, body = exchange(url, data).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return Answer(int(lines[0].split(" ")[1]), {k.lower(): v for k, v in headers.items()}, body)


def assert_malformed(answer: Answer, locale: str) -> None:
    assert answer.status == 400, answer
    assert answer.headers["content-type"] == PROBLEM_JSON
    assert answer.headers["content-language"] == locale
    assert answer.headers["connection"] == "close"
    assert int(answer.headers["content-length"]) == len(answer.body)
    problem = json.loads(answer.body)
    assert problem["type"] == PROBLEM_TYPE_PREFIX + "malformed-request"
    assert problem["status"] == 400
    assert problem["title"] == TITLES[locale]
    assert problem["detail"]


GET = b"GET /healthz HTTP/1.1\r\n"
FAULTS = {
    "DEL in a header value": GET + b"Host: x\r\nAccept-Language: ru\r\nX-Note: a\x7fb\r\n\r\n",
    "NUL in a header value": GET + b"Host: x\r\nAccept-Language: ar\r\nX-Note: a\x00b\r\n\r\n",
    # The parser hands over a header once the next one starts: Host follows the language.
    "a space in a header name": GET + b"Accept-Language: kk\r\nHost: x\r\nX Note: 1\r\n\r\n",
    "not a request line": b"HELLO THERE\r\n\r\n",
    "a method with a NUL": b"GE\x00T /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
}
"""Each fault and the language its answer must be in (from the headers read before it)."""

LOCALES = {
    "DEL in a header value": "ru",
    "NUL in a header value": "ar",
    "a space in a header name": "kk",
    "not a request line": "en",
    "a method with a NUL": "en",
}


def test_bytes_that_are_not_http_get_a_localised_problem_from_both_services(deployment: Deployment) -> None:
    deployment.docs.start()
    deployment.intake.start()
    for service in (deployment.intake, deployment.docs):
        for fault, data in FAULTS.items():
            answer = send_raw(service.url, data)
            try:
                assert_malformed(answer, LOCALES[fault])
            except AssertionError as failure:
                raise AssertionError(f"{service.script}: {fault}") from failure
        # The server goes on serving, and logged the refusals without their bytes.
        assert httpx.get(f"{service.url}/healthz", timeout=5).status_code == 200
        logs = service.logs()
        assert "Invalid HTTP request received." in logs
        for sent in ("a\\u007fb", "X-Note", "HELLO"):
            assert sent not in logs
        # Each is an access line and a count like any answer, under the id it was answered with.
        lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
        refused = [
            line for line in lines if line.get("event") == "request" and line.get("route") == "unparsed"
        ]
        assert len(refused) == len(FAULTS)
        assert all(line["status"] == 400 and line["request_id"] for line in refused)
        metrics = httpx.get(f"{service.url}/metrics", timeout=5).text
        assert f'http_requests_total{{method="-",route="unparsed",status="400"}} {len(FAULTS)}.0' in metrics
    last = send_raw(deployment.intake.url, FAULTS["not a request line"])
    assert json.loads(last.body)["request_id"] == last.headers["x-request-id"]


def test_a_broken_chunked_body_stores_nothing(deployment: Deployment) -> None:
    deployment.docs.start()
    deployment.intake.start()
    field_worker = bearer(deployment.intake_keys[Role.field_worker])
    token = field_worker["Authorization"].encode()
    data = (
        b"POST /v1/persons HTTP/1.1\r\nHost: x\r\nAccept-Language: ru\r\nAuthorization: " + token + b"\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'5\r\n{"a":\r\nzz\r\n'
    )
    assert_malformed(send_raw(deployment.intake.url, data), "ru")
    case_worker = bearer(deployment.intake_keys[Role.case_worker])
    listed = httpx.get(f"{deployment.intake.url}/v1/persons", headers=case_worker, timeout=5)
    assert listed.status_code == 200
    assert listed.json()["items"] == []


@pytest.mark.parametrize(
    ("hosts", "locale"),
    [(b"", "kk"), (b"Host: a\r\nHost: b\r\n", "ar"), (b"Host: a, b\r\n", "ru")],
    ids=["no Host", "two Hosts", "a list for a Host"],
)
def test_an_http11_request_needs_exactly_one_host(deployment: Deployment, hosts: bytes, locale: str) -> None:
    # RFC 9112, 3.2: the server must answer 400, and the request goes no further.
    deployment.docs.start()
    deployment.intake.start()
    field_worker = bearer(deployment.intake_keys[Role.field_worker])
    body = json.dumps({"id": "5a110000-0000-4000-8000-000000000001"}).encode()
    data = (
        b"POST /v1/persons HTTP/1.1\r\n" + hosts + b"Accept-Language: " + locale.encode() + b"\r\n"
        b"Authorization: " + field_worker["Authorization"].encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    for service in (deployment.intake, deployment.docs):
        answer = send_raw(service.url, data)
        assert answer.status == 400, answer
        problem = json.loads(answer.body)
        assert problem["type"] == PROBLEM_TYPE_PREFIX + "malformed-request"
        assert problem["title"] == TITLES[locale]
        assert "Host" in problem["detail"]
        assert answer.headers["content-language"] == locale
        assert answer.headers["connection"] == "close"  # send_raw reads until the server closes
        assert problem["request_id"] == answer.headers["x-request-id"]
        logged = [json.loads(line) for line in service.logs().splitlines() if line.startswith("{")]
        assert any(
            line.get("route") == "unparsed" and line.get("request_id") == problem["request_id"]
            for line in logged
        )
    # HTTP/1.0 may leave Host out.
    answer = send_raw(deployment.intake.url, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert answer.status == 200
    case_worker = bearer(deployment.intake_keys[Role.case_worker])
    listed = httpx.get(f"{deployment.intake.url}/v1/persons", headers=case_worker, timeout=5)
    assert listed.json()["items"] == []


def test_a_head_over_64_kib_is_431_and_a_large_body_is_not_a_head(deployment: Deployment) -> None:
    # uvicorn's httptools protocol held any head in memory, however long; a body is not a head.
    deployment.intake.start()
    field_worker = bearer(deployment.intake_keys[Role.field_worker])
    url = deployment.intake.url
    start = GET + b"Host: x\r\nAccept-Language: kk\r\n"
    heads = {
        "one header of 100 KiB": start + b"X-Note: " + b"a" * 100_000 + b"\r\n\r\n",
        "2,000 headers of 40 bytes": start
        + b"".join(b"X-N%d: %s\r\n" % (i, b"b" * 30) for i in range(2000))
        + b"\r\n",
        "a URL of a megabyte": b"GET /healthz?" + b"q" * 1_000_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    }
    for name, data in heads.items():
        answer = send_raw(url, data)
        assert answer.status == 431, name
        problem = json.loads(answer.body)
        assert problem["type"] == PROBLEM_TYPE_PREFIX + "headers-too-large", name
        assert "65536" in problem["detail"], name
        assert answer.headers["connection"] == "close", name
    # A body of 600 KB and a request after it on the same connection: both answered.
    big = json.dumps({"id": "not-a-uuid", "notes": "ы" * 300_000}).encode()
    token = field_worker["Authorization"].encode()
    data = (
        b"POST /v1/persons HTTP/1.1\r\nHost: x\r\nAuthorization: " + token + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(big)).encode() + b"\r\n\r\n" + big
        + b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )  # fmt: skip
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(data)
        received = b""
        while chunk := s.recv(65536):
            received += chunk
    statuses = [int(status) for status in re.findall(rb"HTTP/1\.1 (\d{3}) ", received)]
    assert statuses == [422, 200]
    metrics = httpx.get(f"{url}/metrics", timeout=5).text
    assert 'http_requests_total{method="-",route="unparsed",status="431"} 3.0' in metrics


def exchange(url: str, data: bytes, *, pause: float = 0.0, parts: int = 1) -> bytes:
    """Send `data` in `parts` pieces `pause` seconds apart, then read until the server closes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=15) as s:
        size = -(-len(data) // parts)
        for start in range(0, len(data), size):
            try:
                s.sendall(data[start : start + size])
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed: read what it said
            time.sleep(pause)
        received = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := s.recv(65536):
                received += chunk
    return received


def statuses(received: bytes) -> list[int]:
    return [int(status) for status in re.findall(rb"HTTP/1\.1 (\d{3}) ", received)]


def test_a_refusal_behind_pipelined_requests_waits_for_their_answers(deployment: Deployment) -> None:
    # Before, the 400 was written at once and the connection closed: the 201 before it never
    # reached the phone, although the person was stored.
    deployment.intake.start()
    field_worker = bearer(deployment.intake_keys[Role.field_worker])
    case_worker = bearer(deployment.intake_keys[Role.case_worker])
    url = deployment.intake.url
    with httpx.Client(timeout=5) as client:
        seed_operations_sync(client, url, deployment.intake_keys[Role.admin])
    person = child()
    body = json.dumps(person).encode()
    post = (
        b"POST /v1/persons HTTP/1.1\r\nHost: x\r\nAuthorization: " + field_worker["Authorization"].encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
        + b"\r\n\r\n" + body
    )  # fmt: skip
    received = exchange(url, post + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + b"BAD LINE\r\n\r\n")
    assert statuses(received) == [201, 200, 400]
    read = httpx.get(f"{url}/v1/persons/{person['id']}", headers=case_worker, timeout=5)
    assert read.status_code == 200


def test_a_head_too_slow_is_408_and_a_silent_body_is_dropped(deployment: Deployment) -> None:
    deployment.intake.env["INTAKE_CLIENT_READ_TIMEOUT_SECONDS"] = "1"
    deployment.intake.start()
    url = deployment.intake.url
    # Slowloris: a head sent in thirds 0.6 s apart, never completed; the language comes first.
    slow_head = GET + b"Accept-Language: ar\r\nHost: x\r\n" + b"".join(b"X-N%d: 1\r\n" % i for i in range(10))
    started = time.monotonic()
    received = exchange(url, slow_head, pause=0.6, parts=3)
    assert statuses(received) == [408]
    assert time.monotonic() - started < 8
    head, _, body = received.partition(b"\r\n\r\n")
    problem = json.loads(body)
    assert problem["type"] == PROBLEM_TYPE_PREFIX + "request-timeout"
    assert b"content-language: ar" in head
    # A body that stops: the connection is closed, nothing is answered or stored.
    field_worker = bearer(deployment.intake_keys[Role.field_worker])
    stalled = (
        b"POST /v1/persons HTTP/1.1\r\nHost: x\r\nAuthorization: " + field_worker["Authorization"].encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )  # fmt: skip
    started = time.monotonic()
    assert exchange(url, stalled) == b""
    assert time.monotonic() - started < 8
    metrics = httpx.get(f"{url}/metrics", timeout=5).text
    assert 'http_requests_total{method="-",route="unparsed",status="408"} 1.0' in metrics
    assert 'route="/v1/persons",status="499"} 1.0' in metrics
    # A quick request on the same server is not touched by either.
    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200


def test_a_websocket_upgrade_is_answered_as_http(deployment: Deployment) -> None:
    # No route takes a WebSocket: the Upgrade is ignored (RFC 9110, 7.8), not refused with
    # uvicorn's bare text 403.
    deployment.intake.start()
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        "Accept-Language": "kk",
    }
    r = httpx.get(f"{deployment.intake.url}/v1/persons", headers=headers, timeout=5)
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM_JSON
    assert r.headers["content-language"] == "kk"


def test_trailers_and_pipelined_heads_are_bounded_like_a_head(deployment: Deployment) -> None:
    # A chunked body's trailers were kept without bound: 600 MB grew a process to 800 MB.
    deployment.intake.start()
    url = deployment.intake.url
    body = b'{"a": 1}'
    chunked = (
        b"POST /v1/persons HTTP/1.1\r\nHost: x\r\nAccept-Language: ru\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(body) + body + b"\r\n0\r\n"
        + b"X-T: " + b"a" * 1000 + b"\r\n"
    )  # fmt: skip
    received = exchange(url, chunked + (b"X-T: " + b"a" * 1000 + b"\r\n") * 100)
    assert statuses(received) == [431]
    # A second head in the same read as the first is counted too.
    pipelined = GET + b"Host: x\r\n\r\n" + GET + b"Host: x\r\nX-Pad: " + b"p" * 190_000 + b"\r\n\r\n"
    assert statuses(exchange(url, pipelined)) == [200, 431]
    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200


def test_an_upgrade_with_a_body_is_refused_and_one_without_is_answered_then_closed(
    deployment: Deployment,
) -> None:
    # The parser stops at an upgrade head: a body behind it was lost (422 "missing"), and a
    # request pipelined after it waited for the keep-alive timeout unanswered.
    deployment.intake.start()
    url = deployment.intake.url
    field_worker = bearer(deployment.intake_keys[Role.field_worker])
    body = json.dumps(child()).encode()
    post = (
        b"POST /v1/persons HTTP/1.1\r\nHost: x\r\nAccept-Language: kk\r\n"
        b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
        b"HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nAuthorization: "
        + field_worker["Authorization"].encode()
        + b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode()
        + b"\r\n\r\n" + body
    )  # fmt: skip
    received = exchange(url, post)
    assert statuses(received) == [400]
    problem = json.loads(received.partition(b"\r\n\r\n")[2])
    assert "Upgrade" in problem["detail"]
    assert problem["instance"] == "/v1/persons"
    started = time.monotonic()
    get = GET + b"Host: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    assert statuses(exchange(url, get + GET + b"Host: x\r\n\r\n")) == [200]
    assert time.monotonic() - started < 3  # closed after the answer, not at the keep-alive timeout
    case_worker = bearer(deployment.intake_keys[Role.case_worker])
    assert httpx.get(f"{url}/v1/persons", headers=case_worker, timeout=5).json()["items"] == []


def test_a_refusal_keeps_the_language_read_before_its_fault_and_varies_by_it(deployment: Deployment) -> None:
    # The parser hands a field over once the next has begun: a fault in that next field's name
    # lost the language.
    deployment.intake.start()
    answer = send_raw(deployment.intake.url, GET + b"Host: x\r\nAccept-Language: ru\r\nBad Name: 1\r\n\r\n")
    assert_malformed(answer, "ru")
    assert answer.headers["vary"] == "Accept-Language"
    assert json.loads(answer.body)["instance"] == "/healthz"


def test_a_connection_that_sends_nothing_is_closed_with_408(deployment: Deployment) -> None:
    deployment.intake.env["INTAKE_CLIENT_READ_TIMEOUT_SECONDS"] = "1"
    deployment.intake.start()
    host, port = deployment.intake.url.removeprefix("http://").split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as s:
        received = b""
        while chunk := s.recv(65536):
            received += chunk
    assert statuses(received) == [408]
    assert time.monotonic() - started < 5

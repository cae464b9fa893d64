"""The requests of each scenario, for the service and the baselines alike (same paths, same
bodies; the baselines ignore the key)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from urllib.parse import urlencode

from bench.loadgen import PreparedRequest, json_line
from bench.people import PersonFactory

TRANSITION_BODY = json_line(
    {"to": "documents_collected", "data": {"documents": ["medical_birth_record", "repatriation_certificate"]}}
)
BATCH_SIZE = 500
LIST_LIMIT = 20


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def creations(seed: int, count: int, key: str) -> Iterator[PreparedRequest]:
    """`POST /v1/persons`, each a new person under a new `Idempotency-Key`."""
    factory = PersonFactory(seed)
    for _ in range(count):
        headers = {**_auth(key), "Content-Type": "application/json", "Idempotency-Key": str(factory.uuid())}
        yield PreparedRequest("POST", "/v1/persons", headers, json_line(factory.body()))


def reads(person_ids: Sequence[uuid.UUID], key: str) -> Iterator[PreparedRequest]:
    """`GET /v1/persons/{id}` of loaded persons."""
    for pid in person_ids:
        yield PreparedRequest("GET", f"/v1/persons/{pid}", _auth(key))


def listings(
    terms: Sequence[str], key: str, *, category: str | None = "child", limit: int = LIST_LIMIT
) -> Iterator[PreparedRequest]:
    """`GET /v1/persons?category=...&q=...&limit=...` (no `q` when a term is empty)."""
    for term in terms:
        query: dict[str, str | int] = {"limit": limit}
        if category is not None:
            query["category"] = category
        if term:
            query["q"] = term
        yield PreparedRequest("GET", "/v1/persons?" + urlencode(query), _auth(key))


def transitions(request_ids: Sequence[uuid.UUID], key: str) -> Iterator[PreparedRequest]:
    """`POST /v1/requests/{id}/transitions` to `documents_collected` from version 1."""
    for rid in request_ids:
        headers = {
            **_auth(key),
            "Content-Type": "application/json",
            "If-Match": '"1"',
            "Idempotency-Key": f"move-{rid}",
        }
        yield PreparedRequest("POST", f"/v1/requests/{rid}/transitions", headers, TRANSITION_BODY)


def batches(seed: int, count: int, key: str, size: int = BATCH_SIZE) -> list[PreparedRequest]:
    """`POST /v1/persons/batch` of `size` new persons each, every item with its own key (the items'
    keys are the idempotency; the batch itself goes without one, as the raw baseline writes it)."""
    factory = PersonFactory(seed)
    found = []
    for _ in range(count):
        items = [{"idempotency_key": str(factory.uuid()), "person": factory.body()} for _ in range(size)]
        headers = {**_auth(key), "Content-Type": "application/json"}
        found.append(PreparedRequest("POST", "/v1/persons/batch", headers, json_line({"items": items})))
    return found

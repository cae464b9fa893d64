"""The rows a registration writes, built straight from a person body, for both databases.

The raw-driver baseline and the bulk loader write these rows without the service, so they must
be exactly what the service would store and read back: SQLAlchemy keeps a `Uuid` on SQLite as
32 hex digits, a datetime as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC, no zone), a date as ISO text,
JSON as text and a boolean as 0/1; on PostgreSQL the driver takes Python values (asyncpg:
`uuid.UUID`, aware `datetime`, `date`, JSON as `str`). Column lists are explicit so that a
column added later with a default does not break the benchmarks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Final, Literal

Backend = Literal["sqlite", "postgresql"]

COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "person": (
        "id", "operation_id", "category", "sex", "birth_on", "birth_precision",
        "birth_date_estimated", "birth_place", "iin", "languages", "arrival_on", "status",
        "facility", "notes", "consent_tracing", "consent_sharing", "consent_given_by",
        "intake_fingerprint", "warnings", "version", "created_at", "updated_at",
    ),
    "person_name": (
        "id", "person_id", "position", "script", "lang", "kind", "given", "family", "patronymic",
        "latin", "search_key", "skeleton", "current", "created_at",
    ),
    "person_name_token": ("person_id", "name_id", "kind", "token", "person_created_at"),
    "document_need": (
        "id", "person_id", "kind", "reason", "state", "delivery", "outbox_event_id", "created_at",
    ),
    "status_event": ("id", "person_id", "from_status", "to_status", "actor_name", "actor_role", "at"),
    "audit_event": (
        "id", "at", "actor_key_id", "actor_name", "actor_role", "action", "subject_type",
        "subject_id", "request_id", "fields",
    ),
    "idempotency_record": (
        "scope", "key", "fingerprint", "method", "path", "state", "status_code", "response_headers",
        "response_body", "created_at", "locked_until", "expires_at",
    ),
    "outbox_event": (
        "id", "topic", "aggregate_id", "payload", "request_id", "state", "attempts", "created_at",
        "next_attempt_at",
    ),
    "document_request": (
        "id", "person_id", "kind", "status", "need_id", "version", "created_at", "updated_at",
        "status_changed_at", "holder_category", "holder_sex", "holder_birth_date",
        "holder_checked_at", "iin_issued", "family_name", "given_name",
    ),
    "document_request_event": (
        "id", "document_request_id", "version", "action", "from_status", "to_status", "at",
        "actor_key_id", "actor_name", "actor_role", "reason", "data", "request_id",
    ),
}  # fmt: skip
"""Columns written per table, in the order of the row tuples below."""

NEEDED_DOCUMENT: Final = {"child": "birth_certificate", "woman": "passport"}


class Codec:
    """Turns Python values into what one database's driver stores (see the module docstring)."""

    def __init__(self, backend: Backend) -> None:
        self.backend: Backend = backend

    def uuid(self, value: uuid.UUID | None) -> Any:
        """`Uuid` column."""
        if value is None or self.backend == "postgresql":
            return value
        return value.hex

    def ts(self, value: dt.datetime | None) -> Any:
        """`UTCDateTime` column (aware UTC in, aware or naive text out)."""
        if value is None or self.backend == "postgresql":
            return value
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    def date(self, value: dt.date | None) -> Any:
        """`Date` column."""
        if value is None or self.backend == "postgresql":
            return value
        return value.isoformat()

    def json(self, value: Any) -> Any:
        """`JSONDocument` column (`None` stays SQL NULL)."""
        return None if value is None else json.dumps(value, ensure_ascii=False)

    def bool(self, value: bool | None) -> Any:
        """`Boolean` column."""
        if value is None or self.backend == "postgresql":
            return value
        return int(value)

    def placeholders(self, count: int) -> str:
        """`?, ?, ...` (sqlite3) or `$1, $2, ...` (asyncpg)."""
        if self.backend == "sqlite":
            return ", ".join("?" * count)
        return ", ".join(f"${i}" for i in range(1, count + 1))

    def insert(self, table: str) -> str:
        """An INSERT of `COLUMNS[table]`."""
        columns = COLUMNS[table]
        return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({self.placeholders(len(columns))})"  # noqa: S608 - fixed names


@dataclass(frozen=True, slots=True)
class NameKeys:
    """Latin form, search key and skeleton of one name (as `derive_name_keys` returns)."""

    latin: str
    key: str
    skeleton: str


KeyDeriver = Callable[[str, str | None, str | None, str, str | None], NameKeys]


@cache
def _tokens(key: str, skeleton: str, backend: Backend) -> list[tuple[str, str]]:
    from intake_api.persons.names import prefixes_stored, search_tokens

    return search_tokens(key, skeleton, prefixes=prefixes_stored(backend))


@cache
def _part_keys(part: str, lang: str | None) -> tuple[str, str, str]:
    from intake_api.persons.names import consonant_skeleton, search_key, suggest_latin

    return search_key(part), consonant_skeleton(part), suggest_latin(part, lang)


def service_keys(
    given: str, family: str | None, patronymic: str | None, script: str, lang: str | None
) -> NameKeys:
    """The keys the service derives (`intake_api.persons.names.derive_name_keys`), word by word.

    The service's keys work word by word (each step maps letters or splits at spaces), so the
    keys of a name are those of its parts joined; caching each part makes loading a million
    persons fast. `tests/bench` checks the result against `derive_name_keys`.
    """
    del script  # the service checks it; the keys do not depend on it
    parts = [p for p in (given, family, patronymic) if p is not None and p.strip()]
    derived = [_part_keys(p, lang) for p in parts]
    latin = " ".join(_part_keys(p, lang)[2] for p in (given, family) if p is not None and p.strip())
    return NameKeys(
        latin=latin,
        key=" ".join(d[0] for d in derived if d[0]),
        skeleton=" ".join(d[1] for d in derived if d[1]),
    )


def plain_keys(
    given: str, family: str | None, patronymic: str | None, script: str, lang: str | None
) -> NameKeys:
    """Keys without any of the service's rules (the raw baseline): the words lower-cased."""
    full = " ".join(p for p in (given, family, patronymic) if p)
    return NameKeys(full.upper(), full.lower(), full.lower())


def parse_birth(text: str) -> tuple[dt.date, str]:
    """`(first day, precision)` of `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (ASCII digits)."""
    parts = [int(p) for p in text.split("-")]
    precision = ("year", "month", "day")[len(parts) - 1]
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1), precision


def fingerprint(body: Any) -> str:
    """SHA-256 of a body as canonical JSON (what the service keeps as `intake_fingerprint`)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(slots=True)
class Actor:
    """Who writes: the audit, status and idempotency columns."""

    name: str = "bench-field_worker"
    role: str = "field_worker"
    key_id: uuid.UUID | None = None
    scope: str = "0" * 64
    """SHA-256 of the API key (the idempotency scope)."""


@dataclass(slots=True)
class Rows:
    """Rows per table, ready for `executemany` or COPY."""

    tables: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {t: [] for t in COLUMNS})

    def extend(self, other: Rows) -> None:
        """Append another set of rows."""
        for table, rows in other.tables.items():
            self.tables[table].extend(rows)

    def count(self) -> int:
        """Rows in all tables."""
        return sum(len(rows) for rows in self.tables.values())


@dataclass(frozen=True, slots=True)
class RegistrationOptions:
    """What a registration writes besides the person, names and tokens."""

    audit: bool = True
    outbox: bool = True
    status_event: bool = True
    idempotency_key: str | None = None
    response_body: bytes = b"{}"
    request_id: str | None = None


def registration_rows(
    codec: Codec,
    body: dict[str, Any],
    *,
    operation_id: uuid.UUID,
    created_at: dt.datetime,
    keys: KeyDeriver,
    actor: Actor,
    options: RegistrationOptions,
    ids: Callable[[], uuid.UUID] = uuid.uuid4,
    into: Rows | None = None,
) -> Rows:
    """The rows `POST /v1/persons` stores for `body` (a valid body; nothing is checked here).

    Person, names with derived keys, their search tokens as the service makes them
    (`names.search_tokens`: word keys, their prefixes where the database stores them, and
    skeletons, with the person's `created_at`), the active document need with its outbox event
    (children and women), the first status event, the audit event and the completed idempotency
    record, as `options` asks.
    """
    c = codec
    rows = into if into is not None else Rows()
    t = rows.tables
    person_id = uuid.UUID(body["id"]) if body.get("id") else ids()
    birth_on, precision = parse_birth(body["birth_date"])
    t["person"].append(
        (
            c.uuid(person_id), c.uuid(operation_id), body["category"], body["sex"], c.date(birth_on),
            precision, c.bool(body.get("birth_date_estimated", False)), c.json(body.get("birth_place")),
            body.get("iin"), c.json(body.get("languages", [])),
            c.date(dt.date.fromisoformat(body["arrival_date"])), "arrived", body.get("facility"), None,
            None, None, None, fingerprint(body), c.json([]), 1,
            c.ts(created_at), c.ts(created_at),
        )
    )  # fmt: skip
    names = body["names"]
    current = next((i for i, n in enumerate(names) if n["kind"] == "kazakh"), 0)
    for position, name in enumerate(names):
        derived = keys(
            name["given"], name.get("family"), name.get("patronymic"), name["script"], name.get("lang")
        )
        name_id = ids()
        t["person_name"].append(
            (
                c.uuid(name_id), c.uuid(person_id), position, name["script"], name.get("lang"), name["kind"],
                name["given"], name.get("family"), name.get("patronymic"), derived.latin, derived.key,
                derived.skeleton, c.bool(position == current), c.ts(created_at),
            )
        )  # fmt: skip
        t["person_name_token"].extend(
            (c.uuid(person_id), c.uuid(name_id), kind, token, c.ts(created_at))
            for kind, token in _tokens(derived.key, derived.skeleton, c.backend)
        )
    kind = NEEDED_DOCUMENT.get(body["category"])
    if kind is not None:
        need_id, event_id = ids(), ids()
        t["document_need"].append(
            (
                c.uuid(need_id),
                c.uuid(person_id),
                kind,
                "derived",
                "active",
                "pending",
                c.uuid(event_id),
                c.ts(created_at),
            )
        )
        if options.outbox:
            payload = {"need_id": str(need_id), "person_id": str(person_id), "kind": kind}
            t["outbox_event"].append(
                (
                    c.uuid(event_id), "document_need.created", c.uuid(person_id), c.json(payload),
                    options.request_id, "pending", 0, c.ts(created_at), c.ts(created_at),
                )
            )  # fmt: skip
    if options.status_event:
        t["status_event"].append(
            (c.uuid(ids()), c.uuid(person_id), None, "arrived", actor.name, actor.role, c.ts(created_at))
        )
    if options.audit:
        t["audit_event"].append(
            audit_row(codec, actor, "person.created", person_id, created_at, options.request_id, sorted(body))
        )
    if options.idempotency_key is not None:
        t["idempotency_record"].append(
            idempotency_row(
                codec, actor, options.idempotency_key, "/v1/persons", body, options.response_body, created_at
            )
        )
    return rows


def audit_row(
    codec: Codec,
    actor: Actor,
    action: str,
    subject_id: uuid.UUID,
    at: dt.datetime,
    request_id: str | None,
    fields: Sequence[str] | None = None,
) -> tuple[Any, ...]:
    """One `audit_event` row about a person."""
    c = codec
    return (
        c.uuid(uuid.uuid4()), c.ts(at), c.uuid(actor.key_id), actor.name, actor.role, action, "person",
        c.uuid(subject_id), request_id, c.json(list(fields) if fields is not None else None),
    )  # fmt: skip


def idempotency_row(
    codec: Codec, actor: Actor, key: str, path: str, body: Any, response_body: bytes, at: dt.datetime
) -> tuple[Any, ...]:
    """A completed `idempotency_record` row kept 72 hours."""
    c = codec
    headers = {"content-type": "application/json", "content-language": "en"}
    return (
        actor.scope, key, fingerprint(body), "POST", path, "completed", 201, c.json(headers), response_body,
        c.ts(at), c.ts(at), c.ts(at + dt.timedelta(hours=72)),
    )  # fmt: skip


def document_request_rows(
    codec: Codec, request_id: uuid.UUID, person_id: uuid.UUID, at: dt.datetime, actor: Actor
) -> Rows:
    """An opened birth-certificate request (holder checked, version 1) and its `created` entry."""
    c = codec
    rows = Rows()
    rows.tables["document_request"].append(
        (
            c.uuid(request_id), c.uuid(person_id), "birth_certificate", "requested", None, 1, c.ts(at),
            c.ts(at), c.ts(at), "child", "female", "2016", c.ts(at), c.bool(False), "Жұмабаева", "Айша",
        )
    )  # fmt: skip
    rows.tables["document_request_event"].append(
        (
            c.uuid(uuid.uuid4()), c.uuid(request_id), 1, "created", None, "requested", c.ts(at),
            c.uuid(actor.key_id), actor.name, actor.role, None, None, None,
        )
    )  # fmt: skip
    return rows

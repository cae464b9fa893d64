"""Baseline (a), the limit: a minimal FastAPI app writing the service's rows with the raw driver.

No middleware, no authentication, no domain rules: the same person JSON is parsed by a plain
pydantic model and the rows the service would write (`bench/rows.py`: person, names, tokens,
document need, outbox event, status event, audit event, completed idempotency record) go in
with asyncpg or aiosqlite in one transaction. Reads run the service's selects (person with its
operation, names, needs) and the audit insert; the list runs the same token search. The search
words of `q` come from the service's pure `query_words`, so that the select is the same.

SQLite: one connection per process serialised by a lock (the service's one writer), WAL,
`BEGIN IMMEDIATE`, the same pragmas. PostgreSQL: an asyncpg pool as large as the service's
(`pool_size` connections, kept open).

Settings (environment): `BENCH_INTAKE_DATABASE_URL`, `BENCH_DOCS_DATABASE_URL`,
`BENCH_POOL_SIZE` (default 10).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiosqlite
import asyncpg
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel
from sqlalchemy.engine import make_url

from bench import rows as r
from bench.databases import asyncpg_dsn
from intake_api.persons.names import KIND_PREFIX, PREFIX_END, prefixes_stored
from intake_api.persons.search import query_words, word_tokens


class NameIn(BaseModel):
    """A name as posted (types only)."""

    script: str
    lang: str | None = None
    kind: str
    given: str
    family: str | None = None
    patronymic: str | None = None
    current: bool = False


class PersonIn(BaseModel):
    """The person JSON of `POST /v1/persons` (types only, no rules)."""

    id: uuid.UUID | None = None
    operation: str
    category: str
    sex: str
    birth_date: str
    birth_date_estimated: bool = False
    birth_place: dict[str, Any] | None = None
    iin: str | None = None
    names: list[NameIn]
    languages: list[str] = []
    arrival_date: str
    facility: str | None = None


class BatchItemIn(BaseModel):
    """One item of a batch."""

    idempotency_key: str | None = None
    person: PersonIn


class BatchIn(BaseModel):
    """A batch of persons."""

    items: list[BatchItemIn]


class TransitionIn(BaseModel):
    """A move of a document request."""

    to: str
    reason: str | None = None
    data: dict[str, Any] | None = None


_SELECT_PERSON = (
    "SELECT person.*, operation.code AS operation FROM person"
    " JOIN operation ON operation.id = person.operation_id"
)


def _list_sql(
    category: str | None, words: list[tuple[str, str]] | None, size: int, *, ranges: bool = False
) -> tuple[str, list[Any]]:
    """The list select with `?` placeholders, in the service's shape (`intake_api.persons.search`):
    the first word's tokens read in page order from the token index, each branch stopped after
    `size` persons, the other words probed per person (no ranking of the words, no set checks).
    `ranges` (SQLite: whole words stored, `names.prefixes_stored`): a `pfx` token is read as the
    range of the words it starts, and probed among the person's own tokens.
    Only fixed fragments are joined: every value is a placeholder.
    """
    if words is None:
        where, values = ("WHERE person.category = ?", [category]) if category is not None else ("", [])
        return f"{_SELECT_PERSON} {where} ORDER BY person.created_at, person.id LIMIT ?", [*values, size]
    if not words:
        return f"{_SELECT_PERSON} WHERE 1 = 0", []
    probe = (
        "(SELECT u.person_id FROM person_name_token AS u WHERE u.kind = ? AND u.token = ?"
        " AND u.person_created_at = t.person_created_at AND u.person_id = t.person_id LIMIT 1) IS NOT NULL"
    )
    probe_range = (
        "(SELECT u.person_id FROM person_name_token AS u WHERE u.person_id = t.person_id"
        " AND u.kind || '' = ? AND u.token || '' >= ? AND u.token || '' < ? LIMIT 1) IS NOT NULL"
    )

    def ranged(kind: str) -> bool:
        return ranges and kind == KIND_PREFIX

    first, *others = words
    branches: list[str] = []
    args: list[Any] = []
    for kind, token in word_tokens(*first):
        checks = ["t.kind = ?", "t.token >= ? AND t.token < ?" if ranged(kind) else "t.token = ?"]
        branch_args: list[Any] = [kind, token, token + PREFIX_END] if ranged(kind) else [kind, token]
        if category is not None:
            checks.append("person.category = ?")
            branch_args.append(category)
        for word in others:
            tokens = word_tokens(*word)
            checks.append("(" + " OR ".join(probe_range if ranged(k) else probe for k, _t in tokens) + ")")
            for k, t in tokens:
                branch_args += [k, t, t + PREFIX_END] if ranged(k) else [k, t]
        branches.append(
            "SELECT * FROM (SELECT DISTINCT t.person_created_at AS at, t.person_id AS pid"  # noqa: S608
            " FROM person_name_token AS t JOIN person ON person.id = t.person_id"
            f" WHERE {' AND '.join(checks)} ORDER BY t.person_created_at, t.person_id LIMIT ?)"
            f" AS b{len(branches)}"
        )
        args += [*branch_args, size]
    ids = f"SELECT DISTINCT at, pid FROM ({' UNION ALL '.join(branches)}) AS m ORDER BY at, pid LIMIT ?"  # noqa: S608
    sql = f"{_SELECT_PERSON} JOIN ({ids}) AS page ON page.pid = person.id ORDER BY page.at, page.pid"
    return sql, [*args, size]


class Tx:
    """One transaction on one connection, with `?` placeholders on both drivers."""

    def __init__(self, backend: r.Backend, conn: Any) -> None:
        self.backend = backend
        self.conn = conn

    def _sql(self, sql: str) -> str:
        if self.backend == "sqlite":
            return sql
        parts = sql.split("?")
        return "".join(p + (f"${i + 1}" if i < len(parts) - 1 else "") for i, p in enumerate(parts))

    async def execute(self, sql: str, *args: Any) -> None:
        """Run a statement."""
        await self.conn.execute(
            self._sql(sql), args
        ) if self.backend == "sqlite" else await self.conn.execute(self._sql(sql), *args)

    async def executemany(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Run a statement once per row (a single row is a plain execute)."""
        if len(rows) == 1:
            await self.execute(sql, *rows[0])
        elif rows:
            await self.conn.executemany(self._sql(sql), rows)

    async def fetch(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """Rows as dicts."""
        if self.backend == "sqlite":
            cursor = await self.conn.execute(self._sql(sql), args)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in await cursor.fetchall()]
        return [dict(row) for row in await self.conn.fetch(self._sql(sql), *args)]

    async def write(self, rows: r.Rows) -> None:
        """Insert `rows`, parents first."""
        codec = r.Codec(self.backend)
        for table in r.COLUMNS:
            await self.executemany(codec.insert(table), rows.tables[table])


class RawDatabase:
    """A service database through its driver."""

    def __init__(self, url: str, pool_size: int) -> None:
        self.url = url
        self.backend: r.Backend = "sqlite" if make_url(url).get_backend_name() == "sqlite" else "postgresql"
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._sqlite: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        """Connect (PostgreSQL connections open as they are needed)."""
        if self.backend == "sqlite":
            self._sqlite = await aiosqlite.connect(make_url(self.url).database or "", isolation_level=None)
            for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=5000", "synchronous=NORMAL"):
                await self._sqlite.execute(f"PRAGMA {pragma}")
        else:
            self._pool = await asyncpg.create_pool(asyncpg_dsn(self.url), min_size=0, max_size=self.pool_size)

    async def close(self) -> None:
        """Disconnect."""
        if self._sqlite is not None:
            await self._sqlite.close()
        if self._pool is not None:
            await self._pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A transaction: committed when the block ends, rolled back on error."""
        if self._sqlite is not None:
            async with self._lock:
                await self._sqlite.execute("BEGIN IMMEDIATE")
                try:
                    yield Tx("sqlite", self._sqlite)
                except BaseException:
                    await self._sqlite.execute("ROLLBACK")
                    raise
                await self._sqlite.execute("COMMIT")
            return
        assert self._pool is not None
        async with self._pool.acquire() as conn, conn.transaction():
            yield Tx("postgresql", conn)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode()


ACTOR = r.Actor()


def create_app() -> FastAPI:
    """The raw-driver baseline app (uvicorn factory)."""
    pool_size = int(os.environ.get("BENCH_POOL_SIZE", "10"))
    intake = RawDatabase(os.environ["BENCH_INTAKE_DATABASE_URL"], pool_size)
    docs = RawDatabase(os.environ["BENCH_DOCS_DATABASE_URL"], pool_size)
    codec = r.Codec(intake.backend)
    operations: dict[str, Any] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await intake.open()
        await docs.open()
        async with intake.transaction() as tx:
            for row in await tx.fetch("SELECT id, code FROM operation"):
                operations[row["code"]] = uuid.UUID(str(row["id"]))
        yield
        await intake.close()
        await docs.close()

    app = FastAPI(lifespan=lifespan, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def _rows(body: PersonIn, key: str | None, now: dt.datetime) -> tuple[r.Rows, bytes]:
        raw = body.model_dump(mode="json", exclude_none=True)
        raw["id"] = raw.get("id") or str(uuid.uuid4())
        answer = _json(raw)
        rows = r.registration_rows(
            codec,
            raw,
            operation_id=operations[body.operation],
            created_at=now,
            keys=r.plain_keys,
            actor=ACTOR,
            options=r.RegistrationOptions(
                idempotency_key=key, response_body=answer, request_id=uuid.uuid4().hex
            ),
        )
        return rows, answer

    @app.post("/v1/persons", status_code=201)
    async def register(body: PersonIn, request: Request) -> Response:
        rows, answer = _rows(body, request.headers.get("idempotency-key"), _now())
        async with intake.transaction() as tx:
            await tx.write(rows)
        return Response(answer, status_code=201, media_type="application/json")

    @app.post("/v1/persons/batch")
    async def register_batch(body: BatchIn) -> Response:
        now = _now()
        everything = r.Rows()
        results = []
        for index, item in enumerate(body.items):
            rows, _answer = _rows(item.person, item.idempotency_key, now)
            everything.extend(rows)
            results.append({"index": index, "status": 201, "id": rows.tables["person"][0][0]})
        async with intake.transaction() as tx:
            await tx.write(everything)
        return Response(_json({"results": results}), media_type="application/json")

    async def _children(tx: Tx, ids: list[Any]) -> tuple[dict[Any, list[Any]], dict[Any, list[Any]]]:
        if intake.backend == "sqlite":
            marks = ", ".join("?" * len(ids))
            # Placeholders only: the values are bound.
            names_sql = f"SELECT * FROM person_name WHERE person_id IN ({marks}) ORDER BY position"  # noqa: S608
            needs_sql = f"SELECT * FROM document_need WHERE person_id IN ({marks}) ORDER BY kind"  # noqa: S608
            names = await tx.fetch(names_sql, *ids)
            needs = await tx.fetch(needs_sql, *ids)
        else:
            names = await tx.fetch(
                "SELECT * FROM person_name WHERE person_id = ANY(?) ORDER BY position", ids
            )
            needs = await tx.fetch("SELECT * FROM document_need WHERE person_id = ANY(?) ORDER BY kind", ids)
        by_person: dict[Any, list[Any]] = {i: [] for i in ids}
        needs_of: dict[Any, list[Any]] = {i: [] for i in ids}
        for n in names:
            by_person[n["person_id"]].append(n)
        for n in needs:
            needs_of[n["person_id"]].append(n)
        return by_person, needs_of

    @app.get("/v1/persons/{person_id}")
    async def read(person_id: uuid.UUID) -> Response:
        pid = codec.uuid(person_id)
        async with intake.transaction() as tx:
            found = await tx.fetch(
                "SELECT person.*, operation.code AS operation FROM person"
                " JOIN operation ON operation.id = person.operation_id WHERE person.id = ?",
                pid,
            )
            if not found:
                return Response(b'{"status": 404}', status_code=404, media_type="application/json")
            names, needs = await _children(tx, [pid])
            await tx.execute(
                codec.insert("audit_event"),
                *r.audit_row(codec, ACTOR, "person.read", person_id, _now(), None),
            )
        person = {**found[0], "names": names[pid], "document_needs": needs[pid]}
        return Response(_json(person), media_type="application/json")

    @app.get("/v1/persons")
    async def listing(category: str | None = None, q: str | None = None, limit: int = 50) -> Response:
        sql, args = _list_sql(
            category, query_words(q) if q else None, limit + 1, ranges=not prefixes_stored(intake.backend)
        )
        now = _now()
        async with intake.transaction() as tx:
            found = await tx.fetch(sql, *args)
            page = found[:limit]
            ids = [p["id"] for p in page]
            names, needs = await _children(tx, ids) if ids else ({}, {})
            audit = [r.audit_row(codec, ACTOR, "person.listed", uuid.UUID(str(i)), now, None) for i in ids]
            await tx.executemany(codec.insert("audit_event"), audit)
        items = [{**p, "names": names[p["id"]], "document_needs": needs[p["id"]]} for p in page]
        return Response(_json({"items": items, "next_cursor": None}), media_type="application/json")

    @app.post("/v1/requests/{request_id}/transitions")
    async def move(request_id: uuid.UUID, body: TransitionIn, request: Request) -> Response:
        version = int(request.headers.get("if-match", '"0"').strip('"'))
        now = _now()
        c = r.Codec(docs.backend)
        data = body.data or {}
        async with docs.transaction() as tx:
            moved = await tx.fetch(
                "UPDATE document_request SET status = ?, documents_collected = ?, version = version + 1,"
                " updated_at = ?, status_changed_at = ? WHERE id = ? AND version = ?"
                " RETURNING id, person_id, kind, status, version",
                body.to,
                c.json(data.get("documents")),
                c.ts(now),
                c.ts(now),
                c.uuid(request_id),
                version,
            )
            if not moved:
                return Response(b'{"status": 412}', status_code=412, media_type="application/json")
            row = moved[0]
            person_id = uuid.UUID(str(row["person_id"]))
            await tx.execute(
                c.insert("document_request_event"),
                c.uuid(uuid.uuid4()), c.uuid(request_id), row["version"], "transition", "requested", body.to,
                c.ts(now), None, ACTOR.name, "registrar", body.reason, c.json(data), None,
            )  # fmt: skip
            await tx.execute(
                c.insert("audit_event"),
                *r.audit_row(c, ACTOR, "document_request.transitioned", person_id, now, None),
            )
            payload = {
                "request_id": str(request_id),
                "person_id": str(person_id),
                "status": body.to,
                "version": row["version"],
            }
            await tx.execute(
                c.insert("outbox_event"),
                c.uuid(uuid.uuid4()), "document_request.changed", c.uuid(person_id), c.json(payload), None,
                "pending", 0, c.ts(now), c.ts(now),
            )  # fmt: skip
            answer = _json({**payload, "kind": row["kind"]})
            key = request.headers.get("idempotency-key")
            if key is not None:
                await tx.execute(
                    c.insert("idempotency_record"),
                    *r.idempotency_row(
                        c, ACTOR, key, request.url.path, body.model_dump(mode="json"), answer, now
                    ),
                )
        return Response(answer, media_type="application/json", headers={"ETag": f'"{row["version"]}"'})

    return app

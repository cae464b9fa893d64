"""Baseline (b), what a naive service does: a minimal FastAPI app with plain SQLAlchemy ORM.

`create_async_engine(url)` with its defaults (on SQLite: a pool of 5 + 10 connections, deferred
transactions), a session per request, and only the person row: no names, tokens, needs,
audit, outbox or idempotency record. Reads `session.get` the person; the list runs the same
token search through the ORM; the batch `add_all`s 500 person rows; a transition loads the
request, changes its status and commits. No middleware, authentication or domain rules.

Settings (environment): `BENCH_INTAKE_DATABASE_URL`, `BENCH_DOCS_DATABASE_URL`.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from sqlalchemy import JSON, Boolean, Date, DateTime, Integer, String, Uuid, and_, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bench import rows as r
from bench.baselines.raw import BatchIn, PersonIn, TransitionIn, _json
from intake_api.persons.search import query_words

_JSON = JSON().with_variant(JSONB(), "postgresql")
_TS = DateTime(timezone=True)


class Base(DeclarativeBase):
    """Declarative base of the baseline's own mappings."""


class PersonRow(Base):
    """The `person` table, plainly mapped."""

    __tablename__ = "person"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    operation_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    category: Mapped[str] = mapped_column(String(16))
    sex: Mapped[str] = mapped_column(String(8))
    birth_on: Mapped[dt.date] = mapped_column(Date)
    birth_precision: Mapped[str] = mapped_column(String(8))
    birth_date_estimated: Mapped[bool] = mapped_column(Boolean)
    birth_place: Mapped[Any] = mapped_column(_JSON, nullable=True)
    iin: Mapped[str | None] = mapped_column(String(12), nullable=True)
    languages: Mapped[Any] = mapped_column(_JSON)
    arrival_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(24))
    facility: Mapped[str | None] = mapped_column(String(200), nullable=True)
    intake_fingerprint: Mapped[str] = mapped_column(String(64))
    warnings: Mapped[Any] = mapped_column(_JSON)
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(_TS)
    updated_at: Mapped[dt.datetime] = mapped_column(_TS)


class TokenRow(Base):
    """The `person_name_token` table."""

    __tablename__ = "person_name_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(8))
    token: Mapped[str] = mapped_column(String(100))


class RequestRow(Base):
    """The `document_request` columns a move changes."""

    __tablename__ = "document_request"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    documents_collected: Mapped[Any] = mapped_column(_JSON, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(_TS)
    status_changed_at: Mapped[dt.datetime] = mapped_column(_TS)


def _as_dict(row: Base) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def create_app() -> FastAPI:
    """The naive ORM baseline app (uvicorn factory)."""
    intake_engine = create_async_engine(os.environ["BENCH_INTAKE_DATABASE_URL"])
    docs_engine = create_async_engine(os.environ["BENCH_DOCS_DATABASE_URL"])
    intake = async_sessionmaker(intake_engine, expire_on_commit=False)
    docs = async_sessionmaker(docs_engine, expire_on_commit=False)
    operations: dict[str, uuid.UUID] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with intake_engine.connect() as conn:
            from sqlalchemy import text

            for row in await conn.execute(text("SELECT id, code FROM operation")):
                operations[row.code] = uuid.UUID(str(row.id))
        yield
        await intake_engine.dispose()
        await docs_engine.dispose()

    app = FastAPI(lifespan=lifespan, openapi_url=None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    def _person(body: PersonIn, now: dt.datetime) -> PersonRow:
        raw = body.model_dump(mode="json", exclude_none=True)
        birth_on, precision = r.parse_birth(body.birth_date)
        return PersonRow(
            id=body.id or uuid.uuid4(),
            operation_id=operations[body.operation],
            category=body.category,
            sex=body.sex,
            birth_on=birth_on,
            birth_precision=precision,
            birth_date_estimated=body.birth_date_estimated,
            birth_place=body.birth_place,
            iin=body.iin,
            languages=body.languages,
            arrival_on=dt.date.fromisoformat(body.arrival_date),
            status="arrived",
            facility=body.facility,
            intake_fingerprint=r.fingerprint(raw),
            warnings=[],
            version=1,
            created_at=now,
            updated_at=now,
        )

    @app.post("/v1/persons", status_code=201)
    async def register(body: PersonIn) -> Response:
        async with intake() as session:
            person = _person(body, dt.datetime.now(dt.UTC))
            session.add(person)
            await session.commit()
        return Response(_json(_as_dict(person)), status_code=201, media_type="application/json")

    @app.post("/v1/persons/batch")
    async def register_batch(body: BatchIn) -> Response:
        now = dt.datetime.now(dt.UTC)
        async with intake() as session:
            persons = [_person(item.person, now) for item in body.items]
            session.add_all(persons)
            await session.commit()
        results = [{"index": i, "status": 201, "id": p.id} for i, p in enumerate(persons)]
        return Response(_json({"results": results}), media_type="application/json")

    @app.get("/v1/persons/{person_id}")
    async def read(person_id: uuid.UUID) -> Response:
        async with intake() as session:
            person = await session.get(PersonRow, person_id)
        if person is None:
            return Response(b'{"status": 404}', status_code=404, media_type="application/json")
        return Response(_json(_as_dict(person)), media_type="application/json")

    @app.get("/v1/persons")
    async def listing(category: str | None = None, q: str | None = None, limit: int = 50) -> Response:
        query = select(PersonRow).order_by(PersonRow.created_at, PersonRow.id).limit(limit)
        if category is not None:
            query = query.where(PersonRow.category == category)
        for key, skeleton in query_words(q) if q else []:
            t = TokenRow
            words = select(t.person_id).where(
                or_(
                    and_(t.kind == "key", t.token.like(key + "%")),
                    and_(t.kind == "skel", t.token == skeleton),
                )
            )
            query = query.where(PersonRow.id.in_(words))
        async with intake() as session:
            found = (await session.execute(query)).scalars().all()
        return Response(_json({"items": [_as_dict(p) for p in found]}), media_type="application/json")

    @app.post("/v1/requests/{request_id}/transitions")
    async def move(request_id: uuid.UUID, body: TransitionIn, request: Request) -> Response:
        now = dt.datetime.now(dt.UTC)
        async with docs() as session:
            found = await session.get(RequestRow, request_id)
            if found is None:
                return Response(b'{"status": 404}', status_code=404, media_type="application/json")
            found.status = body.to
            found.documents_collected = (body.data or {}).get("documents")
            found.version += 1
            found.updated_at = found.status_changed_at = now
            await session.commit()
        return Response(_json(_as_dict(found)), media_type="application/json")

    return app

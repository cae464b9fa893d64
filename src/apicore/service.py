"""The app factory both services use: lifespan, middleware, problems, operations endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import APIRouter, FastAPI, Request
from fastapi.telemetry import TelemetryConfig
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.responses import Response

from apicore import migrations
from apicore.audit import audit_router
from apicore.auth import KeyCache
from apicore.db import Database, checkpoint_wal, sqlite_file
from apicore.docs_ui import install_offline_docs
from apicore.idempotency import IdempotencyStore
from apicore.logs import configure_logging
from apicore.middleware import HTTPMetrics, ServiceMiddleware
from apicore.openapi import install_openapi
from apicore.outbox import Dispatcher, OutboxTopic
from apicore.outbox_admin import outbox_router
from apicore.problems import (
    DatabaseBusy,
    DatabaseUnavailable,
    Problem,
    database_problem,
    install_problem_handlers,
    problem_responses,
)
from apicore.requestids import REQUEST_ID_HEADER, is_plausible_request_id
from apicore.settings import ServiceSettings
from apicore.tables import PlatformTables

log = structlog.get_logger("apicore.service")


@dataclass(slots=True)
class ServiceContext:
    """What a running service holds: settings, database, shared tables, HTTP client, outbox."""

    settings: ServiceSettings
    db: Database
    tables: PlatformTables
    idempotency: IdempotencyStore
    keys: KeyCache
    metrics: HTTPMetrics
    http: httpx.AsyncClient
    dispatcher: Dispatcher | None = None
    extras: dict[str, Any] = field(default_factory=dict)

    def wake_outbox(self) -> None:
        """Tell the dispatcher that an event was just committed."""
        if self.dispatcher is not None:
            self.dispatcher.wake()


#: Allocations between young collections (CPython's default is 700). A request allocates a few
#: thousand objects, so the default collects several times per request; at 10,000 a young
#: collection comes every few dozen requests and takes 1-3 ms (bench/README.md, finding 5).
YOUNG_COLLECTION_THRESHOLD = 10_000

_settled: list[tuple[int, int, int]] = []


@contextlib.contextmanager
def settled_collector() -> Iterator[None]:
    """Tune CPython's cyclic garbage collector while a service runs in this process.

    Everything built before the first request (modules, app, routes, models, settings) lives as
    long as the process. `gc.freeze()` moves it out of the collector's generations, so a full
    collection walks only what requests left behind: before, each full collection stalled every
    request in flight for 50-120 ms (`q` p99 at 1,000 persons ~110 ms; after, ~30 ms). See
    https://docs.python.org/3/library/gc.html#gc.freeze. No `gc.collect()` first: the little
    garbage left from start-up is cheaper to keep than a full collection at every app start
    (it doubled the test suite's time).

    On exit the objects are unfrozen and the thresholds restored, so that a process running
    several apps in turn (the test suite) keeps collecting them; nested uses settle once.
    """
    if not _settled:
        _settled.append(gc.get_threshold())
        _young, middle, old = _settled[0]
        gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)
        gc.freeze()
    else:
        _settled.append(_settled[0])
    try:
        yield
    finally:
        previous = _settled.pop()
        if not _settled:
            gc.unfreeze()
            gc.set_threshold(*previous)


OutboxTopics = Callable[[ServiceContext], Sequence[OutboxTopic]]


async def _schema_revision(db: Database) -> str | None:
    """The Alembic revision the database is at; None for a database never migrated.

    Raises:
        DBAPIError: the database cannot be reached.
    """
    async with db.engine.connect() as conn:
        tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
        if "alembic_version" not in tables:
            return None
        return (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one_or_none()


NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}
"""FastAPI's own OpenTelemetry (on by default since 0.142) is off, and stays off whatever the
environment says (`FASTAPI_OTEL_AUTO_CONFIGURE`). Its logs carry validation failures with the
input values and exceptions with their messages (SQLAlchemy puts statement parameters there):
names and IINs of children, sent to whatever collector is configured. Metrics are ours
(`/metrics`, Prometheus), and the request id ties log lines together."""


def create_service_app(
    *,
    service: str,
    title: str,
    description: str,
    version: str,
    settings: ServiceSettings,
    tables: PlatformTables,
    routers: Sequence[APIRouter],
    outbox_topics: OutboxTopics | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
    schema: str | None = None,
) -> FastAPI:
    """Build a service app: lifespan (database, HTTP client, dispatcher), middleware, problem
    handlers, `/healthz`, `/readyz`, `/metrics`, offline `/docs` and `/redoc`.

    Args:
        service: short name used in logs (`intake_api`).
        routers: the feature routers.
        outbox_topics: builds the topics this service's dispatcher delivers.
        schema: the service's Alembic section (`intake`, `docs`): until its database is at the
            head of that migration tree, `/readyz` answers 503 and says why in the log, and the
            start logs `database.schema_not_current` (an unmigrated or mistyped database file
            otherwise looked ready, and every request answered "cannot be reached").
    """
    expected = None if schema is None else migrations.head_revision(schema)
    metrics = HTTPMetrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level, service=service)
        db = Database.connect(
            settings.database_url,
            pool_size=settings.database_pool_size,
            timeout=settings.database_timeout_seconds,
        )
        client = httpx.AsyncClient(timeout=settings.http_timeout_seconds)
        ctx = ServiceContext(
            settings=settings,
            db=db,
            tables=tables,
            idempotency=IdempotencyStore(
                db,
                tables,
                ttl=dt.timedelta(hours=settings.idempotency_ttl_hours),
                lease=dt.timedelta(seconds=settings.idempotency_lease_seconds),
            ),
            keys=KeyCache(settings.auth_cache_seconds),
            metrics=metrics,
            http=client,
        )
        task: asyncio.Task[None] | None = None
        if outbox_topics is not None:
            topics = {t.name: t for t in outbox_topics(ctx)}
            ctx.dispatcher = Dispatcher(db, tables, topics, client, settings)
            if settings.outbox_enabled:
                task = asyncio.create_task(ctx.dispatcher.run_forever(), name=f"{service}-outbox")
        sqlite_path = sqlite_file(settings.database_url)
        checkpoints = None if sqlite_path is None else asyncio.create_task(checkpoint_wal(sqlite_path))
        app.state.ctx = ctx
        log.info("service.started", version=version)
        if expected is not None:
            # A database down or slow now is `/readyz`'s to report: the start does not wait on it.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    found = await _schema_revision(db)
                if found != expected:
                    log.error("database.schema_not_current", expected=expected, found=found)
        try:
            with settled_collector():
                yield
        finally:
            for background in (task, checkpoints):
                if background is not None:
                    background.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await background
            await client.aclose()
            await db.dispose()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_tags=openapi_tags,
        telemetry=NO_TELEMETRY,
    )
    app.state.metrics = metrics
    install_problem_handlers(app)
    for router in routers:
        app.include_router(router)
    app.include_router(audit_router())
    app.include_router(outbox_router())
    app.include_router(_operations_router(metrics, expected))
    app.add_middleware(ServiceMiddleware, max_body_bytes=settings.max_body_bytes, metrics=metrics)
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=REQUEST_ID_HEADER,
        validator=is_plausible_request_id,
        update_request_header=True,
    )
    install_offline_docs(app, title=title)
    install_openapi(app)
    return app


def _readiness_problem(exc: Exception, db: Database) -> Problem:
    """What `/readyz` answers when the database did not: the API's own problem for a database
    error (`database_problem`); on SQLite, no answer within the 2 s is the one connection or the
    write lock held (`DatabaseBusy`: the file is there, a newcomer trial was told "cannot be
    reached" while the `sqlite3` shell held the lock); otherwise `DatabaseUnavailable`."""
    if isinstance(exc, DBAPIError):
        found = database_problem(exc)
        if found is not None:
            return found
    if isinstance(exc, TimeoutError | PoolTimeout) and db.engine.dialect.name == "sqlite":
        return DatabaseBusy()
    return DatabaseUnavailable()


def _operations_router(metrics: HTTPMetrics, expected: str | None) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        """Answers 200 while the process runs; needs no key."""
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness: the database answers",
        responses=problem_responses(DatabaseUnavailable, DatabaseBusy),
    )
    async def readyz(request: Request) -> dict[str, str]:
        """200 when the database answers within 2 s and is migrated to what this version of
        the service needs, else a 503 problem; needs no key."""
        db: Database = request.app.state.ctx.db
        try:
            async with asyncio.timeout(2):
                if expected is None:
                    async with db.engine.connect() as conn:
                        await conn.execute(text("SELECT 1"))
                found = None if expected is None else await _schema_revision(db)
        except Exception as exc:
            problem = _readiness_problem(exc, db)
            event = (
                "readyz.database_busy" if isinstance(problem, DatabaseBusy) else "readyz.database_unreachable"
            )
            log.warning(event, error=type(exc).__name__)
            raise problem from exc
        if found != expected:
            # Reachable but not migrated to what this code needs: `<service> migrate`.
            log.warning("readyz.schema_not_current", expected=expected, found=found)
            raise DatabaseUnavailable
        return {"status": "ready"}

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics_endpoint() -> Response:
        """Request counts and latencies in the Prometheus text format; needs no key."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router

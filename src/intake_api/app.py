"""The intake service app."""

from __future__ import annotations

from fastapi import FastAPI

from apicore.service import ServiceContext, create_service_app
from intake_api import models
from intake_api.documents.routes import router as documents_router
from intake_api.documents.routes import updates_router as document_updates_router
from intake_api.operations.routes import router as operations_router
from intake_api.persons.document_needs import cancel_topic, need_topic
from intake_api.persons.routes import router as persons_router
from intake_api.relations.routes import household_router
from intake_api.relations.routes import router as relations_router
from intake_api.relatives.routes import router as relatives_router
from intake_api.settings import IntakeSettings
from intake_api.vocabularies.routes import router as vocabularies_router

VERSION = "0.1.0"
DESCRIPTION = """\
Returnees and their families: repatriation operations, persons with names in several scripts,
and the documents each needs (delivered to the documents service).

Send `Accept-Language: kk`, `ru` or `ar` (English is the fallback): every message, problems
included, comes back in that language, stated in `Content-Language`. Errors are RFC 9457
problems (`application/problem+json`) naming each field as a dotted path (`names.0.given`).
Every POST takes an `Idempotency-Key`: a retry with the same key and body replays the first
answer. Authenticate with `Authorization: Bearer <API key>`; each operation lists its roles.
"""


def create_app(settings: IntakeSettings | None = None) -> FastAPI:
    """Build the intake app (settings from `INTAKE_*` variables unless given)."""
    settings = settings or IntakeSettings()

    def topics(ctx: ServiceContext) -> list:  # type: ignore[type-arg]
        return [need_topic(settings), cancel_topic(settings, ctx.db)]

    return create_service_app(
        service="intake_api",
        title="Returnee intake API",
        description=DESCRIPTION,
        version=VERSION,
        settings=settings,
        tables=models.platform,
        routers=[
            operations_router,
            persons_router,
            relations_router,
            household_router,
            relatives_router,
            vocabularies_router,
            documents_router,
            document_updates_router,
        ],
        outbox_topics=topics,
        schema="intake",
        openapi_tags=[
            {"name": "operations", "description": "Repatriation operations and service health."},
            {"name": "persons", "description": "Returnees: registration, names, document needs."},
            {
                "name": "relations",
                "description": "Family links between returnees (kept from both sides) and the households "
                "they form: a mother and the children who travelled with her.",
            },
            {
                "name": "relatives",
                "description": "Relatives in Kazakhstan who may host a family: region, contact (case "
                "workers only), decision to host, refusals kept and counted.",
            },
            {
                "name": "documents",
                "description": "Each returnee's documents as the documents service reports them: status, "
                "numbers, dates.",
            },
            {
                "name": "vocabularies",
                "description": "Every code list with labels in the caller's language, cacheable by ETag.",
            },
        ],
    )

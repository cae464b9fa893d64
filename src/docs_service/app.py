"""The documents service app."""

from __future__ import annotations

from fastapi import FastAPI

from apicore.outbox import OutboxTopic
from apicore.service import ServiceContext, create_service_app
from docs_service import models
from docs_service.document_requests.routes import router as requests_router
from docs_service.document_requests.status_updates import changed_topic
from docs_service.documents.routes import router as documents_router
from docs_service.settings import DocsSettings

VERSION = "0.1.0"
DESCRIPTION = """\
Issuance of identity documents to returnees: Kazakh birth certificates with Kazakh names for
children, clean passports for women. Each request moves through a workflow until the document is
handed over; the register answers whether a number was issued, and to whom.

Send `Accept-Language: kk`, `ru` or `ar` (English is the fallback); errors are RFC 9457 problems
in that language. Every POST takes an `Idempotency-Key`. Authenticate with
`Authorization: Bearer <API key>`; each operation lists its roles.
"""


def create_app(settings: DocsSettings | None = None) -> FastAPI:
    """Build the documents app (settings from `DOCS_*` variables unless given)."""
    settings = settings or DocsSettings()

    def topics(ctx: ServiceContext) -> list[OutboxTopic]:
        return [changed_topic(settings)]

    return create_service_app(
        service="docs_service",
        title="Returnee documents API",
        description=DESCRIPTION,
        version=VERSION,
        settings=settings,
        tables=models.platform,
        routers=[requests_router, documents_router],
        outbox_topics=topics,
        schema="docs",
        openapi_tags=[
            {
                "name": "requests",
                "description": "Requests for birth certificates and passports, and their workflow.",
            },
            {
                "name": "documents",
                "description": "The register of issued documents and their printable summaries.",
            },
        ],
    )

"""Every table of the documents database, for Alembic and the app."""

from docs_service.database import Base, platform
from docs_service.document_requests.models import DocumentRequest, DocumentRequestEvent

__all__ = ["Base", "DocumentRequest", "DocumentRequestEvent", "platform"]

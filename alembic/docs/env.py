"""Migrations of the documents database (metadata from docs_service.models)."""

from alembic import context

from apicore.migrations import run_env
from docs_service.models import Base
from docs_service.settings import DocsSettings

run_env(context, Base.metadata, DocsSettings().database_url)

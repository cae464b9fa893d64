"""Migrations of the intake database (metadata from intake_api.models)."""

from alembic import context

from apicore.migrations import run_env
from intake_api.models import Base
from intake_api.settings import IntakeSettings

run_env(context, Base.metadata, IntakeSettings().database_url)

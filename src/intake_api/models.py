"""Every table of the intake database, for Alembic and the app (imports each feature's models)."""

from intake_api.database import Base, platform
from intake_api.operations.models import Operation
from intake_api.persons.models import DocumentNeed, Person, PersonName

__all__ = ["Base", "DocumentNeed", "Operation", "Person", "PersonName", "platform"]

"""Every table of the intake database, for Alembic and the app (imports each feature's models)."""

from intake_api.database import Base, platform
from intake_api.documents.models import PersonDocument
from intake_api.operations.models import Operation
from intake_api.persons.models import DocumentNeed, Person, PersonName, PersonNameToken, StatusEvent
from intake_api.relations.models import Household, HouseholdMember, PersonRelation
from intake_api.relatives.models import Relative, RelativeDecision

__all__ = [
    "Base",
    "DocumentNeed",
    "Household",
    "HouseholdMember",
    "Operation",
    "Person",
    "PersonDocument",
    "PersonName",
    "PersonNameToken",
    "PersonRelation",
    "Relative",
    "RelativeDecision",
    "StatusEvent",
    "platform",
]

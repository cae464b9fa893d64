"""What this feature reads of persons, and the lock that serialises changes to families.

The `person` table belongs to the persons feature; we read a few columns through a lightweight
table clause (no import of its models, STYLE.md) and never write to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Final

from sqlalchemy import Date, String, Uuid, column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.partial_dates import PartialDate
from intake_api.relations.kinship import Party

person_facts = table(
    "person",
    column("id", Uuid),
    column("operation_id", Uuid),
    column("category", String),
    column("sex", String),
    column("birth_on", Date),
    column("birth_precision", String),
    column("status", String),
)
"""The columns of `person` that links and households need (read-only)."""

# Any constant will do, as long as nothing else in the intake database uses it.
_FAMILY_LOCK_KEY: Final = 0x72656C61  # "rela"


async def serialise_family_changes(session: AsyncSession) -> None:
    """Make changes to links and households take turns until this transaction ends.

    Merging and splitting households touches persons other than the two being linked, so row
    locks on those two are not enough. Links are written a few times per family: one
    transaction-scoped advisory lock on PostgreSQL costs nothing. SQLite already serialises
    writers (`BEGIN IMMEDIATE`, one connection per process).
    """
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FAMILY_LOCK_KEY})


async def parties(session: AsyncSession, person_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Party]:
    """Sex, category and birth date of each existing person among `person_ids`."""
    ids = list(set(person_ids))
    rows = await session.execute(
        select(
            person_facts.c.id,
            person_facts.c.sex,
            person_facts.c.category,
            person_facts.c.birth_on,
            person_facts.c.birth_precision,
        ).where(person_facts.c.id.in_(ids))
    )
    return {
        row.id: Party(
            sex=row.sex,
            category=row.category,
            birth=PartialDate.from_stored(row.birth_on, row.birth_precision),
        )
        for row in rows
    }

"""`intake-api demo-data`: an invented programme in every status, through the real API."""

from __future__ import annotations

from sqlalchemy import func, select

from apicore.db import Database
from intake_api import demo
from intake_api.models import Person, platform
from intake_api.operations import service as operation_service
from intake_api.persons.status import STATUSES
from intake_api.relatives.models import Relative
from intake_api.settings import IntakeSettings


async def _seed_operations(url: str) -> None:
    from apicore.audit import AuditTrail

    db = Database.connect(url)
    try:
        async with db.transaction() as session:
            await operation_service.ensure_reference_operations(session, audit=AuditTrail(platform))
    finally:
        await db.dispose()


async def test_fills_every_status_with_refusals_and_revokes_its_key(intake_db_url: str) -> None:
    await _seed_operations(intake_db_url)
    settings = IntakeSettings(database_url=intake_db_url)
    created = await demo.generate(settings, seed=7, families=14, only_if_empty=True)
    assert created > 30
    db = Database.connect(intake_db_url)
    try:
        async with db.transaction() as session:
            statuses = set((await session.execute(select(Person.status).distinct())).scalars())
            refused = (
                await session.execute(select(func.count()).where(Relative.decision == "refused"))
            ).scalar_one()
            keys = (
                (
                    await session.execute(
                        select(platform.api_key.c.revoked).where(platform.api_key.c.name == "demo-data")
                    )
                )
                .scalars()
                .all()
            )
            events = (
                await session.execute(select(func.count()).select_from(platform.outbox_event))
            ).scalar_one()
    finally:
        await db.dispose()
    assert statuses == set(STATUSES)
    assert refused > 0
    assert keys == [True]
    assert events > 0  # the needs wait in the outbox for the documents service
    assert await demo.generate(settings, seed=7, families=14, only_if_empty=True) == 0

"""A running service tunes CPython's garbage collector, and gives the process back as it was."""

from __future__ import annotations

import gc

from asgi_lifespan import LifespanManager

from apicore.service import YOUNG_COLLECTION_THRESHOLD
from intake_api.app import create_app
from intake_api.settings import IntakeSettings


async def test_a_running_service_freezes_what_start_up_built(intake_db_url: str) -> None:
    before = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    app = create_app(IntakeSettings(database_url=intake_db_url, outbox_enabled=False))
    async with LifespanManager(app):
        # The app, its routes and models are out of the generations a full collection walks.
        assert gc.get_freeze_count() > frozen_before + 10_000
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, before[1], before[2])
    assert gc.get_freeze_count() == frozen_before
    assert gc.get_threshold() == before


async def test_two_services_in_one_process_settle_once(intake_db_url: str) -> None:
    before = gc.get_threshold()
    first = create_app(IntakeSettings(database_url=intake_db_url, outbox_enabled=False))
    second = create_app(IntakeSettings(database_url=intake_db_url, outbox_enabled=False))
    async with LifespanManager(first):
        async with LifespanManager(second):
            assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD
        # The first is still running: its objects stay frozen and the thresholds stay tuned.
        assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0

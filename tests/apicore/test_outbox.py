"""The transactional outbox: classification of answers, backoff, and the dispatcher on a real
database (the receiving side faked at the HTTP edge with httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from structlog.testing import capture_logs
from tests.conftest import ServiceClient
from tests.support.items import foreign_write_lock

from apicore import outbox as outbox_module
from apicore.logs import Throttle
from apicore.outbox import (
    Dispatcher,
    DispatcherLock,
    OutboxEvent,
    OutboxTopic,
    RetryLater,
    Undeliverable,
    backoff_seconds,
    enqueue,
    post_event,
)
from apicore.settings import ServiceSettings
from intake_api.models import platform

EVENT = OutboxEvent(uuid.uuid4(), "t", None, {"a": 1}, "req-12345678", 0)


def _client(handler: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


class TestBackoff:
    def test_grows_exponentially_within_equal_jitter_bounds(self) -> None:
        for attempts, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (6, 16.0)):
            for _ in range(50):
                delay = backoff_seconds(attempts, base=0.5, cap=300)
                assert ceiling / 2 <= delay <= ceiling

    def test_is_capped(self) -> None:
        assert all(backoff_seconds(40, base=0.5, cap=10) <= 10 for _ in range(50))


class TestPostEvent:
    async def test_sends_event_id_as_idempotency_key_and_the_request_id(self) -> None:
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(201, json={"id": "x"})

        async with _client(handler) as client:
            result = await post_event(
                client, EVENT, "http://docs/v1/requests", api_key="k", json_body={"b": 2}
            )
        assert result == {"id": "x"}
        assert seen[0].headers["idempotency-key"] == str(EVENT.id)
        assert seen[0].headers["x-request-id"] == "req-12345678"
        assert seen[0].headers["authorization"] == "Bearer k"

    @pytest.mark.parametrize("status", [500, 502, 503, 504, 401, 403, 408, 409, 429])
    async def test_transient_answers_are_retried(self, status: int) -> None:
        async with _client(lambda r: httpx.Response(status)) as client:
            with pytest.raises(RetryLater):
                await post_event(client, EVENT, "http://docs/x", api_key="k", json_body={})

    async def test_network_failure_is_retried(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        async with _client(handler) as client:
            with pytest.raises(RetryLater):
                await post_event(client, EVENT, "http://docs/x", api_key="k", json_body={})

    @pytest.mark.parametrize("status", [400, 404, 422])
    async def test_refusals_are_final(self, status: int) -> None:
        async with _client(lambda r: httpx.Response(status)) as client:
            with pytest.raises(Undeliverable):
                await post_event(client, EVENT, "http://docs/x", api_key="k", json_body={})

    async def test_accepted_conflict_counts_as_delivered(self) -> None:
        async with _client(lambda r: httpx.Response(409, json={"open_request_id": "r1"})) as client:
            result = await post_event(
                client, EVENT, "http://docs/x", api_key="k", json_body={}, accept_conflict=lambda r: True
            )
        assert result == {"open_request_id": "r1"}


def _settings(**overrides: Any) -> ServiceSettings:
    base: dict[str, Any] = {
        "outbox_backoff_base_seconds": 0.001,
        "outbox_backoff_cap_seconds": 0.001,
        "outbox_max_attempts": 3,
    }
    return ServiceSettings(**(base | overrides))


async def _enqueue(intake: ServiceClient) -> uuid.UUID:
    async with intake.db.transaction() as session:
        return await enqueue(session, platform, "test.topic", {"n": 1})


async def _state(intake: ServiceClient, event_id: uuid.UUID) -> tuple[str, int]:
    t = platform.outbox_event
    async with intake.db.transaction() as session:
        row = (await session.execute(select(t.c.state, t.c.attempts).where(t.c.id == event_id))).one()
    return row.state, row.attempts


class TestDispatcher:
    async def test_retries_until_the_receiver_takes_the_event(self, intake: ServiceClient) -> None:
        event_id = await _enqueue(intake)
        calls: list[int] = []
        delivered: list[Any] = []

        async def deliver(client: httpx.AsyncClient, event: OutboxEvent) -> dict[str, Any]:
            calls.append(event.attempts)
            if len(calls) < 3:
                raise RetryLater("down")
            return {"ok": True}

        async def on_delivered(session: Any, event: OutboxEvent, result: Any) -> None:
            delivered.append(result)

        topic = OutboxTopic("test.topic", deliver, on_delivered)
        async with httpx.AsyncClient() as client:
            dispatcher = Dispatcher(
                intake.db, platform, {topic.name: topic}, client, _settings(outbox_max_attempts=5)
            )
            for _ in range(20):
                await dispatcher.process_due()
                if delivered:
                    break
        assert calls == [0, 1, 2]
        assert delivered == [{"ok": True}]
        assert await _state(intake, event_id) == ("delivered", 3)

    async def test_gives_up_after_max_attempts_and_keeps_the_event_dead(self, intake: ServiceClient) -> None:
        event_id = await _enqueue(intake)

        async def deliver(client: httpx.AsyncClient, event: OutboxEvent) -> None:
            raise RetryLater("down")

        topic = OutboxTopic("test.topic", deliver)
        async with httpx.AsyncClient() as client:
            dispatcher = Dispatcher(intake.db, platform, {topic.name: topic}, client, _settings())
            for _ in range(20):
                await dispatcher.process_due()
        assert await _state(intake, event_id) == ("dead", 3)

    async def test_retries_are_one_line_in_10_s_and_a_death_a_line_each(
        self, intake: ServiceClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(outbox_module, "_retries", Throttle(seconds=10.0))
        first, second = await _enqueue(intake), await _enqueue(intake)

        async def deliver(client: httpx.AsyncClient, event: OutboxEvent) -> None:
            raise RetryLater("down")

        topic = OutboxTopic("test.topic", deliver)
        async with httpx.AsyncClient() as client:
            dispatcher = Dispatcher(intake.db, platform, {topic.name: topic}, client, _settings())
            with capture_logs() as logs:
                for _ in range(20):
                    await dispatcher.process_due()
        assert await _state(intake, first) == ("dead", 3)
        assert await _state(intake, second) == ("dead", 3)
        # Two events, two retries each: one line; then each death at error level.
        lines = [(e["event"], e["log_level"]) for e in logs if e["event"].startswith("outbox.")]
        assert lines == [("outbox.retry", "warning"), ("outbox.dead", "error"), ("outbox.dead", "error")]

    async def test_a_refused_event_is_dead_at_once(self, intake: ServiceClient) -> None:
        event_id = await _enqueue(intake)

        async def deliver(client: httpx.AsyncClient, event: OutboxEvent) -> None:
            raise Undeliverable("HTTP 422")

        topic = OutboxTopic("test.topic", deliver)
        async with httpx.AsyncClient() as client:
            dispatcher = Dispatcher(intake.db, platform, {topic.name: topic}, client, _settings())
            await dispatcher.process_due()
            await dispatcher.process_due()
        assert await _state(intake, event_id) == ("dead", 1)

    async def test_a_leased_event_is_not_picked_twice(self, intake: ServiceClient) -> None:
        await _enqueue(intake)
        topic = OutboxTopic("test.topic", lambda c, e: None)  # type: ignore[arg-type,return-value]
        async with httpx.AsyncClient() as client:
            dispatcher = Dispatcher(intake.db, platform, {topic.name: topic}, client, _settings())
            first = await dispatcher._claim(10)
            second = await dispatcher._claim(10)
        assert len(first) == 1
        assert second == []


async def _leased_until(intake: ServiceClient, event_id: uuid.UUID) -> Any:
    t = platform.outbox_event
    async with intake.db.transaction() as session:
        return (await session.execute(select(t.c.leased_until).where(t.c.id == event_id))).scalar_one()


async def _wait_until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


class TestLeases:
    async def test_a_dispatcher_stopped_mid_attempt_gives_its_lease_back(self, intake: ServiceClient) -> None:
        event_id = await _enqueue(intake)
        started = asyncio.Event()

        async def hang(client: httpx.AsyncClient, event: OutboxEvent) -> None:
            started.set()
            await asyncio.Event().wait()  # the receiver never answers

        async with httpx.AsyncClient() as client:
            topic = OutboxTopic("test.topic", hang)
            first = Dispatcher(intake.db, platform, {topic.name: topic}, client, _settings())
            task = asyncio.create_task(first.run_forever())
            await asyncio.wait_for(started.wait(), 10)
            assert await _leased_until(intake, event_id) is not None
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await _leased_until(intake, event_id) is None
            # The next dispatcher takes it at once, not when the lease would have expired.
            second = Dispatcher(intake.db, platform, {topic.name: topic}, client, _settings())
            assert [e.id for e in await second._claim(10)] == [event_id]

    async def test_a_delivered_event_holds_no_lease(self, intake: ServiceClient) -> None:
        event_id = await _enqueue(intake)

        async def deliver(client: httpx.AsyncClient, event: OutboxEvent) -> None:
            return None

        async with httpx.AsyncClient() as client:
            topic = OutboxTopic("test.topic", deliver)
            await Dispatcher(intake.db, platform, {topic.name: topic}, client, _settings()).process_due()
        assert await _state(intake, event_id) == ("delivered", 1)
        assert await _leased_until(intake, event_id) is None


class TestOneDispatcherOnSQLite:
    def test_the_lock_admits_one_holder_per_database_file(self, tmp_path: Path) -> None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
        first, second = DispatcherLock(url), DispatcherLock(url)
        assert first.required
        assert first.try_acquire()
        assert not second.try_acquire()
        assert DispatcherLock(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}").try_acquire()
        first.release()
        assert second.try_acquire()
        second.release()

    def test_a_symlink_and_its_target_share_the_lock(self, tmp_path: Path) -> None:
        real = tmp_path / "real.db"
        real.touch()
        link = tmp_path / "link.db"
        link.symlink_to(real)
        first = DispatcherLock(f"sqlite+aiosqlite:///{link}")
        second = DispatcherLock(f"sqlite+aiosqlite:///{real}")
        try:
            assert first.try_acquire()
            assert not second.try_acquire()
        finally:
            first.release()

    def test_postgresql_needs_no_lock(self) -> None:
        lock = DispatcherLock("postgresql+asyncpg://u:p@127.0.0.1:5432/intake")
        assert not lock.required
        assert lock.try_acquire()
        assert lock.path is None

    # The one-dispatcher rule is SQLite's; PostgreSQL shares its outbox (tests/integration).
    @pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
    async def test_a_second_dispatcher_stands_by_then_takes_over_with_the_dead_ones_leases(
        self, intake: ServiceClient
    ) -> None:
        delivered: list[str] = []

        async def deliver(client: httpx.AsyncClient, event: OutboxEvent) -> None:
            delivered.append(event.payload["who"])

        async with httpx.AsyncClient() as client:
            topic = OutboxTopic("test.topic", deliver)
            # The active one looks for events only when woken, so the ghost below claims first.
            active = Dispatcher(
                intake.db, platform, {topic.name: topic}, client, _settings(outbox_poll_seconds=60)
            )
            standby = Dispatcher(
                intake.db, platform, {topic.name: topic}, client, _settings(outbox_poll_seconds=0.05)
            )
            active_task = asyncio.create_task(active.run_forever())
            await _wait_until(lambda: active.lock.held)
            standby_task = asyncio.create_task(standby.run_forever())
            async with intake.db.transaction() as session:
                await enqueue(session, platform, "test.topic", {"who": "first"})
            active.wake()
            await _wait_until(lambda: delivered == ["first"])
            # Once it has looked again and found nothing, it waits to be woken (60 s).
            await _wait_until(active.idle.is_set)
            # A dispatcher that died holding a lease (claimed, never attempted): simulated by a
            # claim of a third dispatcher that then vanishes.
            async with intake.db.transaction() as session:
                orphan = await enqueue(session, platform, "test.topic", {"who": "orphan"})
            ghost = Dispatcher(intake.db, platform, {topic.name: topic}, client, _settings())
            assert [e.id for e in await ghost._claim(10)] == [orphan]
            active_task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await active_task
            # The standby holds the lock now, knows no one else runs, and delivers the orphan
            # without waiting for its lease to run out.
            await _wait_until(lambda: delivered == ["first", "orphan"], timeout=5)
            assert standby.lock.held
            standby_task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await standby_task


async def test_an_attempt_that_hangs_is_cut_off_and_retried_later(intake: ServiceClient) -> None:
    event_id = await _enqueue(intake)

    async def hang(client: httpx.AsyncClient, event: OutboxEvent) -> None:
        await asyncio.Event().wait()

    topic = OutboxTopic("test.topic", hang)
    async with httpx.AsyncClient() as client:
        dispatcher = Dispatcher(
            intake.db, platform, {topic.name: topic}, client, _settings(http_timeout_seconds=0.05)
        )
        await asyncio.wait_for(dispatcher.process_due(), 5)
    t = platform.outbox_event
    async with intake.db.transaction() as session:
        row = (await session.execute(select(t).where(t.c.id == event_id))).one()
    assert (row.state, row.attempts, row.last_error, row.leased_until) == (
        "pending",
        1,
        "attempt timed out",
        None,
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_busy_database_defers_a_pass_with_a_warning_not_a_failure(
    intake: ServiceClient, intake_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apicore import db as db_module

    monkeypatch.setattr(db_module, "_BUSY_WAIT_SECONDS", 0.1)
    monkeypatch.setattr(outbox_module, "_deferrals", Throttle(seconds=10.0))
    event_id = await _enqueue(intake)
    delivered: list[uuid.UUID] = []

    async def deliver(client: httpx.AsyncClient, event: OutboxEvent) -> None:
        delivered.append(event.id)

    topic = OutboxTopic("test.topic", deliver)
    with capture_logs() as logs:
        async with httpx.AsyncClient() as client:
            dispatcher = Dispatcher(
                intake.db, platform, {topic.name: topic}, client, _settings(outbox_poll_seconds=0.05)
            )
            # Another program (the sqlite3 shell, say) holds the write lock for a while.
            with foreign_write_lock(intake_db_url.split("///", 1)[1]):
                running = asyncio.create_task(dispatcher.run_forever())
                await _wait_until(lambda: any(e["event"] == "outbox.cycle_deferred" for e in logs))
            await _wait_until(lambda: delivered == [event_id])
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running
    deferred = [e for e in logs if e["event"] == "outbox.cycle_deferred"]
    # One line however many passes were deferred in the 10 s (a pass every 0.05 s here).
    assert [(e["log_level"], e["reason"], e["error"]) for e in deferred] == [
        ("warning", "database-busy", "OperationalError")
    ]
    assert not [e for e in logs if e["event"] == "outbox.cycle_failed"]
    assert await _state(intake, event_id) == ("delivered", 1)

"""`intake-api reconcile`'s comparison on intake's real database, against the documents
service's requests as `GET /v1/requests` gives them (the HTTP path is in tests/integration)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from apicore.audit import AuditTrail
from intake_api.documents.models import PersonDocument
from intake_api.documents.schemas import DocumentUpdate
from intake_api.documents.service import apply_update
from intake_api.models import platform
from intake_api.reconcile import compare, repair
from tests.conftest import ServiceClient
from tests.support.families import KK_GIRL, register_scenario, seed_operations

T0 = dt.datetime(2019, 6, 1, 8, tzinfo=dt.UTC)


def docs_request(
    person_id: uuid.UUID, request_id: uuid.UUID, status: str, version: int, day: int
) -> dict[str, Any]:
    """A request as the documents service lists it (the fields reconciliation reads)."""
    closed = status in {"issued", "cancelled", "rejected"}
    return {
        "id": str(request_id),
        "person_id": str(person_id),
        "kind": "birth_certificate",
        "status": status,
        "need_id": None,
        "version": version,
        "deadline": {
            "status_since": (T0 + dt.timedelta(days=day)).isoformat(),
            "target_days": None if closed else 30,
        },
        "document": None,
    }


async def _child_with_issued_certificate(intake: ServiceClient) -> tuple[uuid.UUID, uuid.UUID]:
    await seed_operations(intake)
    [child] = await register_scenario(intake, KK_GIRL)
    request_id = uuid.uuid4()
    async with intake.db.transaction() as session:
        await apply_update(
            session,
            DocumentUpdate(
                event_id=uuid.uuid4(),
                request_id=request_id,
                person_id=child,
                kind="birth_certificate",
                status="issued",
                version=6,
                status_changed_at=T0 + dt.timedelta(days=40),
                certificate_number="8337381",
            ),
            audit=AuditTrail(platform),
        )
    return child, request_id


async def _document(intake: ServiceClient, child: uuid.UUID) -> tuple[str, int, str | None] | None:
    async with intake.db.transaction() as session:
        row = (
            await session.execute(select(PersonDocument).where(PersonDocument.person_id == child))
        ).scalar()
        return (row.status, row.request_version, row.certificate_number) if row else None


async def _reconcile(intake: ServiceClient, requests: list[dict[str, Any]], *, fix: bool) -> list[str]:
    async with intake.db.transaction() as session:
        found = await compare(session, requests)
        if fix:
            await repair(session, found, requests)
    return [d.problem for d in found]


class TestStatusAhead:
    async def test_a_restored_backup_behind_intake_is_found_and_its_state_recorded(
        self, intake: ServiceClient
    ) -> None:
        child, request_id = await _child_with_issued_certificate(intake)
        # The documents database came back from a backup: the request at v1, then rejected (v2).
        restored = [docs_request(child, request_id, "rejected", 2, day=50)]
        assert await _reconcile(intake, restored, fix=False) == ["status_ahead"]
        assert await _reconcile(intake, restored, fix=True) == ["status_ahead"]
        assert await _document(intake, child) == ("rejected", 2, None)
        assert await _reconcile(intake, restored, fix=False) == []

    async def test_a_request_the_documents_service_never_had_is_replaced_by_the_one_it_has(
        self, intake: ServiceClient
    ) -> None:
        child, _gone = await _child_with_issued_certificate(intake)
        other = uuid.uuid4()
        requests = [docs_request(child, other, "requested", 1, day=1)]
        assert await _reconcile(intake, requests, fix=True) == ["status_ahead"]
        assert await _document(intake, child) == ("requested", 1, None)
        assert await _reconcile(intake, requests, fix=False) == []

    async def test_a_document_the_documents_service_has_no_request_for_is_forgotten(
        self, intake: ServiceClient
    ) -> None:
        child, _gone = await _child_with_issued_certificate(intake)
        # (The child's need itself is still in the outbox, on its way: not a disagreement.)
        assert await _reconcile(intake, [], fix=True) == ["status_ahead"]
        assert await _document(intake, child) is None

    async def test_intake_behind_is_not_ahead(self, intake: ServiceClient) -> None:
        child, request_id = await _child_with_issued_certificate(intake)
        same = [docs_request(child, request_id, "issued", 6, day=40)]
        assert await _reconcile(intake, same, fix=False) == []

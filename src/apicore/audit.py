"""The audit trail: who read or changed which record, when, under which request.

Rows are written in the same transaction as the work they describe; they hold the names of
fields, never their values. The API only ever appends to this table.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from apicore.auth import Principal
from apicore.db import utcnow
from apicore.requestids import current_request_id
from apicore.tables import PlatformTables


class AuditTrail:
    """Appends audit events for the principal of the current request."""

    def __init__(self, tables: PlatformTables, request: Request | None = None) -> None:
        self.table = tables.audit_event
        self.request = request

    @property
    def principal(self) -> Principal | None:
        """The caller, read when an event is written (the role dependency may resolve later)."""
        return getattr(self.request.state, "principal", None) if self.request else None

    def _actor(self) -> dict[str, object]:
        p = self.principal
        if p is None:
            return {"actor_key_id": None, "actor_name": "system", "actor_role": "system"}
        return {"actor_key_id": p.key_id, "actor_name": p.name, "actor_role": p.role.value}

    async def record(
        self,
        session: AsyncSession,
        action: str,
        *,
        subject_type: str,
        subject_id: uuid.UUID | None,
        fields: Sequence[str] | None = None,
    ) -> None:
        """Append one event (`action` such as `person.read`, `person.created`)."""
        await self.record_many(
            session, action, subject_type=subject_type, subject_ids=[subject_id], fields=fields
        )

    async def record_many(
        self,
        session: AsyncSession,
        action: str,
        *,
        subject_type: str,
        subject_ids: Iterable[uuid.UUID | None],
        fields: Sequence[str] | None = None,
    ) -> None:
        """Append one event per subject in one statement (a list read audits every row shown)."""
        now = utcnow()
        actor = self._actor()
        request_id = current_request_id()
        rows = [
            {
                "id": uuid.uuid4(),
                "at": now,
                **actor,
                "action": action,
                "subject_type": subject_type,
                "subject_id": sid,
                "request_id": request_id,
                "fields": list(fields) if fields is not None else None,
            }
            for sid in subject_ids
        ]
        if rows:
            await session.execute(self.table.insert(), rows)


def _audit_trail(request: Request) -> AuditTrail:
    return AuditTrail(request.app.state.ctx.tables, request)


Audit = Annotated[AuditTrail, Depends(_audit_trail)]
"""The audit trail of the current request."""

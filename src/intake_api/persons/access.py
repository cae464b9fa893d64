"""Who may do what with persons (least privilege; auditors read the audit trail, not persons)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from apicore.auth import Principal, Role, require

FieldStaff = Annotated[Principal, Depends(require(Role.field_worker, Role.case_worker, Role.admin))]
PersonReader = Annotated[
    Principal,
    Depends(
        require(Role.field_worker, Role.case_worker, Role.registrar, Role.partner, Role.service, Role.admin)
    ),
]

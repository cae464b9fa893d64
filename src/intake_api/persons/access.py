"""Who may do what with persons (least privilege; auditors read the audit trail, not persons).

What each role sees of a person is decided in `views.py`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from apicore.auth import Principal, Role, require

FieldStaff = Annotated[Principal, Depends(require(Role.field_worker, Role.case_worker, Role.admin))]
"""Register and edit in the field."""
PersonReader = Annotated[
    Principal,
    Depends(
        require(Role.field_worker, Role.case_worker, Role.registrar, Role.partner, Role.service, Role.admin)
    ),
]
NameEditor = Annotated[
    Principal, Depends(require(Role.field_worker, Role.case_worker, Role.registrar, Role.admin))
]
"""Names arrive from the field and are confirmed by registrars."""
CaseStaff = Annotated[Principal, Depends(require(Role.case_worker, Role.admin))]
"""Moves on the path home and document-need overrides."""
HistoryReader = Annotated[Principal, Depends(require(Role.field_worker, Role.case_worker, Role.admin))]
"""Status history reveals custody: not for partners or registrars."""

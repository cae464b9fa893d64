"""Who may do what in the documents service (least privilege).

Case workers and the intake service open requests; registrars move them and keep their document
data; partners follow progress without personal data (`document_requests/views.py`); auditors
read the audit trail, not requests.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from apicore.auth import Principal, Role, require

Requester = Annotated[Principal, Depends(require(Role.service, Role.case_worker, Role.admin))]
RequestReader = Annotated[
    Principal, Depends(require(Role.case_worker, Role.registrar, Role.service, Role.partner, Role.admin))
]
Registrar = Annotated[Principal, Depends(require(Role.registrar, Role.admin))]
Mover = Annotated[Principal, Depends(require(Role.registrar, Role.service, Role.admin))]
"""Registrars move requests; the intake service may only cancel (checked in the service)."""
RegisterReader = Annotated[
    Principal, Depends(require(Role.registrar, Role.case_worker, Role.service, Role.admin))
]
"""The register answers "was this number issued, and to whom": personal data, no partners."""

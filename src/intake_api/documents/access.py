"""Who may send and read document statuses (least privilege).

- The documents service alone reports status changes (`service` role).
- Case workers, registrars and admins read a person's documents with numbers and dates;
  partners see only whether each document is on its way (kind, status), so that they can plan
  without holding document numbers. Field workers and auditors do not read them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from apicore.auth import Principal, Role, require

DocumentsService = Annotated[Principal, Depends(require(Role.service))]
DocumentReader = Annotated[
    Principal, Depends(require(Role.case_worker, Role.registrar, Role.partner, Role.admin))
]

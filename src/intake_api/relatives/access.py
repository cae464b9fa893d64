"""Who may do what with relatives, and what each role sees of them (least privilege)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import Depends

from apicore.auth import Principal, Role, require

RelativeRecorder = Annotated[Principal, Depends(require(Role.field_worker, Role.case_worker, Role.admin))]
"""Field teams meet relatives at the centres and record them; case workers too."""
RelativeEditor = Annotated[Principal, Depends(require(Role.case_worker, Role.admin))]
"""Changing a relative, their decision above all, is case work."""
RelativeReader = Annotated[
    Principal, Depends(require(Role.field_worker, Role.case_worker, Role.partner, Role.admin))
]
DecisionHistoryReader = Annotated[Principal, Depends(require(Role.case_worker, Role.admin))]

SEES_CONTACT: Final = frozenset({Role.case_worker, Role.admin})
"""A relative's phone and address are for case workers and admins only; absent for the others."""
SEES_DECISION_REASON: Final = frozenset({Role.field_worker, Role.case_worker, Role.admin})
"""Why a relative refused is case detail: partners see the decision, not the reason."""

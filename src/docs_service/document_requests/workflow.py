"""Statuses of a document request (pure; transitions come with the documents issue).

Modelled on civil registration workflows (OpenCRVS: declared → registered → certified → issued;
rejected) and the passport path (application → biometrics → production → hand-over).
"""

from __future__ import annotations

from typing import Literal

DocumentKind = Literal["birth_certificate", "passport"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("birth_certificate", "passport")

INITIAL_STATUS = "requested"
CLOSED_STATUSES = frozenset({"issued", "rejected", "cancelled"})
"""A request in one of these is no longer open: another of its kind may follow."""

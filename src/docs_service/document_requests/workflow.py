"""The workflow of a document request: states, allowed moves per kind, data each move takes.

Pure: no web, no database. Modelled on civil registration (OpenCRVS: declared → validated →
registered → certified → issued; rejected; every action kept with who and when) and on the
passport path of the migration service (application → biometrics → approval → production →
hand-over).

- Birth certificate: `requested` → `documents_collected` → `parentage_confirmed` (evidence:
  DNA test, court decision or the mother's documents) → `registered` (civil act record) →
  `printed` (certificate series and number) → `issued` (handed to the mother or a guardian).
- Passport: `requested` → `biometrics_taken` → `approved` → `produced` (number, dates, MRZ) →
  `issued` (handed over; a former passport is recorded as withdrawn).
- Any open state → `rejected` (with a reason) or `cancelled`.
- A reissue (lost, damaged, name corrected) follows the same path, except that a birth
  certificate reissue is printed from the civil act record already made: parentage and
  registration are not done again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal, get_args

from apicore.i18n import LazyText, _l

DocumentKind = Literal["birth_certificate", "passport"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("birth_certificate", "passport")

Status = Literal[
    "requested",
    "documents_collected",
    "parentage_confirmed",
    "registered",
    "printed",
    "biometrics_taken",
    "approved",
    "produced",
    "issued",
    "rejected",
    "cancelled",
]
STATUSES: tuple[Status, ...] = get_args(Status)
STATUS_LABELS: Final[dict[str, LazyText]] = {
    "requested": _l("Requested"),
    "documents_collected": _l("Documents collected"),
    "parentage_confirmed": _l("Parentage confirmed"),
    "registered": _l("Registered (civil act record)"),
    "printed": _l("Certificate printed"),
    "biometrics_taken": _l("Biometrics taken"),
    "approved": _l("Approved"),
    "produced": _l("Passport produced"),
    "issued": _l("Issued"),
    "rejected": _l("Rejected"),
    "cancelled": _l("Cancelled"),
}
"""Names of the statuses for people, translated when rendered (problems name them)."""

ReissueReason = Literal["lost", "damaged", "name_corrected"]

INITIAL_STATUS: Final[Status] = "requested"
ISSUED: Final[Status] = "issued"
REJECTED: Final[Status] = "rejected"
CANCELLED: Final[Status] = "cancelled"
CLOSED_STATUSES = frozenset({ISSUED, REJECTED, CANCELLED})
"""A request in one of these is no longer open: another of its kind may follow."""

_PATHS: Final[dict[tuple[DocumentKind, bool], tuple[Status, ...]]] = {
    ("birth_certificate", False): (
        "requested",
        "documents_collected",
        "parentage_confirmed",
        "registered",
        "printed",
        "issued",
    ),
    # A duplicate is printed from the existing civil act record (the record is amended, not
    # made again, when the name is corrected).
    ("birth_certificate", True): ("requested", "documents_collected", "printed", "issued"),
    ("passport", False): ("requested", "biometrics_taken", "approved", "produced", "issued"),
    ("passport", True): ("requested", "biometrics_taken", "approved", "produced", "issued"),
}

DOCUMENT_STATUS: Final[dict[DocumentKind, Status]] = {"birth_certificate": "printed", "passport": "produced"}
"""The status in which the document exists physically and its number is taken."""


class IllegalTransition(ValueError):
    """A move the workflow does not allow.

    Attributes:
        current: the request's status.
        target: the status asked for.
        allowed: the statuses the request may move to from `current` (empty when closed).
    """

    def __init__(self, current: str, target: str, allowed: tuple[Status, ...]) -> None:
        super().__init__(f"{current} -> {target} is not allowed; allowed: {', '.join(allowed) or 'none'}")
        self.current = current
        self.target = target
        self.allowed = allowed


def path(kind: DocumentKind, *, reissue: bool = False) -> tuple[Status, ...]:
    """The states a request of `kind` passes through on its way to `issued`, in order."""
    return _PATHS[(kind, reissue)]


def is_open(status: str) -> bool:
    """True while the request may still move (not issued, rejected or cancelled)."""
    return status not in CLOSED_STATUSES


def allowed_from(kind: DocumentKind, status: str, *, reissue: bool = False) -> tuple[Status, ...]:
    """The statuses a request of `kind` may move to from `status`.

    Args:
        kind: the document kind.
        status: the current status.
        reissue: whether the request reissues an issued document.

    Returns:
        The next step of the path, then `rejected` and `cancelled`; nothing once closed or for a
        status that is not on the kind's path.
    """
    steps = path(kind, reissue=reissue)
    if not is_open(status) or status not in steps:
        return ()
    following = steps[steps.index(status) + 1]
    return (following, REJECTED, CANCELLED)


def check_transition(kind: DocumentKind, current: str, target: str, *, reissue: bool = False) -> None:
    """Check that a request of `kind` may move from `current` to `target`.

    Raises:
        IllegalTransition: the move is not allowed (its `allowed` lists the ones that are).
    """
    allowed = allowed_from(kind, current, reissue=reissue)
    if target not in allowed:
        raise IllegalTransition(current, target, allowed)


@dataclass(frozen=True, slots=True)
class TransitionData:
    """The fields of `data` a move requires and the ones it also accepts; `reason` rules."""

    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    reason_required: bool = False

    @property
    def accepted(self) -> frozenset[str]:
        """Every field the move takes."""
        return self.required | self.optional


_DATA: Final[dict[tuple[DocumentKind, Status], TransitionData]] = {
    ("birth_certificate", "documents_collected"): TransitionData(required=frozenset({"documents"})),
    ("birth_certificate", "parentage_confirmed"): TransitionData(
        required=frozenset({"evidence", "reference", "evidence_date"})
    ),
    ("birth_certificate", "registered"): TransitionData(
        required=frozenset({"civil_act_record_number", "registry_office", "registered_on"}),
        # Decree No. 406 of 2007: the IIN is assigned when the birth is registered.
        optional=frozenset({"iin"}),
    ),
    ("birth_certificate", "printed"): TransitionData(
        required=frozenset({"certificate_series", "certificate_number"})
    ),
    ("birth_certificate", "issued"): TransitionData(required=frozenset({"handed_to", "handed_over_on"})),
    ("passport", "biometrics_taken"): TransitionData(required=frozenset({"biometrics_taken_on"})),
    ("passport", "approved"): TransitionData(),
    ("passport", "produced"): TransitionData(
        required=frozenset({"passport_number", "issued_on", "expires_on"}),
        optional=frozenset({"iin"}),
    ),
    ("passport", "issued"): TransitionData(required=frozenset({"handed_over_on"})),
}
_REJECT = TransitionData(reason_required=True)
_CANCEL = TransitionData()


def transition_data(kind: DocumentKind, target: Status) -> TransitionData:
    """What `data` and `reason` the move to `target` takes for a request of `kind`."""
    if target == REJECTED:
        return _REJECT
    if target == CANCELLED:
        return _CANCEL
    return _DATA.get((kind, target), TransitionData())


Prerequisite = Literal[
    "kazakh_name",
    "cyrillic_name",
    "latin_name",
    "birth_date",
    "sex",
    "civil_act_record",
    "iin",
]

PREREQUISITE_LABELS: Final[dict[str, LazyText]] = {
    "kazakh_name": _l("the child's Kazakh name in Cyrillic"),
    "cyrillic_name": _l("the name in Cyrillic"),
    "latin_name": _l("the Latin name confirmed by the registrar"),
    "birth_date": _l("the birth date"),
    "sex": _l("the sex"),
    "civil_act_record": _l("the civil act record"),
    "iin": _l("the IIN"),
}

_PREREQUISITES: Final[dict[tuple[DocumentKind, Status], tuple[Prerequisite, ...]]] = {
    # The act record carries the child's Kazakh name; the certificate copies the record.
    ("birth_certificate", "registered"): ("kazakh_name",),
    ("birth_certificate", "printed"): ("kazakh_name", "civil_act_record", "iin"),
    ("passport", "approved"): ("cyrillic_name", "latin_name"),
    # The MRZ needs the confirmed Latin name, birth date and sex (ICAO Doc 9303 Part 4).
    ("passport", "produced"): ("cyrillic_name", "latin_name", "birth_date", "sex", "iin"),
}


def prerequisites(kind: DocumentKind) -> tuple[Prerequisite, ...]:
    """Every fact a request of `kind` must have before its document can be made, in order."""
    seen: dict[Prerequisite, None] = {}
    for (k, _), needed in _PREREQUISITES.items():
        if k == kind:
            seen.update(dict.fromkeys(needed))
    return tuple(seen)


def missing_prerequisites(
    kind: DocumentKind, target: Status, present: Iterable[Prerequisite]
) -> tuple[Prerequisite, ...]:
    """The facts the move to `target` needs that the request does not have yet, in order."""
    have = set(present)
    return tuple(p for p in _PREREQUISITES.get((kind, target), ()) if p not in have)

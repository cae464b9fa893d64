"""What the fuzzer must accept beyond what the OpenAPI schema says, operation by operation.

The schema carries every rule it can express (ASCII-or-Arabic-Indic digit patterns, lengths,
enums, refused characters). The rules below are stricter than JSON Schema can say; for each, a
request that the schema allows may be refused, and this table says with which status and why.
Schemathesis' other checks (no 5xx, documented statuses and content types, responses that match
the schema, invalid data refused, 401 without a key, 405 for other methods) apply unchanged.
"""

from __future__ import annotations

import secrets
from typing import Any, Final

import schemathesis
from schemathesis.config._checks import (
    MISSING_REQUIRED_HEADER_EXPECTED_STATUSES,
    POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES,
)

CURSOR: Final = "400: a cursor is a position the service encoded (base64 JSON), not any string"
TEXT: Final = (
    "422: text must not be blank; names are letters of any script (the pattern refuses ASCII digits "
    "and symbols, not those of other scripts); no format, private-use or noncharacter code points "
    "beyond the common ones the pattern lists"
)
DATES: Final = "422: a date must exist (no 2019-02-30) and dates must agree with each other"
IIN: Final = "422: an IIN's check digit (Decree No. 406)"
PRECONDITION: Final = "412/428: If-Match must name the current version (RFC 9110), required for updates"
REFERENCE: Final = "422: ids and codes in the body must name existing records (operation, person, relative)"
WORKFLOW: Final = "422: what a step needs depends on the step and the record's state"
NUMBERS: Final = "422: document numbers must match the configured formats (DOCS_NUMBER_FORMATS)"
IDEMPOTENCY: Final = "422: an Idempotency-Key answers one body; the fuzzer reuses keys with other bodies"

INTAKE_RULES: Final[dict[tuple[str, str], dict[str, str]]] = {
    ("GET", "/v1/operations"): {"400": CURSOR},
    ("POST", "/v1/operations"): {"422": f"{TEXT}; {DATES}"},
    ("GET", "/v1/persons"): {
        "400": CURSOR,
        "422": f"{TEXT} (facility); arrived_from not after arrived_to; q of 1 to 6 words (letters or digits)",
    },
    ("POST", "/v1/persons"): {"422": f"{TEXT}; {DATES}; {IIN}; {REFERENCE}; category must fit the age"},
    ("PATCH", "/v1/persons/{person_id}"): {
        "412": PRECONDITION,
        "428": PRECONDITION,
        "422": f"{TEXT}; {DATES}; {IIN}; category must fit the age",
    },
    ("POST", "/v1/persons/batch"): {"422": IDEMPOTENCY},
    ("POST", "/v1/persons/{person_id}/names"): {"422": f"{TEXT}; the script must be the letters'"},
    ("PATCH", "/v1/persons/{person_id}/names/{name_id}"): {
        "412": PRECONDITION,
        "428": PRECONDITION,
        "422": f"{TEXT}; the script must be the letters'",
    },
    ("DELETE", "/v1/persons/{person_id}/names/{name_id}"): {
        "412": PRECONDITION,
        "428": PRECONDITION,
        "422": f"{TEXT}; a person keeps at least one name",
    },
    ("POST", "/v1/persons/{person_id}/status-changes"): {
        "412": PRECONDITION,
        "428": PRECONDITION,
        "422": f"{TEXT}; {WORKFLOW}; {REFERENCE}",
    },
    ("POST", "/v1/persons/{person_id}/document-needs"): {"422": f"{TEXT}; {WORKFLOW}"},
    ("POST", "/v1/persons/{person_id}/relations"): {"422": f"{REFERENCE}; a link must fit both persons"},
    ("GET", "/v1/households"): {"400": CURSOR, "422": "422: the operation filter must name one that exists"},
    ("POST", "/v1/relatives"): {"422": f"{TEXT}; {DATES}; {REFERENCE}; a refusal needs its reason"},
    ("GET", "/v1/relatives"): {"400": CURSOR},
    ("PATCH", "/v1/relatives/{relative_id}"): {
        "412": PRECONDITION,
        "428": PRECONDITION,
        "422": f"{TEXT}; {DATES}; a refusal needs its reason",
    },
    ("POST", "/v1/document-updates"): {"422": f"{NUMBERS}; {DATES}"},
    ("GET", "/v1/audit"): {"400": CURSOR, "422": DATES},
    ("GET", "/v1/outbox"): {"400": CURSOR},
}

DOCS_RULES: Final[dict[tuple[str, str], dict[str, str]]] = {
    ("POST", "/v1/requests"): {"422": f"{REFERENCE} (checked in intake); {WORKFLOW}; {NUMBERS}"},
    ("GET", "/v1/requests"): {"400": CURSOR, "422": f"{TEXT} (office)"},
    ("PATCH", "/v1/requests/{request_id}"): {
        "412": PRECONDITION,
        "428": PRECONDITION,
        "422": f"{TEXT}; Kazakh Cyrillic and passport Latin letters only; {NUMBERS}; {WORKFLOW}",
    },
    ("POST", "/v1/requests/{request_id}/transitions"): {
        "412": PRECONDITION,
        "428": PRECONDITION,
        "422": f"{WORKFLOW}; {TEXT}; {DATES}; {IIN}; {NUMBERS}",
    },
    ("GET", "/v1/documents"): {"400": CURSOR},
    ("GET", "/v1/audit"): {"400": CURSOR, "422": DATES},
    ("GET", "/v1/outbox"): {"400": CURSOR},
}


def discovery_seed(value: str | None) -> int | None:
    """The seed of a discovery run from `FUZZ_SEED` (`random`: a new one), or None for the gate.

    Raises:
        ValueError: neither `random` nor a whole number.
    """
    if not value:
        return None
    return secrets.randbelow(2**32) if value == "random" else int(value)


def schemathesis_config(
    rules: dict[tuple[str, str], dict[str, str]], *, max_examples: int, seed: int | None = None
) -> Any:
    """The run's configuration: every check, `max_examples` per operation, and for the operations
    in `rules` the extra statuses a schema-valid request may get. With `seed`, each operation
    runs under a seed schemathesis derives from it and the operation's name (a discovery run);
    without, Hypothesis' `derandomize` decides (the gate)."""
    operations = []
    for (method, path), statuses in rules.items():
        checks: dict[str, Any] = {
            "positive_data_acceptance": {
                "expected-statuses": [*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, *statuses]
            }
        }
        if "428" in statuses:
            # Without the required If-Match an update is a 428 (RFC 6585), not a 400 or 422.
            checks["missing_required_header"] = {
                "expected-statuses": [*MISSING_REQUIRED_HEADER_EXPECTED_STATUSES, "428"]
            }
        # One filter: separate method and path filters would match either.
        operations.append({"include-name": f"{method} {path}", "checks": checks})
    config: dict[str, Any] = {"generation": {"max-examples": max_examples}, "operations": operations}
    if seed is not None:
        config["seed"] = seed
    return schemathesis.Config.from_dict(config)

"""Schemathesis over every operation of both services, with every check, on each database.

Reproducible: Hypothesis runs derandomized (the same examples every run, no example database);
each failure it found is pinned by a plain test in `test_fuzz_findings.py`. To look further
than CI does, raise `FUZZ_MAX_EXAMPLES` (e.g. `FUZZ_MAX_EXAMPLES=200 pytest tests/fuzz`).
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings

from apicore.openapi import build_openapi
from tests.fuzz.conftest import DOCS, INTAKE, FuzzTarget, load_schema
from tests.fuzz.expectations import DOCS_RULES, INTAKE_RULES, schemathesis_config

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "15"))
COVERAGE_ONE_IN = int(os.environ.get("FUZZ_COVERAGE_ONE_IN", "8"))
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    # One database per operation, shared by its examples (a fresh one each would cost seconds).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _spec(service: str) -> dict[str, Any]:
    if service == "intake":
        from intake_api.app import create_app as create_intake
        from intake_api.settings import IntakeSettings

        return build_openapi(create_intake(IntakeSettings()))
    from docs_service.app import create_app as create_docs
    from docs_service.settings import DocsSettings

    return build_openapi(create_docs(DocsSettings()))


intake_schema = load_schema(
    INTAKE,
    _spec("intake"),
    schemathesis_config(INTAKE_RULES, max_examples=MAX_EXAMPLES),
    coverage_one_in=COVERAGE_ONE_IN,
)
docs_schema = load_schema(
    DOCS,
    _spec("docs"),
    schemathesis_config(DOCS_RULES, max_examples=MAX_EXAMPLES),
    coverage_one_in=COVERAGE_ONE_IN,
)


@intake_schema.parametrize()  # type: ignore[untyped-decorator]
@FUZZ_SETTINGS
def test_intake_api(case: Any, intake_target: FuzzTarget) -> None:
    case.call_and_validate()


@docs_schema.parametrize()  # type: ignore[untyped-decorator]
@FUZZ_SETTINGS
def test_docs_service(case: Any, docs_target: FuzzTarget) -> None:
    case.call_and_validate()

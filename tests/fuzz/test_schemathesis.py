"""Schemathesis over every operation of both services, with every check, on each database.

Two ways to run, both reproducible:

- The gate (CI, `make test`): Hypothesis runs derandomized, the same examples every run, with
  no example database; each failure it ever found is pinned by a plain test in
  `test_fuzz_findings.py`.
- Discovery: `FUZZ_SEED=random` (or a number) with more examples, e.g.
  `FUZZ_SEED=random FUZZ_MAX_EXAMPLES=200 pytest tests/fuzz`. The seed is printed at the start
  (`FUZZ_SEED=<n>` replays that very run), and every failing example is kept in an example
  database under `var/fuzz-examples/` (`FUZZ_DATABASE` to move it), which the next discovery
  run tries first, whatever its seed, until it passes. Pin what it finds in
  `test_fuzz_findings.py`: Hypothesis' database is a cache of its own format, not a record.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

from apicore.openapi import build_openapi
from tests.fuzz.conftest import DOCS, INTAKE, FuzzTarget, load_schema
from tests.fuzz.expectations import DOCS_RULES, INTAKE_RULES, discovery_seed, schemathesis_config

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "15"))
COVERAGE_ONE_IN = int(os.environ.get("FUZZ_COVERAGE_ONE_IN", "8"))
ROOT = Path(__file__).resolve().parents[2]


SEED = discovery_seed(os.environ.get("FUZZ_SEED"))
if SEED is not None:
    print(f"schemathesis discovery run: FUZZ_SEED={SEED}", file=sys.stderr)  # noqa: T201
FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=SEED is None,
    database=None
    if SEED is None
    else DirectoryBasedExampleDatabase(os.environ.get("FUZZ_DATABASE") or ROOT / "var" / "fuzz-examples"),
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
    schemathesis_config(INTAKE_RULES, max_examples=MAX_EXAMPLES, seed=SEED),
    coverage_one_in=COVERAGE_ONE_IN,
)
docs_schema = load_schema(
    DOCS,
    _spec("docs"),
    schemathesis_config(DOCS_RULES, max_examples=MAX_EXAMPLES, seed=SEED),
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

"""FastAPI's own OpenTelemetry stays off in both services (`apicore.service.NO_TELEMETRY`),
even when the environment asks FastAPI to configure exporters: its logs would carry request
bodies and exception messages (names, IINs) to whatever collector is set up."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from tests.conftest import intake_test_app


def _docs_app(url: str) -> FastAPI:
    from docs_service.app import create_app
    from docs_service.settings import DocsSettings

    return create_app(
        DocsSettings(
            database_url=url,
            outbox_enabled=False,
            intake_service_url="http://127.0.0.1:9",
            intake_service_key="unused",
        )
    )


@pytest.mark.parametrize("service", ["intake", "docs"])
def test_fastapi_telemetry_is_off_whatever_the_environment_says(
    service: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FASTAPI_OTEL_AUTO_CONFIGURE", "true")
    url = f"sqlite+aiosqlite:///{tmp_path / 'telemetry.db'}"
    app = intake_test_app(url) if service == "intake" else _docs_app(url)
    # FastAPI keeps the merged settings here (fastapi/applications.py); no public reader.
    config: dict[str, object] = dict(app._telemetry)
    switches = ("tracing", "metrics", "logs", "operation_spans", "auto_configure")
    assert {k: config[k] for k in switches} == dict.fromkeys(switches, False)
    assert not app._native_telemetry.enabled()

"""The Dockerfile and compose.yaml agree with each other and with the services' real CLIs.

Nothing here needs Docker: the files are parsed, the commands in them are checked against the
argparse parsers of ``intake-api`` and ``docs-service``, and the image's HEALTHCHECK command is
run against small local HTTP servers.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
COMPOSE = REPO / "compose.yaml"

CLI_MODULES = {"intake-api": "intake_api.cli", "docs-service": "docs_service.cli"}
SERVICE_PORTS = {"intake-api": 8000, "docs-service": 8001}
ENV_PREFIXES = {"intake-api": "INTAKE_", "docs-service": "DOCS_"}
# What the builder stage must install the project from (pyproject.toml + src + migrations).
BUILD_INPUTS = ("pyproject.toml", "src", "alembic.ini", "alembic")


# ---------------------------------------------------------------------------- helpers


Instruction = dict[str, Any]


def _stages() -> list[list[Instruction]]:
    """The Dockerfile's instructions, split into build stages (each starts with its FROM)."""
    parser = DockerfileParser(path=str(DOCKERFILE))
    stages: list[list[Instruction]] = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            stages.append([])
        if stages and instruction["instruction"] != "COMMENT":
            stages[-1].append(instruction)
    return stages


def _values(stage: list[Instruction], name: str) -> list[str]:
    return [str(i["value"]) for i in stage if i["instruction"] == name]


def _exec_form(value: str) -> list[str]:
    parsed = json.loads(value)
    assert isinstance(parsed, list), value
    assert all(isinstance(part, str) for part in parsed), value
    return parsed


def _healthcheck_command() -> list[str]:
    (value,) = _values(_stages()[-1], "HEALTHCHECK")
    options, found, command = re.split(r"(?:^|\s)(CMD)\s+", value, maxsplit=1)
    assert found == "CMD", value
    assert all(option.startswith("--") for option in options.split()), options
    return _exec_form(command) if command.lstrip().startswith("[") else ["sh", "-c", command]


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1, "the CLI should have exactly one level of subcommands"
    return set(actions[0].choices)


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    assert command, "a service of our image must say which CLI it runs"
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):  # the short form means service_started
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def _container_ports(service: dict[str, Any]) -> set[int]:
    ports: set[int] = set()
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            ports.add(int(entry["target"]))
        else:
            ports.add(int(str(entry).split("/")[0].rsplit(":", 1)[-1]))
    return ports


def _interpolate_defaults(value: str) -> str:
    """Resolve ``${VAR:-default}`` / ``${VAR-default}`` the way compose does with VAR unset."""
    return re.sub(r"\$\{\w+:?-([^}]*)\}", r"\1", value)


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def parsers() -> dict[str, argparse.ArgumentParser]:
    """The real CLIs' parsers: ``build_parser()`` of intake_api.cli and docs_service.cli."""
    found = {}
    for program, module_name in CLI_MODULES.items():
        module = importlib.import_module(module_name)
        parser = module.build_parser()
        assert isinstance(parser, argparse.ArgumentParser)
        found[program] = parser
    return found


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def our_services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The compose services that run the image built from our Dockerfile."""
    services = compose["services"]
    built = {s["image"] for s in services.values() if "build" in s and "image" in s}
    ours = {name: spec for name, spec in services.items() if "build" in spec or (spec.get("image") in built)}
    assert ours
    return ours


def _parse_command(parsers: dict[str, argparse.ArgumentParser], command: list[str]) -> argparse.Namespace:
    program, *args = command
    assert program in parsers, f"{command}: the first word must be one of {sorted(parsers)}"
    try:
        return parsers[program].parse_args(args)
    except SystemExit as exc:  # argparse reports a bad command line by exiting
        raise AssertionError(f"{shlex.join(command)} is refused by the CLI") from exc


def _serving(
    parsers: dict[str, argparse.ArgumentParser], services: dict[str, dict[str, Any]]
) -> dict[str, tuple[str, dict[str, Any]]]:
    """CLI program -> (compose service name, spec) of the service that runs ``serve``."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, spec in services.items():
        command = _command(spec)
        if command[1:2] == ["serve"]:
            assert command[0] not in found, f"two compose services serve {command[0]}"
            found[command[0]] = (name, spec)
    assert set(found) == set(parsers)
    return found


# ---------------------------------------------------------------------------- Dockerfile


def test_dockerfile_is_multi_stage_on_python_311_slim() -> None:
    stages = _stages()
    assert len(stages) >= 2
    parser = DockerfileParser(path=str(DOCKERFILE))
    assert parser.is_multistage
    assert parser.baseimage == "python:3.11-slim"


def test_builder_installs_the_project_into_a_venv() -> None:
    builder = _stages()[0]
    copied = " ".join(_values(builder, "COPY")).split()
    for source in BUILD_INPUTS:
        assert source in copied, f"the builder does not COPY {source}"
    runs = " ".join(_values(builder, "RUN"))
    assert "-m venv /opt/venv" in runs
    assert re.search(r"pip install (--no-deps )?\.(\s|$)", runs), runs
    assert "-e ." not in runs
    assert "--editable" not in runs


def test_runtime_copies_the_venv_from_the_builder() -> None:
    stages = _stages()
    builder_name = _values(stages[0], "FROM")[0].split()[-1]
    runtime = stages[-1]
    assert any(v.startswith(f"--from={builder_name} /opt/venv") for v in _values(runtime, "COPY")), _values(
        runtime, "COPY"
    )
    assert "/opt/venv/bin" in DockerfileParser(path=str(DOCKERFILE)).envs["PATH"]
    # The build tools and sources stay in the builder.
    assert not [v for v in _values(runtime, "COPY") if not v.startswith("--from=")]


def test_final_stage_runs_as_a_non_root_user() -> None:
    runtime = _stages()[-1]
    users = _values(runtime, "USER")
    assert users, "the final stage sets no USER, so the services would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    # The last USER comes after every RUN (nothing later switches back to root).
    last_user = max(i for i, ins in enumerate(runtime) if ins["instruction"] == "USER")
    assert all(ins["instruction"] != "RUN" for ins in runtime[last_user:])
    # ...and that user is created in the image.
    runs = " ".join(_values(runtime, "RUN"))
    if user.isdigit():
        assert re.search(rf"useradd\b[^&;]*--uid {user}\b", runs), runs
    else:
        assert re.search(rf"useradd\b[^&;]*\b{re.escape(user)}\b", runs), runs


def test_exposes_both_service_ports() -> None:
    exposed = " ".join(_values(_stages()[-1], "EXPOSE")).split()
    assert {int(p.split("/")[0]) for p in exposed} == set(SERVICE_PORTS.values())


def test_healthcheck_calls_healthz_with_urllib_on_port_from_env() -> None:
    command = _healthcheck_command()
    text = " ".join(command)
    assert "/healthz" in text
    assert "urllib.request" in text
    assert "PORT" in text
    assert not {"curl", "wget"} & set(re.findall(r"[\w-]+", text))  # not in python:3.11-slim
    assert DockerfileParser(path=str(DOCKERFILE)).envs.get("PORT") == "8000"


def test_entrypoint_lets_the_command_choose_the_service(
    parsers: dict[str, argparse.ArgumentParser],
) -> None:
    runtime = _stages()[-1]
    (entrypoint,) = _values(runtime, "ENTRYPOINT")
    words = _exec_form(entrypoint)
    # A wrapper that runs whatever command it is given, never a service of its own.
    assert not set(words) & set(CLI_MODULES), words
    assert words[-1] == "--" or words[-1] == '"$@"', words
    (cmd,) = _values(runtime, "CMD")
    namespace = _parse_command(parsers, _exec_form(cmd))
    assert namespace is not None


def test_dockerignore_keeps_only_the_build_inputs() -> None:
    lines = [
        line.strip()
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[0] == "*", "start from an empty context and allow-list what the build needs"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied_from_context = {
        source.rstrip("/")
        for stage in _stages()
        for value in _values(stage, "COPY")
        if not value.startswith("--from=")
        for source in value.split()[:-1]
        if not source.startswith("--")
    }
    assert copied_from_context <= allowed, copied_from_context - allowed
    assert not allowed & {".git", ".venv", "var", ".env", "tests"}


# --- the HEALTHCHECK command itself, run against local servers


class _Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Unhealthy(_Health):
    status = 503


@pytest.fixture(params=[_Health, _Unhealthy], ids=["healthy", "unhealthy"])
def health_server(request: pytest.FixtureRequest) -> Iterator[tuple[int, bool]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], request.param.status == 200
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _run_healthcheck(port: int) -> int:
    command = _healthcheck_command()
    if command[0] in {"python", "python3"}:
        command = [sys.executable, *command[1:]]
    env = {**os.environ, "PORT": str(port)}
    return subprocess.run(command, env=env, capture_output=True, timeout=30, check=False).returncode


def test_healthcheck_command_reports_the_servers_health(health_server: tuple[int, bool]) -> None:
    port, healthy = health_server
    returncode = _run_healthcheck(port)
    # Docker reads exit 0 as healthy and 1 as unhealthy.
    assert returncode == (0 if healthy else 1)


def test_healthcheck_command_fails_when_nothing_listens() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert _run_healthcheck(port) == 1


# ---------------------------------------------------------------------------- compose.yaml


def test_every_service_of_our_image_runs_a_real_subcommand(
    parsers: dict[str, argparse.ArgumentParser], our_services: dict[str, dict[str, Any]]
) -> None:
    for name, spec in our_services.items():
        command = _command(spec)
        assert command[0] in parsers, f"{name}: {command}"
        assert len(command) >= 2, f"{name}: no subcommand in {command}"
        assert command[1] in _subcommands(parsers[command[0]]), f"{name}: {command}"
        _parse_command(parsers, command)


def test_clis_offer_the_expected_subcommands(
    parsers: dict[str, argparse.ArgumentParser],
) -> None:
    for parser in parsers.values():
        assert {"serve", "migrate", "create-key", "revoke-key", "openapi"} <= _subcommands(parser)


def test_services_listen_on_8000_and_8001(
    parsers: dict[str, argparse.ArgumentParser], our_services: dict[str, dict[str, Any]]
) -> None:
    for program, (name, spec) in _serving(parsers, our_services).items():
        port = SERVICE_PORTS[program]
        namespace = _parse_command(parsers, _command(spec))
        assert int(namespace.port) == port, name
        assert namespace.host == "0.0.0.0", name  # noqa: S104 - inside the container
        assert _container_ports(spec) == {port}, name
        # The image's HEALTHCHECK looks at $PORT (8000 unless set).
        assert int(_environment(spec).get("PORT", "8000")) == port, name


def test_postgres_15_with_healthcheck_and_named_volume(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert re.fullmatch(r"postgres:15(\.\d+)?([-.\w]*)?", postgres["image"])
    test = postgres["healthcheck"]["test"]
    assert "pg_isready" in (test if isinstance(test, str) else " ".join(test))
    named = [
        v.split(":")[0]
        for v in postgres.get("volumes", [])
        if isinstance(v, str) and v.endswith(":/var/lib/postgresql/data")
    ]
    assert named, "the data directory should be on a volume"
    assert named[0] in (compose.get("volumes") or {}), "...a named one"


def test_both_databases_are_created(compose: dict[str, Any], our_services: dict[str, dict[str, Any]]) -> None:
    postgres = compose["services"]["postgres"]
    created = {_environment(postgres)["POSTGRES_DB"]}
    for volume in postgres.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if target.startswith("/docker-entrypoint-initdb.d/"):
            script = (REPO / source).resolve()
            assert script.is_relative_to(REPO / "compose"), source
            created |= set(re.findall(r"CREATE DATABASE\s+\"?(\w+)\"?", script.read_text(), re.IGNORECASE))
    user = _environment(postgres)["POSTGRES_USER"]
    used = set()
    for name, spec in our_services.items():
        for key, value in _environment(spec).items():
            if key.endswith("_DATABASE_URL"):
                url = make_url(_interpolate_defaults(value))
                assert url.drivername == "postgresql+asyncpg", name
                assert (url.host, url.port, url.username) == ("postgres", 5432, user), name
                used.add(url.database)
    assert len(used) == 2, "each service has a database of its own"
    assert used <= created, used - created


def test_each_service_has_its_settings(
    parsers: dict[str, argparse.ArgumentParser], our_services: dict[str, dict[str, Any]]
) -> None:
    for name, spec in our_services.items():
        program = _command(spec)[0]
        env = _environment(spec)
        assert f"{ENV_PREFIXES[program]}DATABASE_URL" in env, name
        foreign = [k for k in env if k.startswith(tuple(ENV_PREFIXES.values()))]
        assert all(k.startswith(ENV_PREFIXES[program]) for k in foreign), (name, foreign)

    serving = _serving(parsers, our_services)
    docs_name, _ = serving["docs-service"]
    _, intake = serving["intake-api"]
    env = _environment(intake)
    assert env["INTAKE_DOCS_SERVICE_URL"] == f"http://{docs_name}:{SERVICE_PORTS['docs-service']}"
    # The key is never written into the file: it comes from the environment running compose.
    assert re.fullmatch(r"\$\{INTAKE_DOCS_SERVICE_KEY(:?[-?][^}]*)?\}", env["INTAKE_DOCS_SERVICE_KEY"])


def test_migrations_wait_for_postgres_and_services_wait_for_migrations(
    parsers: dict[str, argparse.ArgumentParser], our_services: dict[str, dict[str, Any]]
) -> None:
    migrations = {
        _command(spec)[0]: name for name, spec in our_services.items() if _command(spec)[1] == "migrate"
    }
    assert set(migrations) == set(parsers), "one migration service per CLI"
    for name in migrations.values():
        spec = our_services[name]
        assert _depends_on(spec).get("postgres") == "service_healthy", name
        assert spec.get("restart", "no") == "no", f"{name} is one-shot"

    for program, (name, spec) in _serving(parsers, our_services).items():
        assert _depends_on(spec).get(migrations[program]) == "service_completed_successfully", name

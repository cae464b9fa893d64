"""A py-spy profile of the service in its slowest scenario (the lowest rate beside the raw
baseline), taken under the same load as the measurement, one worker.

py-spy samples the running process from outside (`py-spy record --pid --gil`), so the service
runs unchanged; `--gil` keeps the samples where Python code holds the GIL, i.e. the CPU time of
Python (time inside SQLite or waiting for PostgreSQL is not in it). The raw stacks are saved
(`bench/results/profile/`, for speedscope or `flamegraph.pl`) and summarised: for each function,
the share of samples in which it was on the stack (inclusive) and the share in which it was
running itself (self), with the line seen most.
"""

from __future__ import annotations

import asyncio
import collections
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bench.config import BenchConfig
from bench.databases import BIN, ROOT, DatabaseServer
from bench.stats import Comparison
from bench.throughput import Loaded, Matrix, log, start_app

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")
SITE = "site-packages/"


def py_spy() -> str | None:
    """The py-spy executable of this environment, or None."""
    candidate = BIN / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


OWN_PACKAGES = ("apicore", "intake_api", "docs_service")


def short_path(path: str) -> str:
    """`src/...` for our code, `package/module.py` for the rest (py-spy already shortens paths
    to the part below their `sys.path` entry)."""
    root = str(ROOT) + "/"
    if path.startswith(root):
        return path[len(root) :]
    if SITE in path:
        path = path.split(SITE, 1)[1]
    if path.split("/", 1)[0] in OWN_PACKAGES:
        return "src/" + path
    return path


def summarise(raw: str, *, top: int = 20) -> dict[str, Any]:
    """Inclusive and self shares per function from py-spy's raw (collapsed) stacks.

    Args:
        raw: lines `frame;frame;...;frame COUNT`, outermost first; a frame is
            `function (file:line)`.
        top: how many functions to keep in each list.

    Returns:
        `{samples, inclusive: [...], self: [...], own: [...]}`, each entry `{function, where,
        share}`; `own` lists only our code (`src/`), where `where` is `file:line` of the line
        sampled most in that function.
    """
    total = 0
    inclusive: collections.Counter[tuple[str, str]] = collections.Counter()
    own_lines: dict[tuple[str, str], collections.Counter[int]] = collections.defaultdict(collections.Counter)
    leaf: collections.Counter[tuple[str, str]] = collections.Counter()
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        seen: set[tuple[str, str]] = set()
        frames = [m for m in (_FRAME.match(f) for f in stack.split(";")) if m]
        for match in frames:
            key = (match["function"], short_path(match["file"]))
            if match["line"]:
                own_lines[key][int(match["line"])] += count
            if key not in seen:
                seen.add(key)
                inclusive[key] += count
        if frames:
            last = frames[-1]
            leaf[(last["function"], short_path(last["file"]))] += count

    def entries(counter: Mapping[tuple[str, str], int], only_own: bool = False) -> list[dict[str, Any]]:
        found = []
        for (function, where), count in sorted(counter.items(), key=lambda kv: -kv[1]):
            if only_own and not where.startswith("src/"):
                continue
            lines = own_lines.get((function, where))
            at = f"{where}:{lines.most_common(1)[0][0]}" if lines else where
            found.append({"function": function, "where": at, "share": count / total if total else 0.0})
            if len(found) == top:
                break
        return found

    return {
        "samples": total,
        "inclusive": entries(inclusive),
        "self": entries(leaf),
        "own": entries(inclusive, True),
    }


def slowest(comparisons: Sequence[Comparison]) -> Comparison | None:
    """The comparison whose service rate is lowest beside the raw baseline."""
    rated = [c for c in comparisons if c.to_raw is not None]
    return min(rated, key=lambda c: c.to_raw or 0.0) if rated else None


def profile_slowest(
    comparisons: Sequence[Comparison],
    copies: Mapping[str, Mapping[str, Loaded]],
    servers: Mapping[str, DatabaseServer],
    cfg: BenchConfig,
    workdir: Path,
    log_dir: Path,
) -> dict[str, Any]:
    """Run the slowest scenario again (service, one worker) under py-spy; returns the summary."""
    target = slowest(comparisons)
    spy = py_spy()
    if target is None or spy is None:
        return {"skipped": "nothing measured" if target is None else "py-spy is not installed (dev extras)"}
    del servers
    loaded = copies[target.backend]["service"]
    out_dir = cfg.results_dir / "profile"
    out_dir.mkdir(parents=True, exist_ok=True)
    raw_path = out_dir / f"{target.scenario}-{target.backend}.txt"
    app = start_app("service", 1, loaded.intake, loaded.docs, cfg, log_dir)
    rate_hz = 100
    try:
        server = app.docs if target.scenario == "transition" else app.persons
        assert server.process is not None
        log(f"profile: {target.scenario} on {target.backend} under py-spy")
        spy_process = subprocess.Popen(  # noqa: S603
            [spy, "record", "--pid", str(server.process.pid), "--rate", str(rate_hz), "--gil",
             "--format", "raw", "--output", str(raw_path)],
            stdout=subprocess.DEVNULL, stderr=(log_dir / "py-spy.log").open("ab"),
        )  # fmt: skip
        time.sleep(1)
        matrix = Matrix(cfg, workdir)
        matrix.run_app("service", 1, app, loaded, slot=len(cfg.workers), only=[target.scenario])
        spy_process.send_signal(signal.SIGINT)
        spy_process.wait(timeout=60)
    finally:
        app.stop()
    if not raw_path.exists():
        print(f"bench: py-spy wrote nothing; see {log_dir / 'py-spy.log'}", file=sys.stderr)  # noqa: T201
        return {"skipped": "py-spy wrote no profile"}
    summary = summarise(raw_path.read_text(errors="replace"))
    return {
        "statements": {backend: statement_counts(apps["service"]) for backend, apps in copies.items()},
        "scenario": target.scenario,
        "where": f"{target.backend}, 1 worker",
        "to_raw": target.to_raw,
        "to_raw_workers": target.workers,  # `to_raw` was measured with these, the profile with 1
        "rate_hz": rate_hz,
        "file": f"profile/{raw_path.name}",
        "samples": summary["samples"],
        "top": summary["own"][:15],
        "self": summary["self"][:15],
        "inclusive": summary["inclusive"][:30],
    }


async def _count_statements(
    url: str, keys: Mapping[str, str], person_id: str, batch_items: int
) -> dict[str, Any]:
    from sqlalchemy import event

    from bench import scenarios
    from intake_api.app import create_app
    from intake_api.settings import IntakeSettings

    app = create_app(IntakeSettings(database_url=url, outbox_enabled=False, log_level="WARNING"))
    seen: list[tuple[str, int]] = []
    counts: dict[str, Any] = {}
    async with app.router.lifespan_context(app):
        engine = app.state.ctx.db.engine

        def capture(_c: Any, _cur: Any, statement: str, parameters: Any, _ctx: Any, many: bool) -> None:
            seen.append((statement.split(None, 1)[0].upper(), len(parameters) if many else 1))

        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        import httpx

        requests = {
            "create": next(iter(scenarios.creations(991, 1, keys["field_worker"]))),
            "read": next(iter(scenarios.reads([uuid.UUID(person_id)], keys["case_worker"]))),
            "list": next(iter(scenarios.listings(["Айша"], keys["case_worker"]))),
            f"batch of {batch_items}": scenarios.batches(992, 1, keys["field_worker"], size=batch_items)[0],
        }
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as client:
            for name, req in requests.items():
                seen.clear()
                answer = await client.request(
                    req.method, req.target, headers=dict(req.headers), content=req.body.encode()
                )
                kinds: dict[str, int] = collections.Counter()
                for verb, _rows in seen:
                    kinds[verb] += 1
                counts[name] = {"status": answer.status_code, "statements": len(seen), "by_kind": dict(kinds)}
    return counts


def statement_counts(loaded: Loaded, batch_items: int = 10) -> dict[str, Any]:
    """SQL statements one request of each intake scenario runs (executemany counts once).

    The service runs in process on `loaded`'s database; returns per scenario the answer's
    status, the number of statements and their count by first keyword.
    """
    return asyncio.run(
        _count_statements(loaded.intake.url, loaded.intake.keys, str(loaded.person_ids[1]), batch_items)
    )

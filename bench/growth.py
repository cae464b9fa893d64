"""Growth on PostgreSQL: read, list and `q` latency at 1k, 100k and 1M persons, and the plans.

The persons are loaded straight into the tables with COPY (`bench/rows.py`: the service's own
name keys, so `person_name_token` holds what the service would write; no status events, audit
or outbox rows, which no read, list or search touches); for a large step the search tables'
secondary indexes and foreign keys are dropped first and rebuilt after, as a bulk load does,
then the loaded tables are vacuumed and analysed (`VACUUM_LOADED`). The latencies come from the
service (one worker) under wrk with two connections. The plans come from the service's own
statements: the app runs in process, every statement of one read, list and search request is
captured and run again under `EXPLAIN (ANALYZE, BUFFERS)`; they are saved in
`bench/results/plans/`.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import event

from bench import scenarios
from bench.config import BenchConfig
from bench.databases import DatabaseServer, asyncpg_dsn
from bench.loadgen import run_wrk, write_requests
from bench.people import search_terms
from bench.processes import free_port, service_server
from bench.stats import MAX_Q_P95_MS_AT_1M, Target
from bench.throughput import SEED, load_persons, log

SEARCH_TABLES = ("person_name_token", "person_name", "document_need", "status_event")
BIG_TABLES = frozenset(
    {"person", "person_name", "person_name_token", "document_need", "status_event", "audit_event"}
)
BULK_STEP = 10_000
"""Steps adding more persons than this load without the search indexes, then rebuild them."""
CONNECTIONS = 2
VACUUM_LOADED = "VACUUM (ANALYZE) person, person_name, person_name_token, document_need"
"""After a load: statistics, and the visibility map that lets index-only scans skip the table,
as autovacuum leaves a table that grows by inserts (PostgreSQL 13+) in steady state."""
_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
_EXECUTION = re.compile(r"Execution Time: ([0-9.]+) ms")


async def _drop_search_indexes(url: str) -> list[str]:
    """Drop secondary indexes and foreign keys of the search tables; returns the DDL to restore."""
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        restore: list[str] = []
        for row in await conn.fetch(
            "SELECT conrelid::regclass::text AS t, conname, pg_get_constraintdef(oid) AS def"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY($1)",
            list(SEARCH_TABLES),
        ):
            await conn.execute(f'ALTER TABLE {row["t"]} DROP CONSTRAINT "{row["conname"]}"')
            restore.append(f'ALTER TABLE {row["t"]} ADD CONSTRAINT "{row["conname"]}" {row["def"]}')
        for row in await conn.fetch(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname"
            " JOIN pg_index x ON x.indexrelid = c.oid"
            " WHERE i.tablename = ANY($1) AND NOT x.indisprimary AND NOT x.indisunique",
            list(SEARCH_TABLES),
        ):
            await conn.execute(f'DROP INDEX "{row["indexname"]}"')
            restore.insert(0, row["indexdef"])
        return restore
    finally:
        await conn.close()


async def _execute(url: str, statements: list[str]) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await conn.execute("SET maintenance_work_mem = '256MB'")
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


def _latency(
    server_url: str, requests: list[Any], path: Path, seconds: int, cpu: int, *, warmup: bool = False
) -> dict[str, float]:
    write_requests(path, requests)
    if warmup:
        run_wrk(server_url, path, seconds=1, connections=CONNECTIONS, cpu=cpu, once=False)
    summary = run_wrk(server_url, path, seconds=seconds, connections=CONNECTIONS, cpu=cpu, once=False)
    statuses = {int(k): v for k, v in summary["statuses"].items()}
    lat = summary["latency_us"]
    return {
        "p50": lat["p50"] / 1000,
        "p95": lat["p95"] / 1000,
        "p99": lat["p99"] / 1000,
        "requests": summary["requests"],
        "non_2xx": sum(v for k, v in statuses.items() if not 200 <= k < 300),
    }


def _fresh_ids(parameter: Any) -> Any:
    """An array parameter of UUIDs (the ids of rows a statement writes, `driver.insert_tables`)
    with new ones; anything else as it is."""
    if isinstance(parameter, list) and parameter and all(isinstance(v, uuid.UUID) for v in parameter):
        return [uuid.uuid4() for _ in parameter]
    return parameter


async def explain_requests(
    url: str, keys: dict[str, str], requests: dict[str, str], out_dir: Path, size: int
) -> list[dict[str, Any]]:
    """Run each request through the service in process and `EXPLAIN ANALYZE` its statements.

    Args:
        requests: name → path with query (`/v1/persons?q=...`), sent as a case worker.

    Returns:
        One entry per SELECT statement: the request's name, the statement's first line, its
        execution time (ms), the tables read by sequential scan, and the plan's file.
    """
    from intake_api.app import create_app
    from intake_api.settings import IntakeSettings

    app = create_app(IntakeSettings(database_url=url, outbox_enabled=False, log_level="WARNING"))
    captured: list[tuple[str, Any]] = []
    found: list[dict[str, Any]] = []
    explain = await asyncpg.connect(asyncpg_dsn(url))
    try:
        async with app.router.lifespan_context(app):
            engine = app.state.ctx.db.engine

            def capture(
                _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool
            ) -> None:
                if not many:
                    captured.append((statement, parameters))

            event.listen(engine.sync_engine, "before_cursor_execute", capture)
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {keys['case_worker']}"}
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
                for name, target in requests.items():
                    captured.clear()
                    answer = await client.get(target, headers=headers)
                    if answer.status_code != 200:
                        raise RuntimeError(f"{target}: {answer.status_code} {answer.text[:300]}")
                    lines = [f"-- {name}: GET {target} ({size:,} persons)"]
                    for index, (statement, parameters) in enumerate(captured):
                        reads = statement.lstrip().upper().startswith(("SELECT", "WITH"))  # WITH: a CTE
                        if not reads or "api_key" in statement:
                            continue
                        # A read writes its audit event in its own statement on PostgreSQL
                        # (`driver.insert_after`): ANALYZE runs it, so in a transaction rolled
                        # back, with new ids for the rows it writes (the request wrote these).
                        given = tuple(_fresh_ids(p) for p in parameters or ())
                        attempt = explain.transaction()
                        await attempt.start()
                        try:
                            rows = await explain.fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, *given)
                        finally:
                            await attempt.rollback()
                        plan = "\n".join(r[0] for r in rows)
                        lines += ["", f"-- statement {index}", statement, "", plan]
                        executed = _EXECUTION.search(plan)
                        found.append(
                            {
                                "request": name,
                                "statement": " ".join(statement.split())[:240],
                                "execution_ms": float(executed.group(1)) if executed else None,
                                "seq_scans": sorted(set(_SEQ_SCAN.findall(plan)) & BIG_TABLES),
                                "file": f"plans/growth_{size}_{name}.txt",
                                "index": index,
                            }
                        )
                    (out_dir / f"growth_{size}_{name}.txt").write_text("\n".join(lines) + "\n")
    finally:
        await explain.close()
    return found


def run(server: DatabaseServer, cfg: BenchConfig, workdir: Path, log_dir: Path) -> dict[str, Any]:
    """Load, measure and explain at every size of `cfg.growth_sizes` (PostgreSQL)."""
    plans_dir = cfg.results_dir / "plans"
    plans_dir.mkdir(parents=True, exist_ok=True)
    for old in plans_dir.glob("growth_*.txt"):
        old.unlink()
    db = server.prepare("intake", "growth")
    sizes = sorted(cfg.growth_sizes)
    person_ids: list[uuid.UUID] = []
    measured: list[dict[str, Any]] = []
    terms = search_terms(SEED + 99, 250)
    for size in sizes:
        add = size - len(person_ids)
        started = time.monotonic()
        restore = asyncio.run(_drop_search_indexes(db.url)) if add > BULK_STEP else []

        def progress(n: int, add: int = add) -> None:
            if n % 200_000 == 0:
                log(f"growth: {n:,} / {add:,} loaded")

        ids, _children = load_persons(
            db.url, add, seed=SEED + size, start_index=len(person_ids), total=sizes[-1], analyze=False,
            status_events=False,
            progress=progress,
        )  # fmt: skip
        person_ids += ids
        asyncio.run(_execute(db.url, [*restore, VACUUM_LOADED]))
        load_s = time.monotonic() - started
        log(f"growth: {size:,} persons ({load_s:.0f} s to load and index)")
        port = free_port()
        env = {
            "INTAKE_DATABASE_URL": db.url,
            "INTAKE_OUTBOX_ENABLED": "false",
            "INTAKE_DATABASE_POOL_SIZE": "4",
        }
        service = service_server("intake", port, 1, env, log_dir, label=f"growth-{size}")
        service.start()
        key = db.keys["case_worker"]
        latency: dict[str, dict[str, float]] = {}
        by_kind: dict[str, dict[str, float]] = {}
        try:
            sample = person_ids[:: max(1, len(person_ids) // 3000)]
            secs = cfg.growth_seconds
            latency["read"] = _latency(
                service.url,
                list(scenarios.reads(sample, key)),
                workdir / "g-read.req",
                secs,
                cfg.loadgen_cpu,
                warmup=True,
            )
            lists = [r for c in ("child", "woman", "man") for r in scenarios.listings([""], key, category=c)]
            latency["list"] = _latency(service.url, lists, workdir / "g-list.req", secs, cfg.loadgen_cpu)
            mixed = list(scenarios.listings([t["q"] for t in terms], key, category=None))
            latency["q"] = _latency(service.url, mixed, workdir / "g-q.req", secs, cfg.loadgen_cpu)
            for kind in sorted({t["kind"] for t in terms}):
                chosen = [t["q"] for t in terms if t["kind"] == kind]
                requests = list(scenarios.listings(chosen, key, category=None))
                by_kind[kind] = _latency(
                    service.url, requests, workdir / f"g-q-{kind}.req", max(2, secs // 2), cfg.loadgen_cpu
                )
        finally:
            service.stop()
        examples = {t["kind"]: t["q"] for t in terms}
        explain_targets = {
            "read": f"/v1/persons/{person_ids[len(person_ids) // 2]}",
            "list": "/v1/persons?category=child&limit=20",
            **{
                f"q_{kind}": "/v1/persons?" + httpx.QueryParams({"q": q, "limit": 20}).__str__()
                for kind, q in examples.items()
            },
        }
        statements = asyncio.run(explain_requests(db.url, db.keys, explain_targets, plans_dir, size))
        scans = sorted({t for s in statements for t in s["seq_scans"]})
        measured.append(
            {
                "persons": size,
                "load_s": round(load_s, 1),
                "latency_ms": latency,
                "q_by_kind": by_kind,
                "q_examples": examples,
                "statements": statements,
                "seq_scans": scans,
            }
        )
        p95 = {name: round(latency[name]["p95"], 1) for name in ("read", "list", "q")}
        log(f"growth: {size:,}: p95 in ms {p95}")
    return {"sizes": measured, "findings": findings(measured)}


def findings(measured: list[dict[str, Any]]) -> list[str]:
    """Plain sentences on what the plans show at the largest size."""
    if not measured:
        return []
    last = measured[-1]
    lines = []
    slowest = sorted(
        (s for s in last["statements"] if s["execution_ms"] is not None), key=lambda s: -s["execution_ms"]
    )[:3]
    for s in slowest:
        scans = f"; sequential scans on {', '.join(s['seq_scans'])}" if s["seq_scans"] else ""
        # Two statements of one request can both be among the slowest: the number tells them
        # apart, and finds the plan in the file (`-- statement N`).
        lines.append(
            f"At {last['persons']:,} persons statement {s['index']} of `{s['request']}` took "
            f"{s['execution_ms']:.1f} ms under EXPLAIN ANALYZE{scans} (`{s['file']}`)."
        )
    if last["seq_scans"]:
        lines.append(
            f"Sequential scans on large tables at {last['persons']:,}: {', '.join(last['seq_scans'])}."
        )
    else:
        lines.append(
            f"No sequential scan on a large table in any captured statement at {last['persons']:,} persons."
        )
    return lines


def targets(growth: dict[str, Any]) -> list[Target]:
    """`q` p95 ≤ 50 ms at the largest size measured (the issue's target is at 1M persons)."""
    sizes = growth.get("sizes") or []
    if not sizes:
        return []
    last = sizes[-1]
    return [
        Target(
            f"q p95 ≤ 50 ms at {last['persons']:,} persons",
            "postgresql, 1 worker, 2 clients",
            last["latency_ms"]["q"]["p95"],
            MAX_Q_P95_MS_AT_1M,
            "max",
            "ms",
        )
    ]

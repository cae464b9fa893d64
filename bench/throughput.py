"""The throughput matrix: every scenario on the service and both baselines, per database and
number of worker processes, each app on its own copy of the same loaded databases."""

from __future__ import annotations

import datetime as dt
import gc
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import rows as r
from bench import scenarios
from bench.config import BenchConfig
from bench.databases import DatabaseServer, Loader, ServiceDatabase, operation_id
from bench.loadgen import PreparedRequest, run_sequential, run_wrk, write_requests
from bench.people import PersonFactory, created_at_for, search_terms
from bench.processes import RssSampler, Server, baseline_server, free_port, service_server
from bench.stats import Run, sampled_run, wrk_run

APPS = ("service", "raw", "orm")
SCENARIOS = ("create", "read", "list", "transition", "batch")
SEED = 20261129


def log(message: str) -> None:
    """Progress on standard error, with the time."""
    import sys

    print(f"[bench {dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)  # noqa: T201, DTZ005


@dataclass
class Loaded:
    """What was loaded into the template databases of one backend."""

    person_ids: list[uuid.UUID]
    child_ids: list[uuid.UUID]
    request_ids: list[uuid.UUID]
    intake: ServiceDatabase
    docs: ServiceDatabase


def load_persons(
    url: str,
    count: int,
    *,
    seed: int,
    start_index: int = 0,
    total: int | None = None,
    chunk: int = 20_000,
    progress: Callable[[int], None] | None = None,
    analyze: bool = True,
    status_events: bool = True,
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """Load `count` invented persons with the rows the service writes; returns `(ids, child ids)`.

    No audit, idempotency or pending outbox rows (the first read and write of each would add
    them); `status_events=False` leaves out the first status event too (no read or list uses
    it). On PostgreSQL the name tokens are made by PostgreSQL from each chunk's names
    (`TOKENS_SQL`: the same words, once per name), which is much faster than sending them, on a
    connection of their own while the next chunk is made (`TokenWriter`); then the tables are
    analysed (`analyze`), as autovacuum would after such a load.
    """
    op_id = operation_id(url)
    factory = PersonFactory(seed)
    ids: list[uuid.UUID] = []
    children: list[uuid.UUID] = []
    options = r.RegistrationOptions(audit=False, outbox=False, status_event=status_events)
    actor = r.Actor()
    gc.disable()  # millions of tuples: the collector would walk them again and again
    try:
        with Loader(url) as loader:
            tokens = TokenWriter(url) if loader.backend == "postgresql" else None
            try:
                done = 0
                while done < count:
                    batch = r.Rows()
                    for i in range(done, min(done + chunk, count)):
                        body = factory.body()
                        at = created_at_for(start_index + i, total or count)
                        r.registration_rows(
                            loader.codec, body, operation_id=op_id, created_at=at, keys=r.service_keys,
                            actor=actor, options=options, ids=factory.uuid, into=batch,
                        )  # fmt: skip
                        ids.append(uuid.UUID(body["id"]))
                        if body["category"] == "child":
                            children.append(ids[-1])
                    if tokens is not None:
                        batch.tables["person_name_token"].clear()
                    loader.write(batch)
                    if tokens is not None:
                        tokens.submit(batch.tables["person_name"])
                    done = min(done + chunk, count)
                    if progress is not None:
                        progress(done)
            finally:
                if tokens is not None:
                    tokens.close()
            if tokens is not None and analyze:
                loader.execute("ANALYZE")
    finally:
        gc.enable()
    return ids, children


_NAME = {column: r.COLUMNS["person_name"].index(column) for column in r.COLUMNS["person_name"]}

TOKENS_SQL = """
INSERT INTO person_name_token (person_id, name_id, kind, token, person_created_at)
SELECT n.person_id, n.name_id, w.kind, w.token, n.created_at
FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[])
    AS n(person_id, name_id, search_key, skeleton, created_at)
CROSS JOIN LATERAL (
    SELECT 'key' AS kind, k.word AS token
    FROM unnest(string_to_array(n.search_key, ' ')) AS k(word)
    WHERE length(k.word) < 3
    UNION
    SELECT 'pfx', left(k.word, e.n)
    FROM unnest(string_to_array(n.search_key, ' ')) AS k(word),
        generate_series(3, least(length(k.word), 100)) AS e(n)
    UNION
    SELECT 'skel', left(s.word, 100) FROM unnest(string_to_array(n.skeleton, ' ')) AS s(word)
) AS w
WHERE w.token <> ''
"""
"""The tokens of the names given as arrays (person ids, name ids, search keys, skeletons, the
person's `created_at`), as `service.name_tokens` makes them (`names.search_tokens`: a key word
shorter than 3 letters whole, a longer one as its prefixes of 3 letters up to the whole word,
cut to 100 characters; each skeleton word; the person's `created_at` beside each), once per
name (UNION)."""


class TokenWriter:
    """Writes the search tokens of names already stored (`TOKENS_SQL`), in a thread on a
    connection of its own, while the loader makes the next chunk: at 1M persons the tokens are
    22.8M rows, 96 s of one PostgreSQL process when written after the load, which now overlap
    the load's own Python work: 197 → 133 s for 1M persons (bench/README.md, "What is measured").

    At most one chunk waits: `submit` waits for the chunk before, so memory stays bounded and
    an error surfaces at the next chunk. Use `close` to wait for the last.
    """

    def __init__(self, url: str) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-tokens")
        self._loader = Loader(url)
        self._thread.submit(self._loader.__enter__).result()  # connected in the thread that uses it
        self._pending: Future[None] | None = None

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def submit(self, names: list[tuple[Any, ...]]) -> None:
        """Write the tokens of `names` (rows of `person_name` as `rows.COLUMNS` orders them,
        already committed)."""
        self._wait()
        columns = [
            [name[_NAME[column]] for name in names]
            for column in ("person_id", "id", "search_key", "skeleton", "created_at")
        ]
        self._pending = self._thread.submit(self._loader.execute_args, TOKENS_SQL, *columns)

    def close(self) -> None:
        """Wait for the last chunk's tokens, then close the connection and the thread.

        Raises:
            Exception: what writing the last chunk raised (asyncpg's errors).
        """
        try:
            self._wait()
        finally:
            self._thread.submit(self._loader.__exit__, None, None, None).result()
            self._thread.shutdown()


def load_requests(url: str, count: int) -> list[uuid.UUID]:
    """Open `count` birth-certificate requests (holder checked, version 1) straight in the table."""
    ids = []
    actor = r.Actor(name="bench-case_worker", role="case_worker")
    at = dt.datetime(2019, 6, 1, tzinfo=dt.UTC)
    with Loader(url) as loader:
        rows = r.Rows()
        for _ in range(count):
            rid = uuid.uuid4()
            rows.extend(r.document_request_rows(loader.codec, rid, uuid.uuid4(), at, actor))
            ids.append(rid)
        loader.write(rows)
        if loader.backend == "postgresql":
            loader.execute("ANALYZE")
    return ids


@dataclass
class AppServers:
    """The server(s) of one app: the service has two (intake and documents)."""

    persons: Server
    docs: Server
    all: list[Server] = field(default_factory=list)

    def stop(self) -> None:
        """Stop every process."""
        for server in self.all:
            server.stop()


def start_app(
    app: str, workers: int, intake: ServiceDatabase, docs: ServiceDatabase, cfg: BenchConfig, log_dir: Path
) -> AppServers:
    """Start one app on its databases; the service as both services wired to each other."""
    label = f"{intake.backend}-w{workers}-{app}"
    if app != "service":
        env = {
            "BENCH_INTAKE_DATABASE_URL": intake.url,
            "BENCH_DOCS_DATABASE_URL": docs.url,
            "BENCH_POOL_SIZE": str(cfg.pool_size),
        }
        server = baseline_server(app, free_port(), workers, env, log_dir, label=label)
        server.start(workers=workers)
        return AppServers(server, server, [server])
    intake_port, docs_port = free_port(), free_port()
    # Delivery of the outbox is left to `intake-api dispatch` / `docs-service dispatch`: the
    # events are written in the measured transaction, and the raw baseline writes them too.
    intake_env = {
        "INTAKE_DATABASE_URL": intake.url,
        "INTAKE_DATABASE_POOL_SIZE": str(cfg.pool_size),
        "INTAKE_OUTBOX_ENABLED": "false",
        "INTAKE_DOCS_SERVICE_URL": f"http://127.0.0.1:{docs_port}",
        "INTAKE_DOCS_SERVICE_KEY": docs.keys["service"],
    }
    docs_env = {
        "DOCS_DATABASE_URL": docs.url,
        "DOCS_DATABASE_POOL_SIZE": str(cfg.pool_size),
        "DOCS_OUTBOX_ENABLED": "false",
        "DOCS_INTAKE_SERVICE_URL": f"http://127.0.0.1:{intake_port}",
        "DOCS_INTAKE_SERVICE_KEY": intake.keys["service"],
    }
    persons = service_server("intake", intake_port, workers, intake_env, log_dir, label=label + "-intake")
    documents = service_server("docs", docs_port, workers, docs_env, log_dir, label=label + "-docs")
    persons.start(workers=workers)
    try:
        documents.start(workers=workers)
    except BaseException:
        persons.stop()
        raise
    return AppServers(persons, documents, [persons, documents])


def check_service(servers: AppServers, loaded: Loaded) -> None:
    """The loaded rows read back through the service, and the person check across services.

    Raises:
        RuntimeError: a seeded person does not read back, the search finds nothing, or the
            documents service cannot open a request (its check of the person in intake).
    """
    intake, docs = loaded.intake, loaded.docs
    with httpx.Client(timeout=30) as client:
        read = client.get(
            f"{servers.persons.url}/v1/persons/{loaded.person_ids[0]}",
            headers={"Authorization": f"Bearer {intake.keys['case_worker']}"},
        )
        if read.status_code != 200:
            raise RuntimeError(f"a loaded person does not read back: {read.status_code} {read.text[:500]}")
        found = client.get(
            f"{servers.persons.url}/v1/persons",
            params={"q": read.json()["names"][0]["given"], "limit": 5},
            headers={"Authorization": f"Bearer {intake.keys['case_worker']}"},
        )
        if found.status_code != 200 or not found.json()["items"]:
            raise RuntimeError(f"the search finds no loaded person: {found.status_code} {found.text[:500]}")
        opened = client.post(
            f"{servers.docs.url}/v1/requests",
            json={"person_id": str(loaded.child_ids[-1]), "kind": "birth_certificate"},
            headers={"Authorization": f"Bearer {docs.keys['case_worker']}", "Idempotency-Key": "bench-check"},
        )
        if opened.status_code != 201:
            raise RuntimeError(
                f"the documents service could not open a request: {opened.status_code} {opened.text[:500]}"
            )


def _fixed(requests: list[PreparedRequest]) -> Callable[[int, str], Iterable[PreparedRequest]]:
    """A request maker that always gives the same requests (replayed round and round)."""

    def make(_count: int, _purpose: str) -> Iterable[PreparedRequest]:
        return requests

    return make


@dataclass
class Matrix:
    """Runs the scenarios and collects the runs."""

    cfg: BenchConfig
    workdir: Path
    runs: list[Run] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def _wrk(
        self, name: str, url: str, make: Callable[[int, str], Iterable[PreparedRequest]], *, once: bool,
        connections: int | None = None, seconds: int | None = None, cap: int | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """Warm up, then measure; `make(count, purpose)` gives the requests of each part, and a
        once-only run gets `cap` (requests a second; `cfg.rate_cap` by default) of them."""
        cfg = self.cfg
        connections = connections or cfg.connections
        seconds = seconds or cfg.seconds
        cap = cap or cfg.rate_cap
        if cfg.warmup > 0:
            warm = self.workdir / f"{name}-warmup.req"
            write_requests(warm, make(cap * cfg.warmup if once else 0, "warmup"))
            run_wrk(url, warm, seconds=cfg.warmup, connections=connections, cpu=cfg.loadgen_cpu, once=once)
        path = self.workdir / f"{name}.req"
        write_requests(path, make(cap * seconds if once else 0, "measure"))
        return run_wrk(url, path, seconds=seconds, connections=connections, cpu=cfg.loadgen_cpu, once=once)

    def run_app(
        self,
        app: str,
        workers: int,
        servers: AppServers,
        loaded: Loaded,
        slot: int,
        only: Iterable[str] = SCENARIOS,
        round_: int = 0,
    ) -> None:
        """Every scenario of `app` (or those in `only`); `slot` picks this run's share of requests,
        `round_` its round (each round creates persons of its own)."""
        cfg = self.cfg
        backend = loaded.intake.backend
        intake_keys, docs_keys = loaded.intake.keys, loaded.docs.keys
        rng = random.Random(SEED + slot)  # noqa: S311 - which persons to read, not a secret
        tag = f"{backend}-w{workers}-{app}" + (f"-r{round_}" if round_ else "")
        for scenario in only:
            server = servers.docs if scenario == "transition" else servers.persons
            log(f"{tag}: {scenario}")
            with RssSampler(server.process.pid if server.process else 0) as rss:
                if scenario == "create":
                    seed = SEED * 10 + slot * 100 + round_ * 10 + APPS.index(app)

                    def make_create(count: int, purpose: str, seed: int = seed) -> Iterable[PreparedRequest]:
                        return scenarios.creations(
                            seed + (1 if purpose == "warmup" else 0) * 7919,
                            count,
                            intake_keys["field_worker"],
                        )

                    summary = self._wrk(f"{tag}-create", server.url, make_create, once=True)
                elif scenario == "read":
                    ids = rng.sample(loaded.person_ids, min(len(loaded.person_ids), 5000))
                    reads = list(scenarios.reads(ids, intake_keys["case_worker"]))
                    summary = self._wrk(f"{tag}-read", server.url, _fixed(reads), once=False)
                elif scenario == "list":
                    terms = [t["q"] for t in search_terms(SEED + slot, 200)]
                    lists = list(scenarios.listings(terms, intake_keys["case_worker"]))
                    summary = self._wrk(f"{tag}-list", server.url, _fixed(lists), once=False)
                elif scenario == "transition":
                    per_slot = cfg.transition_cap * (cfg.seconds + cfg.warmup)
                    pool = iter(loaded.request_ids[slot * per_slot : (slot + 1) * per_slot])

                    def make_moves(
                        count: int, _purpose: str, pool: Iterator[uuid.UUID] = pool
                    ) -> Iterable[PreparedRequest]:
                        return scenarios.transitions(
                            [next(pool) for _ in range(count)], docs_keys["registrar"]
                        )

                    summary = self._wrk(
                        f"{tag}-transition", server.url, make_moves, once=True, cap=cfg.transition_cap
                    )
                else:
                    seed = SEED * 20 + slot * 100 + APPS.index(app)
                    warm = scenarios.batches(seed + 1, 1, intake_keys["field_worker"], size=50)
                    run_sequential(server.url, warm)
                    prepared = scenarios.batches(seed, cfg.batches, intake_keys["field_worker"])
                    latencies, statuses = run_sequential(server.url, prepared)
                    ok = statuses.get("200", 0) + statuses.get("201", 0)
                    rss.sample()
                    batch_run = sampled_run(
                        latencies,
                        ok,
                        backend=backend,
                        workers=workers,
                        app=app,
                        scenario="batch",
                        rss_mb=rss.workers_peak(),
                        items_per_request=scenarios.BATCH_SIZE,
                        statuses=statuses,
                    )
                    self.runs.append(batch_run)
                    continue
            last = wrk_run(
                summary,
                backend=backend,
                workers=workers,
                app=app,
                scenario=scenario,
                concurrency=cfg.connections,
                rss_mb=rss.workers_peak(),
                round_=round_,
            )
            self.runs.append(last)
            statuses = dict(last.statuses or {})
            log(f"{tag}: {scenario}: {last.rate:.0f}/s ok, p99 {last.p99_ms:.0f} ms, statuses {statuses}")


def prepare_backend(server: DatabaseServer, cfg: BenchConfig, log_dir: Path) -> dict[str, Loaded]:
    """Template databases loaded once, then one copy of both per app."""
    started = time.monotonic()
    intake = server.prepare("intake", "intake_tpl")
    docs = server.prepare("docs", "docs_tpl")
    person_ids, child_ids = load_persons(intake.url, cfg.seed_persons, seed=SEED)
    per_slot = cfg.transition_cap * (cfg.seconds + cfg.warmup)
    # One share of the requests to move per worker count, and one for the profile.
    request_ids = load_requests(docs.url, per_slot * (len(cfg.workers) + 1))
    took = time.monotonic() - started
    log(f"{server.backend}: loaded {len(person_ids)} persons and {len(request_ids)} requests in {took:.0f} s")
    copies = {}
    for app in APPS:
        copies[app] = Loaded(
            person_ids,
            child_ids,
            request_ids,
            server.copy(intake, f"intake_{app}"),
            server.copy(docs, f"docs_{app}"),
        )
    del log_dir
    return copies


def run_backend(server: DatabaseServer, cfg: BenchConfig, matrix: Matrix, log_dir: Path) -> dict[str, Loaded]:
    """Every app, worker count and scenario on one backend; returns each app's databases."""
    copies = prepare_backend(server, cfg, log_dir)
    for slot, workers in enumerate(cfg.workers):
        for app in APPS:
            _run_started(app, workers, copies[app], cfg, matrix, log_dir, slot, SCENARIOS, 0, check=slot == 0)
        # More rounds of the ratio targets, the service and the raw app one after the other.
        for round_ in range(1, cfg.rounds):
            for app in ROUND_APPS:
                _run_started(app, workers, copies[app], cfg, matrix, log_dir, slot, ROUND_SCENARIOS, round_)
    return copies


ROUND_APPS = ("service", "raw")
ROUND_SCENARIOS = ("create", "read")
"""What later rounds measure: the apps and scenarios of the rate targets (bench/stats.py)."""


def _run_started(
    app: str, workers: int, loaded: Loaded, cfg: BenchConfig, matrix: Matrix, log_dir: Path,
    slot: int, only: Iterable[str], round_: int, *, check: bool = False,
) -> None:  # fmt: skip
    """Start `app`, run the scenarios of `only` in round `round_`, and stop it."""
    servers = start_app(app, workers, loaded.intake, loaded.docs, cfg, log_dir)
    try:
        if app == "service" and check:
            check_service(servers, loaded)
        matrix.run_app(app, workers, servers, loaded, slot, only, round_)
    finally:
        servers.stop()

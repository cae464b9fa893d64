"""What a benchmark run measures and for how long, from environment variables (`BENCH_*`).

| variable | default (quick) | meaning |
| --- | --- | --- |
| `BENCH_QUICK` | unset | `1`: short runs, growth to 10k persons, no profile: to try the harness |
| `BENCH_SECONDS` | 4 (2) | measured seconds of each wrk run |
| `BENCH_WARMUP` | 1 (1) | seconds of warm-up before each run (same requests, not counted) |
| `BENCH_CONNECTIONS` | 32 | concurrent connections of wrk |
| `BENCH_BATCHES` | 3 (2) | batches of 500 sent per app, one at a time, after a warm-up batch of 50 |
| `BENCH_ROUNDS` | 3 (1) | rounds of create and read: service and raw app alternate, ratios are the median |
| `BENCH_BACKENDS` | `sqlite,postgresql` | databases to measure |
| `BENCH_WORKERS` | `1,2` | worker processes per server |
| `BENCH_POSTGRES_URL` | `TEST_POSTGRES_URL`, else the local server | admin URL (may create databases) |
| `BENCH_POOL_SIZE` | 10 | PostgreSQL pool per process (service: `*_DATABASE_POOL_SIZE`) |
| `BENCH_SEED_PERSONS` | 20000 (3000) | persons loaded before the throughput runs |
| `BENCH_GROWTH_SIZES` | `1000,100000,1000000` (`1000,10000`) | persons at each growth step; empty: none |
| `BENCH_GROWTH_SECONDS` | 4 (2) | seconds of each growth latency run |
| `BENCH_PROFILE` | 1 (0) | profile the slowest scenario with py-spy |
| `BENCH_LOADGEN_CPU` | the last CPU | the CPU wrk is pinned to |
| `BENCH_RATE_CAP` | 2000 | requests per second prepared for once-only runs (creations, moves) |
| `BENCH_RESULTS` | `bench/results` (`bench/results/quick`) | where the JSON and Markdown go |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bench.databases import ROOT

DEFAULT_POSTGRES = "postgresql+asyncpg://returnee_test:returnee_test@127.0.0.1:5432/postgres"


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.replace(" ", "").split(",") if p)


@dataclass(frozen=True, slots=True)
class BenchConfig:
    """The knobs of one run (see the module docstring for each)."""

    quick: bool
    seconds: int
    warmup: int
    connections: int
    batches: int
    rounds: int
    backends: tuple[str, ...]
    workers: tuple[int, ...]
    postgres_url: str
    pool_size: int
    seed_persons: int
    growth_sizes: tuple[int, ...]
    growth_seconds: int
    profile: bool
    loadgen_cpu: int
    rate_cap: int
    transition_cap: int
    results_dir: Path

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> BenchConfig:
        """Read the `BENCH_*` variables (the process environment by default).

        Raises:
            ValueError: a value that is not a number where one is expected, or an unknown backend.
        """
        e = dict(os.environ if env is None else env)
        quick = e.get("BENCH_QUICK", "") not in ("", "0")
        backends = tuple(
            b for b in e.get("BENCH_BACKENDS", "sqlite,postgresql").replace(" ", "").split(",") if b
        )
        unknown = set(backends) - {"sqlite", "postgresql"}
        if unknown:
            raise ValueError(f"BENCH_BACKENDS: unknown {sorted(unknown)}")
        return cls(
            quick=quick,
            seconds=int(e.get("BENCH_SECONDS", "2" if quick else "4")),
            warmup=int(e.get("BENCH_WARMUP", "1")),
            connections=int(e.get("BENCH_CONNECTIONS", "32")),
            batches=int(e.get("BENCH_BATCHES", "2" if quick else "3")),
            rounds=max(1, int(e.get("BENCH_ROUNDS", "1" if quick else "3"))),
            backends=backends,
            workers=_ints(e.get("BENCH_WORKERS", "1,2")),
            postgres_url=e.get("BENCH_POSTGRES_URL") or e.get("TEST_POSTGRES_URL") or DEFAULT_POSTGRES,
            pool_size=int(e.get("BENCH_POOL_SIZE", "10")),
            seed_persons=int(e.get("BENCH_SEED_PERSONS", "3000" if quick else "20000")),
            growth_sizes=_ints(e.get("BENCH_GROWTH_SIZES", "1000,10000" if quick else "1000,100000,1000000")),
            growth_seconds=int(e.get("BENCH_GROWTH_SECONDS", "2" if quick else "4")),
            profile=e.get("BENCH_PROFILE", "0" if quick else "1") not in ("", "0"),
            loadgen_cpu=int(e.get("BENCH_LOADGEN_CPU", str((os.cpu_count() or 1) - 1))),
            rate_cap=int(e.get("BENCH_RATE_CAP", "2000")),
            # The raw app moves requests faster than it creates persons: 1,998 a second at the
            # cap of 2,000 (PostgreSQL, 1 worker), so its run ran out and had no ratio.
            transition_cap=int(e.get("BENCH_TRANSITION_CAP", "3500")),
            # A quick try must not overwrite the committed results of a full run.
            results_dir=Path(
                e.get("BENCH_RESULTS", str(ROOT / "bench" / ("results/quick" if quick else "results")))
            ),
        )

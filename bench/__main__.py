"""`python -m bench` (`make bench`): the whole benchmark, its table printed and written to
`bench/results/results.{json,md}`. Settings: `bench/config.py`; how to read it: `bench/README.md`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench import growth, profiling, report, stats
from bench.config import BenchConfig
from bench.databases import DatabaseServer, postgres_reachable
from bench.loadgen import wrk_available
from bench.throughput import Matrix, log, run_backend


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}"
    return f"{os.cpu_count()} × {cpu}, Python {platform.python_version()}, {system}"


def _load_average() -> str:
    """The load average over the last minute as the run starts, said in words: other work on
    the machine shows in it (a sibling test suite lifts it by one or more)."""
    try:
        return f"load average {os.getloadavg()[0]:.2f} as the run began"
    except OSError:
        return "load average unknown"


def render_saved(cfg: BenchConfig) -> int:
    """`python -m bench render`: write `results.md` again from `results.json` (no measuring)."""
    results = json.loads((cfg.results_dir / "results.json").read_text())
    fields = set(stats.Run.__dataclass_fields__)
    runs = [stats.Run(**{k: v for k, v in run.items() if k in fields}) for run in results["runs"]]
    comparisons = stats.compare(runs)
    found = stats.targets(comparisons) + growth.targets(results.get("growth") or {})
    markdown = report.render(results, comparisons, found)
    (cfg.results_dir / "results.md").write_text(markdown + "\n")
    print(markdown)  # noqa: T201
    return 0


def main() -> int:
    """Run everything (or `render`); returns the exit status (1 when the harness itself failed)."""
    cfg = BenchConfig.from_env()
    if sys.argv[1:] == ["render"]:
        return render_saved(cfg)
    missing = wrk_available()
    if missing:
        print(f"bench: {missing}; install it (apt-get install wrk) and run again", file=sys.stderr)  # noqa: T201
        return 1
    started = time.monotonic()
    started_at = dt.datetime.now(dt.UTC)
    nonce = uuid.uuid4().hex[:8]
    cfg.results_dir.mkdir(parents=True, exist_ok=True)
    notes = [
        f"Figures are noisy: a {os.cpu_count()}-core machine ({_load_average()}); wrk takes one core, "
        "so with 2 cores 2 workers share the other core with it.",
        "The outbox dispatchers are off during the runs (`*_OUTBOX_ENABLED=false`): events are written "
        "in the measured transaction, delivery is `intake-api dispatch`'s work.",
        "Service and baselines run on separate copies of the same loaded databases "
        f"({cfg.seed_persons:,} persons, SQLite files or PostgreSQL databases of this run).",
    ]
    skipped: list[str] = []
    backends = list(cfg.backends)
    if "postgresql" in backends:
        why = asyncio.run(postgres_reachable(cfg.postgres_url))
        if why is not None:
            backends.remove("postgresql")
            skipped.append(f"PostgreSQL not reachable at BENCH_POSTGRES_URL ({why}): SQLite only")
            notes.append(skipped[-1])
    matrix = Matrix(cfg, Path())
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        workdir = Path(tmp)
        matrix.workdir = workdir
        log_dir = workdir / "logs"
        log_dir.mkdir()
        servers = {
            b: DatabaseServer(b, workdir, cfg.postgres_url if b == "postgresql" else None, nonce)  # type: ignore[arg-type]
            for b in backends
        }
        try:
            copies = {
                backend: run_backend(server, cfg, matrix, log_dir) for backend, server in servers.items()
            }
            comparisons = stats.compare(matrix.runs)
            if "postgresql" in servers and cfg.growth_sizes:
                results["growth"] = growth.run(servers["postgresql"], cfg, workdir, log_dir)
            else:
                results["growth"] = {
                    "skipped": "PostgreSQL not measured"
                    if cfg.growth_sizes
                    else "BENCH_GROWTH_SIZES is empty"
                }
            if cfg.profile:
                results["profile"] = profiling.profile_slowest(
                    comparisons, copies, servers, cfg, workdir, log_dir
                )
        except BaseException:
            for path in sorted(log_dir.glob("*.log")):
                tail = path.read_text(errors="replace")[-1500:]
                print(f"--- {path.name}\n{tail}", file=sys.stderr)  # noqa: T201
            raise
        finally:
            for server in servers.values():
                server.drop_all()
    comparisons = stats.compare(matrix.runs)
    found = stats.targets(comparisons)
    found += growth.targets(results.get("growth") or {})
    results["meta"] = {
        "started_at": started_at.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "duration_s": time.monotonic() - started,
        "seconds": cfg.seconds,
        "warmup": cfg.warmup,
        "connections": cfg.connections,
        "batches": cfg.batches,
        "rounds": cfg.rounds,
        "loadgen_cpu": cfg.loadgen_cpu,
        "quick": cfg.quick,
        "backends": backends,
        "workers": list(cfg.workers),
        "notes": notes,
        "skipped": skipped,
    }
    results["runs"] = [run.as_json() for run in matrix.runs]
    results["comparisons"] = [
        {
            "backend": c.backend,
            "workers": c.workers,
            "scenario": c.scenario,
            "to_raw": c.to_raw,
            "to_orm": c.to_orm,
            "rounds_to_raw": c.rounds_to_raw,
        }
        for c in comparisons
    ]
    results["targets"] = [t.as_json() for t in found]
    markdown = report.render(results, comparisons, found)
    (cfg.results_dir / "results.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False, default=str) + "\n"
    )
    (cfg.results_dir / "results.md").write_text(markdown + "\n")
    print(markdown)  # noqa: T201
    log(f"done in {time.monotonic() - started:.0f} s; written to {cfg.results_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

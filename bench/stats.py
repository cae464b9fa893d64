"""Pure arithmetic of the benchmark: percentiles, rates, ratios to the baselines, targets.

No I/O; tested in `tests/bench/test_bench_smoke.py`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal


def percentile(values: Sequence[float], p: float) -> float:
    """The `p`-th percentile of `values` by linear interpolation between closest ranks.

    Args:
        values: samples in any order (not empty).
        p: 0..100.

    Returns:
        The interpolated value: with 0-based rank `p/100 * (n - 1)`, as NumPy's default.

    Raises:
        ValueError: no samples, or `p` outside 0..100.
    """
    if not values:
        raise ValueError("no samples")
    if not 0 <= p <= 100:
        raise ValueError("p must be within 0..100")
    ordered = sorted(values)
    rank = p / 100 * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ratio(value: float | None, baseline: float | None) -> float | None:
    """`value / baseline`, or None when either is missing or the baseline is zero."""
    if value is None or baseline is None or baseline <= 0:
        return None
    return value / baseline


@dataclass(frozen=True, slots=True)
class Run:
    """The figures of one scenario on one app: rates per second, latencies in milliseconds."""

    backend: str
    workers: int
    app: str
    """`service`, `raw` or `orm`."""
    scenario: str
    requests: int
    ok: int
    """Answers with the expected status (2xx)."""
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rss_mb: float
    """Peak resident memory of the largest process of the app (MiB)."""
    concurrency: int
    items_per_request: int = 1
    statuses: Mapping[str, int] | None = None
    exhausted: bool = False
    """The prepared once-only requests ran out: the rate is a lower bound, not a measurement."""
    note: str = ""
    round: int = 0
    """Which of the run's rounds (0 first): the service and the raw app alternate round by round."""

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return self.ok / self.seconds if self.seconds > 0 else 0.0

    @property
    def errors(self) -> int:
        """Requests that did not get the expected answer."""
        return self.requests - self.ok

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict, the rate included."""
        return {**asdict(self), "rate": round(self.rate, 2), "errors": self.errors}


def wrk_run(
    summary: Mapping[str, Any],
    *,
    backend: str,
    workers: int,
    app: str,
    scenario: str,
    concurrency: int,
    rss_mb: float,
    ok_statuses: frozenset[int] = frozenset({200, 201}),
    round_: int = 0,
) -> Run:
    """A `Run` from the `BENCH_JSON` summary that `bench/lua/replay.lua` prints.

    Transport errors (connect, read, write, timeout) count as failed requests as well.
    """
    statuses = {str(k): int(v) for k, v in summary["statuses"].items()}
    ok = sum(v for k, v in statuses.items() if int(k) in ok_statuses)
    transport = sum(int(summary["errors"][k]) for k in ("connect", "read", "write", "timeout"))
    latency = summary["latency_us"]
    return Run(
        backend=backend,
        workers=workers,
        app=app,
        scenario=scenario,
        requests=int(summary["requests"]) + transport,
        ok=ok,
        seconds=int(summary["duration_us"]) / 1e6,
        p50_ms=latency["p50"] / 1000,
        p95_ms=latency["p95"] / 1000,
        p99_ms=latency["p99"] / 1000,
        max_ms=latency["max"] / 1000,
        rss_mb=rss_mb,
        concurrency=concurrency,
        statuses=statuses,
        exhausted=bool(summary["exhausted"]),
        round=round_,
    )


def sampled_run(
    latencies_s: Sequence[float],
    ok: int,
    *,
    backend: str,
    workers: int,
    app: str,
    scenario: str,
    rss_mb: float,
    items_per_request: int,
    statuses: Mapping[str, int],
) -> Run:
    """A `Run` from latencies measured one request at a time (concurrency 1), in seconds."""
    ms = [s * 1000 for s in latencies_s]
    return Run(
        backend=backend,
        workers=workers,
        app=app,
        scenario=scenario,
        requests=len(ms),
        ok=ok,
        seconds=sum(latencies_s),
        p50_ms=percentile(ms, 50),
        p95_ms=percentile(ms, 95),
        p99_ms=percentile(ms, 99),
        max_ms=max(ms),
        rss_mb=rss_mb,
        concurrency=1,
        items_per_request=items_per_request,
        statuses=dict(statuses),
    )


@dataclass(frozen=True, slots=True)
class Comparison:
    """One scenario of the service beside its two baselines, over one or more rounds.

    With several rounds (create and read: `BENCH_ROUNDS`), the service and the raw app ran one
    after the other in each round, and the ratio to raw is the median of the rounds' ratios: the
    machine's speed drifts between runs a minute apart (the raw app's reads went from 1,908 to
    2,375 a second between two runs of the same code), and a ratio taken within one round cancels
    most of it. The runs shown are each app's median run by rate.
    """

    backend: str
    workers: int
    scenario: str
    services: tuple[Run, ...] = ()
    raws: tuple[Run, ...] = ()
    orms: tuple[Run, ...] = ()

    @property
    def service(self) -> Run | None:
        """The service's median run by rate (the lower of the two middle ones), or None."""
        return _median_run(self.services)

    @property
    def raw(self) -> Run | None:
        """The raw-driver app's median run by rate, or None."""
        return _median_run(self.raws)

    @property
    def orm(self) -> Run | None:
        """The naive-ORM app's median run by rate, or None."""
        return _median_run(self.orms)

    @property
    def rounds_to_raw(self) -> list[float]:
        """Service rate / raw rate in each round both ran (in round order); exhausted runs left out."""
        raws = {r.round: r for r in self.raws}
        found = []
        for run in sorted(self.services, key=lambda r: r.round):
            value = _rate_ratio(run, raws.get(run.round))
            if value is not None:
                found.append(value)
        return found

    @property
    def to_raw(self) -> float | None:
        """Service rate / raw-driver rate: the median of the rounds' ratios."""
        rounds = self.rounds_to_raw
        return statistics.median(rounds) if rounds else None

    @property
    def to_orm(self) -> float | None:
        """Service rate / naive-ORM rate (median runs)."""
        return _rate_ratio(self.service, self.orm)

    @property
    def service_p99_ms(self) -> float | None:
        """The median of the service's p99 over its rounds (ms), or None."""
        return statistics.median(r.p99_ms for r in self.services) if self.services else None


def _median_run(runs: Sequence[Run]) -> Run | None:
    if not runs:
        return None
    return sorted(runs, key=lambda r: r.rate)[(len(runs) - 1) // 2]


def _rate_ratio(run: Run | None, baseline: Run | None) -> float | None:
    if run is None or baseline is None or run.exhausted or baseline.exhausted:
        return None
    return ratio(run.rate, baseline.rate)


def compare(runs: Sequence[Run]) -> list[Comparison]:
    """Group runs by backend, workers and scenario, in the order first seen; each app's rounds
    in the order they ran."""
    keys: dict[tuple[str, int, str], dict[str, list[Run]]] = {}
    for run in runs:
        keys.setdefault((run.backend, run.workers, run.scenario), {}).setdefault(run.app, []).append(run)
    return [
        Comparison(
            b, w, s, tuple(apps.get("service", ())), tuple(apps.get("raw", ())), tuple(apps.get("orm", ()))
        )
        for (b, w, s), apps in keys.items()
    ]


@dataclass(frozen=True, slots=True)
class Target:
    """A target of the issue, checked against a measured value."""

    name: str
    scope: str
    """Where it was measured (`sqlite, 1 worker`)."""
    value: float | None
    limit: float
    direction: Literal["min", "max"]
    """`min`: the value must be at least the limit; `max`: at most."""
    unit: str = ""
    detail: str = ""

    @property
    def passed(self) -> bool | None:
        """True / False, or None when nothing could be measured."""
        if self.value is None:
            return None
        return self.value >= self.limit if self.direction == "min" else self.value <= self.limit

    @property
    def verdict(self) -> str:
        """`PASS`, `FAIL` or `n/a`."""
        return {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict with the verdict."""
        return {**asdict(self), "verdict": self.verdict}


# The targets (issue 6, item 1).
MIN_CREATE_TO_RAW = 0.6
MIN_READ_TO_RAW = 0.6
MAX_SQLITE_CREATE_P99_MS = 100.0
MIN_BATCH_TO_RAW = 1 / 3
MAX_RSS_MB = 150.0
MAX_Q_P95_MS_AT_1M = 50.0


def _listed(values: Iterable[float]) -> str:
    """`0.58, 0.63, 0.61`: a value per round, when there was more than one."""
    shown = [f"{v:.2f}" for v in values]
    return ", ".join(shown) if len(shown) > 1 else ""


def _rounds(c: Comparison) -> str:
    return _listed(c.rounds_to_raw)


def targets(comparisons: Sequence[Comparison]) -> list[Target]:
    """The throughput targets for every backend and worker count measured.

    - create and read: the service's rate ≥ 0.6 × the raw driver's (median of the rounds' ratios);
    - SQLite create p99 ≤ 100 ms under the run's concurrency (32 clients by default; median of
      the rounds' p99);
    - a batch of 500 within 3 × the raw `executemany` of the same rows (rate ratio ≥ 1/3);
    - RSS < 150 MB for every service process.
    """
    found: list[Target] = []
    for c in comparisons:
        scope = f"{c.backend}, {c.workers} worker{'s' if c.workers > 1 else ''}"
        if c.scenario == "create":
            found.append(
                Target("create ≥ 0.6 × raw", scope, c.to_raw, MIN_CREATE_TO_RAW, "min", "×", _rounds(c))
            )
            if c.backend == "sqlite" and c.service is not None:
                found.append(
                    Target(
                        f"SQLite create p99 ≤ 100 ms ({c.service.concurrency} clients)",
                        scope,
                        c.service_p99_ms,
                        MAX_SQLITE_CREATE_P99_MS,
                        "max",
                        "ms",
                        _listed(r.p99_ms for r in c.services),
                    )
                )
        elif c.scenario == "read":
            found.append(Target("read ≥ 0.6 × raw", scope, c.to_raw, MIN_READ_TO_RAW, "min", "×", _rounds(c)))
        elif c.scenario == "batch":
            found.append(
                Target(
                    "batch of 500 within 3 × raw executemany", scope, c.to_raw, MIN_BATCH_TO_RAW, "min", "×"
                )
            )
    by_scope: dict[str, float] = {}
    for c in comparisons:
        for run in c.services:
            scope = f"{c.backend}, {c.workers} worker{'s' if c.workers > 1 else ''}"
            by_scope[scope] = max(by_scope.get(scope, 0.0), run.rss_mb)
    for scope, peak in by_scope.items():
        found.append(Target("RSS < 150 MB per process", scope, peak, MAX_RSS_MB, "max", "MB"))
    return found

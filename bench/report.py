"""The results as Markdown tables (printed and written) and JSON. Pure formatting, no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bench.stats import Comparison, Run, Target

SCENARIO_LABELS = {
    "create": "create a person",
    "read": "read a person",
    "list": "list, filter + q",
    "batch": "batch of 500",
    "transition": "document transition",
}


def fmt(value: float | None, digits: int = 1) -> str:
    """A number with `digits` decimals, `—` for None."""
    return "—" if value is None else f"{value:.{digits}f}"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> str:
    """A GitHub Markdown table; `align` has one of `l`/`r` per column (numbers right)."""
    align = align or "l" * len(headers)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(w) if a == "r" else c.ljust(w) for c, w, a in zip(cells, widths, align, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "| "
        + " | ".join(
            ("-" * (w - 1) + ":") if a == "r" else "-" * w for w, a in zip(widths, align, strict=True)
        )
        + " |"
    )
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _rate(run: Run | None) -> str:
    if run is None:
        return "—"
    text = fmt(run.rate, 1 if run.rate < 100 else 0)
    if run.exhausted:
        text += "*"
    if run.errors:
        text += f" ({run.errors} err)"
    return text


def _lat(run: Run | None) -> str:
    return "—" if run is None else f"{fmt(run.p50_ms)} / {fmt(run.p99_ms)}"


def throughput_table(comparisons: Sequence[Comparison]) -> str:
    """One row per backend, workers and scenario: rate and p50/p99 of each app, and the ratios."""
    headers = [
        "database", "workers", "scenario", "service req/s", "p50 / p99 ms", "raw req/s", "p50 / p99 ms",
        "ORM req/s", "p50 / p99 ms", "× raw", "× ORM", "RSS MB svc / raw / ORM",
    ]  # fmt: skip
    rows = []
    for c in comparisons:
        rss = " / ".join(fmt(r.rss_mb, 0) if r else "—" for r in (c.service, c.raw, c.orm))
        rows.append(
            [
                c.backend, str(c.workers), SCENARIO_LABELS.get(c.scenario, c.scenario),
                _rate(c.service), _lat(c.service), _rate(c.raw), _lat(c.raw), _rate(c.orm), _lat(c.orm),
                fmt(c.to_raw, 2), fmt(c.to_orm, 2), rss,
            ]
        )  # fmt: skip
    return markdown_table(headers, rows, "llrrrrrrrrrr")


def summary_table(comparisons: Sequence[Comparison]) -> str:
    """Scenarios down, database and workers across; each cell `service rate (ratio to raw)`."""
    columns: list[tuple[str, int]] = []
    cells: dict[tuple[str, tuple[str, int]], str] = {}
    for c in comparisons:
        column = (c.backend, c.workers)
        if column not in columns:
            columns.append(column)
        rate = "—" if c.service is None else fmt(c.service.rate, 1 if c.service.rate < 100 else 0)
        cells[(c.scenario, column)] = f"{rate} ({fmt(c.to_raw, 2)}×)"
    scenarios = list(dict.fromkeys(c.scenario for c in comparisons))
    headers = ["service req/s (× raw)", *(f"{b} {w}w" for b, w in columns)]
    rows = [[SCENARIO_LABELS.get(s, s), *(cells.get((s, col), "—") for col in columns)] for s in scenarios]
    return markdown_table(headers, rows, "l" + "r" * len(columns))


def targets_table(found: Sequence[Target]) -> str:
    """Target, where, measured value, limit and PASS/FAIL."""
    rows = [
        [
            t.name,
            t.scope,
            f"{fmt(t.value, 2)} {t.unit}".strip(),
            f"{'≥' if t.direction == 'min' else '≤'} {fmt(t.limit, 2)} {t.unit}".strip(),
            t.verdict,
            t.detail or "—",
        ]
        for t in found
    ]
    return markdown_table(["target", "where", "measured", "limit", "verdict", "each round"], rows, "llrrll")


def growth_table(growth: Sequence[Mapping[str, Any]]) -> str:
    """Latency p50 / p95 (ms) of read, list and q at each size, and whether plans scan."""
    headers = ["persons", "read p50 / p95", "list p50 / p95", "q p50 / p95", "q p95 by kind", "plans"]
    rows = []
    for g in growth:
        lat = g["latency_ms"]
        by_kind = ", ".join(f"{k} {fmt(v['p95'])}" for k, v in sorted(g.get("q_by_kind", {}).items()))
        scans = g.get("seq_scans") or []
        rows.append(
            [
                f"{g['persons']:,}",
                *(
                    f"{fmt(lat[s]['p50'])} / {fmt(lat[s]['p95'])}" if s in lat else "—"
                    for s in ("read", "list", "q")
                ),
                by_kind or "—",
                "index only" if not scans else "seq scan: " + ", ".join(sorted(set(scans))),
            ]
        )
    return markdown_table(headers, rows, "rrrrll")


def render(results: Mapping[str, Any], comparisons: Sequence[Comparison], found: Sequence[Target]) -> str:
    """The whole Markdown report: conditions, throughput, targets, growth, profile, notes."""
    meta = results["meta"]
    parts = [
        "# Benchmark results",
        "",
        f"Run {meta['started_at']} on {meta['machine']}; {meta['duration_s']:.0f} s in all. "
        f"Load: wrk, {meta['connections']} connections, {meta['seconds']} s per run after "
        f"{meta['warmup']} s of warm-up, pinned to CPU {meta['loadgen_cpu']} with taskset; batches "
        f"sent one at a time ({meta['batches']} per app, after a warm-up batch of 50). Rates count 2xx "
        "answers only.",
        "",
    ]
    rounds = int(meta.get("rounds", 1))
    if rounds > 1:
        parts += [
            f"Create and read ran in {rounds} rounds, the service and the raw app one after the other "
            "in each: a ratio to raw is the median of the rounds' ratios, the SQLite create p99 the "
            "median of the rounds' p99, and the tables show each app's median run by rate (the ORM "
            "app and the other scenarios ran once).",
            "",
        ]
    for note in meta.get("notes", []):
        parts.append(f"- {note}")
    parts += ["", "## Summary", "", summary_table(comparisons), ""]
    parts += ["## Throughput and latency", "", throughput_table(comparisons), ""]
    if any(run.exhausted for c in comparisons for run in (*c.services, *c.raws, *c.orms)):
        parts += ["`*` the prepared once-only requests ran out: a lower bound, not used in ratios.", ""]
    parts += ["## Targets", "", targets_table(found), ""]
    growth = results.get("growth") or {}
    if growth.get("sizes"):
        parts += [
            "## Growth on PostgreSQL (service, 1 worker, latency in ms)",
            "",
            growth_table(growth["sizes"]),
            "",
        ]
        for line in growth.get("findings", []):
            parts.append(f"- {line}")
        parts.append("")
    elif growth.get("skipped"):
        parts += ["## Growth on PostgreSQL", "", f"Not run: {growth['skipped']}", ""]
    profile = results.get("profile") or {}
    if profile.get("top"):
        chosen = ""
        if profile.get("to_raw") is not None:
            workers = int(profile.get("to_raw_workers", 1))
            chosen = (
                f"Chosen as the scenario furthest below its raw baseline ({profile['to_raw']:.2f} × raw with "
                f"{workers} worker{'s' if workers > 1 else ''}); profiled with 1 worker. "
            )
        parts += [
            f"## Profile: {profile['scenario']} ({profile['where']})",
            "",
            f"{chosen}py-spy, {profile['samples']} samples at {profile['rate_hz']} Hz of the service "
            "process under load; share of samples in which each function of ours was on the stack",
            f"(inclusive), with the line sampled most; raw stacks in `{profile['file']}`:",
            "",
            markdown_table(
                ["share", "function", "where"],
                [[f"{t['share'] * 100:.1f} %", t["function"], t["where"]] for t in profile["top"]],
                "rll",
            ),
            "",
            "Where the CPU itself was (self time, any code):",
            "",
            markdown_table(
                ["share", "function", "where"],
                [[f"{t['share'] * 100:.1f} %", t["function"], t["where"]] for t in profile.get("self", [])],
                "rll",
            ),
            "",
        ]
        statements = profile.get("statements") or {}
        if statements:
            rows = [
                [
                    backend,
                    name,
                    str(c["status"]),
                    str(c["statements"]),
                    ", ".join(f"{k} {v}" for k, v in c["by_kind"].items()),
                ]
                for backend, counts in statements.items()
                for name, c in counts.items()
            ]
            parts += [
                "SQL statements of one request, the service in process (an executemany counts once):",
                "",
                markdown_table(["database", "request", "status", "statements", "by kind"], rows, "llrrl"),
                "",
            ]
    return "\n".join(parts)

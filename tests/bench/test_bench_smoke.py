"""The benchmark harness's pure pieces (no server, no load): a broken harness fails here.

Timings are never asserted; these check the arithmetic, the formats and that the bulk loader's
rows carry the keys the service derives.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from bench.config import BenchConfig
from bench.loadgen import PreparedRequest, write_requests
from bench.people import PersonFactory, search_terms
from bench.profiling import summarise

from bench import growth, report, rows, stats
from intake_api.persons.names import derive_name_keys
from intake_api.persons.schemas import PersonCreate
from intake_api.persons.service import body_fingerprint


def _run(app: str, scenario: str, ok: int, seconds: float = 2.0, **extra: object) -> stats.Run:
    fields: dict[str, object] = {
        "backend": "sqlite",
        "workers": 1,
        "app": app,
        "scenario": scenario,
        "requests": ok,
        "ok": ok,
        "seconds": seconds,
        "p50_ms": 10.0,
        "p95_ms": 20.0,
        "p99_ms": 40.0,
        "max_ms": 50.0,
        "rss_mb": 100.0,
        "concurrency": 32,
        **extra,
    }
    return stats.Run(**fields)  # type: ignore[arg-type]


class TestPercentile:
    def test_interpolates_between_closest_ranks(self) -> None:
        assert stats.percentile([4, 1, 3, 2], 50) == 2.5
        assert stats.percentile(list(range(1, 101)), 99) == pytest.approx(99.01)

    def test_extremes_are_min_and_max(self) -> None:
        assert stats.percentile([7, 3, 9], 0) == 3
        assert stats.percentile([7, 3, 9], 100) == 9

    def test_refuses_no_samples_and_out_of_range(self) -> None:
        with pytest.raises(ValueError, match="no samples"):
            stats.percentile([], 50)
        with pytest.raises(ValueError, match=r"0\.\.100"):
            stats.percentile([1.0], 101)


class TestRatios:
    def test_ratio_to_each_baseline(self) -> None:
        runs = [_run("service", "create", 300), _run("raw", "create", 600), _run("orm", "create", 200)]
        (comparison,) = stats.compare(runs)
        assert comparison.to_raw == pytest.approx(0.5)
        assert comparison.to_orm == pytest.approx(1.5)

    def test_exhausted_run_gives_no_ratio(self) -> None:
        runs = [_run("service", "create", 300, exhausted=True), _run("raw", "create", 600)]
        (comparison,) = stats.compare(runs)
        assert comparison.to_raw is None

    def test_rounds_pair_service_and_raw_and_take_the_median_ratio(self) -> None:
        # Round 0 ran on a fast machine for the raw app only: alone, it would give 0.4.
        runs = [
            _run("service", "read", 400, round=0),
            _run("raw", "read", 1000, round=0),
            _run("service", "read", 300, round=1),
            _run("raw", "read", 400, round=1),
            _run("service", "read", 350, round=2),
            _run("raw", "read", 500, round=2),
        ]
        (comparison,) = stats.compare(runs)
        assert comparison.rounds_to_raw == pytest.approx([0.4, 0.75, 0.7])
        assert comparison.to_raw == pytest.approx(0.7)
        # The runs shown are each app's median by rate.
        assert [r.round for r in (comparison.service, comparison.raw) if r is not None] == [2, 2]

    def test_a_round_without_its_raw_run_is_left_out(self) -> None:
        runs = [
            _run("service", "create", 300, round=0),
            _run("raw", "create", 600, round=0),
            _run("service", "create", 900, round=1),
            _run("service", "create", 400, round=2),
            _run("raw", "create", 500, round=2, exhausted=True),
        ]
        (comparison,) = stats.compare(runs)
        assert comparison.rounds_to_raw == pytest.approx([0.5])
        assert comparison.to_raw == pytest.approx(0.5)

    def test_missing_or_zero_baseline_gives_none(self) -> None:
        assert stats.ratio(1.0, 0.0) is None
        assert stats.ratio(None, 2.0) is None

    def test_rate_counts_successes_only(self) -> None:
        run = _run("service", "read", 100, seconds=4.0, requests=120)
        assert run.rate == 25.0
        assert run.errors == 20


class TestWrkSummary:
    def test_statuses_and_transport_errors_count(self) -> None:
        summary = {
            "requests": 100,
            "duration_us": 2_000_000,
            "statuses": {"201": 90, "500": 10},
            "exhausted": False,
            "errors": {"connect": 0, "read": 2, "write": 0, "status": 10, "timeout": 1},
            "latency_us": {
                "p50": 5000,
                "p90": 9000,
                "p95": 12000,
                "p99": 30000,
                "max": 40000,
                "mean": 6000.0,
            },
        }
        run = stats.wrk_run(
            summary,
            backend="sqlite",
            workers=1,
            app="service",
            scenario="create",
            concurrency=32,
            rss_mb=90.0,
        )
        assert (run.ok, run.requests, run.errors) == (90, 103, 13)
        assert run.rate == 45.0
        assert (run.p50_ms, run.p99_ms) == (5.0, 30.0)


class TestTargets:
    def test_verdicts_follow_the_issue_limits(self) -> None:
        runs = [
            _run("service", "create", 100, p99_ms=150.0),
            _run("raw", "create", 200),
            _run("service", "read", 700),
            _run("raw", "read", 1000),
            _run("service", "batch", 1, seconds=3.0),
            _run("raw", "batch", 1, seconds=1.0),
        ]
        found = {t.name.split(" (")[0]: t for t in stats.targets(stats.compare(runs))}
        assert found["create ≥ 0.6 × raw"].verdict == "FAIL"
        assert found["read ≥ 0.6 × raw"].verdict == "PASS"
        assert found["SQLite create p99 ≤ 100 ms"].verdict == "FAIL"
        assert found["batch of 500 within 3 × raw executemany"].verdict == "PASS"
        assert found["RSS < 150 MB per process"].verdict == "PASS"

    def test_sqlite_p99_is_the_median_of_the_rounds_and_each_round_is_shown(self) -> None:
        runs = [
            _run("service", "create", 500, p99_ms=130.0, round=0),
            _run("raw", "create", 500, round=0),
            _run("service", "create", 500, p99_ms=90.0, round=1),
            _run("raw", "create", 500, round=1),
            _run("service", "create", 500, p99_ms=95.0, round=2, rss_mb=160.0),
            _run("raw", "create", 500, round=2),
        ]
        found = {t.name.split(" (")[0]: t for t in stats.targets(stats.compare(runs))}
        p99 = found["SQLite create p99 ≤ 100 ms"]
        assert (p99.value, p99.verdict, p99.detail) == (95.0, "PASS", "130.00, 90.00, 95.00")
        assert found["create ≥ 0.6 × raw"].detail == "1.00, 1.00, 1.00"
        # Memory is checked in every round, not only in the median one.
        assert found["RSS < 150 MB per process"].verdict == "FAIL"
        row = next(line for line in report.targets_table(list(found.values())).splitlines() if "p99" in line)
        cells = [c.strip() for c in row.split("|")[3:7]]
        assert cells == ["95.00 ms", "≤ 100.00 ms", "PASS", "130.00, 90.00, 95.00"]

    def test_nothing_measured_is_not_a_pass(self) -> None:
        target = stats.Target("x", "here", None, 1.0, "min")
        assert target.passed is None
        assert target.verdict == "n/a"


class TestReport:
    def test_markdown_table_aligns_numbers_right(self) -> None:
        table = report.markdown_table(["name", "value"], [["a", "1.0"], ["bb", "10.0"]], "lr")
        lines = table.splitlines()
        assert lines[1] == "| ---- | ----: |"
        assert lines[2] == "| a    |   1.0 |"

    def test_throughput_table_shows_ratios_and_marks_exhaustion(self) -> None:
        runs = [
            _run("service", "create", 300, exhausted=True),
            _run("raw", "create", 600),
            _run("orm", "create", 200),
        ]
        table = report.throughput_table(stats.compare(runs))
        row = table.splitlines()[2]
        assert "150*" in row
        assert "| —     |" in row or " — " in row  # no ratio from an exhausted run

    def test_summary_table_has_a_column_per_database_and_workers(self) -> None:
        runs = [
            _run("service", "read", 300),
            _run("raw", "read", 600),
            _run("service", "read", 200, workers=2),
        ]
        table = report.summary_table(stats.compare(runs))
        lines = table.splitlines()
        assert [cell.strip() for cell in lines[0].split("|")[2:4]] == ["sqlite 1w", "sqlite 2w"]
        assert "150 (0.50×)" in lines[2]
        assert "100 (—×)" in lines[2]

    def test_targets_table_says_pass_or_fail(self) -> None:
        table = report.targets_table(
            [stats.Target("read ≥ 0.6 × raw", "sqlite, 1 worker", 0.7, 0.6, "min", "×")]
        )
        assert "PASS" in table
        assert "≥ 0.60 ×" in table


class TestRows:
    def test_bodies_are_valid_person_bodies(self) -> None:
        factory = PersonFactory(5)
        for _ in range(200):
            PersonCreate.model_validate(factory.body())

    def test_loader_keys_equal_the_services(self) -> None:
        factory = PersonFactory(6)
        for _ in range(300):
            for name in factory.body()["names"]:
                parts = (
                    name["given"],
                    name.get("family"),
                    name.get("patronymic"),
                    name["script"],
                    name.get("lang"),
                )
                expected = derive_name_keys(*parts)
                assert rows.service_keys(*parts) == rows.NameKeys(
                    expected.latin, expected.key, expected.skeleton
                )

    def test_fingerprint_is_the_services(self) -> None:
        body = PersonFactory(7).body()
        assert rows.fingerprint(body) == body_fingerprint(body)

    def test_sqlite_encoding_is_what_sqlalchemy_stores(self) -> None:
        codec = rows.Codec("sqlite")
        value = uuid.UUID("5a110000-0000-4000-8000-000000000001")
        assert codec.uuid(value) == "5a110000000040008000000000000001"
        at = dt.datetime(2019, 5, 9, 8, 0, 3, 12, tzinfo=dt.UTC)
        assert codec.ts(at) == "2019-05-09 08:00:03.000012"
        assert codec.insert("status_event").count("?") == len(rows.COLUMNS["status_event"])

    def test_each_distinct_word_key_prefix_and_skeleton_of_a_name_once(self) -> None:
        body = {
            "id": str(uuid.uuid4()),
            "category": "child",
            "sex": "female",
            "birth_date": "2016",
            "arrival_date": "2019-05-09",
            "names": [{"script": "Cyrl", "lang": "kk", "kind": "kazakh", "given": "Айша", "family": "Айша"}],
        }
        written = rows.registration_rows(
            rows.Codec("postgresql"),
            body,
            operation_id=uuid.uuid4(),
            created_at=dt.datetime(2019, 5, 9, tzinfo=dt.UTC),
            keys=rows.service_keys,
            actor=rows.Actor(),
            options=rows.RegistrationOptions(idempotency_key="k1"),
        )
        tokens = {(kind, token, at) for _p, _n, kind, token, at in written.tables["person_name_token"]}
        at = dt.datetime(2019, 5, 9, tzinfo=dt.UTC)
        assert tokens == {("pfx", "ais", at), ("pfx", "aish", at), ("pfx", "aisha", at), ("skel", "x", at)}
        assert len(written.tables["document_need"]) == len(written.tables["outbox_event"]) == 1
        assert len(written.tables["idempotency_record"]) == 1


class TestFormats:
    def test_requests_file_has_three_lines_each(self, tmp_path: Path) -> None:
        path = tmp_path / "r.req"
        count = write_requests(
            path,
            [
                PreparedRequest("GET", "/v1/persons/1", {"Authorization": "Bearer k"}),
                PreparedRequest("POST", "/v1/persons", {"A": "1", "B": "2"}, json.dumps({"x": "Айша"})),
            ],
        )
        lines = path.read_text("utf-8").split("\n")
        assert count == 2
        assert lines[:3] == ["GET /v1/persons/1", "Authorization: Bearer k", ""]
        assert lines[4] == "A: 1\x1fB: 2"

    def test_a_newline_in_a_body_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="newline"):
            write_requests(tmp_path / "r.req", [PreparedRequest("POST", "/x", {}, "{\n}")])

    def test_search_terms_cover_every_kind(self) -> None:
        kinds = {t["kind"] for t in search_terms(1, 10)}
        assert kinds == {"surname", "given_latin", "given_arabic", "given_and_surname", "prefix3"}

    def test_config_quick_mode_and_overrides(self) -> None:
        cfg = BenchConfig.from_env({"BENCH_QUICK": "1", "BENCH_SECONDS": "3", "BENCH_BACKENDS": "sqlite"})
        # A quick try writes beside the committed results of a full run, not over them.
        assert cfg.results_dir.parts[-2:] == ("results", "quick")
        assert BenchConfig.from_env({}).results_dir.parts[-2:] == ("bench", "results")
        assert (cfg.quick, cfg.seconds, cfg.backends, cfg.profile) == (True, 3, ("sqlite",), False)
        # Moves get more once-only requests than creations: the raw app moves them faster.
        assert (cfg.rate_cap, cfg.transition_cap) == (2000, 3500)
        assert BenchConfig.from_env({"BENCH_TRANSITION_CAP": "5000"}).transition_cap == 5000
        with pytest.raises(ValueError, match="unknown"):
            BenchConfig.from_env({"BENCH_BACKENDS": "oracle"})


class TestProfileSummary:
    def test_inclusive_self_and_own_shares(self) -> None:
        raw = "\n".join(
            [
                "main (intake_api/cli.py:10);register (intake_api/persons/service.py:203);"
                "flush (sqlalchemy/orm/session.py:5) 3",
                "main (intake_api/cli.py:10);read (intake_api/persons/views.py:7) 1",
            ]
        )
        summary = summarise(raw)
        assert summary["samples"] == 4
        own = {e["function"]: e for e in summary["own"]}
        assert own["register"]["where"] == "src/intake_api/persons/service.py:203"
        assert own["register"]["share"] == 0.75
        assert "flush" not in own
        assert summary["self"][0] == {
            "function": "flush",
            "where": "sqlalchemy/orm/session.py:5",
            "share": 0.75,
        }


def _results(**extra: object) -> dict[str, object]:
    meta = {
        "started_at": "2026-12-01 03:00 UTC",
        "machine": "test",
        "duration_s": 1.0,
        "connections": 32,
        "seconds": 4,
        "warmup": 1,
        "loadgen_cpu": 1,
        "batches": 3,
    }
    return {"meta": meta, **extra}


class TestRenderedReport:
    def test_the_exhaustion_footnote_only_when_a_run_ran_out(self) -> None:
        footnote = "`*` the prepared once-only requests ran out"
        fine = stats.compare([_run("service", "create", 300), _run("raw", "create", 600)])
        assert footnote not in report.render(_results(), fine, [])
        out = stats.compare([_run("service", "create", 300), _run("raw", "create", 600, exhausted=True)])
        assert footnote in report.render(_results(), out, [])

    def test_the_profile_says_with_how_many_workers_its_ratio_was_measured(self) -> None:
        profile = {
            "scenario": "transition",
            "where": "postgresql, 1 worker",
            "to_raw": 0.31,
            "to_raw_workers": 2,
            "samples": 10,
            "rate_hz": 100,
            "file": "profile/x.txt",
            "top": [{"share": 0.5, "function": "f", "where": "src/x.py:1"}],
        }
        text = report.render(_results(profile=profile), [], [])
        assert "0.31 × raw with 2 workers); profiled with 1 worker" in text

    def test_two_slow_statements_of_one_request_are_told_apart(self) -> None:
        statement = {"request": "q_surname", "seq_scans": [], "file": "plans/growth_1000_q_surname.txt"}
        measured = [
            {
                "persons": 1000,
                "seq_scans": [],
                "statements": [
                    statement | {"index": 1, "execution_ms": 4.0},
                    statement | {"index": 3, "execution_ms": 0.5},
                ],
            }
        ]
        lines = growth.findings(measured)
        assert lines[0].startswith("At 1,000 persons statement 1 of `q_surname` took 4.0 ms")
        assert lines[1].startswith("At 1,000 persons statement 3 of `q_surname` took 0.5 ms")

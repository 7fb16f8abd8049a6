"""The benchmark harness works end to end on a handful of iterations. Never asserts timings."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bench.cli import main
from bench.core import Bench, Case, Plan, Result, Stats, Target, Timer, measure, run_bench
from bench.report import BEGIN, END, update_readme

TINY = Plan(rounds=3, batch=4, warmup=2)


def test_measure_interleaves_sync_and_async_sides() -> None:
    calls: list[str] = []

    def op() -> None:
        calls.append("op")

    async def baseline() -> None:
        calls.append("base")

    loop = asyncio.new_event_loop()
    try:
        case = Case(op, baseline, baseline_asynchronous=True)
        op_stats, base_stats, ratios = measure(case, TINY, Timer(loop))
    finally:
        loop.close()
    assert op_stats.calls == base_stats.calls == TINY.rounds * TINY.batch  # type: ignore[union-attr]
    assert len(ratios) == TINY.rounds
    # warm-up op, warm-up base, then ABBA: op first in round 0, baseline first in round 1
    body = calls[2 * TINY.warmup:]
    assert body[: TINY.batch] == ["op"] * TINY.batch
    assert body[2 * TINY.batch: 3 * TINY.batch] == ["base"] * TINY.batch


def test_targets_read_ratios_as_speed() -> None:
    bench = Bench("g", "n", "sqlite", "b", Target.ratio(0.5), lambda env: Case(lambda: None))
    fast = Stats(calls=1, ops_per_s=1.0, p50_ns=2e6, p99_ns=3e6, mean_ns=2e6)
    assert Result(bench, fast, fast, ratio=0.6).met is True
    assert Result(bench, fast, fast, ratio=0.4).met is False
    assert Target.slowdown(1.5).met(Result(bench, fast, fast, ratio=0.8)) is True  # 1.25x
    assert Target.slowdown(1.5).met(Result(bench, fast, fast, ratio=0.5)) is False  # 2x
    assert Target.p50_ms(5).met(Result(bench, fast, None, ratio=None)) is True
    assert Result(bench, None, None, None, error="boom").met is None


def test_a_failing_setup_is_reported_not_raised() -> None:
    def broken(env: object) -> Case:
        raise RuntimeError("no such store")

    bench = Bench("g", "broken", "sqlite", "b", Target.none(), broken)

    class FakeEnv:
        loop = None
        calls = 0

    result = run_bench(bench, FakeEnv(), TINY)  # type: ignore[arg-type]
    assert result.op is None
    assert result.error == "RuntimeError: no such store"


def test_cli_runs_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--only", "/approvals.get", "--only", "sqlite/approvals.resolve",
                 "--rounds", "2", "--batch", "5", "--quick", "--results-dir", str(tmp_path)])
    assert code == 0
    out = capsys.readouterr().out
    assert "sqlite/approvals.get" in out and "postgres/approvals.get" in out
    latest = json.loads((tmp_path / "latest.json").read_text())
    ids = [r["id"] for r in latest["results"]]
    assert ids == ["sqlite/approvals.get", "sqlite/approvals.resolve", "postgres/approvals.get"]
    for entry in latest["results"]:
        assert entry["error"] is None
        assert entry["op_stats"]["calls"] == 2 * 5
        assert entry["ratio"] > 0
    assert latest["machine"]["nproc"] >= 1
    assert len(list(tmp_path.glob("bench-*.json"))) == 1


def test_readme_section_is_replaced_between_markers(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{BEGIN}\nold table\n{END}\noutro\n")
    update_readme("new table", readme)
    assert readme.read_text() == f"intro\n{BEGIN}\nnew table\n{END}\noutro\n"


def test_profile_mode_counts_queries_and_replays_the_sql(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--profile", "20", "--only", "sqlite/approvals.get",
                 "--results-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "1 x fetch_one approvals.find" in out
    assert "its SQL replayed on the bare driver" in out
    assert list(tmp_path.glob("profile-sqlite_approvals.get.html"))

"""`python -m bench`: run the benchmark, print the table, write JSON (and the README table)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.core import Bench, Plan, Result, Study, StudyResult, run_bench
from bench.env import machine, open_env
from bench.report import (
    HEADER,
    RESULTS_DIR,
    markdown_table,
    result_row,
    text_table,
    update_readme,
    write_json,
)
from bench.suites import all_benches, all_studies

FULL = Plan(rounds=12, batch=100, warmup=30)
QUICK = Plan(rounds=4, batch=25, warmup=10)
DIALECTS = ("sqlite", "postgres")


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="genie_repo hot paths against the raw drivers and LangGraph, interleaved.",
    )
    parser.add_argument("--only", action="append", default=[], metavar="SUBSTRING",
                        help="run benches whose id (e.g. postgres/sessions.append_event) "
                             "contains this; repeatable")
    parser.add_argument("--dialect", choices=DIALECTS, help="one dialect only")
    parser.add_argument("--quick", action="store_true",
                        help="few rounds and small data: checks the harness, not the numbers")
    parser.add_argument("--scale", action="store_true",
                        help="also run the scale studies (1k/100k/1M events; several minutes)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds per op (default 12)")
    parser.add_argument("--batch", type=int, help="calls per side per round (default 100)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS_DIR,
                        help="where the JSON goes (default bench/results)")
    parser.add_argument("--profile", type=int, nargs="?", const=2000, metavar="CALLS",
                        help="instead of measuring, profile the chosen ops' calls with "
                             "pyinstrument (default 2000 calls each)")
    parser.add_argument("--update-readme", action="store_true",
                        help="write the table into bench/README.md")
    return parser.parse_args(argv)


def _chosen(ids: list[str], only: list[str]) -> list[bool]:
    return [not only or any(o in i for o in only) for i in ids]


def run(args: argparse.Namespace) -> dict[str, Any]:
    base = QUICK if args.quick else FULL
    plan = Plan(rounds=args.rounds or base.rounds, batch=args.batch or base.batch,
                warmup=base.warmup)
    dialects = [args.dialect] if args.dialect else list(DIALECTS)
    benches = [b for b, keep in zip(all_benches(), _chosen([b.id for b in all_benches()],
                                                          args.only), strict=True) if keep]
    studies = [s for s in all_studies() if (args.scale or not s.scale_only)]
    studies = [s for s, keep in zip(studies, _chosen([s.id for s in studies], args.only),
                                    strict=True) if keep]
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    clock = time.monotonic()
    loop = asyncio.new_event_loop()
    results: list[Result] = []
    study_results: list[tuple[Study, StudyResult]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="genie-bench-") as tmp:
            for dialect in dialects:
                mine = [b for b in benches if b.dialect == dialect]
                if mine:
                    workdir = Path(tmp) / dialect
                    workdir.mkdir()
                    with open_env(dialect, workdir, loop, quick=args.quick) as env:
                        for bench in mine:
                            results.append(_run_one(bench, env, plan))
                for study in (s for s in studies if s.dialect == dialect):
                    workdir = Path(tmp) / study.id.replace("/", "_")
                    workdir.mkdir()
                    _progress(f"{study.id} ...")
                    with open_env(dialect, workdir, loop, quick=args.quick) as env:
                        study_results.append((study, _run_study(study, env)))
    finally:
        loop.close()
    return {
        "started_at": started.isoformat(),
        "seconds": round(time.monotonic() - clock, 1),
        "machine": machine(),
        "load_average": {"start": [round(x, 2) for x in load_before],
                         "end": [round(x, 2) for x in os.getloadavg()]},
        "args": {"only": args.only, "dialect": args.dialect, "quick": args.quick,
                 "scale": args.scale},
        "plan": {"rounds": plan.rounds, "batch": plan.batch, "warmup": plan.warmup},
        "results": results,
        "studies": study_results,
    }


def _run_one(bench: Bench, env: Any, plan: Plan) -> Result:
    start = time.monotonic()
    result = run_bench(bench, env, plan)
    status = result.error or (f"ratio {result.ratio:.2f}" if result.ratio is not None else "done")
    _progress(f"{bench.id}: {status} ({time.monotonic() - start:.1f} s)")
    return result


def _run_study(study: Study, env: Any) -> StudyResult:
    start = time.monotonic()
    try:
        outcome = study.run(env)
    except Exception as exc:  # the report boundary: show the failure, keep the other numbers
        outcome = StudyResult("failed", ["error"], [[f"{type(exc).__name__}: {exc}"]], {})
    _progress(f"{study.id}: {outcome.summary or outcome.title} "
              f"({time.monotonic() - start:.1f} s)")
    return outcome


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def render(run_data: dict[str, Any], *, markdown: bool) -> str:
    table = markdown_table if markdown else text_table
    parts = [table(HEADER, [result_row(r) for r in run_data["results"]])]
    for study, outcome in run_data["studies"]:
        verdict = {True: "met", False: "NOT MET", None: ""}[outcome.verdict]
        title = f"{study.id}: {outcome.title}" + (f" ({verdict})" if verdict else "")
        parts.append(("### " if markdown else "") + title)
        parts.append(table(outcome.header, outcome.rows))
        if outcome.summary:
            parts.append(outcome.summary)
    return "\n\n".join(parts)


def machine_line(info: dict[str, Any]) -> str:
    return (f"{info['nproc']} CPUs ({info['cpu']}), {info['os']}, Python {info['python']}, "
            f"SQLite {info['sqlite']} (apsw {info['apsw']}), PostgreSQL {info['postgres']} "
            f"(psycopg {info['psycopg']}), langgraph {info['langgraph']}")


def profile(args: argparse.Namespace) -> None:
    from bench.profile import profile_bench

    dialects = [args.dialect] if args.dialect else list(DIALECTS)
    chosen = [b for b, keep in zip(all_benches(), _chosen([b.id for b in all_benches()],
                                                         args.only), strict=True) if keep]
    loop = asyncio.new_event_loop()
    try:
        with tempfile.TemporaryDirectory(prefix="genie-bench-") as tmp:
            for dialect in dialects:
                mine = [b for b in chosen if b.dialect == dialect]
                if not mine:
                    continue
                workdir = Path(tmp) / dialect
                workdir.mkdir()
                with open_env(dialect, workdir, loop, quick=args.quick) as env:
                    for bench in mine:
                        print(profile_bench(bench, env, args.profile, args.results_dir))
    finally:
        loop.close()


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.profile:
        profile(args)
        return 0
    data = run(args)
    print(render(data, markdown=False))
    print(f"\nmachine: {machine_line(data['machine'])}; {data['seconds']} s; "
          f"load average {data['load_average']['start'][0]} at start, "
          f"{data['load_average']['end'][0]} at end")
    payload = {
        **{k: v for k, v in data.items() if k not in ("results", "studies")},
        "results": [r.as_json() for r in data["results"]],
        "studies": [{"id": s.id, **o.as_json()} for s, o in data["studies"]],
    }
    path = write_json(payload, datetime.fromisoformat(data["started_at"]), args.results_dir)
    print(f"results: {path}")
    if args.update_readme:
        plan = data["plan"]
        update_readme(
            f"Run {data['started_at'][:16]} UTC, {data['seconds']} s, "
            f"{plan['rounds']} rounds x {plan['batch']} calls per side"
            f"{' (--quick)' if args.quick else ''}{' (--scale)' if args.scale else ''}, "
            f"load average {data['load_average']['start'][0]} at start.\n\n"
            f"Machine: {machine_line(data['machine'])}.\n\n{render(data, markdown=True)}"
        )
    return 0

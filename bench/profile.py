"""`python -m bench --profile --only <id>`: where an op's time goes, with pyinstrument.

Sets the bench up exactly as a measured run does, then calls only the op (no baseline) under a
sampling profiler and prints the call tree (and, with `flat`, the functions by own time). This
is how a missed target gets its diagnosis.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pyinstrument import Profiler

from bench.core import Bench, Case, Plan, Timer, measure
from bench.env import Env
from bench.raw import Raw

_VERBS = ("execute", "execute_many", "fetch_one", "fetch_all", "fetch_value")


@contextmanager
def counting(db: Any) -> Iterator[Counter[str]]:
    """Count the registry queries and transactions a store runs through `db` (the Database
    protocol's public verbs, wrapped on this instance only; removed on exit)."""
    counts: Counter[str] = Counter()
    depth = [0]

    def wrap_verb(verb: str) -> Callable[..., Any]:
        original = getattr(db, verb)

        def counted(name: str, *args: Any, **kwargs: Any) -> Any:
            counts[f"{verb} {name}"] += 1
            return original(name, *args, **kwargs)

        return counted

    original_transaction = db.transaction

    @contextmanager
    def transaction(*args: Any, **kwargs: Any) -> Iterator[Any]:
        counts["transaction" if depth[0] == 0 else "savepoint"] += 1
        depth[0] += 1
        try:
            with original_transaction(*args, **kwargs) as tx:
                yield tx
        finally:
            depth[0] -= 1

    for verb in _VERBS:
        setattr(db, verb, wrap_verb(verb))
    db.transaction = transaction
    try:
        yield counts
    finally:
        for verb in (*_VERBS, "transaction"):
            delattr(db, verb)


def statements_per_call(case: Case, env: Env, calls: int = 20) -> str:
    """What one op call sends: queries by name, transactions, and (PostgreSQL) round trips
    (each query one, plus BEGIN and COMMIT for a transaction, one per savepoint command)."""
    with counting(env.db) as counts:
        for _ in range(calls):
            _call(case, env.loop)
    lines = [f"  {n / calls:g} x {what}" for what, n in sorted(counts.items())]
    queries = sum(n for what, n in counts.items() if what.split()[0] in _VERBS)
    trips = queries + 2 * counts["transaction"] + 2 * counts["savepoint"]
    lines.append(f"  = {queries / calls:g} queries per call; on PostgreSQL about "
                 f"{trips / calls:g} round trips (psycopg pipelines an execute_many)")
    return "\n".join(lines)


def profile_bench(bench: Bench, env: Env, calls: int, out_dir: Path) -> str:
    """Text report of `calls` op calls; the HTML report is written beside the JSON results."""
    env.calls = calls + 1000
    case: Case = bench.setup(env)
    try:
        for _ in range(20):  # warm the caches as the measured run does
            _call(case, env.loop)
        statements = statements_per_call(case, env)
        statements += "\n" + sql_share(case, env)
        profiler = Profiler(interval=0.0001)
        start = time.perf_counter_ns()
        profiler.start()
        for _ in range(calls):
            _call(case, env.loop)
        profiler.stop()
        per_call_ms = (time.perf_counter_ns() - start) / calls / 1e6
    finally:
        if case.teardown is not None:
            case.teardown()
    out_dir.mkdir(parents=True, exist_ok=True)
    html = out_dir / f"profile-{bench.id.replace('/', '_')}.html"
    html.write_text(profiler.output_html())
    tree = profiler.output_text(show_all=False, short_mode=False)
    flat = profiler.output_text(flat=True)
    head = "\n".join(flat.splitlines()[:30])
    return (f"== {bench.id}: {calls} calls, {per_call_ms:.3f} ms per call under the profiler"
            f" (html: {html})\n-- statements per call --\n{statements}\n{tree}\n"
            f"-- own time, top functions --\n{head}\n")


def sql_share(case: Case, env: Env) -> str:
    """For a sync op running one read query: the op against that same SQL and parameters
    replayed through the bare driver, interleaved (how much of the op is the database)."""
    if case.asynchronous:
        return "  (async op: no SQL replay)"
    try:
        replay = Raw.of(env).replay(env, case.op)
    except ValueError as exc:
        return f"  (no SQL replay: {exc})"
    op, base, _ = measure(Case(case.op, replay), Plan(rounds=6, batch=50, warmup=10),
                          Timer(env.loop))
    assert base is not None
    return (f"  op p50 {op.p50_ns / 1e6:.3f} ms; its SQL replayed on the bare driver p50 "
            f"{base.p50_ns / 1e6:.3f} ms: the library adds {(op.p50_ns - base.p50_ns) / 1e6:.3f}"
            f" ms ({100 * (op.p50_ns - base.p50_ns) / op.p50_ns:.0f}% of the op)")


def _call(case: Case, loop: asyncio.AbstractEventLoop) -> None:
    if case.asynchronous:
        loop.run_until_complete(case.op())  # type: ignore[arg-type]
    else:
        case.op()

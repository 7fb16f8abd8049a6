"""`python -m bench --profile --only <id>`: where an op's time goes, with pyinstrument.

Sets the bench up exactly as a measured run does, then calls only the op (no baseline) under a
sampling profiler and prints the call tree (and, with `flat`, the functions by own time). This
is how a missed target gets its diagnosis.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from pyinstrument import Profiler

from bench.core import Bench, Case
from bench.env import Env


def profile_bench(bench: Bench, env: Env, calls: int, out_dir: Path) -> str:
    """Text report of `calls` op calls; the HTML report is written beside the JSON results."""
    env.calls = calls + 20
    case: Case = bench.setup(env)
    try:
        for _ in range(20):  # warm the caches as the measured run does
            _call(case, env.loop)
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
            f" (html: {html})\n{tree}\n-- own time, top functions --\n{head}\n")


def _call(case: Case, loop: asyncio.AbstractEventLoop) -> None:
    if case.asynchronous:
        loop.run_until_complete(case.op())  # type: ignore[arg-type]
    else:
        case.op()

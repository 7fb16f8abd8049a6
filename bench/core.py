"""The measuring machinery: declarative benchmark entries, interleaved timing, statistics.

A benchmark is a `Bench`: a name, a dialect, a target, and a `setup` that receives the run's
`Env` (one database per dialect per run) and returns a `Case`: the measured call and its
baseline, both zero-argument callables (sync, or async when the case says so). The runner
alternates batches of op and baseline for many rounds (ABBA order, so neither always runs
first), with the garbage collector disabled inside a batch and run between batches. Each call is
timed alone with `perf_counter_ns`; a round's ratio is baseline median / op median, and the
reported ratio is the median over rounds, so slow drift of the machine cancels out.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from bench.env import Env

Dialect = Literal["sqlite", "postgres"]
SyncCall = Callable[[], object]
AsyncCall = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class Target:
    """What an op must reach. Ratios are speed ratios: baseline time / op time (higher is
    faster), so `ratio >= 0.33` means at least a third of the baseline's throughput."""

    kind: Literal["ratio", "slowdown", "extra_us", "p50_ms", "none"]
    value: float = 0.0

    @classmethod
    def ratio(cls, at_least: float) -> Target:
        return cls("ratio", at_least)

    @classmethod
    def slowdown(cls, at_most: float) -> Target:
        """Op time / baseline time must stay at or under this (async twin overhead)."""
        return cls("slowdown", at_most)

    @classmethod
    def extra_us(cls, at_most: float) -> Target:
        """Op p50 minus baseline p50 must stay at or under this many microseconds."""
        return cls("extra_us", at_most)

    @classmethod
    def p50_ms(cls, at_most: float) -> Target:
        return cls("p50_ms", at_most)

    @classmethod
    def none(cls) -> Target:
        return cls("none")

    def describe(self) -> str:
        if self.kind == "ratio":
            return f">= {self.value:g}"
        if self.kind == "slowdown":
            return f"<= {self.value:g}x time"
        if self.kind == "extra_us":
            return f"<= +{self.value:g} µs"
        if self.kind == "p50_ms":
            return f"p50 <= {self.value:g} ms"
        return "-"

    def met(self, result: Result) -> bool | None:
        if self.kind == "ratio":
            return result.ratio is not None and result.ratio >= self.value
        if self.kind == "slowdown":
            return result.ratio is not None and 1 / result.ratio <= self.value
        if self.kind == "extra_us":
            return (result.op is not None and result.baseline is not None
                    and (result.op.p50_ns - result.baseline.p50_ns) / 1e3 <= self.value)
        if self.kind == "p50_ms":
            return result.op is not None and result.op.p50_ns / 1e6 <= self.value
        return None


@dataclass
class Case:
    """What a setup returns. `op`/`baseline` are called with no arguments; when `asynchronous`
    is set they return awaitables and run on the env's event loop, a whole batch per loop entry
    so the loop's own start-up cost is not charged to the call."""

    op: SyncCall | AsyncCall
    baseline: SyncCall | AsyncCall | None = None
    asynchronous: bool = False
    baseline_asynchronous: bool = False
    teardown: Callable[[], None] | None = None


@dataclass(frozen=True)
class Bench:
    """One declarative entry of the benchmark."""

    group: str  # the store: "sessions", "checkpoints", ...
    name: str  # the op: "append_event"
    dialect: Dialect
    baseline: str  # what the baseline is, for the table
    target: Target
    setup: Callable[[Env], Case]
    note: str = ""
    cost: float = 1.0  # batch-size factor for slow ops (0.2 = a fifth of the plan's batch)

    @property
    def id(self) -> str:
        return f"{self.dialect}/{self.group}.{self.name}"


@dataclass(frozen=True)
class Plan:
    """How long to measure: `rounds` interleaved rounds of `batch` calls of each side."""

    rounds: int = 12
    batch: int = 150
    warmup: int = 50

    def scaled(self, factor: float) -> Plan:
        """A cheaper (or dearer) plan for slow ops; never fewer than 5 calls a batch."""
        return Plan(
            rounds=self.rounds,
            batch=max(5, int(self.batch * factor)),
            warmup=max(3, int(self.warmup * factor)),
        )


@dataclass
class Stats:
    """Per-call statistics of one side (op or baseline) over all rounds."""

    calls: int
    ops_per_s: float  # median over rounds of batch size / batch wall time
    p50_ns: float
    p99_ns: float
    mean_ns: float

    @classmethod
    def of(cls, samples: list[int], round_rates: list[float]) -> Stats:
        ordered = sorted(samples)
        return cls(
            calls=len(ordered),
            ops_per_s=statistics.median(round_rates),
            p50_ns=_percentile(ordered, 50),
            p99_ns=_percentile(ordered, 99),
            mean_ns=statistics.fmean(ordered),
        )

    def as_json(self) -> dict[str, float]:
        return {
            "calls": self.calls,
            "ops_per_s": round(self.ops_per_s, 1),
            "p50_ms": round(self.p50_ns / 1e6, 4),
            "p99_ms": round(self.p99_ns / 1e6, 4),
            "mean_ms": round(self.mean_ns / 1e6, 4),
        }


@dataclass
class Result:
    bench: Bench
    op: Stats | None  # None when the bench failed (see `error`)
    baseline: Stats | None
    ratio: float | None  # median over rounds of baseline p50 / op p50
    round_ratios: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def met(self) -> bool | None:
        return None if self.op is None else self.bench.target.met(self)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.bench.id,
            "group": self.bench.group,
            "op": self.bench.name,
            "dialect": self.bench.dialect,
            "baseline": self.bench.baseline,
            "note": self.bench.note,
            "target": self.bench.target.describe(),
            "met": self.met,
            "ratio": None if self.ratio is None else round(self.ratio, 3),
            "slowdown": None if not self.ratio else round(1 / self.ratio, 3),
            "ratio_min": round(min(self.round_ratios), 3) if self.round_ratios else None,
            "ratio_max": round(max(self.round_ratios), 3) if self.round_ratios else None,
            "error": self.error,
            "op_stats": None if self.op is None else self.op.as_json(),
            "baseline_stats": None if self.baseline is None else self.baseline.as_json(),
        }


def _percentile(ordered: list[int], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return float(ordered[rank])


class Timer:
    """Times batches of calls, sync or async, with the collector paused inside a batch."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def batch(
        self, call: SyncCall | AsyncCall, n: int, asynchronous: bool
    ) -> tuple[list[int], int]:
        """Per-call nanoseconds, and the batch's wall time."""
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter_ns()
            if asynchronous:
                samples = self.loop.run_until_complete(_async_batch(call, n))  # type: ignore[arg-type]
            else:
                samples = _sync_batch(call, n)
            return samples, time.perf_counter_ns() - start
        finally:
            gc.enable()


def _sync_batch(call: SyncCall, n: int) -> list[int]:
    clock = time.perf_counter_ns
    samples = [0] * n
    for i in range(n):
        start = clock()
        call()
        samples[i] = clock() - start
    return samples


async def _async_batch(call: AsyncCall, n: int) -> list[int]:
    clock = time.perf_counter_ns
    samples = [0] * n
    for i in range(n):
        start = clock()
        await call()
        samples[i] = clock() - start
    return samples


def measure(case: Case, plan: Plan, timer: Timer) -> tuple[Stats, Stats | None, list[float]]:
    """Warm up both sides, then `plan.rounds` rounds of interleaved batches (ABBA order)."""
    sides: list[tuple[SyncCall | AsyncCall, bool]] = [(case.op, case.asynchronous)]
    if case.baseline is not None:
        sides.append((case.baseline, case.baseline_asynchronous))
    gc.collect()
    gc.freeze()  # the set-up's objects: later collections between batches only see new ones
    try:
        return _rounds(sides, plan, timer)
    finally:
        gc.unfreeze()


def _rounds(
    sides: list[tuple[SyncCall | AsyncCall, bool]], plan: Plan, timer: Timer
) -> tuple[Stats, Stats | None, list[float]]:
    for call, is_async in sides:
        timer.batch(call, plan.warmup, is_async)
    samples: list[list[int]] = [[] for _ in sides]
    rates: list[list[float]] = [[] for _ in sides]
    round_ratios: list[float] = []
    for round_no in range(plan.rounds):
        order = list(range(len(sides)))
        if round_no % 2:
            order.reverse()
        medians: dict[int, float] = {}
        for index in order:
            call, is_async = sides[index]
            batch, wall = timer.batch(call, plan.batch, is_async)
            samples[index].extend(batch)
            rates[index].append(plan.batch * 1e9 / wall)
            medians[index] = statistics.median(batch)
        if len(sides) == 2:
            round_ratios.append(medians[1] / medians[0])
    op = Stats.of(samples[0], rates[0])
    baseline = Stats.of(samples[1], rates[1]) if len(sides) == 2 else None
    return op, baseline, round_ratios


def run_bench(bench: Bench, env: Env, plan: Plan) -> Result:
    """Set up, measure and tear down one bench; a failure becomes a reported error, not a crash,
    so one broken op never hides the numbers of the others."""
    plan = plan.scaled(bench.cost)
    env.calls = plan.warmup + plan.rounds * plan.batch
    try:
        case = bench.setup(env)
        try:
            op, baseline, round_ratios = measure(case, plan, Timer(env.loop))
        finally:
            if case.teardown is not None:
                case.teardown()
    except Exception as exc:  # the report boundary: show the failure, keep measuring the rest
        return Result(bench, None, None, None, error=f"{type(exc).__name__}: {exc}")
    ratio = statistics.median(round_ratios) if round_ratios else None
    return Result(bench, op, baseline, ratio, round_ratios)


@dataclass
class StudyResult:
    """A study's own small table (rows of strings) plus its raw numbers for the JSON."""

    title: str
    header: list[str]
    rows: list[list[str]]
    data: dict[str, Any]
    verdict: bool | None = None  # the study's target met, when it has one
    summary: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"title": self.title, "verdict": self.verdict, "summary": self.summary,
                "header": self.header, "rows": self.rows, "data": self.data}


@dataclass(frozen=True)
class Study:
    """A measurement that is not an op-vs-baseline pair (scale curves, storage growth). It gets
    its own fresh database, so what it loads never slows the other benches."""

    group: str
    name: str
    dialect: Dialect
    run: Callable[[Env], StudyResult]
    scale_only: bool = False  # runs only under --scale

    @property
    def id(self) -> str:
        return f"{self.dialect}/{self.group}.{self.name}"

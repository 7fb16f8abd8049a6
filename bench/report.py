"""Turning results into a table (stdout and README) and JSON (bench/results/)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.core import Result

RESULTS_DIR = Path(__file__).parent / "results"
README = Path(__file__).parent / "README.md"
BEGIN, END = "<!-- bench:latest:begin -->", "<!-- bench:latest:end -->"

HEADER = ["op", "ops/s", "p50 ms", "p99 ms", "baseline", "base ops/s", "base p50",
          "ratio", "target", "met"]


def _ms(ns: float) -> str:
    ms = ns / 1e6
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}"


def _met(value: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[value]


def result_row(result: Result) -> list[str]:
    name = result.bench.id
    if result.op is None:
        return [name, "ERROR", "", "", result.error or "", "", "", "", "", ""]
    base = result.baseline
    ratio = "-" if result.ratio is None else f"{result.ratio:.2f}"
    if result.round_ratios and result.ratio is not None:
        ratio += f" [{min(result.round_ratios):.2f}-{max(result.round_ratios):.2f}]"
    if result.bench.target.kind == "slowdown" and result.ratio:
        slowest, fastest = 1 / min(result.round_ratios), 1 / max(result.round_ratios)
        ratio = f"{1 / result.ratio:.2f}x time [{fastest:.2f}-{slowest:.2f}]"
    return [
        name,
        f"{result.op.ops_per_s:,.0f}",
        _ms(result.op.p50_ns),
        _ms(result.op.p99_ns),
        result.bench.baseline,
        "-" if base is None else f"{base.ops_per_s:,.0f}",
        "-" if base is None else _ms(base.p50_ns),
        ratio,
        result.bench.target.describe(),
        _met(result.met),
    ]


def text_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i])
              for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(header), line(["---"] * len(header)), *map(line, rows)])


def write_json(payload: dict[str, Any], started: datetime, directory: Path = RESULTS_DIR) -> Path:
    """`bench-<UTC time>.json` plus `latest.json`; returns the timestamped file."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, indent=2, default=str) + "\n"
    path = directory / f"bench-{started:%Y%m%dT%H%M%SZ}.json"
    path.write_text(text)
    (directory / "latest.json").write_text(text)
    return path


def update_readme(markdown: str, readme: Path = README) -> None:
    """Replace the latest-results section of bench/README.md (between its markers)."""
    text = readme.read_text()
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    readme.write_text(f"{head}{BEGIN}\n{markdown}\n{END}{tail}")

"""Readable output for humans: tables for lists of rows, aligned keys for mappings."""

from __future__ import annotations

from typing import Any


def render(result: Any, indent: str = "") -> str:
    if isinstance(result, str):
        return result
    if isinstance(result, list):
        if not result:
            return f"{indent}(none)"
        if all(isinstance(r, dict) for r in result):
            return table(result, indent)
        return "\n".join(f"{indent}{item}" for item in result)
    if isinstance(result, dict):
        width = max((len(str(k)) for k in result), default=0)
        lines = []
        for key, value in result.items():
            if isinstance(value, dict | list):
                lines.append(f"{indent}{key}:")
                lines.append(render(value, indent + "  "))
            else:
                lines.append(f"{indent}{str(key).ljust(width)}  {value}")
        return "\n".join(lines)
    return f"{indent}{result}"


def table(rows: list[dict[str, Any]], indent: str = "") -> str:
    columns = list(dict.fromkeys(k for row in rows for k in row))
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return indent + "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True))

    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)]).rstrip()


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."

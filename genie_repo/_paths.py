"""Locate the package data (`sql/`, `migrations/`) from a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """`genie_repo/<name>` inside a wheel, else `<checkout>/<name>` beside the package."""
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"genie_repo data folder {name!r} not found near {_PACKAGE}")

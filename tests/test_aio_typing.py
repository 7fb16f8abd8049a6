"""The async API is typed: mypy --strict accepts a client of every async store and sees the
precise result types (not `Any`)."""

from __future__ import annotations

from pathlib import Path

from mypy import api

CLIENT = Path(__file__).parent / "typing" / "async_client.py"


def test_mypy_strict_accepts_a_client_of_every_async_store_with_precise_types() -> None:
    out, err, status = api.run(["--strict", "--no-error-summary", str(CLIENT)])
    notes = [line for line in out.splitlines() if "Revealed type" in line]
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert errors == [], out + err
    assert len(notes) == 1 and "CheckpointTuple | None" in notes[0], out
    assert status == 0, out + err

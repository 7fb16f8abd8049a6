"""The SQL and migrations ship inside the wheel: an installed copy works outside the checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import pathlib, sys, tempfile
import genie_repo
assert "site-packages" in genie_repo.__file__, genie_repo.__file__
from genie_repo import ApprovalStore, Config, migrate, open_database
path = pathlib.Path(tempfile.mkdtemp()) / "w.db"
migrate(Config(db_file=path))
db = open_database(Config(db_file=path))
made = ApprovalStore(db).create(thread_id="t", run_id="r", tool_name="x")
print("ok", ApprovalStore(db).get(made.id).status.value)
"""


def test_wheel_installs_and_runs_outside_the_checkout(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(wheels.glob("genie_repo-*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(  # a fresh venv: the wheel and its declared dependencies, nothing else
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True, capture_output=True,
    )
    out = subprocess.run(
        [str(python), "-c", SCRIPT], check=True, capture_output=True, text=True, cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PYTHONNOUSERSITE": "1"},
    )
    assert out.stdout.strip() == "ok pending"

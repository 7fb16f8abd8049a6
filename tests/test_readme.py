"""The README cannot rot: its Python blocks run, in order, on both dialects, and its
`genie-repo` / `yoyo apply ... sqlite` command lines run too. (Install, make and commands that
name other servers are not run.)"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from genie_repo import Config, open_database

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.S)
README_DIR = "/tmp/genie-readme"


def blocks(language: str) -> list[str]:
    return [code for lang, code in BLOCK.findall(README.read_text()) if lang == language]


def test_python_blocks_run(config: Config, tmp_path: Path) -> None:
    code = [block.replace(README_DIR, str(tmp_path)) for block in blocks("python")]
    assert code, "the README has no Python examples"
    namespace: dict[str, object] = {}
    exec(compile(code[0], "README.md[block 1]", "exec"), namespace)  # noqa: S102
    if config.dsn:  # run the rest against this test's PostgreSQL database
        namespace["db"].close()  # type: ignore[attr-defined]
        namespace["config"] = config
        namespace["db"] = open_database(config)
    try:
        for number, block in enumerate(code[1:], start=2):
            exec(compile(block, f"README.md[block {number}]", "exec"), namespace)  # noqa: S102
    finally:
        namespace["db"].close()  # type: ignore[attr-defined]


def command_lines() -> list[str]:
    lines = [line.split("#")[0].strip() for block in blocks("sh") for line in block.splitlines()]
    return [line for line in lines
            if line.startswith("genie-repo") or (line.startswith("yoyo") and "sqlite" in line)]


@pytest.mark.parametrize("line", command_lines())
def test_command_lines_run(line: str, tmp_path: Path) -> None:
    argv = shlex.split(line.replace(README_DIR, str(tmp_path)))
    tool = Path(sys.executable).with_name(argv[0])
    if argv[0] == "genie-repo" and "migrate" not in argv:  # the other commands need a schema
        subprocess.run([str(tool), *argv[1:3], "migrate"], check=True, capture_output=True)
    subprocess.run([str(tool), *argv[1:]], check=True, capture_output=True,
                   cwd=README.parent)

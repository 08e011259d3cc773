"""ruff and mypy are clean on src/ (configured in pyproject.toml; both in the test extra)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(tool: str, *args: str) -> list[str]:
    if shutil.which(tool) is None and subprocess.run(
            [sys.executable, "-m", tool, "--version"], capture_output=True).returncode:
        pytest.skip(f"{tool} is not installed (pip install -e '.[test]')")
    out = subprocess.run([sys.executable, "-m", tool, *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=600)
    return [line for line in out.stdout.splitlines() if line.startswith("src/")]


def test_ruff_is_clean():
    assert _run("ruff", "check", "src", "--output-format", "concise") == []


def test_mypy_is_clean():
    assert _run("mypy") == []

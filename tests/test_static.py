"""The code stays as strict as the style asks: ruff (lint and format) and mypy --strict."""

from __future__ import annotations

import subprocess
import sys

from builders import REPO


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_ruff_finds_nothing():
    """ruff check and ruff format --check pass on the whole tree."""
    lint = run("ruff", "check", ".")
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = run("ruff", "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict_passes_on_the_package():
    """mypy --strict (configured in pyproject.toml) finds no error in bridge/."""
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr

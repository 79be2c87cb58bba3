"""Static checks run as part of the suite, so the README's test command covers them:
ruff (lint and format) on everything, mypy --strict on the model, mypy on conformance."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_lint_is_clean():
    proc = _run("ruff", "check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format_is_clean():
    proc = _run("ruff", "format", "--check", ".")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "args",
    [("--strict", "-p", "wsshare.model"), ("-p", "wsshare.conformance")],
    ids=["model-strict", "conformance"],
)
def test_mypy_is_clean(args):
    proc = _run("mypy", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr

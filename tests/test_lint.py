"""Static checks run as part of the suite, so the README's test command covers them:
ruff (lint and format) on everything, mypy --strict on the model, mypy on conformance."""

import os
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


@pytest.fixture(scope="module")
def namespace_tree(tmp_path_factory):
    """A wsshare/ folder linking to model/ and conformance/, so mypy sees the installed
    names whatever the install mode (an editable install maps them with an import hook
    that mypy cannot follow)."""
    root = tmp_path_factory.mktemp("mypy") / "wsshare"
    root.mkdir()
    (root / "model").symlink_to(ROOT / "model", target_is_directory=True)
    (root / "conformance").symlink_to(ROOT / "conformance", target_is_directory=True)
    return root.parent


@pytest.mark.parametrize(
    "args",
    [("--strict", "-p", "wsshare.model"), ("-p", "wsshare.conformance")],
    ids=["model-strict", "conformance"],
)
def test_mypy_is_clean(args, namespace_tree):
    env = {**os.environ, "MYPYPATH": str(namespace_tree)}
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--explicit-package-bases", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr

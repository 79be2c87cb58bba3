"""Shared fixtures: running the installed `wsshare` script the way a user would."""

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from typing import NoReturn

import pytest


def wsshare_path() -> str:
    """The console script of the interpreter running the tests (a venv need not be
    activated), else the one on PATH."""
    here = shutil.which("wsshare", path=os.path.dirname(sys.executable))
    found = here or shutil.which("wsshare")
    assert found, "the wsshare console script is not installed: run `pip install -e .`"
    return found


def wsshare(*args: str, timeout: float = 300, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [wsshare_path(), *args], capture_output=True, text=True, timeout=timeout, **kwargs
    )


@pytest.fixture
def run_wsshare():
    """Run `wsshare ARGS...` and return the completed process."""
    return wsshare


@pytest.fixture
def wsshare_script() -> str:
    return wsshare_path()


def _unavailable(message: str) -> NoReturn:
    # CI installs every real component (.ci/run); there a missing one is a failure.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def unavailable() -> Callable[[str], NoReturn]:
    """Call with a message that says how to install a missing real component (Wine,
    strace, Chromium): the test skips locally and fails under CI=true."""
    return _unavailable

"""A pytest plugin: `pytest --wsshare-traces DIR` makes each trace a test item.

Installed with wsshare (entry point `pytest11`). A folder with a manifest.json gives one
item per trace and profile, passing when the verdict matches the manifest; a trace no
manifest lists passes when it conforms to its header's profile hint (or `documented`).
"""

from __future__ import annotations

from typing import Any

import pytest

from .checking.runner import Job, plan, run_job
from .loading import InputError


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("wsshare")
    group.addoption(
        "--wsshare-traces",
        action="append",
        default=[],
        metavar="DIR",
        help="check the traces in DIR (a file or folder; may be repeated) as test items",
    )
    group.addoption(
        "--wsshare-profile",
        default=None,
        help="check under this profile instead of the manifests' expectations",
    )


class TraceCheckFailed(Exception):
    """A trace did not give the verdict expected of it."""


class TraceItem(pytest.Item):
    def __init__(self, *, job: Job, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = job

    def runtest(self) -> None:
        outcome = run_job(self.job)
        if outcome.error is not None:
            raise TraceCheckFailed(f"bad input: {outcome.error}")
        if outcome.passed:
            return
        if outcome.mismatch:
            raise TraceCheckFailed(outcome.mismatch)
        result = outcome.result
        assert result is not None
        detail = ""
        if result.violation is not None:
            v = result.violation
            detail = (
                f" at event {v.index} (line {v.line}): {v.observed}; "
                f"rules {', '.join(v.rules) or '(none cited)'}"
            )
        raise TraceCheckFailed(f"{result.verdict}{detail}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, TraceCheckFailed):
            return f"{self.job.display} [{self.job.profile}]: {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return self.job.path, None, f"wsshare trace {self.name}"


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    folders: list[str] = config.getoption("--wsshare-traces")
    if not folders:
        return
    try:
        jobs = plan(folders, config.getoption("--wsshare-profile")).jobs
    except InputError as e:
        raise pytest.UsageError(f"--wsshare-traces: {e}") from None
    for job in jobs:
        name = f"{job.display}[{job.profile}]"
        items.append(TraceItem.from_parent(session, name=name, job=job))

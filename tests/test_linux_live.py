"""The Linux machine (conformance/stateful/linux.py) on the model, on the live kernel, and
on mutants of the Linux model.

- against the model driver, under both Linux profiles, the machine finds nothing;
- against the running kernel (agent processes forked, exec'd and handed descriptors by
  the live driver) it finds nothing either, under `linux-scm-rights` and `linux-pidfd`;
- against a mutant of `LinuxSemantics` run as the implementation under test it fails,
  and the trace it writes replays to the same violation with `wsshare check`;
- dup3 onto its own number, which the live machine found the model got wrong, is pinned
  here: the kernel's EINVAL, which the model now gives too.

The live tests need nothing but Python and Linux, so they never skip. Machine classes are
bound to module names so hypothesis's printed reproducer runs here.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import pytest

from wsshare.conformance.checking.engine import check_file
from wsshare.conformance.drivers.base import Call, first
from wsshare.conformance.drivers.linux.driver import (
    AgentPool,
    LinuxDriver,
    linux_model_driver,
)
from wsshare.conformance.fixtures.mutants_linux import LINUX_MUTANTS, MODEL_BOUNDS, catch_linux
from wsshare.conformance.stateful import machine as S
from wsshare.conformance.stateful.linux import linux_machine
from wsshare.conformance.trace import TraceWriter
from wsshare.model import get_profile

SCM = get_profile("linux-scm-rights")
PIDFD = get_profile("linux-pidfd")
LINUX = get_profile("linux")

MODEL = MODEL_BOUNDS  # the model driver's bounds, which the machine does not know


@pytest.fixture(scope="module")
def pool() -> Iterator[AgentPool]:
    p = AgentPool()
    yield p
    print(f"\nLinux agent pool: {p.stats.line()}")
    p.close()


@pytest.fixture(autouse=True)
def _failures_here(monkeypatch, tmp_path):
    monkeypatch.setenv(S.FAILURE_DIR_ENV, str(tmp_path))


# -- the model -------------------------------------------------------------------------


LinuxModelScm = linux_machine(
    lambda: linux_model_driver(MODEL, SCM),
    SCM,
    name="LinuxModelScm",
    module=__name__,
    test_settings=S.default_settings(100, 30),
)
LinuxModelPidfd = linux_machine(
    lambda: linux_model_driver(MODEL, PIDFD),
    PIDFD,
    name="LinuxModelPidfd",
    module=__name__,
    test_settings=S.default_settings(100, 30),
)


@pytest.mark.parametrize("cls", [LinuxModelScm, LinuxModelPidfd], ids=["scm-rights", "pidfd"])
def test_the_model_explains_itself(cls):
    S.run_machine(cls)


# -- the kernel ------------------------------------------------------------------------


def _live(pool: AgentPool, name: str, profile, examples: int, steps: int = 30):
    cls = linux_machine(
        lambda: LinuxDriver(profile, 2, pool),
        profile,
        name=name,
        module=__name__,
        test_settings=S.default_settings(examples, steps),
    )
    globals()[name] = cls  # where the printed reproducer looks for it
    return cls


@pytest.mark.parametrize(
    ("profile", "name", "examples"),
    [
        (SCM, "LinuxLiveScm", 120),
        (PIDFD, "LinuxLivePidfd", 120),
        # Both mechanisms in one run; fewer examples, since each half is run above.
        (LINUX, "LinuxLiveBoth", 60),
    ],
    ids=["scm-rights", "pidfd", "both"],
)
def test_the_kernel_conforms(pool, profile, name, examples):
    cls = _live(pool, name, profile, examples=examples)
    before = pool.stats.examples
    start = time.perf_counter()
    S.run_machine(cls)
    seconds = time.perf_counter() - start
    runs = pool.stats.examples - before
    print(
        f"{profile.name}: {runs} examples in {seconds:.1f} s ({1000 * seconds / runs:.0f} ms each)"
    )
    assert runs >= examples


def _call(driver: LinuxDriver, call: str, pid: int, **args):
    event = driver.run(Call(call, pid, args), first)
    assert event is not None, f"{call} was not made"
    return event


def test_exec_closes_exactly_the_close_on_exec_descriptors(pool):
    """The agent's exec is the kernel's: the new image finds the descriptor that was
    close-on-exec gone and the other one open, and a close of the first is EBADF."""
    driver = LinuxDriver(SCM, 1, pool)
    (pid,) = driver.start().pids
    try:
        marked = _call(driver, "socket", pid).value
        kept = _call(driver, "socket", pid).value
        _call(driver, "set_cloexec", pid, handle=marked, on=True)
        pulled = _call(driver, "dup", pid, handle=kept, cloexec=True).value
        assert _call(driver, "exec", pid).result == "ok"
        assert driver.agents[pid].exec_fds == [kept]
        assert {marked, pulled}.isdisjoint(driver.agents[pid].exec_fds)
        assert _call(driver, "close", pid, handle=marked).error == "EBADF"
    finally:
        driver.stop()


def test_fork_is_the_kernel_s_and_the_child_is_wired(pool):
    """A forked child holds the parent's descriptors (the same socket), can be sent a
    descriptor, and once it exits pidfd_getfd on it is ESRCH (it was reaped, no zombie)."""
    driver = LinuxDriver(PIDFD, 2, pool)
    a, b = driver.start().pids
    try:
        made = _call(driver, "socket", a)
        child = _call(driver, "fork", a).args["child"]
        assert child not in (a, b)
        pulled = _call(driver, "pidfd_getfd", b, source_pid=child, handle=made.value)
        assert pulled.socket == made.socket
        _call(driver, "process_exit", child)
        late = _call(driver, "pidfd_getfd", b, source_pid=child, handle=made.value)
        assert late.error == "ESRCH"
    finally:
        driver.stop()


def test_dup3_onto_the_same_number_is_einval_in_the_kernel_and_the_model(pool, tmp_path):
    """dup(2): "If oldfd equals newfd, then dup3() fails with the error EINVAL". Found
    by the live machine; the model now says so too."""
    driver = LinuxDriver(SCM, 1, pool)
    session = driver.start()
    (pid,) = session.pids
    try:
        made = _call(driver, "socket", pid)
        events = [made, _call(driver, "dup", pid, handle=made.value, to=made.value, cloexec=True)]
    finally:
        driver.stop()
    assert events[1].error == "EINVAL"
    path = tmp_path / "dup3.jsonl"
    with TraceWriter(path, session.header) as writer:
        for e in events:
            writer.event(**e.model_dump(exclude={"seq"}, exclude_none=True))
    result = check_file(str(path), SCM)
    assert result.verdict == "conforms", result.violation


# -- teeth: mutants of the Linux model as the implementation under test ------------------


@pytest.fixture(scope="module")
def linux_catches(tmp_path_factory):
    """Each Linux mutant run once in a fresh interpreter: a fixed-seed run's verdict must
    not depend on what earlier tests left in the process (as for the Winsock teeth)."""
    folder = str(tmp_path_factory.mktemp("linux-failures"))
    names = sorted(LINUX_MUTANTS)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as workers:
        return dict(
            zip(names, workers.map(partial(catch_linux, folder=folder), names), strict=True)
        )


@pytest.mark.parametrize("name", sorted(LINUX_MUTANTS))
def test_a_mutant_is_caught_and_its_trace_replays(name, linux_catches, run_wsshare):
    mutant, caught = LINUX_MUTANTS[name], linux_catches[name]
    profile = get_profile(mutant.profile)
    assert caught.caught, f"{name} was not caught with the teeth budget"
    assert mutant.rules & set(caught.rules), caught.message
    # The written trace is the failing run: `wsshare check` says the same thing of it.
    assert caught.path is not None and Path(caught.path).exists()
    replayed = check_file(str(caught.path), profile)
    assert replayed.verdict == "violates"
    assert replayed.event_index == caught.event_index
    assert tuple(replayed.rule_ids) == caught.rules
    cli = run_wsshare("check", "--profile", profile.name, str(caught.path))
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert f"violates {', '.join(caught.rules)}" in cli.stdout

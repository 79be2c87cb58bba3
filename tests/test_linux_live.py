"""The Linux machine (conformance/stateful_linux.py) on the model, on the live kernel, and
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

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import Phase

from wsshare.conformance import stateful as S
from wsshare.conformance.checker import check_file
from wsshare.conformance.drivers.base import Call, first
from wsshare.conformance.drivers.linux.driver import (
    AgentPool,
    LinuxDriver,
    linux_model_driver,
)
from wsshare.conformance.stateful_linux import LINUX_FAMILIES, linux_machine
from wsshare.conformance.trace import TraceWriter
from wsshare.model import Config, Ok, get_profile
from wsshare.model.actions import Exec, PidfdGetfd, RecvFds
from wsshare.model.linux import LinuxSemantics
from wsshare.model.semantics import Outcome
from wsshare.model.state import Channel, FdsMessage, World

SCM = get_profile("linux-scm-rights")
PIDFD = get_profile("linux-pidfd")

# The model driver's bounds: the machine knows none of them (a step beyond them is
# declined and the machine tries another).
MODEL = Config(
    processes=4,
    running_at_start=2,
    startups_at_start=0,
    max_startups=0,
    max_sockets=10,
    max_infos=0,
    max_handles=8,
    channel_capacity=2,
    families=LINUX_FAMILIES,
)


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


@pytest.mark.parametrize("profile", [SCM, PIDFD], ids=["scm-rights", "pidfd"])
def test_the_kernel_conforms(pool, profile):
    name = "LinuxLive" + ("Scm" if profile is SCM else "Pidfd")
    cls = _live(pool, name, profile, examples=120)
    before = pool.stats.examples
    start = time.perf_counter()
    S.run_machine(cls)
    seconds = time.perf_counter() - start
    runs = pool.stats.examples - before
    print(
        f"{profile.name}: {runs} examples in {seconds:.1f} s ({1000 * seconds / runs:.0f} ms each)"
    )
    assert runs >= 120


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


class ExecKeepsCloexec(LinuxSemantics):
    """exec closes nothing: close-on-exec descriptors survive (L5)."""

    def _exec(self, w: World, a: Exec) -> list[Outcome]:
        return [Outcome(Ok(), w, ("L5",))]


class PidfdGetfdAfterClose(LinuxSemantics):
    """pidfd_getfd of a number the source closed succeeds, with a copy of another of its
    descriptors (L9)."""

    def _pidfd_getfd(self, w: World, a: PidfdGetfd) -> list[Outcome]:
        source = w.process(a.source_pid)
        held = w.descriptors_of(a.source_pid)
        if source is None or source.status != "running" or not held:
            return super()._pidfd_getfd(w, a)
        if w.descriptor(a.source_pid, a.handle) is not None:
            return super()._pidfd_getfd(w, a)
        added = self._add(w, a.pid, held[0].socket, "pulled", True)
        return [Outcome(Ok(value=added[1]), added[0], ("L9",))] if added else []


class MessageHoldsNothing(LinuxSemantics):
    """An SCM_RIGHTS message in flight holds no reference (L7): a socket whose last
    descriptor closed before the receive is gone, and the message arrives without it."""

    def _recv_fds(self, w: World, a: RecvFds) -> list[Outcome]:
        queued = w.channel(a.sender, a.pid)
        if queued and isinstance(queued[0], FdsMessage):
            named = {d.socket for d in w.descriptors}
            kept = FdsMessage(sockets=tuple(s for s in queued[0].sockets if s in named))
            channels = tuple(
                Channel(src=c.src, dst=c.dst, messages=(kept, *c.messages[1:]))
                if (c.src, c.dst) == (a.sender, a.pid)
                else c
                for c in w.channels
            )
            w = w.model_copy(update={"channels": channels})
        return super()._recv_fds(w, a)


TEETH_FAMILIES = frozenset({"create", "share", "close", "lifecycle", "errors"})


@pytest.mark.parametrize(
    ("mutant", "profile", "rules"),
    [
        # Caught where a call uses the number exec should have closed: the rule of that
        # call's EBADF (close L2, dup L3, set_cloexec L5, the socket calls R36).
        (ExecKeepsCloexec, SCM, {"L2", "L3", "L5", "R36"}),
        (PidfdGetfdAfterClose, PIDFD, {"L9"}),
        (MessageHoldsNothing, SCM, {"L8"}),
    ],
    ids=["exec-keeps-cloexec", "pidfd-getfd-after-close", "message-holds-nothing"],
)
def test_a_mutant_is_caught_and_its_trace_replays(mutant, profile, rules, run_wsshare):
    config = MODEL.model_copy(update={"families": TEETH_FAMILIES})
    name = "Mutant" + mutant.__name__
    cls = linux_machine(
        lambda: linux_model_driver(config, profile, mutant, name=f"model (mutant {name})"),
        profile,
        name=name,
        families=TEETH_FAMILIES,
        module=__name__,
        # Not shrunk: shrinking these costs tens of seconds, and what is checked here is
        # that the run is caught and that its trace replays to the same violation.
        test_settings=S.default_settings(300, 20, phases=[Phase.generate]),
    )
    globals()[name] = cls
    with pytest.raises(S.ConformanceFailure) as caught:
        S.run_machine(cls)
    failure = cls.last_failure
    assert failure is not None and failure.violation is not None, str(caught.value)
    assert rules & set(failure.violation.rules), failure.reason
    # The written trace is the shrunk run: `wsshare check` says the same thing of it.
    assert Path(failure.path).exists()
    replayed = check_file(str(failure.path), profile)
    assert replayed.verdict == "violates"
    assert replayed.event_index == failure.violation.index
    assert replayed.rule_ids == failure.violation.rules
    cli = run_wsshare("check", "--profile", profile.name, str(failure.path))
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert f"violates {', '.join(failure.violation.rules)}" in cli.stdout

"""Mutants of the Linux model: implementations with one Linux rule broken, run as the
implementation under test by the Linux stateful machine (tests/test_linux_live.py), to
show the machine and the checker have teeth there too.

`catch_linux(name)` runs one with a fixed seed; it is a picklable entry point, so a test
can run each in a fresh interpreter (a run's verdict must not depend on what earlier
tests left in the process, as with the Winsock teeth).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import cast

from hypothesis import Phase

from wsshare.model import Config, Ok, Profile, get_profile
from wsshare.model.actions import Exec, PidfdGetfd, RecvFds
from wsshare.model.config import Family
from wsshare.model.linux import LinuxSemantics
from wsshare.model.semantics import Outcome, _put_channel
from wsshare.model.state import FdsMessage, World

from .drivers.linux.driver import linux_model_driver
from .stateful import FAILURE_DIR_ENV, Caught, HandoffMachine, default_settings, run_and_catch
from .stateful_linux import LINUX_FAMILIES, linux_machine


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
            w = _put_channel(w, a.sender, a.pid, (kept, *queued[1:]))
        return super()._recv_fds(w, a)


@dataclass(frozen=True)
class LinuxMutant:
    name: str
    semantics: type[LinuxSemantics]
    profile: str
    # The rules the violation may cite: where the broken rule shows depends on the call
    # that meets the fault (a number exec should have closed fails with the EBADF of
    # close or a socket call, L2, of dup, L3, or of set_cloexec, L5).
    rules: frozenset[str]


LINUX_MUTANTS: dict[str, LinuxMutant] = {
    m.name: m
    for m in (
        LinuxMutant(
            "exec-keeps-cloexec",
            ExecKeepsCloexec,
            "linux-scm-rights",
            frozenset({"L2", "L3", "L5"}),
        ),
        LinuxMutant(
            "pidfd-getfd-after-close", PidfdGetfdAfterClose, "linux-pidfd", frozenset({"L9"})
        ),
        LinuxMutant(
            "message-holds-nothing", MessageHoldsNothing, "linux-scm-rights", frozenset({"L8"})
        ),
    )
}

# The model driver's bounds: the machine knows none of them (a step beyond them is
# declined and the machine tries another).
MODEL_BOUNDS = Config(
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
TEETH_FAMILIES: frozenset[Family] = frozenset({"create", "share", "close", "lifecycle", "errors"})


def catch_linux(name: str, folder: str | None = None, examples: int = 300) -> Caught:
    """Run the Linux machine against mutant `name` with a fixed seed, without shrinking
    (shrinking these costs tens of seconds; the written trace is the failing run)."""
    if folder is not None:
        os.environ[FAILURE_DIR_ENV] = folder
    m = LINUX_MUTANTS[name]
    profile: Profile = get_profile(m.profile)
    config = MODEL_BOUNDS.model_copy(update={"families": TEETH_FAMILIES})
    label = "Mutant_" + name.replace("-", "_")
    cls = linux_machine(
        lambda: linux_model_driver(config, profile, m.semantics, name=f"model (mutant {name})"),
        profile,
        name=label,
        families=TEETH_FAMILIES,
        test_settings=default_settings(examples, 20, phases=[Phase.generate]),
    )
    # run_and_catch is annotated for the Winsock machine, the first it ran.
    return run_and_catch(cast(type[HandoffMachine], cls), name)

"""The stateful machine for the Linux profiles: generated programs of descriptor calls
(socket, socketpair, dup, dup2/dup3, close-on-exec, fork, exec, close_range, SCM_RIGHTS
or pidfd_getfd, bind/listen/connect/accept, exit), run on a driver and checked event by
event by the conformance checker under `linux-scm-rights` or `linux-pidfd`.

`LinuxMachine` is a `ConformanceMachine` (the driver, the checker, failure traces and
steering are the shared plumbing) with the Linux calls as rules. It chooses every
argument from observations only: the descriptor numbers each process was seen to get
and not to lose (by close, close_range, exec of a close-on-exec descriptor, or exit), the
numbers it lost (the wrong-argument rules reuse them), the pids of the processes it saw
start, fork and exit, and the SCM_RIGHTS messages it saw sent and not yet received. So
the same machine runs on the live kernel (`drivers.linux.driver.LinuxDriver`), the model
and a mutant of the model (`drivers.linux.driver.linux_model_driver`).

Rules draw small integers (`which`) and index the observed lists, rather than hypothesis
bundles: a fork copies every descriptor of the parent into the child, which a bundle
cannot express, and an index shrinks as well as a bundle reference.

Pids. A forked child's pid is known only when the fork returns, but the checker fixes its
model processes up front; the machine's checker gets `reserve` processes not started yet
and binds each child pid to the next of them at its fork (`ForkPidMap`), which is the
order a reader of the written trace assigns them too (header processes, then first
appearance), so a failure replays to the same verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar, cast

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import initialize, invariant, rule

from wsshare.model import ALL_FAMILIES, WORLD_INVARIANTS, Profile
from wsshare.model.config import Family

from ..checking.engine import TraceCheck
from ..checking.translate import ForkPidMap
from ..drivers.base import Call, Driver
from ..trace import TraceEvent
from .machine import (
    STEERED,
    ConformanceMachine,
    HandoffMachine,
    Steering,
    _offer,
    default_settings,
    handoff_machine,
)

# close_range(first, ~0U): the usual call before an exec.
ALL_NUMBERS = 0xFFFFFFFF
# SCM_RIGHTS messages in flight per ordered pair (the model driver's channel capacity;
# the kernel's datagram queue holds ten).
MAX_QUEUED = 2
# Calls the wrong-argument rule makes on a number that names nothing.
BAD_HANDLE_CALLS = ("close", "dup", "set_cloexec", "bind", "listen", "connect", "accept")

Index = st.integers(0, 7)


class LinuxMachine(ConformanceMachine):
    """The Linux calls as rules (see the module doc). Make a concrete class with
    `linux_machine(...)`."""

    # Processes a run may have in all (initial ones and forked children).
    max_processes: ClassVar[int] = 4

    def __init__(self) -> None:
        super().__init__()
        initial = list(self.session.pids)
        reserve = max(0, self.max_processes - len(initial))
        pids = ForkPidMap(initial, reserve)
        self.checker = TraceCheck(
            self.session.header,
            self.profile,
            pids=pids,
            started=pids.placeholders,
            max_candidates=self.max_candidates,
        )
        self.known: list[int] = list(initial)  # every pid of the run, in order
        self.alive: list[int] = list(initial)
        self.fds: dict[int, list[int]] = {p: [] for p in initial}  # held, as observed
        self.cloexec: set[tuple[int, int]] = set()
        self.stale: dict[int, list[int]] = {p: [] for p in initial}  # numbers it lost
        self.queued: dict[tuple[int, int], int] = {}  # (sender, receiver) -> messages

    # -- what the machine knows ---------------------------------------------------------

    def handoff(self, mechanism: str) -> bool:
        return mechanism in self.profile.linux_handoff

    def held(self) -> list[tuple[int, int]]:
        """(pid, number) of every descriptor a running process holds, as observed."""
        return [(p, fd) for p in self.alive for fd in self.fds[p]]

    def _got(self, pid: int, fd: int, cloexec: bool) -> None:
        if fd not in self.fds[pid]:
            self.fds[pid].append(fd)
            self.fds[pid].sort()
        if fd in self.stale[pid]:
            self.stale[pid].remove(fd)
        if cloexec:
            self.cloexec.add((pid, fd))
        else:
            self.cloexec.discard((pid, fd))

    def _gone(self, pid: int, fd: int) -> None:
        if fd in self.fds[pid]:
            self.fds[pid].remove(fd)
            if fd not in self.stale[pid]:
                self.stale[pid].append(fd)
        self.cloexec.discard((pid, fd))

    def _observe(self, e: TraceEvent) -> None:
        super()._observe(e)
        pid = e.pid
        if pid is None or e.result != "ok":
            return
        args, value = e.args, e.value
        if e.call in ("socket", "open_other", "accept") and isinstance(value, int):
            self._got(pid, value, False)
        elif e.call == "dup" and isinstance(value, int):
            self._got(pid, value, bool(args.get("cloexec")))
        elif e.call == "pidfd_getfd" and isinstance(value, int):
            self._got(pid, value, True)  # pidfd_getfd(2): the new descriptor is O_CLOEXEC
        elif e.call in ("socketpair", "recv_fds") and isinstance(value, list):
            for fd in value:
                self._got(pid, fd, bool(args.get("cloexec")))
            if e.call == "recv_fds":
                key = (args["sender"], pid)
                self.queued[key] = max(0, self.queued.get(key, 0) - 1)
        elif e.call == "send_fds":
            key = (pid, args["to"])
            self.queued[key] = self.queued.get(key, 0) + 1
        elif e.call == "close":
            self._gone(pid, args["handle"])
        elif e.call == "set_cloexec":
            fd = args["handle"]
            if fd in self.fds[pid]:
                self._got(pid, fd, bool(args.get("on", True)))
        elif e.call == "close_range":
            for fd in [f for f in self.fds[pid] if args["low"] <= f <= args["high"]]:
                if args.get("cloexec"):
                    self.cloexec.add((pid, fd))
                else:
                    self._gone(pid, fd)
        elif e.call == "fork":
            child = args["child"]
            self.known.append(child)
            self.alive.append(child)
            self.fds[child] = list(self.fds[pid])
            self.stale[child] = []
            self.cloexec |= {(child, fd) for p, fd in self.cloexec if p == pid}
        elif e.call == "exec":
            for fd in [f for f in self.fds[pid] if (pid, f) in self.cloexec]:
                self._gone(pid, fd)
        elif e.call == "process_exit":
            self.alive.remove(pid)
            self.queued = {k: n for k, n in self.queued.items() if k[1] != pid}

    def _call(self, call: str, pid: int, **args: Any) -> TraceEvent | None:
        if pid not in self.alive:
            return None
        return self._step(Call(call, pid, args))

    @staticmethod
    def _pick(items: list[Any], which: int) -> Any:
        return items[which % len(items)] if items else None

    # -- opening the run ---------------------------------------------------------------

    @initialize(outcomes=st.lists(st.integers(0, 7), max_size=8))
    def open_run(self, outcomes: list[int]) -> None:
        """`outcomes` says which outcome to take, in turn, where the implementation may
        do several things (the model driver; the live driver's accept peer)."""
        self._choices = list(outcomes)

    # -- creating (create) -------------------------------------------------------------

    @_offer("socket", "create")
    @rule(p=Index)
    def socket(self, p: int) -> None:
        self._call("socket", self._pick(self.alive, p))

    @_offer("socketpair", "create")
    @rule(p=Index)
    def socketpair(self, p: int) -> None:
        self._call("socketpair", self._pick(self.alive, p))

    @_offer("open_other", "create")
    @rule(p=Index)
    def open_other(self, p: int) -> None:
        self._call("open_other", self._pick(self.alive, p))

    # -- closing (close) ---------------------------------------------------------------

    @_offer("close", "close", destructive=True, when=lambda self: bool(self.held()))
    @rule(h=Index)
    def close(self, h: int) -> None:
        pid, fd = self._pick(self.held(), h)
        self._call("close", pid, handle=fd)

    @_offer("close_range", "close", destructive=True, when=lambda self: bool(self.held()))
    @rule(h=Index, upto=Index, cloexec=st.booleans())
    def close_range(self, h: int, upto: int, cloexec: bool) -> None:
        """close_range(first, last) over numbers the process holds, or (first, ~0U)."""
        pid, low = self._pick(self.held(), h)
        above = [fd for fd in self.fds[pid] if fd >= low] + [ALL_NUMBERS]
        high = self._pick(above, upto)
        self._call("close_range", pid, low=low, high=high, cloexec=cloexec)

    # -- copying descriptors (share) ---------------------------------------------------

    @_offer("dup", "share", when=lambda self: bool(self.held()))
    @rule(h=Index, cloexec=st.booleans())
    def dup(self, h: int, cloexec: bool) -> None:
        """dup, or F_DUPFD_CLOEXEC."""
        pid, fd = self._pick(self.held(), h)
        self._call("dup", pid, handle=fd, cloexec=cloexec)

    @_offer("dup", "share", when=lambda self: bool(self.held()))
    @rule(h=Index, onto=Index, cloexec=st.booleans())
    def dup2(self, h: int, onto: int, cloexec: bool) -> None:
        """dup2, or dup3 with O_CLOEXEC, onto a number the process holds (closed first),
        one it lost, or the next one above all it has seen."""
        pid, fd = self._pick(self.held(), h)
        seen = self.fds[pid] + self.stale[pid]
        to = self._pick([*seen, max(seen) + 1], onto)
        self._call("dup", pid, handle=fd, to=to, cloexec=cloexec)

    @_offer("send_fds", "share", when=lambda self: self.handoff("scm_rights") and bool(self.held()))
    @rule(h=Index, to=Index, two=st.booleans())
    def send_fds(self, h: int, to: int, two: bool) -> None:
        """sendmsg with SCM_RIGHTS of one descriptor, or two, to another running process."""
        pid, fd = self._pick(self.held(), h)
        receivers = [q for q in self.alive if q != pid]
        dst = self._pick(receivers, to)
        if dst is None or self.queued.get((pid, dst), 0) >= MAX_QUEUED:
            return
        handles = [fd]
        if two:
            handles.append(self._pick(self.fds[pid], h + 1))
        self._call("send_fds", pid, to=dst, handles=handles)

    @_offer(
        "recv_fds",
        "share",
        when=lambda self: self.handoff("scm_rights") and any(self.queued.values()),
    )
    @rule(which=Index, cloexec=st.booleans())
    def recv_fds(self, which: int, cloexec: bool) -> None:
        """recvmsg of the oldest message a process was sent (MSG_CMSG_CLOEXEC or not)."""
        busy = sorted(k for k, n in self.queued.items() if n > 0 and k[1] in self.alive)
        if busy:
            src, dst = self._pick(busy, which)
            self._call("recv_fds", dst, sender=src, cloexec=cloexec)

    @_offer("pidfd_getfd", "share", when=lambda self: self.handoff("pidfd_getfd"))
    @rule(p=Index, source=Index, h=Index)
    def pidfd_getfd(self, p: int, source: int, h: int) -> None:
        """pidfd_getfd of a number another process of the run holds or lost (it may have
        exited: ESRCH)."""
        pid = self._pick(self.alive, p)
        sources = [q for q in self.known if q != pid]
        src = self._pick(sources, source)
        if pid is None or src is None:
            return
        held, lost = self.fds.get(src, []), self.stale.get(src, [])
        # Half the time a number the source lost (EBADF, unless the kernel reused it).
        numbers = lost if lost and (h % 2 or not held) else held
        fd = self._pick(numbers, h // 2) if numbers else 3
        self._call("pidfd_getfd", pid, source_pid=src, handle=fd)

    # -- process life (lifecycle) ------------------------------------------------------

    @_offer("set_cloexec", "lifecycle", when=lambda self: bool(self.held()))
    @rule(h=Index, on=st.booleans())
    def set_cloexec(self, h: int, on: bool) -> None:
        pid, fd = self._pick(self.held(), h)
        self._call("set_cloexec", pid, handle=fd, on=on)

    @_offer("fork", "lifecycle", when=lambda self: len(self.known) < self.max_processes)
    @rule(p=Index)
    def fork(self, p: int) -> None:
        self._call("fork", self._pick(self.alive, p))

    # Offered as the destructive calls are (one step in three under the steered
    # steering): it ends the close-on-exec descriptors, and live it starts an interpreter.
    @_offer("exec", "lifecycle", destructive=True)
    @rule(p=Index)
    def exec(self, p: int) -> None:
        self._call("exec", self._pick(self.alive, p))

    @_offer("process_exit", "lifecycle", destructive=True, when=lambda self: len(self.alive) > 1)
    @rule(p=Index)
    def exit_process(self, p: int) -> None:
        self._call("process_exit", self._pick(self.alive, p))

    # -- the connection calls (connection) ---------------------------------------------

    @_offer("bind", "connection", when=lambda self: bool(self.held()))
    @rule(h=Index)
    def bind(self, h: int) -> None:
        pid, fd = self._pick(self.held(), h)
        self._call("bind", pid, handle=fd)

    @_offer("listen", "connection", when=lambda self: bool(self.held()))
    @rule(h=Index)
    def listen(self, h: int) -> None:
        pid, fd = self._pick(self.held(), h)
        self._call("listen", pid, handle=fd)

    @_offer("connect", "connection", when=lambda self: bool(self.held()))
    @rule(h=Index)
    def connect(self, h: int) -> None:
        pid, fd = self._pick(self.held(), h)
        self._call("connect", pid, handle=fd)

    @_offer("accept", "connection", when=lambda self: bool(self.held()))
    @rule(h=Index)
    def accept(self, h: int) -> None:
        pid, fd = self._pick(self.held(), h)
        self._call("accept", pid, handle=fd)

    # -- wrong arguments (errors) ------------------------------------------------------

    @_offer("bad_handle", "errors")
    @rule(p=Index, call=st.sampled_from(BAD_HANDLE_CALLS), stale=Index)
    def bad_handle(self, p: int, call: str, stale: int) -> None:
        """A call on a number the process lost (closed, closed at exec, sent away and
        closed), or on one it never had: EBADF unless the kernel reused it since."""
        pid = self._pick(self.alive, p)
        if pid is None:
            return
        seen = self.fds[pid] + self.stale[pid]
        never = max(seen, default=2) + 1 + stale
        # Mostly a lost number (where a kernel that kept a descriptor shows it), now and
        # then one never given out.
        fd = self._pick(self.stale[pid], stale) if self.stale[pid] and stale < 6 else never
        args: dict[str, Any] = {"handle": fd}
        if call == "dup":
            args["cloexec"] = False
        if call == "set_cloexec":
            args["on"] = True
        self._call(call, pid, **args)

    # -- checks after every step ---------------------------------------------------------

    @invariant()
    def model_invariants_hold(self) -> None:
        """The model's world invariants hold in every world the checker still considers
        possible (a failure is a bug in the model or the checker)."""
        for world, _ in self.checker.candidates:
            for inv in WORLD_INVARIANTS:
                broken = inv.check(world, self.profile)
                self.failed = self.failed or broken is not None
                assert broken is None, (
                    f"model invariant {broken.invariant} ({', '.join(broken.rules)}) is "
                    f"broken in a candidate world: {broken.message}"
                )


LINUX_FAMILIES: frozenset[Family] = frozenset(
    {"create", "close", "share", "lifecycle", "connection", "errors"}
)


def linux_machine(
    driver_factory: Callable[[], Driver],
    profile: Profile,
    *,
    name: str = "LinuxMachine",
    families: Iterable[Family] = LINUX_FAMILIES,
    steering: Steering = STEERED,
    max_processes: int = 4,
    test_settings: settings | None = None,
    module: str = __name__,
) -> type[LinuxMachine]:
    """A concrete LinuxMachine class (see `handoff_machine`, which builds it: its
    family filter, steering and settings apply as for the Winsock machine)."""
    if profile.platform != "linux":
        raise ValueError(f"the Linux machine checks a Linux profile, not {profile.name!r}")
    unknown = set(families) - ALL_FAMILIES
    if unknown:
        raise ValueError(f"unknown families: {sorted(unknown)}")
    # handoff_machine only reads the base's rules and subclasses it; its annotation names
    # the Winsock machine, the one base it had when written.
    cls = handoff_machine(
        driver_factory,
        name=name,
        families=families,
        profile=profile,
        steering=steering,
        test_settings=test_settings or default_settings(),
        module=module,
        base=cast(type[HandoffMachine], LinuxMachine),
    )
    cls.max_processes = max_processes
    return cast(type[LinuxMachine], cls)


__all__ = ["LINUX_FAMILIES", "LinuxMachine", "linux_machine"]

"""Hypothesis stateful tests: generated handoff interleavings, checked live against the model.

`handoff_machine(driver_factory, ...)` builds a `RuleBasedStateMachine` that runs calls on
an implementation through the Driver protocol (`wsshare.conformance.drivers`) and feeds
every observation to the conformance checker's online engine, the one oracle: a
`Violation` fails the run at that step, and hypothesis shrinks the program to a minimal
one. The machine decides what to call from observations alone (the handles a process was
given and has not closed, the infos that were minted, the sockets and pending calls it
saw), so it runs unchanged against the model, a mutant, Wine or Linux.

- Rules cover every action family (process life, WSAStartup/WSACleanup, creating, the
  connection calls, sharing, closing, I/O and the peer, options, events, IPC, and wrong
  arguments); a family is issued only when the machine's `families` include it.
- Bundles hold the processes, descriptors and infos; `@initialize` opens the run.
- `@invariant`s check the model's world invariants in every world the checker still
  considers possible, and that the verdict never becomes undecided.
- A failure writes the run as a trace (`$WSSHARE_FAILURE_DIR`, default a folder in the
  temp dir) that `wsshare check` replays to the same verdict, and names it in the error.

`coverage()` measures which part of a configuration's reachable graph the runs visit,
with the model driver (the one place that maps the driver's model world back to the
explored graph); `teeth()` runs the mutants as implementations under test.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import HealthCheck, Phase, Verbosity, settings, target
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from wsshare.model import (
    ALL_FAMILIES,
    DOCUMENTED,
    NONEXISTENT_PID,
    PROFILES,
    WORLD_INVARIANTS,
    Config,
    Profile,
    Semantics,
    World,
    explore,
)
from wsshare.model.actions import Action
from wsshare.model.config import Family
from wsshare.model.semantics import Outcome

from .checker import DEFAULT_MAX_CANDIDATES, Checker, PidMap, Violation, check_file
from .drivers.base import Call, Driver, Session
from .drivers.model import StepHook, model_driver
from .mutants import Mutant
from .trace import Line, TraceEvent, TraceWriter

# Bytes passed as a WSAPROTOCOL_INFO that are no info at all (the corpus's convention).
BOGUS_INFO = "0000000000000000"
FAILURE_DIR_ENV = "WSSHARE_FAILURE_DIR"

# Calls made on one descriptor, by family: the machine's rules and the wrong-handle rule
# draw from these.
HANDLE_CALLS: dict[str, tuple[str, ...]] = {
    "connection": ("bind", "listen", "connect", "accept"),
    "close": ("closesocket",),
    "io": ("send", "recv"),
    "options": ("setsockopt", "getsockopt"),
    "events": ("WSAEventSelect", "WSAAsyncSelect", "ioctlsocket_fionbio"),
    "share": ("WSADuplicateSocket",),
}


# -- what the machine knows: observed values only ----------------------------------------


@dataclass(eq=False)
class Proc:
    """A process of the run, by its observed pid."""

    pid: int

    def __repr__(self) -> str:
        return f"Proc({self.pid})"


@dataclass(eq=False)
class Handle:
    """A handle value that process `pid` was given and has not (as far as the machine
    saw) closed; `socket` is the identity the recorder reported, if any."""

    pid: int
    value: int
    socket: str | None = None

    def __repr__(self) -> str:
        return f"Handle(pid={self.pid}, value={self.value:#x})"


@dataclass(eq=False)
class Info:
    """A special WSAPROTOCOL_INFO some WSADuplicateSocket returned, by the digest of its
    bytes, with the source and target pids the machine asked for."""

    digest: str
    source: int
    target: int

    def __repr__(self) -> str:
        return f"Info({self.digest})"


@dataclass(frozen=True)
class Steering:
    """How the machine leans its choices, for coverage. Each setting depends only on the
    run's own observations and step count, so a run replays the same way and shrinks.

    - remember_declines: a call the implementation declined (a finite model at its
      bounds, a blocked call that has not returned) is not chosen again until something
      observable happens; without this, most steps of a small configuration are refusals;
    - destructive_every: process exit, closesocket and WSACleanup, which end most of a
      small configuration's graph for the rest of a run, are offered on one step in this
      many (1: always, as any other rule);
    - novelty_target: ask hypothesis to favour runs whose observations the checker
      explains with many distinct model worlds (`hypothesis.target`): runs that go deep
      rather than end early.
    """

    name: str
    remember_declines: bool = False
    destructive_every: int = 1
    novelty_target: bool = False


UNIFORM = Steering("uniform")
STEERED = Steering("steered", remember_declines=True, destructive_every=3)
STEERINGS: dict[str, Steering] = {
    s.name: s
    for s in (
        UNIFORM,
        Steering("declines", remember_declines=True),
        STEERED,
        Steering(
            "steered+target", remember_declines=True, destructive_every=3, novelty_target=True
        ),
    )
}


@dataclass
class Failure:
    """The last failure a machine class saw: the trace written, the violation, and how
    long the failing program was (rule steps, and events in the trace). Hypothesis runs
    the shrunk program last, so after a failed test this describes the minimal one."""

    path: Path
    violation: Violation | None
    reason: str
    steps: int
    events: int


class ConformanceFailure(AssertionError):
    """An observation the model does not allow (or an undecided verdict)."""


def failure_dir() -> Path:
    """Where failing runs are written: `$WSSHARE_FAILURE_DIR`, else a folder in the
    system's temp dir."""
    configured = os.environ.get(FAILURE_DIR_ENV)
    folder = Path(configured) if configured else Path(tempfile.gettempdir()) / "wsshare-failures"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- the machine -------------------------------------------------------------------------


def _offer(
    call: str,
    *families: Family,
    destructive: bool = False,
    when: Callable[[HandoffMachine], bool] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The precondition of a rule that makes `call`: its families are on (a concrete
    class drops the rules of other families), the steering offers it now, and `when`
    holds. The families are recorded on the rule for `handoff_machine`."""

    def check(self: HandoffMachine) -> bool:
        return self.offers(call, destructive) and (when is None or when(self))

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        wrapped = precondition(check)(f)
        wrapped._wsshare_families = frozenset(families)  # type: ignore[attr-defined]
        return wrapped

    return decorate


class HandoffMachine(RuleBasedStateMachine):
    """Interleavings of the handoff and everything around it, on one driver.

    Use `handoff_machine(...)` to make a concrete class; this one holds the rules. The
    class attributes below are set there.
    """

    driver_factory: ClassVar[Callable[[], Driver]]
    families: ClassVar[frozenset[Family]] = ALL_FAMILIES
    profile: ClassVar[Profile] = DOCUMENTED
    steering: ClassVar[Steering] = UNIFORM
    max_candidates: ClassVar[int] = DEFAULT_MAX_CANDIDATES
    # Set on the concrete class by each failing run; read by tests and reports.
    last_failure: ClassVar[Failure | None] = None

    running = Bundle("running")
    started = Bundle("started")
    unstarted = Bundle("unstarted")
    descriptors = Bundle("descriptors")
    infos = Bundle("infos")

    def __init__(self) -> None:
        super().__init__()
        self.driver = type(self).driver_factory()
        self.session: Session = self.driver.start()
        self.checker = Checker(
            self.session.header,
            PidMap(list(self.session.pids)),
            set(self.session.not_started),
            # A checker reading a file takes a pid that calls WSAStartup to have started
            # uninitialised, and every other pid to have called it once.
            set(self.session.uninitialised),
            self.profile,
            self.max_candidates,
        )
        self.events: list[TraceEvent] = []
        self.steps = 0  # calls asked of the driver, declined ones included
        self.declined: set[str] = set()  # calls declined since the last event
        # Observed WSAStartup count per pid (1 for a pid initialised before the run).
        self.startups: dict[int, int] = {
            p: 0 if p in self.session.uninitialised or p in self.session.not_started else 1
            for p in self.session.pids
        }
        # pids whose WSAStartup count a trace shows from 0: those uninitialised at the
        # start of the run or started during it (see Session).
        self.counted_from_zero: set[int] = set(self.session.uninitialised)
        self.called_startup: set[int] = set()
        self.alive: set[int] = {p for p in self.session.pids if p not in self.session.not_started}
        self.closed: dict[int, list[int]] = {}  # pid -> handle values it closed
        self.sockets: list[str] = []  # identities seen, in order
        self.pending: list[tuple[int, int]] = []  # (pid, handle value) of blocked recvs
        self.channels: dict[tuple[int, int], int] = {}  # (src, dst) -> messages in flight
        self.worlds_seen: set[World] = set()  # candidate worlds met, for targeting
        self._valid_cache: tuple[object, bool] | None = None
        self._choices: list[int] = []

    # -- helpers ----------------------------------------------------------------------

    def offers(self, call: str, destructive: bool = False) -> bool:
        """Whether the steering offers a rule making `call` now."""
        if self.steering.remember_declines and call in self.declined:
            return False
        every = self.steering.destructive_every
        return not destructive or every <= 1 or self.steps % every == every - 1

    def may_call(self, pid: int) -> bool:
        """Whether `pid` may make Winsock calls (other than WSAStartup) now.

        Without the `errors` family, a process that has not called WSAStartup makes no
        calls that would fail for that reason (as the model's enumeration). With it, it
        may, except a process uninitialised at the start of the run that has not yet
        called WSAStartup: a trace cannot tell such a process from one initialised before
        the run, so the replay of the trace would disagree.
        """
        if pid not in self.alive:
            return False
        if self.startups.get(pid, 0) > 0:
            return True
        if "errors" not in self.families:
            return False
        return pid not in self.session.uninitialised or pid in self.called_startup

    def _choose(self, n: int) -> int:
        """The chooser passed to the driver: the next of the outcome choices drawn when
        the run opened (the first outcome once they are used up). Drawn as one list, so a
        deterministic implementation costs nothing to shrink, and printed in the
        reproducer, so it runs as it failed."""
        if self._choices:
            return self._choices.pop(0) % n
        return 0

    def _step(self, call: Call) -> TraceEvent | None:
        """Make one call through the driver and check what was observed."""
        self.steps += 1
        event = self.driver.run(call, self._choose)
        if event is None:
            self.declined.add(call.call)
            return None
        self.declined.clear()
        self.events.append(event)
        violation = self.checker.feed(Line(event.seq + 2, event))
        if violation is not None:
            self._fail(violation, None)
        if len(self.checker.candidates) > self.max_candidates:
            self._fail(None, f"undecided: more than {self.max_candidates} candidate worlds")
        self._observe(event)
        if self.steering.novelty_target:
            self.worlds_seen.update(w for w, _ in self.checker.candidates)
        return event

    def _observe(self, e: TraceEvent) -> None:
        """Update what the machine knows from one observed event."""
        if e.socket is not None and e.socket not in self.sockets:
            self.sockets.append(e.socket)
        pid = e.pid
        if pid is None:
            return
        if e.phase == "call" and e.call == "recv":
            self.pending.append((pid, e.args["handle"]))
        elif e.phase == "return" and e.call == "recv":
            key = (pid, e.args["handle"])
            if key in self.pending:
                self.pending.remove(key)
        if e.result != "ok":
            return
        if e.call == "process_exit":
            self.alive.discard(pid)
            self._forget_handles(pid, None)
            self.pending = [p for p in self.pending if p[0] != pid]
            self.channels = {k: v for k, v in self.channels.items() if pid not in k}
        elif e.call == "process_start":
            self.alive.add(pid)
            self.counted_from_zero.add(pid)
            self.startups[pid] = 0
        elif e.call == "WSAStartup":
            self.startups[pid] = self.startups.get(pid, 0) + 1
            self.called_startup.add(pid)
        elif e.call == "WSACleanup":
            self.startups[pid] = max(0, self.startups.get(pid, 0) - 1)
            if self.startups[pid] == 0:
                self._forget_handles(pid, None)  # the last WSACleanup closes them (R39)
        elif e.call == "closesocket":
            self._forget_handles(pid, e.args.get("handle"))
        elif e.call == "ipc_send":
            key = (pid, e.args["to"])
            self.channels[key] = self.channels.get(key, 0) + 1
        elif e.call == "ipc_recv":
            key = (e.args["sender"], pid)
            self.channels[key] = max(0, self.channels.get(key, 0) - 1)

    def _forget_handles(self, pid: int, value: int | None) -> None:
        """Drop handles the machine saw go from the descriptors bundle, so that rules draw
        live ones (the same removal `consumes` does; the printed program still names
        them). `value` None: every handle of `pid`."""
        bundle = self.bundle("descriptors")
        for ref in list(bundle):
            h = self.names_to_values[ref.name]
            if h.pid == pid and (value is None or h.value == value):
                bundle.remove(ref)
                self.closed.setdefault(pid, []).append(h.value)

    def _fail(self, violation: Violation | None, reason: str | None) -> None:
        """Write the run so far as a trace and fail, naming the file."""
        path = failure_dir() / f"{type(self).__name__}.jsonl"
        with TraceWriter(path, self.session.header) as writer:
            for e in self.events:
                writer.event(**e.model_dump(exclude={"seq"}, exclude_none=True))
        if violation is not None:
            rules = ", ".join(violation.rules) or "none cited"
            lines = [
                f"the implementation violates profile {self.profile.name!r} at event "
                f"{violation.index} ({rules}):",
                f"    observed: {violation.observed}",
            ]
            for c in violation.candidates[:3]:
                lines += [f"    the model allowed: {a}" for a in c.allowed]
            reason = "\n".join(lines)
        assert reason is not None
        type(self).last_failure = Failure(path, violation, reason, self.steps, len(self.events))
        if PROFILES.get(self.profile.name) == self.profile:
            replay = f"`wsshare check --profile {self.profile.name} {path}`"
        else:  # a profile made for this run has no name the command line knows
            replay = f"check_file({str(path)!r}, <the profile {self.profile.name}>)"
        raise ConformanceFailure(
            f"{reason}\\nthe run is written to {path}; replay it with {replay}"
        )

    def _handle_call(self, call: str, d: Handle, **args: Any) -> TraceEvent | None:
        if not self.may_call(d.pid):
            return None
        return self._step(Call(call, d.pid, {"handle": d.value, **args}))

    @staticmethod
    def _new_handle(e: TraceEvent | None) -> Any:
        """The descriptor an event handed out, for the descriptors bundle (or none)."""
        if e is None or e.result != "ok" or not isinstance(e.value, int) or e.pid is None:
            return multiple()
        return Handle(e.pid, e.value, e.socket)

    def _other_rule_valid(self) -> bool:
        """Whether any rule but `idle` may run now. Preconditions read only the machine's
        state, which changes only when a step is made or a bundle grows; the answer is
        cached on that, as hypothesis asks for every rule it considers."""
        key = (self.steps, tuple(len(b) for b in self.bundles.values()))
        if self._valid_cache is not None and self._valid_cache[0] == key:
            return self._valid_cache[1]
        found = self._any_rule_valid()
        self._valid_cache = (key, found)
        return found

    def _any_rule_valid(self) -> bool:
        for r in self.setup_state().rules:
            if r.function.__name__ == "idle":
                continue
            if all(self.bundle(b.name) for b in r.bundles) and all(
                p(self) for p in r.preconditions
            ):
                return True
        return False

    # -- opening the run ---------------------------------------------------------------

    @initialize(targets=(running, started), outcomes=st.lists(st.integers(0, 7), max_size=8))
    def open_run(self, outcomes: list[int]) -> Any:
        """The processes running when the run begins. `outcomes` says which outcome to
        take, in turn, each time the implementation may do several things."""
        self._choices = list(outcomes)
        return multiple(*(Proc(p) for p in self.session.pids if p in self.alive))

    @initialize(target=unstarted)
    def later_processes(self) -> Any:
        """The processes a `process_start` may start later in the run."""
        return multiple(*(Proc(p) for p in self.session.pids if p in self.session.not_started))

    @precondition(lambda self: not self._other_rule_valid())
    @rule()
    def idle(self) -> None:
        """Time passes. Only offered when no other rule is (every process has exited, or
        every call was declined): hypothesis needs a valid rule at each step."""
        self.declined.clear()
        self.steps += 1

    # -- process life (lifecycle) ------------------------------------------------------

    @_offer("process_start", "lifecycle")
    @rule(targets=(running, started), p=consumes(unstarted))
    def start_process(self, p: Proc) -> Any:
        e = self._step(Call("process_start", p.pid))
        return p if e is not None and e.result == "ok" else multiple()

    @_offer("process_exit", "lifecycle", destructive=True)
    @rule(p=consumes(running))
    def exit_process(self, p: Proc) -> None:
        self._step(Call("process_exit", p.pid))

    # -- WSAStartup / WSACleanup (startup) ---------------------------------------------

    @_offer("WSAStartup", "startup")
    @rule(p=running)
    def wsa_startup(self, p: Proc) -> None:
        # A process initialised before the run never calls WSAStartup: a trace reader
        # would take that call to mean it had started uninitialised (see Session).
        if p.pid in self.counted_from_zero and p.pid in self.alive:
            self._step(Call("WSAStartup", p.pid))

    @_offer("WSACleanup", "startup", destructive=True)
    @rule(p=running)
    def wsa_cleanup(self, p: Proc) -> None:
        if self.may_call(p.pid):
            self._step(Call("WSACleanup", p.pid))

    # -- creating (create) -------------------------------------------------------------

    @_offer("WSASocket", "create")
    @rule(target=descriptors, p=running)
    def wsa_socket(self, p: Proc) -> Any:
        if not self.may_call(p.pid):
            return multiple()
        return self._new_handle(self._step(Call("WSASocket", p.pid)))

    # -- the connection calls (connection) ---------------------------------------------

    @_offer("bind", "connection")
    @rule(d=descriptors)
    def bind(self, d: Handle) -> None:
        self._handle_call("bind", d)

    @_offer("listen", "connection")
    @rule(d=descriptors)
    def listen(self, d: Handle) -> None:
        self._handle_call("listen", d)

    @_offer("connect", "connection")
    @rule(d=descriptors)
    def connect(self, d: Handle) -> None:
        self._handle_call("connect", d)

    @_offer("accept", "connection")
    @rule(target=descriptors, d=descriptors)
    def accept(self, d: Handle) -> Any:
        return self._new_handle(self._handle_call("accept", d))

    # -- the handoff (share) -----------------------------------------------------------

    @_offer("WSADuplicateSocket", "share")
    @rule(target=infos, d=descriptors, to=started)
    def duplicate(self, d: Handle, to: Proc) -> Any:
        """WSADuplicateSocket(d, to's pid, buffer): the source's half."""
        e = self._handle_call("WSADuplicateSocket", d, target_pid=to.pid)
        if e is None or e.result != "ok" or e.info_digest is None:
            return multiple()
        return Info(e.info_digest, d.pid, to.pid)

    @_offer("WSASocketFromInfo", "share")
    @rule(target=descriptors, p=running, info=infos)
    def socket_from_info(self, p: Proc, info: Info) -> Any:
        """WSASocket(FROM_PROTOCOL_INFO, &info): the target's half, in any process (the
        info's target or not) and any number of times."""
        if not self.may_call(p.pid):
            return multiple()
        call = Call("WSASocketFromInfo", p.pid, info_digest=info.digest)
        return self._new_handle(self._step(call))

    # -- closing (close) ---------------------------------------------------------------

    @_offer("closesocket", "close", destructive=True)
    @rule(d=descriptors)
    def closesocket(self, d: Handle) -> None:
        self._handle_call("closesocket", d)

    # -- data and the peer (io) --------------------------------------------------------

    @_offer("send", "io")
    @rule(d=descriptors)
    def send(self, d: Handle) -> None:
        self._handle_call("send", d)

    @_offer("recv", "io")
    @rule(d=descriptors)
    def recv(self, d: Handle) -> None:
        if (d.pid, d.value) not in self.pending:  # one blocked call per descriptor
            self._handle_call("recv", d)

    @_offer("recv_return", "io", when=lambda self: bool(self.pending))
    @rule(which=st.integers(0, 3))
    def recv_return(self, which: int) -> None:
        """A blocked recv returns, if the implementation lets it (data came, or the
        process closed the descriptor meanwhile)."""
        pid, value = self.pending[which % len(self.pending)]
        self._step(Call("recv_return", pid, {"handle": value}))

    @_offer("peer_send", "io", when=lambda self: bool(self.sockets))
    @rule(which=st.integers(0, 3))
    def peer_send(self, which: int) -> None:
        """The remote peer of a socket the machine saw sends data."""
        socket = self.sockets[which % len(self.sockets)]
        self._step(Call("peer_send", None, socket=socket))

    @_offer("peer_sees_close", "io", when=lambda self: bool(self.sockets))
    @rule(which=st.integers(0, 3))
    def peer_sees_close(self, which: int) -> None:
        """Ask the peer of a socket whether its connection has ended (FIN)."""
        socket = self.sockets[which % len(self.sockets)]
        self._step(Call("peer_sees_close", None, socket=socket))

    # -- options (options) ---------------------------------------------------------------

    @_offer("setsockopt", "options")
    @rule(d=descriptors, value=st.sampled_from(["set", "default"]))
    def setsockopt(self, d: Handle, value: str) -> None:
        self._handle_call("setsockopt", d, value=value)

    @_offer("getsockopt", "options")
    @rule(d=descriptors)
    def getsockopt(self, d: Handle) -> None:
        self._handle_call("getsockopt", d)

    # -- event selection and blocking mode (events) ------------------------------------

    @_offer("WSAEventSelect", "events")
    @rule(d=descriptors, on=st.booleans())
    def event_select(self, d: Handle, on: bool) -> None:
        self._handle_call("WSAEventSelect", d, mask_nonzero=on)

    @_offer("WSAAsyncSelect", "events")
    @rule(d=descriptors, on=st.booleans())
    def async_select(self, d: Handle, on: bool) -> None:
        self._handle_call("WSAAsyncSelect", d, mask_nonzero=on)

    @_offer("ioctlsocket_fionbio", "events")
    @rule(d=descriptors, nonblocking=st.booleans())
    def ioctl_nonblocking(self, d: Handle, nonblocking: bool) -> None:
        self._handle_call("ioctlsocket_fionbio", d, nonblocking=nonblocking)

    # -- the IPC of the seed's table (ipc) ---------------------------------------------

    @_offer("ipc_send", "ipc")
    @rule(
        p=running,
        to=running,
        kind=st.sampled_from(["pid_request", "pid_reply", "done"]),
    )
    def ipc_send(self, p: Proc, to: Proc, kind: str) -> None:
        if p.pid == to.pid or p.pid not in self.alive or to.pid not in self.alive:
            return
        message: dict[str, Any] = {"kind": kind}
        if kind == "pid_reply":
            message["pid"] = p.pid  # a process answers with its own id
        self._step(Call("ipc_send", p.pid, {"to": to.pid, "message": message}))

    @_offer("ipc_send", "ipc")
    @rule(p=running, to=running, info=infos)
    def ipc_send_info(self, p: Proc, to: Proc, info: Info) -> None:
        """Step 6 of the seed's table: the info's bytes travel to another process."""
        if p.pid == to.pid or p.pid not in self.alive or to.pid not in self.alive:
            return
        args = {"to": to.pid, "message": {"kind": "info"}}
        self._step(Call("ipc_send", p.pid, args, info_digest=info.digest))

    @_offer("ipc_recv", "ipc", when=lambda self: any(self.channels.values()))
    @rule(which=st.integers(0, 3))
    def ipc_recv(self, which: int) -> None:
        """A process takes the oldest message of a channel it was sent something on."""
        busy = sorted(k for k, n in self.channels.items() if n > 0 and k[1] in self.alive)
        if busy:
            src, dst = busy[which % len(busy)]
            self._step(Call("ipc_recv", dst, {"sender": src}))

    # -- wrong arguments (errors) ------------------------------------------------------

    @_offer("bad_handle", "errors")
    @rule(
        p=running,
        call=st.sampled_from([c for calls in HANDLE_CALLS.values() for c in calls]),
        stale=st.integers(0, 3),
    )
    def bad_handle(self, p: Proc, call: str, stale: int) -> None:
        """A call on a handle value that names no open descriptor of the caller: 0, or a
        value it closed (which a later allocation may have reused, R36)."""
        if not self.may_call(p.pid):
            return
        closed = self.closed.get(p.pid, [])
        value = closed[(stale - 1) % len(closed)] if stale and closed else 0
        args: dict[str, Any] = {"handle": value}
        if call == "WSADuplicateSocket":
            args["target_pid"] = p.pid
        self._step(Call(call, p.pid, args))

    @_offer("WSADuplicateSocket", "errors", "share")
    @rule(
        d=descriptors,
        wrong_pid=st.sampled_from([0, NONEXISTENT_PID, None]),
        to=started,
        buffer=st.booleans(),
    )
    def duplicate_wrong(self, d: Handle, wrong_pid: int | None, to: Proc, buffer: bool) -> None:
        """WSADuplicateSocket with a pid that names no process (0, or one that never
        existed) and/or a NULL output buffer: the order of its checks (R7)."""
        if wrong_pid is not None or not buffer:
            pid = to.pid if wrong_pid is None else wrong_pid
            self._handle_call("WSADuplicateSocket", d, target_pid=pid, buffer=buffer)

    @_offer("WSASocketFromInfo", "errors", "share")
    @rule(p=running)
    def socket_from_bad_bytes(self, p: Proc) -> None:
        """WSASocket(FROM_PROTOCOL_INFO) with bytes that are no info (C28)."""
        if self.may_call(p.pid):
            self._step(Call("WSASocketFromInfo", p.pid, info_digest=BOGUS_INFO))

    # -- checks after every step ---------------------------------------------------------

    @invariant()
    def model_invariants_hold(self) -> None:
        """The model's world invariants hold in every world the checker still considers
        possible: the model side of the check (a failure here is a bug in the model or
        the checker, not in the implementation)."""
        for world, _ in self.checker.candidates:
            for inv in WORLD_INVARIANTS:
                broken = inv.check(world, self.profile)
                assert broken is None, (
                    f"model invariant {broken.invariant} ({', '.join(broken.rules)}) is "
                    f"broken in a candidate world: {broken.message}"
                )

    def teardown(self) -> None:
        if self.steering.novelty_target:
            # Once per run (hypothesis allows one observation per label per example).
            target(float(len(self.worlds_seen)), label="distinct model worlds the run explained")
        self.driver.stop()


# -- building machines -----------------------------------------------------------------


# The budget of a run on the reference model (the default test and
# `wsshare bench stateful`), and of a run against each mutant (shorter runs, more of
# them: a fault shows within a few steps, and short programs shrink fast).
DEFAULT_EXAMPLES = 100
DEFAULT_STEPS = 50
TEETH_EXAMPLES = 300
TEETH_STEPS = 20
# `wsshare bench stateful`: the coverage figure of the README.
BENCH_EXAMPLES = 1000
BENCH_STEPS = 30


def default_settings(
    examples: int = DEFAULT_EXAMPLES, steps: int = DEFAULT_STEPS, **changes: Any
) -> settings:
    """Settings for a deterministic run: a fixed seed (derandomize), no example
    database (a failure found once must not change the next run's verdict)."""
    base: dict[str, Any] = {
        "max_examples": examples,
        "stateful_step_count": steps,
        "deadline": None,
        "derandomize": True,
        "database": None,
        "suppress_health_check": [
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    }
    base.update(changes)
    return settings(**base)


def handoff_machine(
    driver_factory: Callable[[], Driver],
    *,
    name: str = "HandoffMachine",
    families: Iterable[Family] = ALL_FAMILIES,
    profile: Profile = DOCUMENTED,
    steering: Steering = STEERED,
    test_settings: settings | None = None,
    module: str = __name__,
) -> type[HandoffMachine]:
    """A concrete machine class: `driver_factory()` makes a fresh driver for each run;
    the calls issued are those of `families`; every observation is checked under
    `profile`. `name` is the class name the printed reproducer uses (`state = NAME()`):
    bind the class to that name in `module` (the test module) so the reproducer runs
    there."""
    attrs: dict[str, Any] = {
        "driver_factory": staticmethod(driver_factory),
        "families": frozenset(families),
        "__module__": module,
        "__qualname__": name,
        "profile": profile,
        "steering": steering,
        "last_failure": None,
        "__doc__": f"HandoffMachine on {name}, profile {profile.name}.",
    }
    # Rules of families that are off are removed (not merely never valid), so that
    # hypothesis does not spend its rule draws on them.
    chosen = frozenset(families)
    for attr, value in vars(HandoffMachine).items():
        needs = getattr(value, "_wsshare_families", None)
        if needs is not None and not needs <= chosen:
            attrs[attr] = None
    cls: type[HandoffMachine] = type(name, (HandoffMachine,), attrs)
    cls.TestCase.settings = test_settings or default_settings()
    return cls


def model_machine(
    config: Config,
    profile: Profile = DOCUMENTED,
    *,
    name: str = "ModelMachine",
    steering: Steering = STEERED,
    on_step: StepHook | None = None,
    test_settings: settings | None = None,
    module: str = __name__,
) -> type[HandoffMachine]:
    """The machine on the reference model under `config`'s bounds and families."""
    return handoff_machine(
        lambda: model_driver(config, profile, on_step),
        name=name,
        families=config.families,
        profile=profile,
        steering=steering,
        test_settings=test_settings,
        module=module,
    )


def run_machine(cls: type[HandoffMachine], test_settings: settings | None = None) -> None:
    """Run a machine class as a test (raises on failure, with hypothesis's reproducer)."""
    run_state_machine_as_test(cls, settings=test_settings or cls.TestCase.settings)


# -- coverage of a configuration's reachable graph ---------------------------------------


@dataclass
class Coverage:
    """How much of a configuration's reachable graph the stateful runs visited."""

    config: str
    steering: str
    examples: int
    steps_per_run: int
    states_total: int
    edges_total: int
    states_visited: int = 0
    edges_visited: int = 0
    steps_taken: int = 0  # model steps the driver made, repeats included
    outside: int = 0  # steps that are no edge of the graph (should be 0)
    seconds: float = 0.0

    @property
    def state_fraction(self) -> float:
        return self.states_visited / self.states_total if self.states_total else 1.0

    @property
    def edge_fraction(self) -> float:
        return self.edges_visited / self.edges_total if self.edges_total else 1.0

    def line(self) -> str:
        return (
            f"{self.config} [{self.steering}]: states {self.states_visited}/{self.states_total}"
            f" ({100 * self.state_fraction:.1f}%), edges {self.edges_visited}/"
            f"{self.edges_total} ({100 * self.edge_fraction:.1f}%) in {self.steps_taken:,}"
            f" steps, {self.examples} runs of up to {self.steps_per_run} steps,"
            f" {self.seconds:.1f} s"
        )


EdgeKey = tuple[int, Action, object, int]


def coverage(
    config: Config,
    profile: Profile = DOCUMENTED,
    *,
    config_name: str = "config",
    examples: int = DEFAULT_EXAMPLES,
    steps: int = DEFAULT_STEPS,
    steering: Steering = STEERED,
) -> Coverage:
    """Run the machine on the reference model under `config` and measure which worlds and
    edges of the explored graph (`wsshare.model.explore`) its steps visited. The model
    driver reports each step it took; that is mapped back to the graph by its world
    before, action, result and world after."""
    graph = explore(Semantics(config, profile))
    index: dict[World, int] = {w: i for i, w in enumerate(graph.worlds)}
    edges: set[EdgeKey] = {(e.source, e.action, e.outcome.result, e.target) for e in graph.edges}
    report = Coverage(config_name, steering.name, examples, steps, len(graph.worlds), len(edges))
    states: set[int] = set(range(len(semantics_initial(config, profile))))
    seen: set[EdgeKey] = set()

    def on_step(before: World, action: Action, outcome: Outcome) -> None:
        report.steps_taken += 1
        src, dst = index.get(before), index.get(outcome.world)
        if src is None or dst is None:
            report.outside += 1
            return
        key = (src, action, outcome.result, dst)
        if key in edges:
            seen.add(key)
            states.add(dst)
        else:
            report.outside += 1

    cls = model_machine(
        config,
        profile,
        name=f"Coverage_{config_name}",
        steering=steering,
        on_step=on_step,
        test_settings=default_settings(
            examples, steps, phases=[Phase.generate, Phase.target], verbosity=Verbosity.quiet
        ),
    )
    start = time.perf_counter()
    run_machine(cls)
    report.seconds = time.perf_counter() - start
    report.states_visited = len(states)
    report.edges_visited = len(seen)
    return report


def semantics_initial(config: Config, profile: Profile) -> list[World]:
    return Semantics(config, profile).initial_worlds()


# -- teeth: mutants as implementations under test -----------------------------------------


@dataclass(frozen=True)
class Tooth:
    """How the machine meets one mutant: the configuration that reaches its fault, the
    profile changes it runs under (a mutant that breaks a knob's other side needs that
    side), or why no observation can show its fault."""

    mutant: str
    config: Config | None
    knobs: tuple[tuple[str, object], ...] = ()
    unobservable: str | None = None
    deferred: str | None = None  # observable, but not run yet: why

    @property
    def reason(self) -> str | None:
        """Why this mutant is not run, if it is not."""
        return self.unobservable or self.deferred


def _config(families: Iterable[Family], **bounds: int) -> Config:
    values: dict[str, Any] = {
        "processes": 2,
        "running_at_start": 2,
        "startups_at_start": 1,
        "max_startups": 1,
        "max_sockets": 1,
        "max_infos": 1,
        "max_handles": 2,
        "channel_capacity": 1,
    }
    values.update(bounds)
    return Config(families=frozenset(families), **values)


# Small configurations, each with only the families that reach a group of faults (fewer
# rules make the interleavings that show a fault likelier). Bounds are the model
# driver's; the machine itself knows none of them.
HANDOFF = _config(["create", "share", "close", "lifecycle", "connection", "io"])
SHARE = _config(["create", "share", "close"])
THREE = _config(["create", "share", "close"], processes=3, running_at_start=3, max_handles=1)
IO = _config(["create", "share", "close", "connection", "io"])
OPTIONS = _config(["create", "share", "options"])
EVENTS = _config(["create", "share", "close", "events"])
WRONG = _config(["create", "share", "close", "lifecycle", "errors"])
STARTUP = _config(
    ["create", "share", "close", "startup", "errors"], startups_at_start=0, max_startups=2
)
LIFE = _config(["create", "share", "close", "lifecycle"])

_NO_FIN = (
    "its only effect is that the remote peer never sees the connection end (no FIN), and "
    "a trace records what happened, never that something did not: no observation can "
    "show it, which is why the invariant `{inv}` checks it in the model's hidden state"
)

_SPI = (
    "a fault in the provider steps of the spi granularity (a layered catalog); the model "
    "driver drives the api granularity, where one call is one step, so it cannot run "
    "this mutant until it drives a call's begin, SPI steps and return as one observed call"
)

TEETH: tuple[Tooth, ...] = (
    Tooth("materialise-new-socket", OPTIONS),
    Tooth("info-usable-twice", SHARE),
    Tooth("reuse-wrong-error", SHARE),
    Tooth("no-target-check", THREE),
    Tooth("no-pid-validation", WRONG),
    Tooth("fault-before-pid", WRONG),
    Tooth("no-self-duplicate", SHARE),
    Tooth("sharing-always-supported", SHARE, (("sharing_supported", False),)),
    Tooth("shared-descriptor-cannot-recv", IO),
    Tooth("access-control", IO),
    Tooth("options-per-descriptor", OPTIONS),
    Tooth("registration-per-descriptor", EVENTS),
    Tooth(
        "select-keeps-blocking",
        None,
        unobservable="a recv that blocks where the model says WSAEWOULDBLOCK reads, in a "
        "trace, as a call that has not returned yet; when the peer's data comes it returns "
        "that data, as the documented recv would at the same instant, so the checker "
        "(rightly) finds a run of the model that explains every event",
    ),
    Tooth("zero-mask-keeps-registration", EVENTS),
    Tooth("released-at-first-close", IO),
    Tooth(
        "never-released",
        None,
        unobservable=_NO_FIN.format(inv="unreferenced-sockets-are-released"),
    ),
    Tooth(
        "released-socket-keeps-data",
        None,
        unobservable="the data it keeps is on a socket no descriptor names any more, so no "
        "call can read it; only the invariant `released-sockets-hold-no-data` sees it",
    ),
    Tooth("close-cancels-everyone", IO),
    Tooth("close-keeps-descriptor", WRONG),
    Tooth(
        "failed-duplicate-mints-info",
        None,
        unobservable="the info it mints has bytes nobody received, so no WSASocket can "
        "present them; its pin on the socket only delays the FIN, and "
        + _NO_FIN.format(inv="failures-change-nothing").removeprefix("its only effect is that "),
    ),
    Tooth("cleanup-keeps-descriptors", STARTUP),
    Tooth("info-dies-with-source", SHARE),
    Tooth("duplicate-bad-pid-undocumented", WRONG),
    Tooth("bad-info-undocumented", WRONG),
    Tooth("close-bad-handle-undocumented", WRONG),
    Tooth("registration-survives-its-descriptor", EVENTS),
    Tooth("always-handle-one", SHARE),
    Tooth(
        "exit-keeps-descriptors",
        None,
        unobservable="an exited process makes no more calls, so the descriptors it keeps "
        "are never used; they only keep the socket from being released, and "
        + _NO_FIN.format(inv="exited-processes-hold-nothing").removeprefix(
            "its only effect is that "
        ),
    ),
    Tooth("returns-wrong-handle", SHARE),
    Tooth("failed-use-consumes-info", THREE),
    *(
        Tooth(name, None, deferred=_SPI)
        for name in (
            "skips-wpumodifyifshandle",
            "skips-wpuclosesockethandle",
            "substitutes-at-first-layer",
            "routes-to-default-entry",
            "layer-drops-provider-context",
            "undocumented-provider-error",
            "non-ifs-advertises-ifs-handles",
        )
    ),
)

TEETH_BY_NAME: dict[str, Tooth] = {t.mutant: t for t in TEETH}


@dataclass
class Caught:
    """What happened when the machine met one mutant."""

    mutant: str
    caught: bool
    steps: int = 0  # rule steps of the shrunk failing program
    events: int = 0  # events of its trace
    rules: tuple[str, ...] = ()
    event_index: int | None = None
    path: Path | None = None
    message: str = ""
    seconds: float = 0.0


def mutant_machine(
    m: Mutant,
    tooth: Tooth,
    *,
    steering: Steering = STEERED,
    examples: int = TEETH_EXAMPLES,
    steps: int = TEETH_STEPS,
    shrink: bool = True,
) -> type[HandoffMachine]:
    """The machine with mutant `m` as the implementation under test."""
    from .drivers.model import mutant_driver

    assert tooth.config is not None
    config = tooth.config
    profile = DOCUMENTED
    if tooth.knobs:
        profile = DOCUMENTED.model_copy(
            update=dict(tooth.knobs) | {"name": f"documented+{tooth.mutant}"}
        )
    return handoff_machine(
        lambda: mutant_driver(m, config, profile),
        name="Mutant_" + m.name.replace("-", "_"),
        families=config.families,
        profile=profile,
        steering=steering,
        test_settings=default_settings(
            examples,
            steps,
            verbosity=Verbosity.quiet,
            phases=[Phase.generate, Phase.shrink] if shrink else [Phase.generate],
        ),
    )


def catch(
    m: Mutant,
    *,
    steering: Steering = STEERED,
    examples: int = TEETH_EXAMPLES,
    steps: int = TEETH_STEPS,
    shrink: bool = True,
) -> Caught:
    """Run the machine against mutant `m` with a fixed seed; with `shrink`, the failing
    program recorded is hypothesis's shrunk one."""
    tooth = TEETH_BY_NAME[m.name]
    cls = mutant_machine(m, tooth, steering=steering, examples=examples, steps=steps, shrink=shrink)
    start = time.perf_counter()
    try:
        run_machine(cls)
    except ConformanceFailure as e:
        failure = cls.last_failure
        assert failure is not None
        v = failure.violation
        return Caught(
            m.name,
            True,
            failure.steps,
            failure.events,
            tuple(v.rules) if v else (),
            v.index if v else None,
            failure.path,
            str(e),
            time.perf_counter() - start,
        )
    return Caught(m.name, False, seconds=time.perf_counter() - start)


def catch_by_name(name: str, shrink: bool = False) -> Caught:
    """`catch` for the mutant called `name`: a picklable entry point, so tests can run
    each mutant in a fresh interpreter."""
    from .mutants import MUTANTS_BY_NAME

    return catch(MUTANTS_BY_NAME[name], shrink=shrink)


def replay(path: Path, profile: Profile) -> tuple[str, int | None, list[str]]:
    """What `wsshare check` says of a written failure: verdict, event index, rules."""
    result = check_file(str(path), profile)
    return result.verdict, result.event_index, result.rule_ids


__all__ = [
    "BENCH_EXAMPLES",
    "BENCH_STEPS",
    "DEFAULT_EXAMPLES",
    "DEFAULT_STEPS",
    "STEERED",
    "TEETH",
    "TEETH_EXAMPLES",
    "TEETH_STEPS",
    "UNIFORM",
    "Caught",
    "ConformanceFailure",
    "Coverage",
    "Failure",
    "HandoffMachine",
    "Steering",
    "Tooth",
    "catch",
    "catch_by_name",
    "coverage",
    "default_settings",
    "failure_dir",
    "handoff_machine",
    "model_machine",
    "replay",
    "run_machine",
]

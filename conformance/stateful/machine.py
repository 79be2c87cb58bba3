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
- At spi level (a driver whose header says so) a call that reaches a provider is a
  begin event, then `continue_*` rules step it (SPI steps, then its return), while other
  processes' calls interleave.
- `ConformanceMachine` holds the plumbing (driver, checker, failure traces, steering,
  the explorer, continuation of calls); `HandoffMachine` adds the Winsock rules. A
  machine for another API subclasses the first and passes itself as `base` to
  `handoff_machine`.
- Steerings (`STEERINGS`): `uniform`, `steered` (memoryless, the model tests' default)
  and `explore` (an `Explorer` with memory across runs: the coverage bench and the
  teeth).

`coverage()` measures which part of a configuration's reachable graph the runs visit,
with the model driver (the one place that maps the driver's model world back to the
explored graph); `catch()` runs a mutant (`TEETH`) as the implementation under test.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path
from typing import Any, ClassVar

from hypothesis import HealthCheck, Phase, Verbosity, settings, target
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
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
    World,
    make_semantics,
    reference_explore,
)
from wsshare.model.actions import Action, SpiStep
from wsshare.model.config import Family
from wsshare.model.semantics import Outcome
from wsshare.model.spi import SPI_CALL_NAMES

from ..checking.engine import DEFAULT_MAX_CANDIDATES, TraceCheck, Violation, check_file
from ..checking.translate import PidMap
from ..drivers.base import CONTINUE, Call, Driver, Session
from ..drivers.model import StepHook, model_driver
from ..fixtures.mutants import Mutant
from ..loading import load_config
from ..trace import Line, TraceEvent, TraceWriter

# API calls that reach a provider: at spi level, a begin event, SPI steps and a return.
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
      rather than end early;
    - explore: one rule makes every call, chosen by an `Explorer` that remembers, across
      the runs of a machine class, which calls were made in which state (the checker's
      worlds) and where they led, and takes a call not made yet, or the way to the
      nearest state that has one. Not memoryless: a failing run replays and shrinks (the
      memory freezes at the first failure), but hypothesis's printed program only
      replays within that test; the trace the failure writes replays anywhere.
    """

    name: str
    remember_declines: bool = False
    destructive_every: int = 1
    novelty_target: bool = False
    explore: bool = False


UNIFORM = Steering("uniform")
STEERED = Steering("steered", remember_declines=True, destructive_every=3)
EXPLORE = Steering("explore", explore=True)
STEERINGS: dict[str, Steering] = {
    s.name: s
    for s in (
        UNIFORM,
        Steering("declines", remember_declines=True),
        STEERED,
        Steering(
            "steered+target", remember_declines=True, destructive_every=3, novelty_target=True
        ),
        EXPLORE,
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
    when: Callable[[Any], bool] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The precondition of a rule that makes `call`: its families are on (a concrete
    class drops the rules of other families), the steering offers it now, and `when`
    holds. The families are recorded on the rule for `handoff_machine`."""

    def check(self: ConformanceMachine) -> bool:
        return self.offers(call, destructive) and (when is None or when(self))

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        wrapped = precondition(check)(f)
        wrapped._wsshare_families = frozenset(families)  # type: ignore[attr-defined]
        return wrapped

    return decorate


# The finite values the explorer tries for a rule argument that is no bundle, by
# argument name (a bundle argument takes each value in its bundle). A subclass with other
# arguments extends `arg_domains`.
ARG_DOMAINS: dict[str, tuple[Any, ...]] = {
    "which": (0, 1, 2, 3),
    "stale": (0, 1, 2, 3),
    "entry": (0, 1, 2, 3),
    "on": (True, False),
    "nonblocking": (True, False),
    "buffer": (True, False),
    "value": ("set", "default"),
    "kind": ("pid_request", "pid_reply", "done"),
    "call": tuple(c for calls in HANDLE_CALLS.values() for c in calls),
    "wrong_pid": (0, NONEXISTENT_PID, None),
}

StateKey = frozenset[World]


class Explorer:
    """What the explore steering remembers across the runs of one machine class: for
    each state (the worlds the checker holds after the run's observations so far: the
    oracle's view, so it works on any implementation), the calls the machine could make
    there, and where each one that was made led.

    A run takes a call not yet made in its state; when there is none, it goes, by calls
    that led there before, to the nearest state that has one. Memory grows only from
    runs that pass: once a run fails, it is frozen, so hypothesis's replay and shrinking
    of the failing run see the memory that run saw and behave as it did.
    """

    def __init__(self) -> None:
        self.menus: dict[StateKey, tuple[str, ...]] = {}
        self.moves: dict[StateKey, dict[str, StateKey | None]] = {}
        self.frozen = False
        # This run's additions, merged when it ends without failing.
        self.run_menus: dict[StateKey, tuple[str, ...]] = {}
        self.run_moves: dict[StateKey, dict[str, StateKey | None]] = {}
        self.plan: list[tuple[StateKey, str]] = []

    def begin_run(self) -> None:
        self.run_menus, self.run_moves, self.plan = {}, {}, []

    def end_run(self, failed: bool) -> None:
        if failed:
            self.frozen = True
        if not self.frozen:
            self.menus.update(self.run_menus)
            for key, moves in self.run_moves.items():
                self.moves.setdefault(key, {}).update(moves)
        self.begin_run()

    def _moves(self, key: StateKey) -> dict[str, StateKey | None]:
        return self.moves.get(key, {}) | self.run_moves.get(key, {})

    def _untried(self, key: StateKey) -> list[str]:
        menu = self.run_menus.get(key) or self.menus.get(key, ())
        made = self._moves(key)
        return [label for label in menu if label not in made]

    def dead(self, key: StateKey, menu: Iterable[str]) -> bool:
        """Whether every call of `menu` was made in state `key` and none made an event
        (every process has exited, say)."""
        made = self._moves(key)
        return all(label in made and made[label] is None for label in menu)

    def record(self, key: StateKey, label: str, after: StateKey | None) -> None:
        """Call `label` made in state `key` led to `after` (None: it made no event)."""
        self.run_moves.setdefault(key, {})[label] = after

    def choose(self, key: StateKey, menu: list[str], pick: int) -> str:
        """The call to make in state `key` among `menu`; `pick` (drawn by hypothesis)
        breaks ties."""
        self.run_menus[key] = tuple(menu)
        untried = self._untried(key)
        if untried:
            self.plan = []
            return untried[pick % len(untried)]
        if not (self.plan and self.plan[0][0] == key and self.plan[0][1] in menu):
            self.plan = self._path(key)
        if self.plan:
            return self.plan.pop(0)[1]
        return menu[pick % len(menu)]

    def _path(self, start: StateKey) -> list[tuple[StateKey, str]]:
        """The calls that lead, by moves made before, from `start` to the nearest state
        with a call not made yet (breadth first); empty if none is known."""
        came: dict[StateKey, tuple[StateKey, str] | None] = {start: None}
        queue = deque([start])
        while queue:
            key = queue.popleft()
            if key != start and self._untried(key):
                path: list[tuple[StateKey, str]] = []
                step = came[key]
                while step is not None:
                    path.append(step)
                    step = came[step[0]]
                return path[::-1]
            for label, after in self._moves(key).items():
                if after is not None and after not in came:
                    came[after] = (key, label)
                    queue.append(after)
        return []


class ConformanceMachine(RuleBasedStateMachine):
    """The plumbing of a machine that checks an implementation live: the driver, the
    checker fed with every observation, failures written as traces, the steering, the
    explorer, and the continuation of calls at spi level. The rules of an API live in a
    subclass (`HandoffMachine` for Winsock); a subclass records what it learns from each
    event in `_observe`.
    """

    driver_factory: ClassVar[Callable[[], Driver]]
    families: ClassVar[frozenset[Family]] = ALL_FAMILIES
    profile: ClassVar[Profile] = DOCUMENTED
    steering: ClassVar[Steering] = UNIFORM
    max_candidates: ClassVar[int] = DEFAULT_MAX_CANDIDATES
    arg_domains: ClassVar[dict[str, tuple[Any, ...]]] = ARG_DOMAINS
    # Set on the concrete class by each failing run; read by tests and reports.
    last_failure: ClassVar[Failure | None] = None
    # Set on the concrete class when its steering explores: the memory, and the rules
    # the explorer chooses from.
    explorer: ClassVar[Explorer | None] = None
    explore_rules: ClassVar[tuple[Any, ...]] = ()

    def __init__(self) -> None:
        super().__init__()
        self.driver = type(self).driver_factory()
        self.session: Session = self.driver.start()
        self.checker = TraceCheck(
            self.session.header,
            self.profile,
            pids=PidMap(list(self.session.pids)),
            started=self.session.not_started,
            # A checker reading a file takes a pid that calls WSAStartup to have started
            # uninitialised, and every other pid to have called it once.
            uninitialised=self.session.uninitialised,
            max_candidates=self.max_candidates,
        )
        self.spi = self.session.header.level == "spi"
        self.events: list[TraceEvent] = []
        self.steps = 0  # calls asked of the driver, declined ones included
        self.declined: set[str] = set()  # calls declined since the last event
        self.in_call: dict[int, TraceEvent] = {}  # pid -> begin event of its call (spi)
        self.worlds_seen: set[World] = set()  # candidate worlds met, for targeting
        self.failed = False
        self.pending_failure: ConformanceFailure | None = None
        self._valid_cache: tuple[object, bool] | None = None
        self._choices: list[int] = []
        if self.explorer is not None:
            self.explorer.begin_run()

    # -- helpers ----------------------------------------------------------------------

    def offers(self, call: str, destructive: bool = False) -> bool:
        """Whether the steering offers a rule making `call` now."""
        if self.steering.remember_declines and call in self.declined:
            return False
        every = self.steering.destructive_every
        return not destructive or every <= 1 or self.steps % every == every - 1

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
        decided = self.checker.feed(Line(event.seq + 2, event))
        if decided is not None:
            if decided.violation is not None:
                self._fail(decided.violation, None)
            else:
                self._fail(None, f"undecided: {decided.cap}")
            return event
        self._observe(event)
        if self.steering.novelty_target:
            self.worlds_seen.update(w for w, _ in self.checker.candidates)
        return event

    def _observe(self, e: TraceEvent) -> None:
        """Learn from one observed event (the subclass's bookkeeping); the base tracks
        which process is inside a call at spi level."""
        if e.pid is None or not self.spi or e.call not in SPI_CALL_NAMES:
            return
        if e.phase == "call":
            self.in_call[e.pid] = e
        elif e.phase == "return":
            self.in_call.pop(e.pid, None)

    def _continue(self, which: int, calls: Iterable[str]) -> TraceEvent | None:
        """The next event of the call one process is inside of (spi level): one of those
        making a call among `calls`, by `which`."""
        pids = sorted(p for p, e in self.in_call.items() if e.call in calls)
        if not pids:
            return None
        return self._step(Call(CONTINUE, pids[which % len(pids)]))

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
                lines += [f"    the model allowed: {a.to_text()}" for a in c.allowed]
            reason = "\n".join(lines)
        assert reason is not None
        self.failed = True
        type(self).last_failure = Failure(path, violation, reason, self.steps, len(self.events))
        if PROFILES.get(self.profile.name) == self.profile:
            replay = f"`wsshare check --profile {self.profile.name} {path}`"
        else:  # a profile made for this run has no name the command line knows
            replay = f"check_file({str(path)!r}, <the profile {self.profile.name}>)"
        failure = ConformanceFailure(
            f"{reason}\nthe run is written to {path}; replay it with {replay}"
        )
        if self.explorer is None:
            raise failure
        # The explorer's runs must draw the same number of values whatever happens (its
        # choices depend on memory, which hypothesis cannot see; a run that stopped
        # drawing early where an earlier one with the same draws went on is "flaky" to
        # it): the failure is raised when the run ends, and the run makes no more calls.
        self.pending_failure = failure

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

    @precondition(lambda self: not self._other_rule_valid())
    @rule()
    def idle(self) -> None:
        """Time passes. Only offered when no other rule is (every process has exited, or
        every call was declined): hypothesis needs a valid rule at each step."""
        self.declined.clear()
        self.steps += 1

    def teardown(self) -> None:
        if self.pending_failure is not None:
            self.failed = True
        if self.steering.novelty_target:
            # Once per run (hypothesis allows one observation per label per example).
            target(float(len(self.worlds_seen)), label="distinct model worlds the run explained")
        if self.explorer is not None:
            self.explorer.end_run(self.failed)
        self.driver.stop()
        if self.pending_failure is not None:
            raise self.pending_failure

    # -- the explore steering --------------------------------------------------------

    def state_key(self) -> StateKey:
        """The state the explorer files what it learns under: the worlds the checker
        holds, which the observations so far determine."""
        return frozenset(w for w, _ in self.checker.candidates)

    def menu(self) -> dict[str, tuple[Any, dict[str, Any], list[tuple[str, Any]]]]:
        """Every call the machine's rules could make now, by a label of observed values:
        (rule, arguments, bundle references it consumes). Bundle arguments take each
        value of their bundle; others take `arg_domains`."""
        found: dict[str, tuple[Any, dict[str, Any], list[tuple[str, Any]]]] = {}
        rules = [r for r in self.explore_rules if all(p(self) for p in r.preconditions)]
        for r in rules:
            names = sorted(r.arguments)
            domains: list[list[tuple[Any, Any]]] = []
            for name in names:
                strategy = r.arguments[name]
                if isinstance(strategy, Bundle):
                    refs = self.bundle(strategy.name)
                    domains.append([(ref, self.names_to_values[ref.name]) for ref in refs])
                else:
                    domains.append([(None, v) for v in self.arg_domains[name]])
            for combo in product(*domains):
                kwargs = {n: v for n, (_, v) in zip(names, combo, strict=True)}
                consumed = [
                    (r.arguments[n].name, ref)
                    for n, (ref, _) in zip(names, combo, strict=True)
                    if ref is not None and r.arguments[n].consume
                ]
                label = (
                    f"{r.function.__name__}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
                )
                found.setdefault(label, (r, kwargs, consumed))
        return found

    @precondition(lambda self: self.steering.explore)
    @rule(pick=st.integers(0, 255))
    def explore(self, pick: int) -> None:
        """Make the call the explorer chooses (a call not made before in this state, or
        the next on the way to a state that has one). A choice that makes no event (the
        implementation declined, or the rule found nothing to do) is remembered and the
        next is tried, so that each step of the run makes one event if any can be made."""
        explorer = self.explorer
        assert explorer is not None
        if self.pending_failure is not None:
            return
        key = self.state_key()
        menu = self.menu()
        if explorer.dead(key, menu):
            menu = {}  # every call here was tried before and none made an event
        while menu:
            label = explorer.choose(key, list(menu), pick)
            r, kwargs, consumed = menu.pop(label)
            before = len(self.events)
            for bundle, ref in consumed:
                self.bundle(bundle).remove(ref)
            result = r.function(self, **kwargs)
            if r.targets:
                values = result.values if isinstance(result, MultipleResults) else [result]
                # Hypothesis's own way of adding a rule's results to its bundles.
                self._add_results_to_targets(r.targets, values)
            if self.pending_failure is not None:
                return
            if len(self.events) > before:
                explorer.record(key, label, self.state_key())
                return
            explorer.record(key, label, None)
            for bundle, ref in consumed:  # nothing happened: the value is still there
                self.bundle(bundle).append(ref)
        self.declined.clear()
        self.steps += 1


class HandoffMachine(ConformanceMachine):
    """Interleavings of the handoff and everything around it, on one driver.

    Use `handoff_machine(...)` to make a concrete class; this one holds the rules. The
    class attributes below are set there.
    """

    running = Bundle("running")
    started = Bundle("started")
    unstarted = Bundle("unstarted")
    descriptors = Bundle("descriptors")
    infos = Bundle("infos")

    def __init__(self) -> None:
        super().__init__()
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
        catalog = self.session.header.catalog
        # Catalog entries WSASocket may name: only offered when there is a choice.
        self.entries = len(catalog) if catalog else 1

    # -- helpers ----------------------------------------------------------------------

    def may_call(self, pid: int) -> bool:
        """Whether `pid` may make Winsock calls (other than WSAStartup) now.

        Without the `errors` family, a process that has not called WSAStartup makes no
        calls that would fail for that reason (as the model's enumeration). With it, it
        may, except a process uninitialised at the start of the run that has not yet
        called WSAStartup: a trace cannot tell such a process from one initialised before
        the run, so the replay of the trace would disagree.
        """
        if pid not in self.alive or pid in self.in_call:
            return False
        if self.startups.get(pid, 0) > 0:
            return True
        if "errors" not in self.families:
            return False
        return pid not in self.session.uninitialised or pid in self.called_startup

    def _observe(self, e: TraceEvent) -> None:
        """Update what the machine knows from one observed event."""
        super()._observe(e)
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
            self.in_call.pop(pid, None)
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

    def _handle_call(self, call: str, d: Handle, **args: Any) -> TraceEvent | None:
        if not self.may_call(d.pid):
            return None
        return self._step(Call(call, d.pid, {"handle": d.value, **args}))

    @staticmethod
    def _new_info(e: TraceEvent | None) -> Any:
        """The info an event of WSADuplicateSocket handed out, for the infos bundle (or
        none: a failure, or the begin of a call at spi level)."""
        if e is None or e.result != "ok" or e.info_digest is None or e.pid is None:
            return multiple()
        return Info(e.info_digest, e.pid, e.args["target_pid"])

    @staticmethod
    def _new_handle(e: TraceEvent | None) -> Any:
        """The descriptor an event handed out, for the descriptors bundle (or none)."""
        if e is None or e.result != "ok" or not isinstance(e.value, int) or e.pid is None:
            return multiple()
        return Handle(e.pid, e.value, e.socket)

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
    @rule(target=descriptors, p=running, entry=st.integers(0, 3))
    def wsa_socket(self, p: Proc, entry: int) -> Any:
        """WSASocket for a fresh socket, from catalog entry `entry` when the catalog has
        several (otherwise the argument is not passed)."""
        if not self.may_call(p.pid):
            return multiple()
        args = {"provider": entry % self.entries} if self.entries > 1 else {}
        return self._new_handle(self._step(Call("WSASocket", p.pid, args)))

    # -- inside a call (spi level) -------------------------------------------------------

    @_offer(
        CONTINUE,
        when=lambda self: any(e.call != "WSADuplicateSocket" for e in self.in_call.values()),
    )
    @rule(target=descriptors, which=st.integers(0, 3))
    def continue_call(self, which: int) -> Any:
        """The next SPI step, or the return, of a WSASocket or closesocket some process
        is inside of; a successful WSASocket's return gives a descriptor."""
        calls = SPI_CALL_NAMES - {"WSADuplicateSocket"}
        e = self._continue(which, calls)
        if e is None or e.phase != "return" or e.call == "closesocket":
            return multiple()
        return self._new_handle(e)

    @_offer(
        CONTINUE,
        when=lambda self: any(e.call == "WSADuplicateSocket" for e in self.in_call.values()),
    )
    @rule(target=infos, which=st.integers(0, 3))
    def continue_duplicate(self, which: int) -> Any:
        """The next SPI step, or the return, of a WSADuplicateSocket some process is
        inside of; a successful return gives the info."""
        e = self._continue(which, {"WSADuplicateSocket"})
        if e is None or e.phase != "return":
            return multiple()
        return self._new_info(e)

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
        return self._new_info(self._handle_call("WSADuplicateSocket", d, target_pid=to.pid))

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
                self.failed = self.failed or broken is not None
                assert broken is None, (
                    f"model invariant {broken.invariant} ({', '.join(broken.rules)}) is "
                    f"broken in a candidate world: {broken.message}"
                )


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
    base: type[HandoffMachine] | None = None,
) -> type[HandoffMachine]:
    """A concrete machine class: `driver_factory()` makes a fresh driver for each run;
    the calls issued are those of `families`; every observation is checked under
    `profile`. `name` is the class name the printed reproducer uses (`state = NAME()`):
    bind the class to that name in `module` (the test module) so the reproducer runs
    there. `base` is the class holding the rules (HandoffMachine by default; a machine
    for another API subclasses `ConformanceMachine` and passes its own)."""
    base = base or HandoffMachine
    attrs: dict[str, Any] = {
        "driver_factory": staticmethod(driver_factory),
        "families": frozenset(families),
        "__module__": module,
        "__qualname__": name,
        "profile": profile,
        "steering": steering,
        "last_failure": None,
        "explorer": Explorer() if steering.explore else None,
        "__doc__": f"{base.__name__} on {name}, profile {profile.name}.",
    }
    # Rules of families that are off are removed (not merely never valid), so that
    # hypothesis does not spend its rule draws on them.
    chosen = frozenset(families)
    for klass in base.__mro__:
        for attr, value in vars(klass).items():
            needs = getattr(value, "_wsshare_families", None)
            if needs is not None and not needs <= chosen:
                attrs.setdefault(attr, None)
    cls: type[HandoffMachine] = type(name, (base,), attrs)
    if steering.explore:
        # The explorer makes every call through `explore`, from the rules this class
        # would have; the class keeps no other rule, so that swarm testing (which turns
        # rules off per run) cannot turn the explorer off.
        inner = cls
        attrs["explore_rules"] = tuple(
            r for r in inner.setup_state().rules if r.function.__name__ not in ("idle", "explore")
        )
        for r in inner.setup_state().rules:
            if r.function.__name__ != "explore":
                attrs[r.function.__name__] = None
        cls = type(name, (base,), attrs)
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
    missed: dict[str, int] = field(default_factory=dict)  # edges not visited, by call
    visited: dict[str, int] = field(default_factory=dict)  # edges visited, by call

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

    def missed_line(self) -> str:
        """The edges not visited, by call."""
        parts = sorted(self.missed.items(), key=lambda kv: (-kv[1], kv[0]))
        return "    not visited: " + (", ".join(f"{c} {n}" for c, n in parts) or "none")


EdgeKey = tuple[int, Action, object, int]


def coverage(
    config: Config,
    profile: Profile = DOCUMENTED,
    *,
    config_name: str = "config",
    examples: int = DEFAULT_EXAMPLES,
    steps: int = DEFAULT_STEPS,
    steering: Steering = EXPLORE,
) -> Coverage:
    """Run the machine on the reference model under `config` and measure which worlds and
    edges of the explored graph (`wsshare.model.reference_explore`) its steps visited. The model
    driver reports each step it took; that is mapped back to the graph by its world
    before, action, result and world after."""
    graph = reference_explore(make_semantics(config, profile))
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
        if isinstance(action, SpiStep):
            # The explored graph's steps leave the info entry unobserved.
            action = action.model_copy(update={"info_entry": None})
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
    for found, keys in ((report.missed, edges - seen), (report.visited, seen)):
        for _, action, _, _ in keys:
            name = _edge_name(action)
            found[name] = found.get(name, 0) + 1
    return report


def _edge_name(action: Action) -> str:
    """How coverage reports group edges: by call, and an SPI step by its function."""
    return f"spi_step {action.function}" if isinstance(action, SpiStep) else action.call


def semantics_initial(config: Config, profile: Profile) -> list[World]:
    return make_semantics(config, profile).initial_worlds()


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

_NO_FIN = (
    "its only effect is that the remote peer never sees the connection end (no FIN), and "
    "a trace records what happened, never that something did not: no observation can "
    "show it, which is why the invariant `{inv}` checks it in the model's hidden state"
)

# The configurations of spi granularity with layered catalogs (conformance/configs).
SPI_LSP = load_config("spi-lsp")
SPI_CHAIN = load_config("spi-chain")

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
    Tooth("skips-wpumodifyifshandle", SPI_LSP),
    Tooth("skips-wpuclosesockethandle", SPI_LSP),
    # spi_step events carry the catalog entry of the info each layer received.
    Tooth("substitutes-at-first-layer", SPI_CHAIN),
    Tooth("routes-to-default-entry", SPI_LSP),
    Tooth("layer-drops-provider-context", SPI_LSP),
    Tooth("undocumented-provider-error", SPI_LSP),
    Tooth("non-ifs-advertises-ifs-handles", SPI_LSP),
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
    steering: Steering = EXPLORE,
    examples: int = TEETH_EXAMPLES,
    steps: int = TEETH_STEPS,
    shrink: bool = True,
) -> type[HandoffMachine]:
    """The machine with mutant `m` as the implementation under test."""
    from ..drivers.model import mutant_driver

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
    steering: Steering = EXPLORE,
    examples: int = TEETH_EXAMPLES,
    steps: int = TEETH_STEPS,
    shrink: bool = True,
) -> Caught:
    """Run the machine against mutant `m` with a fixed seed; with `shrink`, the failing
    program recorded is hypothesis's shrunk one."""
    tooth = TEETH_BY_NAME[m.name]
    cls = mutant_machine(m, tooth, steering=steering, examples=examples, steps=steps, shrink=shrink)
    return run_and_catch(cls, m.name)


def run_and_catch(cls: type[HandoffMachine], mutant: str) -> Caught:
    """Run a machine whose implementation under test is `mutant`; what it caught."""
    start = time.perf_counter()
    try:
        run_machine(cls)
    except ConformanceFailure as e:
        failure = cls.last_failure
        assert failure is not None
        v = failure.violation
        return Caught(
            mutant,
            True,
            failure.steps,
            failure.events,
            tuple(v.rules) if v else (),
            v.index if v else None,
            failure.path,
            str(e),
            time.perf_counter() - start,
        )
    return Caught(mutant, False, seconds=time.perf_counter() - start)


def catch_by_name(name: str, shrink: bool = False, folder: str | None = None) -> Caught:
    """`catch` for the mutant called `name`: a picklable entry point, so tests can run
    each mutant in a fresh interpreter. `folder`: where to write the failure (else
    `failure_dir()`)."""
    from ..fixtures.mutants import MUTANTS_BY_NAME

    if folder is not None:
        os.environ[FAILURE_DIR_ENV] = folder

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
    "EXPLORE",
    "STEERED",
    "STEERINGS",
    "TEETH",
    "TEETH_EXAMPLES",
    "TEETH_STEPS",
    "UNIFORM",
    "Caught",
    "ConformanceFailure",
    "ConformanceMachine",
    "Coverage",
    "Explorer",
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

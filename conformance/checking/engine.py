"""The online conformance checker: replays a trace against the model.

It keeps the set of candidates, each a model World with a Binding of what was observed
(real handle values, socket identities, info digests) to model objects, consistent with
every event so far. An event keeps the candidates in which the model allows exactly what
was observed; if none is left, the trace violates the profile at that event.

Meaning (design.md, "Traces and the conformance runner"):
- a trace conforms iff some run of the model projects onto it under one binding: per
  process, handle values map injectively to descriptors at each instant, released when the
  descriptor goes (so reuse of a value is followed); socket identities map injectively to
  underlying sockets; equal info digests name one info;
- process ids are bound in order of first appearance; processes are interchangeable in the
  initial world, so that order loses nothing;
- unobserved steps are silent: unobserved IPC affects no call, so it is left out; an
  unobserved peer's data is let in right before the recv that needs it (a peer_send
  commutes with every other step), which keeps the candidate set small and exact;
- a call recorded as two events (call, return) takes effect at some instant in between: at
  the call (a recv that blocks in the model) or at the return;
- the verdict is `unknown` only when the candidate set grows past `max_candidates`.

The stateful tests use this same engine as their oracle (one oracle, not two).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import product
from pathlib import Path
from typing import Literal

from pyrsistent import PMap, pmap

from wsshare.model import (
    DOCUMENTED,
    NAMES_NOTHING,
    PROFILES,
    Config,
    Err,
    Ok,
    Pending,
    Profile,
    Semantics,
    World,
    WsaError,
    error_from_name,
    make_semantics,
)
from wsshare.model.actions import (
    Action,
    CallReturn,
    CloseRange,
    Fork,
    PeerSeesClose,
    PeerSend,
    PidfdGetfd,
    Recv,
    RecvReturn,
    returns,
)
from wsshare.model.errors import CALL_ERRORS
from wsshare.model.semantics import Outcome
from wsshare.model.spi import SPI_CALL_NAMES
from wsshare.model.state import DEFAULT_CATALOG, InfoMessage, PidReply, Process

from ..loading import load_profile
from ..trace import Line, TraceError, TraceEvent, TraceHeader, TraceReader
from .explain import Allowed, CandidateReport, Violation, allowed
from .translate import PidMap, Processes, Translation

Verdict = Literal["conforms", "violates", "unknown"]
DEFAULT_MAX_CANDIDATES = 10_000


_EMPTY: PMap[str, int] = pmap()
_EMPTY_BY_ID: PMap[int, str] = pmap()


@dataclass(frozen=True, slots=True)
class Binding:
    """Observed identifiers bound to model objects in one candidate.

    handles: (model pid, observed value) -> model slot, only while the slot is open;
    sockets: observed identity -> model socket id; infos: digest -> model info id;
    deferred: calls seen starting (phase "call") that have not taken effect in the model.

    Identities and digests accumulate over a whole trace (every socket ever seen), so
    they are persistent maps: binding one more shares the rest with the binding before,
    where a copied set would make each event cost as much as the trace so far.
    """

    handles: frozenset[tuple[tuple[int, int], int]] = frozenset()
    sockets: PMap[str, int] = _EMPTY
    infos: PMap[str, int] = _EMPTY
    # The same bindings read backwards (model id -> observed name), to keep them
    # one-to-one; functions of the two above, so not compared.
    socket_names: PMap[int, str] = field(default=_EMPTY_BY_ID, compare=False)
    info_names: PMap[int, str] = field(default=_EMPTY_BY_ID, compare=False)
    deferred: frozenset[tuple[int, int | None, str]] = frozenset()
    # recvs the model blocked at their call: (model pid, tid) -> the slot they wait on,
    # which their return must name even if the handle was closed meanwhile (R35).
    blocked: frozenset[tuple[tuple[int, int | None], int]] = frozenset()

    # Lookup tables of the open handles (few at any instant), built once per Binding.
    _slots: dict[tuple[int, int], int] = field(init=False, compare=False, repr=False)
    _values: dict[tuple[int, int], int] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_slots", dict(self.handles))
        object.__setattr__(self, "_values", {(p, s): v for (p, v), s in self.handles})

    def slot(self, pid: int, value: int) -> int | None:
        return self._slots.get((pid, value))

    def value_of(self, pid: int, slot: int) -> int | None:
        return self._values.get((pid, slot))

    def socket(self, identity: str) -> int | None:
        return self.sockets.get(identity)

    def info(self, digest: str) -> int | None:
        return self.infos.get(digest)

    def socket_bound(self, socket: int) -> bool:
        return socket in self.socket_names

    def info_bound(self, info: int) -> bool:
        return info in self.info_names

    def bind_socket(self, identity: str, socket: int) -> Binding:
        return replace(
            self,
            sockets=self.sockets.set(identity, socket),
            socket_names=self.socket_names.set(socket, identity),
        )

    def unbind_socket(self, identity: str) -> Binding:
        socket = self.sockets[identity]
        return replace(
            self,
            sockets=self.sockets.remove(identity),
            socket_names=self.socket_names.remove(socket),
        )

    def bind_info(self, digest: str, info: int) -> Binding:
        return replace(
            self,
            infos=self.infos.set(digest, info),
            info_names=self.info_names.set(info, digest),
        )


Candidate = tuple[World, Binding]


@dataclass
class CheckResult:
    path: str
    profile: str
    verdict: Verdict
    events: int
    violation: Violation | None = None
    cap: str | None = None  # the cap that made the verdict unknown
    peak_candidates: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    rules_exercised: set[str] = field(default_factory=set)

    @property
    def rule_ids(self) -> list[str]:
        return self.violation.rules if self.violation else []

    @property
    def event_index(self) -> int | None:
        return self.violation.index if self.violation else None

    def summary(self) -> str:
        """The verdict in one line: `violates R2, R3 at event 6`, `conforms (12 events)`."""
        if self.verdict == "violates" and self.violation is not None:
            rules = ", ".join(self.rule_ids) or "(no rule)"
            return f"violates {rules} at event {self.event_index}"
        if self.verdict == "unknown":
            return f"unknown ({self.cap})"
        return f"conforms ({self.events} events)"

    def to_text(self) -> str:
        """The verdict and, for a violation, its explanation (what `wsshare check`
        prints)."""
        head = f"{self.path} [{self.profile}]: {self.summary()}"
        if self.violation is None:
            return head
        return head + "\n" + self.violation.to_text()

    def to_data(self) -> dict[str, object]:
        """The verdict as JSON-ready data (what `wsshare check --json` prints per trace)."""
        data: dict[str, object] = {
            "verdict": self.verdict,
            "events": self.events,
            "rules": self.rule_ids,
            "event": self.event_index,
            "cap": self.cap,
            "peak_candidates": self.peak_candidates,
        }
        if self.violation is not None:
            data["violation"] = self.violation.to_data()
        return data


def _scan(path: str) -> Processes:
    with TraceReader(path) as reader:
        found = Processes(reader.header)
        for line in reader:
            found.add(line.event)
    return found


class Checker:
    """Checks one trace against one profile. Feed events with `feed`, or use `check`."""

    def __init__(
        self,
        header: TraceHeader,
        pids: PidMap,
        started: set[int],
        with_startup: set[int],
        profile: Profile = DOCUMENTED,
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
        path: str = "<events>",
    ) -> None:
        self.header = header
        self.path = path
        self.pids = pids
        self.profile = profile
        self.max_candidates = max_candidates
        n = max(1, len(pids.model))
        self._action_cache: tuple[TraceEvent, Action] | None = None
        self.translation = Translation(pids)
        self.spi = header.level == "spi"
        if self.spi and profile.platform == "linux":
            raise TraceError(path, 1, "level", "the Linux profiles check api-level traces only")
        catalog = tuple(header.catalog) if header.catalog else DEFAULT_CATALOG
        try:
            config = Config.unbounded(n, "spi" if self.spi else "api", catalog)
        except ValueError as e:
            raise TraceError(self.path, 1, "catalog", str(e)) from None
        # A real trace may run out of buffers or descriptors wherever a call allocates.
        self.semantics: Semantics = make_semantics(config, profile, resource_errors=True)
        processes = []
        for model_pid in range(1, n + 1):
            observed = pids.observed.get(model_pid)
            # A process whose WSAStartup the trace does not show had called it before
            # the recording began; one the trace sees start had not (a recorder that
            # saw it begin sees all it calls).
            status = "not_started" if observed in started else "running"
            startups = 0 if observed in with_startup or observed in started else 1
            processes.append(Process(pid=model_pid, status=status, startups=startups))
        world = World(processes=tuple(processes), catalog=catalog)
        self.candidates: list[Candidate] = [(world, Binding())]
        self.peer_silent = "peer" in header.unobserved
        self.index = 0
        self.peak = 1
        self.rules_exercised: set[str] = set()
        self.calls: dict[str, int] = {}

    # -- translating observed arguments -------------------------------------------------

    def _actions(self, e: TraceEvent, w: World, b: Binding) -> Iterator[Action]:
        """The model actions an event can stand for in candidate (w, b): one, unless the
        recorder could not see which info or which socket was meant, or an argument
        (the mode FIONBIO sets, say), in which case every value it may have had."""
        unobserved = e.unobserved()
        for action in self._observed_actions(e, w, b):
            if not unobserved:
                yield action
                continue
            for values in product(*unobserved.values()):
                yield action.model_copy(update=dict(zip(unobserved, values, strict=True)))

    def _observed_actions(self, e: TraceEvent, w: World, b: Binding) -> Iterator[Action]:
        cached = self._action_cache
        if cached is not None and cached[0] is e:
            action = cached[1]
        else:
            action = e.action()
            # Every candidate world asks again for the same event's action.
            self._action_cache = (e, action)
        for translated in self.translation.actions(e, action, w, b):
            if isinstance(translated, CloseRange) and e.pid is not None:
                # close_range names a range of numbers, not descriptors: those bound in
                # the range are the ones it covers.
                pid = translated.pid
                low, high = e.args["low"], e.args["high"]
                covered = sorted(s for (p, v), s in b.handles if p == pid and low <= v <= high)
                translated = translated.model_copy(update={"handles": tuple(covered)})
            yield translated

    # -- matching a result --------------------------------------------------------------

    def _matches(
        self, e: TraceEvent, action: Action, before: World, o: Outcome, b: Binding
    ) -> Binding | None:
        """The binding after `o` if `o` is what `e` observed, else None."""
        r = o.result
        if e.result == "failed":
            # The program never read the error: any failure the protocol derives here,
            # but not one from the environment, which would explain away any deviation.
            return b if isinstance(r, Err) and "ENV" not in o.rules else None
        status = "ok" if isinstance(r, Ok) else "error" if isinstance(r, Err) else "pending"
        if status != e.result:
            return None
        if isinstance(r, Err):
            return b if e.error == r.error.name else None
        pid = getattr(action, "pid", None)
        if isinstance(r, Ok):
            spi_value = e.call != "spi_step" or isinstance(r.value, int)
            if returns(e.call) == "handles" and pid is not None:
                return self._bind_handles(b, e, pid, r.value, o.world)
            if isinstance(action, Fork):
                # The child's numbers name what the parent's name (L4).
                inherited = {((action.child, v), s) for (p, v), s in b.handles if p == pid}
                b = replace(b, handles=b.handles | inherited)
            elif returns(e.call) == "handle" and pid is not None and spi_value:
                b2 = self._bind_handle(b, pid, e.value, r.value, o.world)
                if b2 is None:
                    return None
                b = b2
            elif e.call == "WSADuplicateSocket" and e.info_digest is not None:
                if not isinstance(r.value, int) or b.info(e.info_digest) is not None:
                    return None
                if b.info_bound(r.value):
                    return None
                b = b.bind_info(e.info_digest, r.value)
            elif e.call == "ipc_recv" and e.value is not None:
                if not self._same_message(e, r.value, b):
                    return None
            elif e.value is not None and e.call != "WSADuplicateSocket" and e.value != r.value:
                return None
        if (
            e.socket is not None
            and e.pid is not None
            and not (isinstance(action, PidfdGetfd) and isinstance(r, Err))
        ):
            b2 = self._bind_socket(b, e, action, before, o.world)
            if b2 is None:
                return None
            b = b2
        if isinstance(action, PeerSend | PeerSeesClose) and e.socket is not None:
            b2 = self._bind_identity(b, e.socket, action.socket)
            if b2 is None:
                return None
            b = b2
        return b

    def _same_message(self, e: TraceEvent, model: object, b: Binding) -> bool:
        observed = e.value if isinstance(e.value, dict) else {}
        kind = observed.get("kind")
        if kind != getattr(model, "kind", None):
            return False
        if isinstance(model, PidReply):
            pid = observed.get("pid")
            if not isinstance(pid, int) or isinstance(pid, bool):
                return False
            return self.pids.model.get(pid) == model.pid
        if isinstance(model, InfoMessage) and e.info_digest is not None:
            return b.info(e.info_digest) == model.info
        return True

    def _bind_handles(
        self, b: Binding, e: TraceEvent, pid: int, model: object, after: World
    ) -> Binding | None:
        """Bind the descriptors of a list result (socketpair, recv_fds) one by one, with
        their identities when the recorder saw them."""
        observed = e.value
        if not isinstance(model, tuple) or not isinstance(observed, list):
            return None if observed is not None else b
        if len(model) != len(observed):
            return None
        identities = e.sockets or []
        if identities and len(identities) != len(observed):
            return None
        for i, (value, slot) in enumerate(zip(observed, model, strict=True)):
            bound = self._bind_handle(b, pid, value, slot, after)
            if bound is None:
                return None
            b = bound
            d = after.descriptor(pid, slot)
            if identities and d is not None:
                bound = self._bind_identity(b, identities[i], d.socket, after)
                if bound is None:
                    return None
                b = bound
        return b

    @staticmethod
    def _bind_handle(
        b: Binding, pid: int, observed: object, model: object, after: World
    ) -> Binding | None:
        if not isinstance(model, int):
            return None
        if not isinstance(observed, int):
            return None if observed is not None else b
        if model == NAMES_NOTHING or after.descriptor(pid, model) is None:
            # A value that names nothing: it must not name a live descriptor either.
            return b if b.slot(pid, observed) is None else None
        current = b.slot(pid, observed)
        if current is not None:
            return b if current == model else None
        if b.value_of(pid, model) is not None:
            return None  # that descriptor already has another observed value
        return replace(b, handles=b.handles | {((pid, observed), model)})

    def _bind_socket(
        self, b: Binding, e: TraceEvent, action: Action, before: World, after: World
    ) -> Binding | None:
        """Bind the event's socket identity to the socket of the descriptor it used or
        made."""
        pid = getattr(action, "pid", None)
        if pid is None:
            return b
        slot = getattr(action, "handle", None)
        if returns(e.call) == "handle" and e.result == "ok" and isinstance(e.value, int):
            slot = b.slot(pid, e.value)
            world = after
        else:
            world = before
        if slot is None or slot == NAMES_NOTHING:
            return b
        d = world.descriptor(pid, slot)
        if d is None:
            return b
        assert e.socket is not None
        return self._bind_identity(b, e.socket, d.socket, after)

    @staticmethod
    def _bind_identity(
        b: Binding, identity: str, socket: int, world: World | None = None
    ) -> Binding | None:
        current = b.socket(identity)
        reused = current is not None and world is not None and current != socket
        if reused and world is not None and current is not None and not world.sockets[current].open:
            # The system gave a released socket's identity to a new one (an inode
            # reused): the old binding ends.
            b = b.unbind_socket(identity)
            current = None
        if current is not None:
            return b if current == socket else None
        if b.socket_bound(socket):
            return None
        return b.bind_socket(identity, socket)

    # -- one event ----------------------------------------------------------------------

    def _silent(self, e: TraceEvent, w: World, b: Binding) -> Iterator[World]:
        """Worlds reachable by silent steps that this event may need: the peer's data
        arriving just before a recv, when the recorder does not see the peer."""
        yield w
        if not self.peer_silent or e.call not in ("recv", "recv_return") or e.pid is None:
            return
        handle = e.args.get("handle")
        pid = self.pids.of_caller(e.pid)
        slot = b.slot(pid, handle) if isinstance(handle, int) else None
        if e.call == "recv_return":
            socket = next((p.socket for p in w.pending if (p.pid, p.handle) == (pid, slot)), None)
        else:
            d = w.descriptor(pid, slot) if slot is not None else None
            socket = d.socket if d else None
        if socket is not None:
            for o in self.semantics.outcomes(w, PeerSend(socket=socket)):
                yield o.world

    def _step_candidate(self, e: TraceEvent, w: World, b: Binding) -> Iterator[Candidate]:
        key = (self.pids.of_caller(e.pid), e.tid, e.call) if e.pid is not None else None
        if self.spi and e.call in SPI_CALL_NAMES and e.phase != "complete":
            yield from self._spi_call(e, w, b)
            return
        if e.phase == "call":
            assert key is not None
            # Either nothing has happened yet (it takes effect at the return) ...
            yield w, replace(b, deferred=b.deferred | {key})
            # ... or a recv blocked at once.
            if e.call == "recv":
                for action in self._actions(e, w, b):
                    for o in self.semantics.outcomes(w, action):
                        if isinstance(o.result, Pending) and isinstance(action, Recv):
                            self.rules_exercised.update(o.rules)
                            waiting = ((action.pid, e.tid), action.handle)
                            yield o.world, replace(b, blocked=b.blocked | {waiting})
            return
        returning: Action | None = None
        if e.phase == "return" and key is not None:
            if key in b.deferred:
                b = replace(b, deferred=b.deferred - {key})
            elif e.call == "recv":
                blocked = next((x for x in b.blocked if x[0] == (key[0], e.tid)), None)
                if blocked is None:
                    return
                b = replace(b, blocked=b.blocked - {blocked})
                returning = RecvReturn(pid=key[0], handle=blocked[1])
                e = e.with_call("recv_return")
            else:
                return
        for world in self._silent(e, w, b):
            actions = [returning] if returning is not None else self._actions(e, world, b)
            for action in actions:
                for o in self.semantics.outcomes(world, action):
                    b2 = self._matches(e, action, world, o, b)
                    if b2 is not None:
                        self.rules_exercised.update(o.rules)
                        yield o.world, self._forget_closed(b2, o.world)

    def _spi_call(self, e: TraceEvent, w: World, b: Binding) -> Iterator[Candidate]:
        """In an spi trace, an API call that reaches a provider is its begin event (phase
        "call") and its return event; the provider's steps come between as spi_step
        events."""
        assert e.pid is not None
        if e.phase == "call":
            for action in self._actions(e, w, b):
                for o in self.semantics.outcomes(w, action):
                    if isinstance(o.result, Pending):
                        yield o.world, b
            return
        pid = self.pids.of_caller(e.pid)
        call = w.call_of(pid)
        if call is None or call.action.call != e.call:
            return
        ret = CallReturn(pid=pid)
        for o in self.semantics.outcomes(w, ret):
            b2 = self._matches(e, call.action, w, o, b)
            if b2 is not None:
                self.rules_exercised.update(o.rules)
                yield o.world, self._forget_closed(b2, o.world)

    @staticmethod
    def _forget_closed(b: Binding, w: World) -> Binding:
        """Release the bindings of handle values whose descriptors are gone (R36). Socket
        identities stay bound after release, so the peer's view of a closed socket can
        still be matched; `_bind_identity` lets a new socket take an identity over."""
        if not b.handles:
            return b
        handles = frozenset(item for item in b.handles if w.descriptor(item[0][0], item[1]))
        return b if handles == b.handles else replace(b, handles=handles)

    def feed(self, line: Line) -> Violation | None:
        """Take one event; return a Violation if no candidate explains it."""
        e = line.event
        self.calls[e.call] = self.calls.get(e.call, 0) + 1
        new = [c for w, b in self.candidates for c in self._step_candidate(e, w, b)]
        if not new:
            return self._explain(line)
        if len(new) > 1:
            # Hashing a world costs time linear in its size; do it only to deduplicate.
            new = list(dict.fromkeys(new))
        self.candidates = new
        self.peak = max(self.peak, len(new))
        self.index += 1
        return None

    def _explain(self, line: Line) -> Violation:
        """What each candidate allowed instead of what was observed, and the rules the
        observation breaks: those of the outcomes the protocol derives there (a failure
        for want of resources is allowed, not expected, so it names no rule); for a code
        the call's page does not list at all, that list's rule, with the rules of the
        failures the model expected instead, if any."""
        e = line.event
        reports = []
        rules: set[str] = set()
        for w, b in sorted(self.candidates, key=lambda c: c[0].model_dump_json())[:8]:
            said: list[Allowed] = []
            cited: set[str] = set()
            failing: set[str] = set()  # the rules of the failures the model expected
            probe = (
                e.with_call("recv_return")
                if (
                    e.phase == "return"
                    and e.call == "recv"
                    and e.pid is not None
                    and (self.pids.of_caller(e.pid), e.tid, e.call) not in b.deferred
                )
                else e
            )
            if self.spi and probe.call in SPI_CALL_NAMES and probe.phase == "return":
                ret = CallReturn(pid=self.pids.of_caller(probe.pid or 0))
                call = w.call_of(ret.pid)
                for o in self.semantics.outcomes(w, ret):
                    if call is not None:
                        said.append(allowed(call.action, o, b, self.pids))
                    cited.update(_expected_rules(o))
                if not said:
                    step = call.next_step() if call else None
                    if step is not None:
                        said.append(
                            Allowed.note(f"first {step.function} of catalog entry {step.provider}")
                        )
                    cited.update(self.semantics.refusal_rules(w, ret))
            elif probe.phase == "call":
                said.append(Allowed.note("(the call may start)"))
            else:
                for world in self._silent(probe, w, b):
                    for action in self._actions(probe, world, b):
                        outcomes = self.semantics.outcomes(world, action)
                        for o in outcomes:
                            said.append(allowed(action, o, b, self.pids))
                            cited.update(_expected_rules(o))
                            if isinstance(o.result, Err):
                                failing.update(_expected_rules(o))
                        if not outcomes:
                            cited.update(self.semantics.refusal_rules(world, action))
            if not said:
                said.append(Allowed.note("nothing: the call cannot happen here"))
            undocumented = _undocumented_error_rule(e, self.semantics)
            if undocumented is not None:
                # A code the page does not list breaks the list, and where the model
                # expected a failure, the rules that say which failure.
                cited = {undocumented, *failing}
            reports.append(CandidateReport(w, said, sorted(cited, key=_rule_order)))
            rules |= cited
        return Violation(
            index=self.index,
            line=line.number,
            seq=e.seq,
            observed=observed_text(e),
            matched_prefix=self.index,
            candidates=reports,
            candidate_count=len(self.candidates),
            rules=sorted(rules, key=_rule_order),
        )


def _expected_rules(o: Outcome) -> tuple[str, ...]:
    """The rules an outcome the model allowed stands for, as expectations the observation
    may break: none for a failure from the environment, which is allowed, not owed."""
    return () if "ENV" in o.rules else o.rules


def _undocumented_error_rule(e: TraceEvent, semantics: Semantics) -> str | None:
    """The catalogue rule of a call that failed with a code its page does not list
    (WSAECONNRESET from WSASocket breaks R48 whatever the model expected there)."""
    if e.result != "error" or e.error is None or semantics.profile.platform != "winsock":
        return None
    name = e.call if e.call != "spi_step" else e.args.get("function")
    entry = CALL_ERRORS.get(name) if isinstance(name, str) else None
    if entry is None or WsaError.__members__.get(e.error) in entry.codes:
        return None
    return entry.rule


def _rule_order(rule: str) -> tuple[int, int]:
    """R-rules first, then the error lists of the other calls (E-ids), the Linux rules
    (L-ids), then the open questions (D-ids), each in numeric order."""
    group = {"R": 0, "E": 1, "L": 2}.get(rule[:1], 3)
    return group, int(rule[1:]) if rule[1:].isdigit() else 0


def observed_text(e: TraceEvent) -> str:
    args = ", ".join(f"{k}={v}" for k, v in e.args.items())
    who = f"pid {e.pid}" if e.pid is not None else "peer"
    if e.result is None:
        got = "(call starts)"
    elif e.result == "error":
        got = f"{e.error} ({error_from_name(e.error or '').value})"
    elif e.result == "failed":
        got = "FAILED (error not read)"
    else:
        got = e.result.upper() if e.value is None else f"{e.result.upper()} {e.value}"
    extra = f" info={e.info_digest}" if e.info_digest else ""
    return f"{who}: {e.call}({args}){extra} [{e.phase}] -> {got}"


class TraceCheck:
    """The one checking loop, an event at a time: what `check_file` and `check_trace` run
    over a whole trace, and the stateful machines run online as an implementation
    answers. `feed` returns the result once the verdict is decided (a violation, or
    `unknown` past `max_candidates`), None while every event so far is explained.

    `pids` are the trace's processes in order of first appearance; `started` the ones
    that begin during the trace (process_start, or a fork's child); `uninitialised` the
    ones whose WSAStartup the trace shows (the others had called it before)."""

    def __init__(
        self,
        header: TraceHeader,
        profile: Profile = DOCUMENTED,
        *,
        pids: PidMap,
        started: Iterable[int] = (),
        uninitialised: Iterable[int] = (),
        max_candidates: int = DEFAULT_MAX_CANDIDATES,
        path: str = "<events>",
    ) -> None:
        self.max_candidates = max_candidates
        self.checker = Checker(
            header, pids, set(started), set(uninitialised), profile, max_candidates, path
        )
        self.result = CheckResult(path=path, profile=profile.name, verdict="conforms", events=0)
        self.result.calls = self.checker.calls
        self.result.rules_exercised = self.checker.rules_exercised

    @property
    def candidates(self) -> list[Candidate]:
        """The (world, binding) pairs that explain every event so far."""
        return self.checker.candidates

    @property
    def decided(self) -> bool:
        return self.result.verdict != "conforms"

    def feed(self, event: TraceEvent | Line) -> CheckResult | None:
        if self.decided:
            return self.result
        # A trace's line: the header is line 1.
        line = event if isinstance(event, Line) else Line(self.result.events + 2, event)
        self.result.events += 1
        violation = self.checker.feed(line)
        self.result.peak_candidates = self.checker.peak
        if violation is not None:
            self.result.verdict, self.result.violation = "violates", violation
            return self.result
        if len(self.checker.candidates) > self.max_candidates:
            self.result.verdict = "unknown"
            self.result.cap = (
                f"max_candidates={self.max_candidates} passed at event {self.checker.index - 1} "
                f"(line {line.number}): {len(self.checker.candidates)} candidate worlds"
            )
            return self.result
        return None


def _profile_for(header: TraceHeader, profile: Profile | str | None) -> Profile:
    """The profile to check under: the one given (a Profile, a name or a profile file),
    else the one the trace's header hints at, else documented."""
    if isinstance(profile, Profile):
        return profile
    if profile is not None:
        return load_profile(profile)
    return PROFILES.get(header.profile_hint or "", DOCUMENTED)


def check_trace(
    header: TraceHeader,
    events: Iterable[TraceEvent | Line],
    profile: Profile | str | None = None,
    *,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
    path: str = "<events>",
) -> CheckResult:
    """Check a trace held in memory (its header and events) against a profile. For a
    file, `check_file` streams instead."""
    items = list(events)
    found = Processes(header).add_all(i.event if isinstance(i, Line) else i for i in items)
    run = TraceCheck(
        header,
        _profile_for(header, profile),
        pids=found.pid_map(),
        started=found.started,
        uninitialised=found.startup,
        max_candidates=max_candidates,
        path=path,
    )
    for item in items:
        if run.feed(item) is not None:
            break
    return run.result


def check_file(
    path: str | Path,
    profile: Profile | str | None = None,
    max_candidates: int = DEFAULT_MAX_CANDIDATES,
) -> CheckResult:
    """Check one trace file against a profile (by default the one its header hints at).
    Streams: the file is read twice (once for its processes), never held in memory.
    Raises TraceError on malformed input."""
    path = str(path)
    found = _scan(path)
    with TraceReader(path) as reader:
        run = TraceCheck(
            reader.header,
            _profile_for(reader.header, profile),
            pids=found.pid_map(),
            started=found.started,
            uninitialised=found.startup,
            max_candidates=max_candidates,
            path=path,
        )
        for line in reader:
            if run.feed(line) is not None:
                break
    return run.result

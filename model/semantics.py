"""The step relation: one atomic transition per call at `api` granularity; at `spi`
granularity a call that reaches a provider is a begin step, its SPI steps (model/spi.py)
and a return step, the API transition being applied at the step where the provider
decides.

The contract, in the spirit of Stateright's `Model`:

- `initial_worlds()` lists the worlds a run may start from;
- `enabled(world)` lists the actions worth trying in `world` within the bounds, both the
  ones that succeed and the ones that fail with a WSA error;
- `outcomes(world, action)` lists every (result, next world, rules) the model allows for
  that action; more than one where the profile leaves a choice, none where the action
  cannot happen in `world` (a call by a process that is not running, a blocking call that
  has nothing to return yet, or a step that would leave the configuration's bounds).

A failed call leaves the world as it was, except where a profile knob says otherwise
(D2). Every outcome names the rules it implements, so that a checker can say which rule
an observation breaks.

A Semantics instance is an implementation under test as much as the reference: a mutant
is a subclass that overrides one call (see wsshare.conformance.mutants).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

from . import spi
from .actions import (
    Accept,
    Action,
    Bind,
    CallReturn,
    CloseSocket,
    Connect,
    Err,
    GetSockOpt,
    InCall,
    IoctlNonblocking,
    IpcRecv,
    IpcSend,
    Listen,
    Ok,
    PeerSeesClose,
    PeerSend,
    Pending,
    ProcessExit,
    ProcessStart,
    Recv,
    RecvReturn,
    Send,
    SetSockOpt,
    SpiStep,
    WSAAsyncSelect,
    WSACleanup,
    WSADuplicateSocket,
    WSAEventSelect,
    WSASocket,
    WSASocketFromInfo,
    WSAStartup,
)
from .config import Config
from .errors import CALL_ERRORS, ENVIRONMENTAL, RESOURCE, ErrorCode, WsaError
from .profiles import DOCUMENTED, Profile
from .spi import SPI_CALLS
from .state import (
    NONEXISTENT_PID,
    Channel,
    ConnectionState,
    Descriptor,
    DescriptorOrigin,
    Done,
    Frozen,
    InfoContext,
    InfoMessage,
    Message,
    PendingRecv,
    PidReply,
    PidRequest,
    Process,
    ProtocolInfo,
    Registration,
    UnderlyingSocket,
    World,
    chain,
    entry_of,
)

E = WsaError
Result = Ok | Err | Pending

# The value a call returns for a handle that names no descriptor of the caller (Wine's
# "success" in a process that was not the info's target). Real values differ; a checker
# binds them to nothing.
NAMES_NOTHING = 0

# The calls that take a handle value. Under `preplaced_handle_is_descriptor` a value
# that names no descriptor the caller was given may name a handle pre-placed in it.
_HANDLE_ACTIONS: tuple[type[Frozen], ...] = (
    Bind,
    Listen,
    Connect,
    Accept,
    WSADuplicateSocket,
    CloseSocket,
    Send,
    Recv,
    SetSockOpt,
    GetSockOpt,
    WSAEventSelect,
    WSAAsyncSelect,
    IoctlNonblocking,
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One thing the model allows an action to do: its result, the world after, and the
    rules (R-ids, or open questions D-ids) that this outcome implements."""

    result: Result
    world: World
    rules: tuple[str, ...]


# -- small immutable edits of a World ---------------------------------------------------


def _sorted_descriptors(ds: Iterator[Descriptor] | list[Descriptor]) -> tuple[Descriptor, ...]:
    return tuple(sorted(ds, key=lambda d: (d.pid, d.handle)))


def _put_process(w: World, p: Process) -> World:
    ps = list(w.processes)
    ps[p.pid - 1] = p
    return w.model_copy(update={"processes": tuple(ps)})


def _put_socket(w: World, s: UnderlyingSocket) -> World:
    ss = list(w.sockets)
    ss[s.id] = s
    return w.model_copy(update={"sockets": tuple(ss)})


def _put_info(w: World, i: ProtocolInfo) -> World:
    infos = list(w.infos)
    infos[i.id] = i
    return w.model_copy(update={"infos": tuple(infos)})


def _add_descriptor(w: World, d: Descriptor) -> World:
    return w.model_copy(update={"descriptors": _sorted_descriptors([*w.descriptors, d])})


def _put_channel(w: World, src: int, dst: int, messages: tuple[Message, ...]) -> World:
    others = [c for c in w.channels if (c.src, c.dst) != (src, dst)]
    if messages:
        others.append(Channel(src=src, dst=dst, messages=messages))
    return w.model_copy(update={"channels": tuple(sorted(others, key=lambda c: (c.src, c.dst)))})


def _replace_descriptor(w: World, old: Descriptor, new: Descriptor) -> World:
    return w.model_copy(
        update={"descriptors": _sorted_descriptors([new if d == old else d for d in w.descriptors])}
    )


def _put_call(w: World, call: InCall) -> World:
    calls = [c for c in w.calls if c.pid != call.pid]
    return w.model_copy(update={"calls": tuple(sorted((*calls, call), key=lambda c: c.pid))})


# What bind, listen and connect do from each connection state (R28): the new state, or
# the error. listen on a listening socket succeeds again; the peer of connect always
# answers (the model's environment).
_CONNECTION: dict[str, dict[ConnectionState, ConnectionState | WsaError]] = {
    "bind": {
        "unbound": "bound",
        "bound": E.WSAEINVAL,
        "listening": E.WSAEINVAL,
        "connected": E.WSAEINVAL,
    },
    "listen": {
        "unbound": E.WSAEINVAL,
        "bound": "listening",
        "listening": "listening",
        "connected": E.WSAEISCONN,
    },
    "connect": {
        "unbound": "connected",
        "bound": "connected",
        "listening": E.WSAEINVAL,
        "connected": E.WSAEISCONN,
    },
}

# The rules each SPI function's step stands for.
_SPI_RULES: dict[str, tuple[str, ...]] = {
    "WSPSocket": ("R14", "R17", "R43", "R49"),
    "WSPDuplicateSocket": ("R5", "R13", "R15", "R16", "R21", "R42", "R43", "R45", "R47"),
    "WSPCloseSocket": ("R33", "R50"),
    "WPUModifyIFSHandle": ("R20", "R22", "R44"),
    "WPUCreateSocketHandle": ("R20", "R23", "R44"),
    "WPUCloseSocketHandle": ("R24",),
}


def _release_unreferenced(w: World, touched: Iterable[int]) -> tuple[World, bool]:
    """Close each socket in `touched` (those whose references just dropped) that nothing
    references any more (R34): its naming information, queued data and event
    registration go with it. Only touched sockets are looked at, so a step costs nothing
    for the sockets a long trace has released before."""
    released = False
    for sid in sorted(set(touched)):
        s = w.sockets[sid]
        if s.open and w.references(s.id) == 0:
            w = _put_socket(w, s.model_copy(update={"open": False, "inbound": "none"}))
            w = w.model_copy(
                update={"registrations": tuple(r for r in w.registrations if r.socket != s.id)}
            )
            released = True
    return w, released


def _one_more_use(info: ProtocolInfo) -> int:
    """The ghost count of descriptors an info produced, after one more. It saturates at
    2: the invariant of R2 tells only "at most once" from "more than once", and a count
    that grew on every reuse would make the reachable space of a reusing profile
    infinite."""
    return min(info.uses + 1, 2)


class Semantics:
    """The api-granularity step relation for one profile and one configuration."""

    # The calls that allocate a resource (a socket, a handle, the target's copy of a
    # handle), so that running out of one may fail them whatever the protocol says.
    ALLOCATING: tuple[type[Frozen], ...] = (
        WSASocket,
        WSASocketFromInfo,
        Accept,
        WSADuplicateSocket,
    )

    def __init__(
        self, config: Config, profile: Profile = DOCUMENTED, *, resource_errors: bool = False
    ) -> None:
        """`resource_errors`: a call that allocates may also fail for want of resources
        (WSAENOBUFS, WSAEMFILE), changing nothing. A checker turns it on, since a real
        trace may run out of anything; exploration leaves it off (it would add the same
        failure to every such call and say nothing about the protocol)."""
        self.config = config
        self.profile = profile
        self.resource_errors = resource_errors
        self._dispatch: dict[type[Frozen], Callable[[World, Frozen], list[Outcome]]] = {
            ProcessStart: self._process_start,  # type: ignore[dict-item]
            ProcessExit: self._process_exit,  # type: ignore[dict-item]
            WSAStartup: self._wsa_startup,  # type: ignore[dict-item]
            WSACleanup: self._wsa_cleanup,  # type: ignore[dict-item]
            WSASocket: self._wsa_socket,  # type: ignore[dict-item]
            WSASocketFromInfo: self._wsa_socket_from_info,  # type: ignore[dict-item]
            Bind: self._connection,  # type: ignore[dict-item]
            Listen: self._connection,  # type: ignore[dict-item]
            Connect: self._connection,  # type: ignore[dict-item]
            Accept: self._accept,  # type: ignore[dict-item]
            WSADuplicateSocket: self._wsa_duplicate_socket,  # type: ignore[dict-item]
            CloseSocket: self._closesocket,  # type: ignore[dict-item]
            Send: self._send,  # type: ignore[dict-item]
            Recv: self._recv,  # type: ignore[dict-item]
            RecvReturn: self._recv_return,  # type: ignore[dict-item]
            SetSockOpt: self._setsockopt,  # type: ignore[dict-item]
            GetSockOpt: self._getsockopt,  # type: ignore[dict-item]
            WSAEventSelect: self._select,  # type: ignore[dict-item]
            WSAAsyncSelect: self._select,  # type: ignore[dict-item]
            IoctlNonblocking: self._ioctl_nonblocking,  # type: ignore[dict-item]
            IpcSend: self._ipc_send,  # type: ignore[dict-item]
            IpcRecv: self._ipc_recv,  # type: ignore[dict-item]
            PeerSend: self._peer_send,  # type: ignore[dict-item]
            PeerSeesClose: self._peer_sees_close,  # type: ignore[dict-item]
            SpiStep: self._spi_step,  # type: ignore[dict-item]
            CallReturn: self._call_return,  # type: ignore[dict-item]
        }
        if profile.preplaced_handle_is_descriptor:
            for kind in _HANDLE_ACTIONS:
                self._dispatch[kind] = self._or_preplaced(self._dispatch[kind])

    # == public contract ==================================================================

    def initial_worlds(self) -> list[World]:
        """The worlds a run starts from: the first `running_at_start` processes running
        with `startups_at_start` WSAStartup calls made, the others not started (each
        will begin with as many once it starts); nothing else exists yet. One world: the
        model has no nondeterminism at the start."""
        c = self.config
        processes = tuple(
            Process(
                pid=i + 1,
                status="running" if i < c.running_at_start else "not_started",
                startups=c.startups_at_start,
            )
            for i in range(c.processes)
        )
        return [World(processes=processes, catalog=c.catalog)]

    def outcomes(self, world: World, action: Action) -> list[Outcome]:
        """Everything the model allows `action` to do in `world` (see the module doc)."""
        pid = getattr(action, "pid", None)
        if pid is not None:
            p = world.process(pid)
            if p is None:
                return []
            if p.status != "running":
                # A process that is not running makes no call; starting is the one thing
                # that happens to a process before it runs.
                if isinstance(action, ProcessStart) and p.status == "not_started":
                    return self._process_start(world, action)
                return []
            if self.config.granularity == "spi" and not isinstance(
                action, SpiStep | CallReturn | ProcessExit
            ):
                if world.call_of(pid) is not None:
                    return []  # a process makes one call at a time
                if isinstance(action, SPI_CALLS):
                    return self._begin(world, action)
        handler = self._dispatch.get(type(action))
        if handler is None:
            return []  # an action of another platform (a Linux call under Winsock)
        found = handler(world, action)
        if self.profile.environmental_errors and found and pid is not None:
            found = found + self._environmental(world, action)
        elif self.resource_errors and found and isinstance(action, self.ALLOCATING):
            found = found + self._resource_failures(world, action)
        return found

    def calls(self) -> frozenset[str]:
        """The names of the calls this step relation defines (those of its platform)."""
        return frozenset(t.model_fields["call"].default for t in self._dispatch)

    def successors(self, world: World) -> Iterator[tuple[Action, Outcome]]:
        """Every (action, outcome) pair enabled in `world`: the edges of the state graph."""
        for action in self.enabled(world):
            for outcome in self.outcomes(world, action):
                yield action, outcome

    def enabled(self, world: World) -> list[Action]:
        """The actions to try in `world`: every call the configuration's families allow,
        on every open descriptor, info and channel there is, plus the wrong-argument
        calls when the `errors` family is on. Some of them fail with a WSA error; that is
        part of the model. Actions that `outcomes` would answer with nothing are left out."""
        found = [a for a in self._candidates(world) if self.outcomes(world, a)]
        return found

    # == candidates ======================================================================

    def _candidates(self, w: World) -> Iterator[Action]:
        c = self.config
        errors = c.has("errors")
        for p in w.processes:
            if p.status == "not_started":
                if c.has("lifecycle"):
                    yield ProcessStart(pid=p.pid)
                continue
            if p.status != "running":
                continue
            pid = p.pid
            in_call = w.call_of(pid)
            if in_call is not None:
                step = in_call.next_step()
                if step is None:
                    yield CallReturn(pid=pid)
                else:
                    yield SpiStep(pid=pid, function=step.function, provider=step.provider)
                if c.has("lifecycle"):
                    yield ProcessExit(pid=pid)
                continue
            if c.has("lifecycle"):
                yield ProcessExit(pid=pid)
            if c.has("startup"):
                yield WSAStartup(pid=pid)
                if p.startups > 0 or errors:
                    yield WSACleanup(pid=pid)
            if p.startups == 0 and not errors:
                # Without WSAStartup every call fails; try those only among the errors.
                if c.has("ipc"):
                    yield from self._ipc_candidates(w, pid)
                continue
            if c.has("create"):
                for entry in w.catalog:
                    yield WSASocket(pid=pid, provider=entry.id)
            handles = [d.handle for d in w.descriptors_of(pid)]
            bad_handles = [NAMES_NOTHING] if errors else []
            if c.has("share"):
                targets = [q.pid for q in w.processes if q.status != "not_started"]
                if errors:
                    targets += [0, NONEXISTENT_PID]
                for h in handles + bad_handles:
                    for t in targets:
                        yield WSADuplicateSocket(pid=pid, handle=h, target_pid=t)
                    if errors:
                        yield WSADuplicateSocket(pid=pid, handle=h, target_pid=pid, buffer=False)
                for info in w.infos:
                    yield WSASocketFromInfo(pid=pid, info=info.id)
                if errors:
                    yield WSASocketFromInfo(pid=pid, info=None)
            for h in handles + bad_handles:
                if c.has("connection"):
                    yield Bind(pid=pid, handle=h)
                    yield Listen(pid=pid, handle=h)
                    yield Connect(pid=pid, handle=h)
                    yield Accept(pid=pid, handle=h)
                if c.has("close"):
                    yield CloseSocket(pid=pid, handle=h)
                if c.has("io"):
                    yield Send(pid=pid, handle=h)
                    yield Recv(pid=pid, handle=h)
                if c.has("options"):
                    yield SetSockOpt(pid=pid, handle=h, value="set")
                    yield SetSockOpt(pid=pid, handle=h, value="default")
                    yield GetSockOpt(pid=pid, handle=h)
                if c.has("events"):
                    for on in (True, False):
                        yield WSAEventSelect(pid=pid, handle=h, mask_nonzero=on)
                        yield WSAAsyncSelect(pid=pid, handle=h, mask_nonzero=on)
                        yield IoctlNonblocking(pid=pid, handle=h, nonblocking=on)
            if c.has("io"):
                for pr in w.pending:
                    if pr.pid == pid:
                        yield RecvReturn(pid=pid, handle=pr.handle)
            if c.has("ipc"):
                yield from self._ipc_candidates(w, pid)
        if c.has("io"):
            for s in w.sockets:
                yield PeerSend(socket=s.id)
                yield PeerSeesClose(socket=s.id)

    def _ipc_candidates(self, w: World, pid: int) -> Iterator[Action]:
        for q in w.processes:
            if q.pid == pid or q.status != "running":
                continue
            yield IpcSend(pid=pid, to=q.pid, message=PidRequest())
            yield IpcSend(pid=pid, to=q.pid, message=PidReply(pid=pid))
            yield IpcSend(pid=pid, to=q.pid, message=Done())
            for info in w.infos:
                yield IpcSend(pid=pid, to=q.pid, message=InfoMessage(info=info.id))
        for ch in w.channels:
            if ch.dst == pid:
                yield IpcRecv(pid=pid, sender=ch.src)

    # == shared pieces ===================================================================

    @staticmethod
    def _unchanged(w: World, error: ErrorCode, *rules: str) -> list[Outcome]:
        return [Outcome(Err(error=error), w, rules)]

    def _environmental(self, w: World, action: Action) -> list[Outcome]:
        """With environmental errors on, any call may fail for reasons outside the
        protocol, with those of the codes its page lists; such a failure changes nothing
        (design.md, bounds table)."""
        listed = CALL_ERRORS[action.call].codes if action.call in CALL_ERRORS else frozenset()
        return [Outcome(Err(error=e), w, ("ENV",)) for e in sorted(ENVIRONMENTAL & listed)]

    def _resource_failures(self, w: World, action: Action) -> list[Outcome]:
        """A call that allocates runs out of buffers or descriptors (every such page lists
        WSAENOBUFS and WSAEMFILE): it fails and changes nothing."""
        rule = CALL_ERRORS[action.call].rule
        return [Outcome(Err(error=e), w, ("ENV", rule)) for e in sorted(RESOURCE)]

    def _prolog(self, w: World, pid: int) -> WsaError | None:
        """ws2_32's check before any provider runs: WSAStartup must have been called
        (R46, R48, R50 list WSANOTINITIALISED first)."""
        p = w.process(pid)
        assert p is not None
        return E.WSANOTINITIALISED if p.startups == 0 else None

    def _lookup(
        self, w: World, pid: int, handle: int
    ) -> tuple[Descriptor, UnderlyingSocket] | WsaError:
        """The prolog, then the descriptor: an unknown or closed value is WSAENOTSOCK (R36).
        Under `startup_checked_by` "create_and_close" the prolog is skipped (closesocket
        runs it itself); the calls find no descriptor in a process without WSAStartup."""
        if self.profile.startup_checked_by == "every_call":
            error = self._prolog(w, pid)
            if error is not None:
                return error
        d = w.descriptor(pid, handle)
        if d is None:
            return E.WSAENOTSOCK
        s = w.sockets[d.socket]
        if not s.open:
            # A descriptor to a socket already released: only under a profile whose
            # infos do not pin their socket (ReactOS answers "socket is closing").
            return E.WSAENOTSOCK
        return d, s

    def _allocate(self, w: World, pid: int) -> int | None:
        return w.lowest_free_handle(pid, self.config.max_handles)

    def _or_preplaced(
        self, handler: Callable[[World, Frozen], list[Outcome]]
    ) -> Callable[[World, Frozen], list[Outcome]]:
        """D5 (Wine, `preplaced_handle_is_descriptor`): a call on a value that names no
        descriptor the caller was given (NAMES_NOTHING: a closed value, or one read from
        an info's bytes) may name a handle pre-placed in the caller that no WSASocket has
        returned yet, which no observer can have bound to a descriptor: the call then acts
        on that handle, as the handler says for its slot (R36 and the list check below)."""

        def handle(w: World, a: Frozen) -> list[Outcome]:
            found = handler(w, a)
            pid, value = getattr(a, "pid", None), getattr(a, "handle", None)
            if value != NAMES_NOTHING or pid is None:
                return found
            seen = {(o.result, o.world) for o in found}
            for d in w.descriptors_of(pid):
                if d.listed:
                    continue
                for o in handler(w, a.model_copy(update={"handle": d.handle})):
                    if (o.result, o.world) not in seen:
                        seen.add((o.result, o.world))
                        found.append(Outcome(o.result, o.world, (*o.rules, "D5")))
            return found

        return handle

    def _listed_only(self, w: World, d: Descriptor, passed: list[Outcome]) -> list[Outcome]:
        """closesocket, getsockopt and send look the value up in ws2_32's socket list
        first (Wine; recv and the others do not): a handle pre-placed by
        WSADuplicateSocket that no WSASocket returned is not in it, so they fail with
        WSAENOTSOCK, unless one of the process's stale entries (whose values the model
        does not keep) has its value (D5, R36)."""
        if d.listed:
            return passed
        p = w.process(d.pid)
        assert p is not None
        refused = self._unchanged(w, E.WSAENOTSOCK, "R36", "D5")
        return refused + (passed if p.stale_listings else [])

    def _list_value(self, w: World, pid: int, value: int) -> World:
        """A WSASocket that hands back `value` without making a descriptor adds it to the
        socket list (Wine): a pre-placed handle it names becomes listed; any other value
        gains an entry that no close of a descriptor removes (see _relisted)."""
        d = w.descriptor(pid, value) if value != NAMES_NOTHING else None
        if d is not None and not d.listed:
            return _replace_descriptor(w, d, d.model_copy(update={"listed": True}))
        return self._relisted(w, pid)

    def close_descriptor(self, w: World, d: Descriptor) -> tuple[World, tuple[str, ...]]:
        """Deallocate one descriptor (R33); cancel the calls this process has pending on
        it (R35) and, per D9, the registration it made; release the socket if this was
        the last reference (R34)."""
        rules: tuple[str, ...] = ("R33", "R35", "R36")
        w = w.model_copy(
            update={
                "ws2_handles": tuple(x for x in w.ws2_handles if x != (d.pid, d.handle)),
                "descriptors": tuple(x for x in w.descriptors if x is not d and x != d),
                "pending": tuple(
                    pr.model_copy(update={"cancelled": True})
                    if (pr.pid, pr.handle) == (d.pid, d.handle)
                    else pr
                    for pr in w.pending
                ),
            }
        )
        if self.profile.registration_on_owner_close == "cancelled":
            w = w.model_copy(
                update={
                    "registrations": tuple(
                        r
                        for r in w.registrations
                        if (r.owner_pid, r.owner_handle) != (d.pid, d.handle)
                    )
                }
            )
            rules += ("D9",)
        if self.profile.relists_returned_handles or self.profile.preplaced_handle_is_descriptor:
            # The first descriptor an info gave (or its pre-placed handle) is gone: a use
            # returns its old value, which a later allocation may give another descriptor
            # (see _reuse).
            w = w.model_copy(
                update={
                    "infos": tuple(
                        i.model_copy(update={"first_handle": None})
                        if i.target_pid == d.pid and i.first_handle == d.handle
                        else i
                        for i in w.infos
                    )
                }
            )
        w, released = _release_unreferenced(w, (d.socket,))
        if released:
            rules += ("R34",)
        return w, rules

    # == process life ====================================================================

    def _process_start(self, w: World, a: ProcessStart) -> list[Outcome]:
        p = w.process(a.pid)
        if p is None or p.status != "not_started":
            return []
        return [Outcome(Ok(), _put_process(w, p.model_copy(update={"status": "running"})), ())]

    def _process_exit(self, w: World, a: ProcessExit) -> list[Outcome]:
        """Exit closes every descriptor of the process (R33 for each) and the handles
        pre-placed in it by infos it never used (D5); messages to it are lost; sockets
        nothing references any more are released (R34)."""
        p = w.process(a.pid)
        assert p is not None
        touched = [d.socket for d in w.descriptors if d.pid == a.pid]
        touched += [i.socket for i in w.infos if i.target_pid == a.pid and i.holds_reference]
        w = _put_process(
            w, p.model_copy(update={"status": "exited", "startups": 0, "stale_listings": 0})
        )
        w = w.model_copy(
            update={
                "descriptors": tuple(d for d in w.descriptors if d.pid != a.pid),
                "pending": tuple(pr for pr in w.pending if pr.pid != a.pid),
                "registrations": tuple(r for r in w.registrations if r.owner_pid != a.pid),
                "infos": tuple(
                    i.model_copy(update={"holds_reference": False})
                    if i.target_pid == a.pid and i.holds_reference
                    else i
                    for i in w.infos
                ),
                "channels": tuple(c for c in w.channels if c.dst != a.pid),
                "calls": tuple(c for c in w.calls if c.pid != a.pid),
                "ws2_handles": tuple(x for x in w.ws2_handles if x[0] != a.pid),
            }
        )
        w, _ = _release_unreferenced(w, touched)
        return [Outcome(Ok(), w, ("R33", "R34", "D5"))]

    # == WSAStartup / WSACleanup ===========================================================

    def _wsa_startup(self, w: World, a: WSAStartup) -> list[Outcome]:
        p = w.process(a.pid)
        assert p is not None
        if p.startups >= self.config.max_startups:
            return []
        return [
            Outcome(Ok(), _put_process(w, p.model_copy(update={"startups": p.startups + 1})), ())
        ]

    def _wsa_cleanup(self, w: World, a: WSACleanup) -> list[Outcome]:
        """The last WSACleanup closes the process's descriptors as closesocket would
        (R39; D10: a non-abortive close of each, so shared sockets live on)."""
        p = w.process(a.pid)
        assert p is not None
        if p.startups == 0:
            return self._unchanged(w, E.WSANOTINITIALISED, "R39")
        last = p.startups == 1
        # The last WSACleanup empties the socket list, stale entries included (Wine).
        stale = 0 if last else p.stale_listings
        w = _put_process(
            w, p.model_copy(update={"startups": p.startups - 1, "stale_listings": stale})
        )
        rules: tuple[str, ...] = ("R39",)
        if not (last and self.profile.cleanup_closes_descriptors):
            return [Outcome(Ok(), w, rules)]
        # ws2_32 closes what its socket list holds: every descriptor, except handles
        # pre-placed in the process that no WSASocket returned (Wine, D5) ...
        unlisted = [d for d in w.descriptors_of(a.pid) if not d.listed]
        for d in w.descriptors_of(a.pid):
            if d.listed:
                w, closed_rules = self.close_descriptor(w, d)
                rules += closed_rules
        # ... unless a stale entry has the value of one (at most one per entry).
        found = []
        for k in range(min(p.stale_listings, len(unlisted)) + 1):
            for gone in combinations(unlisted, k):
                w2, more = w, rules
                for d in gone:
                    w2, closed_rules = self.close_descriptor(w2, d)
                    more += (*closed_rules, "D5")
                found.append(Outcome(Ok(), w2, tuple(dict.fromkeys(more))))
        return found

    # == creating descriptors ==============================================================

    def _wsa_socket(self, w: World, a: WSASocket) -> list[Outcome]:
        error = self._prolog(w, a.pid)
        if error is not None:
            return self._unchanged(w, error, "R48")
        entry = entry_of(w.catalog, a.provider)
        if entry is None:
            return self._unchanged(w, E.WSAEINVAL, "R48")
        if entry.fails_to_load_in(a.pid) is not None:
            return self._unchanged(w, entry.fails_to_load_in(a.pid) or E.WSAEINVAL, "R48")
        if len(w.sockets) >= self.config.max_sockets:
            return []
        base = chain(w.catalog, a.provider)[-1]
        s = UnderlyingSocket(id=len(w.sockets), creator=a.pid, provider=base.id)
        w = w.model_copy(update={"sockets": (*w.sockets, s)})
        return self._new_descriptor(w, a.pid, s.id, "created", a.provider, None, ("R36",))

    def _new_descriptor(
        self,
        w: World,
        pid: int,
        socket: int,
        origin: DescriptorOrigin,
        provider: int,
        info: int | None,
        rules: tuple[str, ...],
    ) -> list[Outcome]:
        """Allocate the application's handle for `socket` from catalog entry `provider`:
        with WPUModifyIFSHandle or WPUCreateSocketHandle by the entry's kind (R20, R22,
        R23). A stack without WPUCreateSocketHandle (ReactOS) hands back a value that
        names nothing and no descriptor (D15)."""
        entry = w.catalog[provider]
        if entry.handles == "non_ifs" and (
            self.profile.wpu_create_socket_handle == "unimplemented"
        ):
            w, _ = _release_unreferenced(w, (socket,))
            return [Outcome(Ok(value=NAMES_NOTHING), w, ("D15",))]
        h = self._allocate(w, pid)
        if h is None:
            return []
        atomic = self.config.granularity == "api"
        d = Descriptor(
            pid=pid,
            handle=h,
            socket=socket,
            origin=origin,
            info=info,
            provider=provider,
            allocation=entry.handles if atomic else None,
        )
        w = _add_descriptor(w, d)
        if atomic and entry.handles == "non_ifs":
            w = w.model_copy(update={"ws2_handles": tuple(sorted({*w.ws2_handles, (pid, h)}))})
        return [Outcome(Ok(value=h), w, (*rules, "R20"))]

    def _wsa_socket_from_info(self, w: World, a: WSASocketFromInfo) -> list[Outcome]:
        """The target's half of the handoff (R1, R14): the order of checks is ws2_32's
        prolog (a failure there never reaches the provider and consumes nothing, D2),
        then the contents of the info (R48), then whose it is (R4, D1), then whether it
        was used (R2, R3, D3)."""
        if a.info is not None and a.info < len(w.infos) and self._unreturned(w, a.info):
            return []  # its bytes are still inside the source's WSADuplicateSocket call
        error = self._prolog(w, a.pid)
        if error is not None:
            return self._unchanged(w, error, "R48", "D2")
        if a.info is None or a.info >= len(w.infos):
            return self._corrupt_info(w, a.pid)
        info = w.infos[a.info]
        if info.variant != a.variant:
            # ANSI bytes read as a WSAPROTOCOL_INFOW, or the reverse: invalid contents.
            return self._unchanged(w, E.WSAEINVAL, "R48", "D11")
        entry = entry_of(w.catalog, info.catalog_entry)
        if entry is None:
            return self._unchanged(w, E.WSAEINVAL, "R17", "R48")
        load_error = entry.fails_to_load_in(a.pid)
        if load_error is not None:
            # ws2_32 routes to the entry (R17) and cannot load its provider (C27).
            return self._unchanged(w, load_error, "R17", "R48", "D2")
        if info.context == "none" and a.pid == info.target_pid:
            # The provider's context names no handle for this process to adopt (R13,
            # R15): nothing was prepared in the source.
            return self._failed_use(w, info, ("R13", "R15"))
        if info.context == "dead":
            # Wine: the info names a handle value in a process that is gone; the caller
            # gets a value that names nothing.
            return [Outcome(Ok(value=NAMES_NOTHING), self._relisted(w, a.pid), ("D6",))]
        if a.pid != info.target_pid:
            return self._wrong_process(w, a.pid, info)
        if info.consumed:
            return self._reuse(w, a.pid, info)
        rules = ("R1", "R2", "R14", "R15", "R17", "R36", "R40", "D2") + (
            ("R45",) if entry.kind == "layered" else ()
        )
        if self.profile.preplaced_handle_is_descriptor and info.context == "handle_in_target":
            return self._adopt_preplaced(w, a.pid, info, rules)
        socket = w.sockets[info.socket]
        if not socket.open and self.profile.use_of_released_info == "einval":
            # Only reachable when infos do not pin their socket (info_pins_socket off):
            # the source's last close released it before the target came (D4).
            return self._failed_use(w, info, ("R40", "D4"))
        consumed = info.model_copy(
            update={
                "consumed": True,
                "uses": _one_more_use(info),
                # the pre-placed handle becomes this descriptor
                "holds_reference": False,
            }
        )
        found = []
        for o in self._new_descriptor(
            _put_info(w, consumed),
            a.pid,
            info.socket,
            "info",
            info.catalog_entry,
            info.id,
            # R15/R45: the provider's context (a layer keeps its base's) finds the handle.
            rules,
        ):
            value = o.result.value if isinstance(o.result, Ok) else None
            first = value if isinstance(value, int) and value != NAMES_NOTHING else None
            w2 = _put_info(
                o.world, o.world.infos[info.id].model_copy(update={"first_handle": first})
            )
            found.append(Outcome(o.result, w2, o.rules))
        return found

    def _corrupt_info(self, w: World, pid: int) -> list[Outcome]:
        """WSASocket with bytes that are no info this stack minted (C28): the documented
        failure (R48), or what the profile says the stack makes of them (D12: Wine reads
        its own fields, dwServiceFlags3/4, and nothing else)."""
        found: list[Outcome] = []
        allowed = self.profile.corrupt_info_outcomes
        if "einval" in allowed:
            found += self._unchanged(w, E.WSAEINVAL, "R48")
        if "fresh_socket" in allowed and len(w.sockets) < self.config.max_sockets:
            s = UnderlyingSocket(id=len(w.sockets), creator=pid)
            fresh = w.model_copy(update={"sockets": (*w.sockets, s)})
            for o in self._new_descriptor(fresh, pid, s.id, "created", 0, None, ("D12",)):
                found.append(o)
        if "carried_value" in allowed:
            for v in [NAMES_NOTHING, *(d.handle for d in w.descriptors_of(pid))]:
                found.append(Outcome(Ok(value=v), self._list_value(w, pid, v), ("D12",)))
        return found

    def _adopt_preplaced(
        self, w: World, pid: int, info: ProtocolInfo, rules: tuple[str, ...]
    ) -> list[Outcome]:
        """The target's first use under `preplaced_handle_is_descriptor` (Wine; R1, R2,
        R14, D5): WSASocket returns the value the info carries, the handle pre-placed at
        duplication (see _mint), and lists it; the pre-placed descriptor becomes the
        target's descriptor from the info. If that handle was closed meanwhile (a
        closesocket or WSACleanup through a stale entry with its value), the value names
        nothing, or whatever the process was given at it since (D3, as in _reuse)."""
        w = _put_info(w, info.model_copy(update={"consumed": True, "uses": _one_more_use(info)}))
        h = info.first_handle
        d = w.descriptor(pid, h) if h is not None else None
        if d is not None and d.origin == "preplaced" and d.info == info.id:
            adopted = d.model_copy(update={"origin": "info", "listed": True})
            w2 = _replace_descriptor(w, d, adopted)
            if d.listed:
                w2 = self._relisted(w2, pid)  # a use elsewhere had listed the value
            return [Outcome(Ok(value=d.handle), w2, (*rules, "D5"))]
        values = [NAMES_NOTHING, *(x.handle for x in w.descriptors_of(pid))]
        return [Outcome(Ok(value=v), self._list_value(w, pid, v), ("D3", "D5")) for v in values]

    @staticmethod
    def _unreturned(w: World, info: int) -> bool:
        """At spi granularity: the call that minted `info` has not returned, so no
        process can hold its bytes yet."""
        call = w.call_of(w.infos[info].source_pid)
        return (
            call is not None
            and isinstance(call.action, WSADuplicateSocket)
            and isinstance(call.result, Ok)
            and call.result.value == info
        )

    def _failed_use(self, w: World, info: ProtocolInfo, rules: tuple[str, ...]) -> list[Outcome]:
        if self.profile.failed_use_consumes_info:
            w = _put_info(w, info.model_copy(update={"consumed": True}))
        return [Outcome(Err(error=E.WSAEINVAL), w, (*rules, "D2"))]

    def _wrong_process(self, w: World, pid: int, info: ProtocolInfo) -> list[Outcome]:
        """An info presented by a process it was not minted for (R4, D1). It never gives
        that process a descriptor to the info's socket."""
        found: list[Outcome] = []
        allowed = self.profile.wrong_process_outcomes
        if "einval" in allowed:
            found += self._failed_use(w, info, ("R4", "D1"))
        if "foreign_handle" in allowed:
            # The pre-placed handle value means something else, or nothing, here: under
            # `preplaced_handle_is_descriptor` possibly a handle pre-placed in the caller
            # for another info, which the use lists (D5).
            for v in [NAMES_NOTHING, *(d.handle for d in w.descriptors_of(pid))]:
                found.append(Outcome(Ok(value=v), self._list_value(w, pid, v), ("D1",)))
        return found

    def _relisted(self, w: World, pid: int) -> World:
        """A WSASocket that hands back a value without a new descriptor: under
        `relists_returned_handles` the value gains an entry in the socket list that no
        close of its descriptor removes (one stale entry more)."""
        if not self.profile.relists_returned_handles:
            return w
        p = w.process(pid)
        assert p is not None
        # Exploration keeps at most max_handles stale entries per process (a bound, so
        # that a run of reuses does not make the space infinite; a checked trace has no
        # bound); past it, the entries beyond are not offered for later closes.
        stale = min(p.stale_listings + 1, self.config.max_handles)
        return _put_process(w, p.model_copy(update={"stale_listings": stale}))

    def _reuse(self, w: World, pid: int, info: ProtocolInfo) -> list[Outcome]:
        """A second WSASocket with a consumed info (R2, R3, D3). No outcome adds a
        reference to the socket."""
        found: list[Outcome] = []
        allowed = self.profile.reuse_outcomes
        if "einval" in allowed:
            found.append(Outcome(Err(error=E.WSAEINVAL), w, ("R2", "R3")))
        if "same_handle" in allowed:
            h = info.first_handle
            named = w.descriptor(pid, h) if h is not None else None
            values = [h if named is not None and h is not None else NAMES_NOTHING]
            if h is None and self.profile.relists_returned_handles:
                # The first descriptor was closed (see close_descriptor): its value now
                # names nothing, or whichever descriptor of the caller was given it
                # since (a pre-placed handle included, D5); the model's slots do not
                # follow Wine's values that far.
                values += [d.handle for d in w.descriptors_of(pid)]
            w2 = _put_info(w, info.model_copy(update={"uses": _one_more_use(info)}))
            found += [Outcome(Ok(value=v), self._list_value(w2, pid, v), ("D3",)) for v in values]
        return found

    # == duplication =======================================================================

    def _wsa_duplicate_socket(self, w: World, a: WSADuplicateSocket) -> list[Outcome]:
        """The source's half (R1, R13): checks in the order the Windows tests show (R7):
        the descriptor, then the target pid (R6, D6), then the output buffer (R46)."""
        if self.profile.startup_checked_by == "every_call":
            error = self._prolog(w, a.pid)
            if error is not None:
                return self._unchanged(w, error, "R46")
        if not self.profile.sharing_supported:
            return self._unchanged(w, E.WSASYSCALLFAILURE, "R12")
        found = self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            return self._unchanged(w, found, "R7", "R36", "R46")
        d, s = found
        target = w.process(a.target_pid) if a.target_pid != NONEXISTENT_PID else None
        if target is not None and target.status == "exited":
            return self._duplicate_to_exited(w, a, d, s)
        context: InfoContext = "handle_in_target"
        if target is None or target.status == "not_started":
            if self.profile.validate_target_pid:
                return self._unchanged(w, E.WSAEINVAL, "R6", "R7", "R46")
            context = "none"
        return self._mint(w, a, d, s, context)

    def _duplicate_to_exited(
        self, w: World, a: WSADuplicateSocket, d: Descriptor, s: UnderlyingSocket
    ) -> list[Outcome]:
        """D6: each answer the profile allows for a target that has exited."""
        found: list[Outcome] = []
        allowed = self.profile.duplicate_to_exited
        if "einval" in allowed:
            found += self._unchanged(w, E.WSAEINVAL, "R6", "D6")
        if "emfile" in allowed:
            found += self._unchanged(w, E.WSAEMFILE, "D6")
        if "dead_info" in allowed:
            found += self._mint(w, a, d, s, "dead")
        return found

    def _mint(
        self,
        w: World,
        a: WSADuplicateSocket,
        d: Descriptor,
        s: UnderlyingSocket,
        context: InfoContext,
    ) -> list[Outcome]:
        """The provider prepares the target's handle and fills the info (R13, R15, R16);
        the NULL buffer is found after the pid (R7)."""
        if not a.buffer:
            return self._unchanged(w, E.WSAEFAULT, "R7", "R46")
        if len(w.infos) >= self.config.max_infos:
            return []
        info = ProtocolInfo(
            id=len(w.infos),
            source_pid=a.pid,
            source_handle=d.handle,
            socket=s.id,
            target_pid=a.target_pid,
            catalog_entry=d.provider,
            variant=a.variant,
            context=context,
            holds_reference=self.profile.info_pins_socket and context == "handle_in_target",
        )
        rules: tuple[str, ...] = ("R1", "R4", "R8", "R40")
        if context == "handle_in_target" and self.profile.preplaced_handle_is_descriptor:
            placed = self._preplace(w, a.target_pid, info)
            if placed is None:
                return []  # the target's handle table is full: beyond the bounds
            w, info = placed
            rules += ("D5",)
        w = w.model_copy(update={"infos": (*w.infos, info)})
        return [Outcome(Ok(value=info.id), w, rules)]

    def _preplace(
        self, w: World, target: int, info: ProtocolInfo
    ) -> tuple[World, ProtocolInfo] | None:
        """D5 under `preplaced_handle_is_descriptor` (Wine: DuplicateHandle into the
        target at WSADuplicateSocket, semantics.md B.1): the pre-placed handle takes the
        target's lowest free slot now, as a descriptor of the target that ws2_32's socket
        list does not hold yet; it, not the info, keeps the socket alive (R40), and the
        info carries its slot, which WSASocket will return (first_handle)."""
        h = self._allocate(w, target)
        if h is None:
            return None
        entry = w.catalog[info.catalog_entry]
        placed = Descriptor(
            pid=target,
            handle=h,
            socket=info.socket,
            origin="preplaced",
            info=info.id,
            provider=info.catalog_entry,
            allocation=entry.handles,
            listed=False,
        )
        w = _add_descriptor(w, placed)
        if entry.handles == "non_ifs":
            w = w.model_copy(update={"ws2_handles": tuple(sorted({*w.ws2_handles, (target, h)}))})
        return w, info.model_copy(update={"holds_reference": False, "first_handle": h})

    # == closing ===========================================================================

    def _closesocket(self, w: World, a: CloseSocket) -> list[Outcome]:
        # closesocket checks WSAStartup under every profile (_lookup may not).
        found = self._prolog(w, a.pid) or self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            failed = self._unchanged(w, found, "R36", "R50")
            p = w.process(a.pid)
            if found == E.WSAENOTSOCK and p is not None and p.stale_listings:
                # The value may be one with a stale entry (the model does not know which
                # values have one): the close removes it and succeeds (D3, Wine).
                less = p.model_copy(update={"stale_listings": p.stale_listings - 1})
                failed.append(Outcome(Ok(), _put_process(w, less), ("D3",)))
            return failed
        d, _ = found
        if not d.listed:
            # A pre-placed handle no WSASocket returned: socket_list_remove does not find
            # it (WSAENOTSOCK), unless a stale entry has its value; then the close
            # removes that entry and closes the handle (D5).
            p = w.process(a.pid)
            assert p is not None
            less = p.model_copy(update={"stale_listings": max(0, p.stale_listings - 1)})
            closed, rules = self.close_descriptor(_put_process(w, less), d)
            return self._listed_only(w, d, [Outcome(Ok(), closed, (*rules, "D5"))])
        w, rules = self.close_descriptor(w, d)
        return [Outcome(Ok(), w, rules)]

    # == connection state (common to every descriptor, R28) ================================

    def _connection(self, w: World, a: Bind | Listen | Connect) -> list[Outcome]:
        """bind, listen and connect move the socket's connection state, which every
        descriptor shares (R28), or fail as the table says."""
        found = self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            return self._unchanged(w, found, "R36")
        _, s = found
        target = _CONNECTION[a.call][s.state]
        if isinstance(target, WsaError):
            return self._unchanged(w, target, "R28")
        after = _put_socket(w, s.model_copy(update={"state": target}))
        if a.call == "connect" and s.nonblocking:
            # connect's page: on a nonblocking socket the attempt cannot complete at
            # once, so the call fails with WSAEWOULDBLOCK and the connection goes on in
            # the background (the blocking mode is the socket's, R28, R31; seen in Wine).
            return [Outcome(Err(error=E.WSAEWOULDBLOCK), after, ("R28", "R31"))]
        return [Outcome(Ok(), after, ("R28",))]

    def _accept(self, w: World, a: Accept) -> list[Outcome]:
        found = self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            return self._unchanged(w, found, "R36")
        d, s = found
        if s.state != "listening":
            return self._unchanged(w, E.WSAEINVAL, "R28")
        if len(w.sockets) >= self.config.max_sockets:
            return []
        new = UnderlyingSocket(
            id=len(w.sockets), creator=a.pid, state="connected", provider=s.provider
        )
        w = w.model_copy(update={"sockets": (*w.sockets, new)})
        return self._new_descriptor(
            w, a.pid, new.id, "accepted", d.provider, None, ("R26", "R28", "R36")
        )

    # == data (each descriptor does I/O on its own, R26; no arbitration, R27) ===============

    def _send(self, w: World, a: Send) -> list[Outcome]:
        found = self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            return self._unchanged(w, found, "R36")
        d, s = found
        if s.state != "connected":
            # WSAENOTCONN by the page; Wine's answer differs (knob send_unconnected_error).
            error = WsaError[self.profile.send_unconnected_error]
            return self._listed_only(w, d, self._unchanged(w, error, "R28"))
        return self._listed_only(w, d, [Outcome(Ok(), w, ("R26", "R27"))])

    def _recv(self, w: World, a: Recv) -> list[Outcome]:
        found = self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            return self._unchanged(w, found, "R36")
        _, s = found
        if s.state != "connected":
            return self._unchanged(w, E.WSAENOTCONN, "R28")
        if s.inbound == "some":
            w = _put_socket(w, s.model_copy(update={"inbound": "none"}))
            return [Outcome(Ok(value="data"), w, ("R26", "R27", "R28"))]
        if s.nonblocking:
            return self._unchanged(w, E.WSAEWOULDBLOCK, "R28", "R31")
        if any((pr.pid, pr.handle) == (a.pid, a.handle) for pr in w.pending):
            return []  # one blocked call per descriptor is the model's bound
        w = w.model_copy(
            update={
                "pending": tuple(
                    sorted(
                        (*w.pending, PendingRecv(pid=a.pid, handle=a.handle, socket=s.id)),
                        key=lambda pr: (pr.pid, pr.handle),
                    )
                )
            }
        )
        return [Outcome(Pending(), w, ("R26",))]

    def _recv_return(self, w: World, a: RecvReturn) -> list[Outcome]:
        """A blocked recv returns: with WSAEINTR when this process closed the descriptor
        it waited on (R35), with data once some arrived; otherwise it keeps waiting."""
        pending = next((pr for pr in w.pending if (pr.pid, pr.handle) == (a.pid, a.handle)), None)
        if pending is None:
            return []
        rest = tuple(pr for pr in w.pending if pr is not pending and pr != pending)
        if pending.cancelled:
            return [
                Outcome(Err(error=E.WSAEINTR), w.model_copy(update={"pending": rest}), ("R35",))
            ]
        s = w.sockets[pending.socket]
        if s.inbound != "some":
            return []
        w = _put_socket(w, s.model_copy(update={"inbound": "none"}))
        return [Outcome(Ok(value="data"), w.model_copy(update={"pending": rest}), ("R26", "R35"))]

    def _peer_send(self, w: World, a: PeerSend) -> list[Outcome]:
        if a.socket >= len(w.sockets):
            return []
        s = w.sockets[a.socket]
        if not s.open or s.state != "connected" or s.inbound == "some":
            return []
        return [Outcome(Ok(), _put_socket(w, s.model_copy(update={"inbound": "some"})), ())]

    def _peer_sees_close(self, w: World, a: PeerSeesClose) -> list[Outcome]:
        """The peer sees FIN only after the last reference went (R33, R34)."""
        if a.socket >= len(w.sockets):
            return []
        s = w.sockets[a.socket]
        if s.open or s.state != "connected":
            return []
        return [Outcome(Ok(), w, ("R33", "R34"))]

    def refusal_rules(self, w: World, action: Action) -> tuple[str, ...]:
        """The rules behind `outcomes` offering nothing for `action`, where a rule says
        so: a blocked recv stays blocked when another process closes (R35); the peer
        sees no FIN while a reference remains (R33)."""
        if isinstance(action, RecvReturn):
            return ("R35",)
        if isinstance(action, PeerSeesClose):
            return ("R33", "R40")
        if isinstance(action, SpiStep | CallReturn):
            # An SPI step out of order, or a return before the steps the plan still
            # owes: the rules behind the step that should have come. A step the plan
            # has no place for at all (WPUCloseSocketHandle on an IFS handle) breaks the
            # rules that say when that function runs.
            call = w.call_of(action.pid)
            step = call.next_step() if call is not None else None
            owed = _SPI_RULES[step.function] if step is not None else ()
            if isinstance(action, SpiStep):
                later = call.steps[call.done :] if call is not None else ()
                if all(s.function != action.function for s in later):
                    return tuple(dict.fromkeys((*_SPI_RULES[action.function], *owed)))
            return owed
        return ()

    # == spi granularity: begin, SPI steps, return ===============================================

    def _begin(self, w: World, a: Action) -> list[Outcome]:
        """The application enters ws2_32: the call's SPI plan is laid out (spi.plan) and
        the call does not return until its steps have run."""
        if not self._fits(w, a):
            return []
        call = InCall(pid=a.pid, action=a, steps=spi.plan(w, a))  # type: ignore[union-attr]
        calls = tuple(sorted((*w.calls, call), key=lambda c: c.pid))
        return [Outcome(Pending(), w.model_copy(update={"calls": calls}), ("R17",))]

    def _fits(self, w: World, a: Action) -> bool:
        """A call begins only if the configuration's bounds leave room for it, counting
        the calls already under way: bounds cut exploration, and a call that could never
        finish would leave its process stuck inside ws2_32."""
        if not self._dispatch[type(a)](w, a):
            return False
        started = [c.action for c in w.calls if c.result is None]
        if isinstance(a, WSASocket):
            making = sum(isinstance(x, WSASocket) for x in started)
            return len(w.sockets) + making < self.config.max_sockets
        if isinstance(a, WSADuplicateSocket):
            making = sum(isinstance(x, WSADuplicateSocket) for x in started)
            return len(w.infos) + making < self.config.max_infos
        return True

    def _spi_step(self, w: World, a: SpiStep) -> list[Outcome]:
        """Run the next step of the call `a.pid` is inside of. The deciding step applies
        the API transition; allocation steps record how the handle was made (R20, R22,
        R23) and enter it in ws2_32's table (R23); WPUCloseSocketHandle takes it out
        (R24)."""
        call = w.call_of(a.pid)
        step = call.next_step() if call is not None else None
        if (
            call is None
            or step is None
            or (step.function, step.provider) != (a.function, a.provider)
            # An observed info entry must be the one this layer receives (R43).
            or (a.info_entry is not None and a.info_entry != step.info_entry)
        ):
            return []
        rules = _SPI_RULES[step.function]
        if step.decides:
            return [
                self._decided(w, call, o, rules)
                for o in self._dispatch[type(call.action)](w, call.action)
            ]
        value: int | None = None
        result = call.result
        handle = result.value if isinstance(result, Ok) else None
        if step.allocates and isinstance(handle, int) and handle != NAMES_NOTHING:
            value = handle
            d = w.descriptor(a.pid, handle)
            if d is not None and d.allocation is None:
                kind = "ifs" if step.function == "WPUModifyIFSHandle" else "non_ifs"
                w = _replace_descriptor(w, d, d.model_copy(update={"allocation": kind}))
            if step.function == "WPUCreateSocketHandle":
                w = w.model_copy(
                    update={"ws2_handles": tuple(sorted({*w.ws2_handles, (a.pid, handle)}))}
                )
        if step.function == "WPUCloseSocketHandle" and isinstance(call.action, CloseSocket):
            top = call.steps[0].provider
            if step.provider == top:
                gone = (a.pid, call.action.handle)
                w = w.model_copy(
                    update={"ws2_handles": tuple(x for x in w.ws2_handles if x != gone)}
                )
        w = _put_call(w, call.model_copy(update={"done": call.done + 1}))
        return [Outcome(Ok(value=value), w, rules)]

    def _decided(self, before: World, call: InCall, o: Outcome, rules: tuple[str, ...]) -> Outcome:
        w = o.world
        steps = call.steps if isinstance(o.result, Ok) else call.steps[: call.done + 1]
        a = call.action
        if isinstance(a, CloseSocket) and (a.pid, a.handle) in before.ws2_handles:
            # The handle leaves ws2_32's table at WPUCloseSocketHandle, not here.
            w = w.model_copy(
                update={"ws2_handles": tuple(sorted({*w.ws2_handles, (a.pid, a.handle)}))}
            )
        w = _put_call(
            w, call.model_copy(update={"done": call.done + 1, "steps": steps, "result": o.result})
        )
        provider_result: Ok | Err | Pending = o.result if isinstance(o.result, Err) else Ok()
        fault = isinstance(o.result, Err) and o.result.error == E.WSAEFAULT
        if isinstance(a, WSADuplicateSocket) and not a.buffer and fault:
            # The provider filled ws2_32's own buffer; ws2_32 then fails to copy it out
            # to the caller's NULL pointer. That keeps the order R7 shows and the list
            # of R47, which has no WSAEFAULT (D8).
            provider_result = Ok()
        return Outcome(provider_result, w, (*o.rules, *rules))

    def _call_return(self, w: World, a: CallReturn) -> list[Outcome]:
        """The call returns to the application with the result its deciding step gave,
        or, when no provider was involved, with ws2_32's own answer."""
        call = w.call_of(a.pid)
        if call is None or call.next_step() is not None:
            return []
        rest = w.model_copy(update={"calls": tuple(c for c in w.calls if c.pid != a.pid)})
        if call.result is None:
            return self._dispatch[type(call.action)](rest, call.action)
        return [Outcome(call.result, rest, ())]

    # == options and notification ==========================================================

    def _setsockopt(self, w: World, a: SetSockOpt) -> list[Outcome]:
        found = self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            return self._unchanged(w, found, "R36")
        _, s = found
        return [Outcome(Ok(), _put_socket(w, s.model_copy(update={"option": a.value})), ("R28",))]

    def _getsockopt(self, w: World, a: GetSockOpt) -> list[Outcome]:
        found = self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            return self._unchanged(w, found, "R36")
        d, s = found
        return self._listed_only(w, d, [Outcome(Ok(value=s.option), w, ("R28",))])

    def _select(self, w: World, a: WSAEventSelect | WSAAsyncSelect) -> list[Outcome]:
        """A registration through any descriptor replaces the socket's registration,
        whoever made it (R30); a zero mask only cancels; either call makes the socket
        nonblocking (R31)."""
        found = self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            return self._unchanged(w, found, "R36")
        d, s = found
        kept = [r for r in w.registrations if r.socket != s.id]
        if a.mask_nonzero:
            kind: Literal["event", "async"] = "event" if isinstance(a, WSAEventSelect) else "async"
            kept.append(
                Registration(socket=s.id, owner_pid=d.pid, owner_handle=d.handle, kind=kind)
            )
        w = w.model_copy(
            update={"registrations": tuple(sorted(kept, key=lambda r: (r.socket, r.owner_pid)))}
        )
        w = _put_socket(w, s.model_copy(update={"nonblocking": True}))
        return [Outcome(Ok(), w, ("R28", "R30", "R31"))]

    def _ioctl_nonblocking(self, w: World, a: IoctlNonblocking) -> list[Outcome]:
        """FIONBIO: back to blocking mode is refused while a registration exists on the
        socket, through whichever descriptor (R31, C18)."""
        found = self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            return self._unchanged(w, found, "R36")
        _, s = found
        if not a.nonblocking and any(r.socket == s.id for r in w.registrations):
            return self._unchanged(w, E.WSAEINVAL, "R30", "R31")
        w = _put_socket(w, s.model_copy(update={"nonblocking": a.nonblocking}))
        return [Outcome(Ok(), w, ("R28",))]

    # == IPC of the seed's table ===========================================================

    def _ipc_send(self, w: World, a: IpcSend) -> list[Outcome]:
        to = w.process(a.to)
        if to is None or to.status != "running" or a.to == a.pid:
            return []
        if isinstance(a.message, PidReply) and a.message.pid != a.pid:
            return []  # a process answers with its own id
        if isinstance(a.message, InfoMessage) and (
            a.message.info is None or a.message.info >= len(w.infos)
        ):
            return []
        queue = w.channel(a.pid, a.to)
        if len(queue) >= self.config.channel_capacity:
            return []
        return [Outcome(Ok(), _put_channel(w, a.pid, a.to, (*queue, a.message)), ("R1",))]

    def _ipc_recv(self, w: World, a: IpcRecv) -> list[Outcome]:
        queue = w.channel(a.sender, a.pid)
        if not queue:
            return []
        return [Outcome(Ok(value=queue[0]), _put_channel(w, a.sender, a.pid, queue[1:]), ("R1",))]

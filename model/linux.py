"""The Linux kernel's descriptor passing as a model over the same World.

Linux shares the lifetime core of Winsock's sharing: a descriptor names an open file
description (the model's UnderlyingSocket), each process has its own table of them, and
the description lives until the last descriptor, or SCM_RIGHTS message in flight, that
refers to it is gone (R26, R28, R33, R34; L2, L7). It differs in how descriptors move:
no info bound to a target pid, but fork inheritance, dup, messages carrying references,
and pulling with pidfd_getfd; descriptors carry their own close-on-exec flag; numbers
are shared with descriptors that are no socket; failures are errno values.

`LinuxSemantics` offers the Linux actions only, so a Linux profile changes nothing for
the Winsock profiles and their pinned counts, and a Winsock call in a Linux trace has
no outcome (and the reverse: `Semantics.outcomes` gives Linux calls none). The rules
L1..L14 are in `rules.LINUX_RULES` with their man pages.

Left out on purpose: blocking I/O (a close does not wake a blocked recv on Linux, unlike
R35; data transfer does not change descriptor lifetime), so send, recv and the peer's
data are not offered; and the half-open state of a nonblocking connect (EINPROGRESS
moves straight to connected: the completion is not a call anyone makes).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from .actions import (
    Accept,
    Action,
    Bind,
    CallReturn,
    Close,
    CloseRange,
    CloseSocket,
    Connect,
    ConnectUnspec,
    Dup,
    Err,
    Exec,
    Fork,
    GetSockOpt,
    IoctlNonblocking,
    IpcRecv,
    IpcSend,
    LinuxSocket,
    Listen,
    Ok,
    OpenOther,
    PeerSeesClose,
    PeerSend,
    PidfdGetfd,
    ProcessExit,
    ProcessStart,
    Recv,
    RecvFds,
    RecvReturn,
    Send,
    SendFds,
    SetCloexec,
    SetSockOpt,
    Socketpair,
    SocketType,
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
from .errors import Errno, WsaError
from .profiles import Profile
from .semantics import (
    NAMES_NOTHING,
    Outcome,
    Semantics,
    _add_descriptor,
    _put_channel,
    _put_process,
    _put_socket,
    _release_unreferenced,
    _replace_descriptor,
    _sorted_descriptors,
)
from .state import (
    ConnectionState,
    Descriptor,
    DescriptorOrigin,
    FdsMessage,
    Frozen,
    UnderlyingSocket,
    World,
)

ObjectKind = Literal["socket", "other"]

# The Winsock calls (and the pieces of the Winsock model) a Linux run has no use for.
_WINSOCK_ONLY: tuple[type[Frozen], ...] = (
    WSAStartup,
    WSACleanup,
    WSASocket,
    WSASocketFromInfo,
    WSADuplicateSocket,
    CloseSocket,
    WSAEventSelect,
    WSAAsyncSelect,
    IpcSend,
    IpcRecv,
    SpiStep,
    CallReturn,
    Send,
    Recv,
    RecvReturn,
    PeerSend,
    # A Linux process begins at fork, or runs from the start of the trace (the first
    # one, under strace), never by a start of its own.
    ProcessStart,
    # The blocking mode matters only to blocking I/O, which the Linux model leaves out.
    IoctlNonblocking,
)

# The shared calls' WSA errors, as the Linux calls report them (WSAENOTSOCK is decided
# in `_errno`: EBADF for a number that names nothing, ENOTSOCK for a descriptor that is
# no socket).
_ERRNO_OF: dict[WsaError, Errno] = {
    WsaError.WSAEINVAL: Errno.EINVAL,
    WsaError.WSAEISCONN: Errno.EISCONN,
    WsaError.WSAENOTCONN: Errno.ENOTCONN,
    WsaError.WSAEWOULDBLOCK: Errno.EAGAIN,
    WsaError.WSAEINTR: Errno.EINTR,
    WsaError.WSAEMFILE: Errno.EMFILE,
    WsaError.WSAENOBUFS: Errno.ENOBUFS,
    WsaError.WSAENETDOWN: Errno.ENETDOWN,
    WsaError.WSAEFAULT: Errno.EFAULT,
}

# bind, listen and connect from each state on Linux: the new states or failures the
# kernel may give (several where the address family or the environment decides: listen
# on an unbound TCP socket binds it to an ephemeral port, on a unix socket it fails;
# a connect may be refused, or go on in the background on a nonblocking socket).
_LINUX_CONNECTION: dict[str, dict[ConnectionState, tuple[ConnectionState | Errno, ...]]] = {
    "bind": {
        "unbound": ("bound", Errno.EADDRINUSE, Errno.ENOENT, Errno.EACCES),
        "bound": (Errno.EINVAL,),
        "listening": (Errno.EINVAL,),
        # A connected TCP socket has its address (EINVAL); a socketpair end has none, and
        # unix_bind gives it one (only an address already held is EINVAL), unless the
        # name is taken (EADDRINUSE): both observed live.
        "connected": (Errno.EINVAL, "connected", Errno.EADDRINUSE),
    },
    "listen": {
        "unbound": ("listening", Errno.EINVAL),
        "bound": ("listening",),
        "listening": ("listening",),
        "connected": (Errno.EINVAL,),
    },
    "connect": {
        "unbound": ("connected", Errno.ECONNREFUSED, Errno.ENOENT, Errno.EAGAIN),
        "bound": ("connected", Errno.ECONNREFUSED, Errno.ENOENT, Errno.EAGAIN),
        "listening": (Errno.EISCONN, Errno.EINVAL),
        "connected": (Errno.EISCONN,),
    },
}


# The same calls on a datagram socket (L13): connect names the default peer, from any
# state and as often as the program likes; its failures are those of the address or the
# route (a unix path that is missing, refused or connected elsewhere; no route, a
# broadcast without SO_BROADCAST, a bad address). ENETUNREACH, EHOSTUNREACH, EPROTOTYPE
# and EAFNOSUPPORT are possible too, but not in Errno yet: adding members to it changes
# the shrunk program of a Winsock teeth test (tests/test_stateful_teeth.py,
# close-cancels-everyone), for a reason not found yet. No state is "listening":
# listen fails. bind is as for a stream socket (a connected UDP socket was bound by its
# connect, a socketpair end was not).
_DATAGRAM_CONNECT_ERRORS: tuple[Errno, ...] = (
    Errno.ECONNREFUSED,
    Errno.ENOENT,
    Errno.EPERM,
    Errno.EACCES,
    Errno.EINVAL,
    # inet_dgram_connect binds an unbound socket to a port first; no port left is EAGAIN.
    Errno.EAGAIN,
)
_LINUX_DATAGRAM: dict[str, dict[ConnectionState, tuple[ConnectionState | Errno, ...]]] = {
    "bind": _LINUX_CONNECTION["bind"],
    "listen": {state: (Errno.EOPNOTSUPP,) for state in _LINUX_CONNECTION["listen"]},
    "connect": {
        "unbound": ("connected", *_DATAGRAM_CONNECT_ERRORS),
        "bound": ("connected", *_DATAGRAM_CONNECT_ERRORS),
        "connected": ("connected", *_DATAGRAM_CONNECT_ERRORS),
    },
}

# connect to AF_UNSPEC (L13): where the socket may be left. A UDP socket keeps its port
# only if a bind chose it (udp_disconnect releases one its connect chose), a unix datagram
# socket keeps whatever address it has; TCP does the same as UDP (tcp_disconnect drops a
# connection or a listener). From "unbound" nothing is left to keep.
_DISSOLVED: dict[ConnectionState, tuple[ConnectionState, ...]] = {
    "unbound": ("unbound",),
    "bound": ("bound", "unbound"),
    "listening": ("bound", "unbound"),
    "connected": ("bound", "unbound"),
}


class LinuxSemantics(Semantics):
    """The step relation of the Linux profiles (api granularity only)."""

    # Linux calls that make a descriptor, and so may meet a full table (EMFILE, ENFILE)
    # or a kernel short of memory (ENOBUFS, ENOMEM).
    ALLOCATING: tuple[type[Frozen], ...] = (
        LinuxSocket,
        Socketpair,
        OpenOther,
        Accept,
        Dup,
        PidfdGetfd,
    )

    def __init__(self, config: Config, profile: Profile, *, resource_errors: bool = False) -> None:
        if profile.platform != "linux":
            raise ValueError(f"profile {profile.name!r} is not a Linux profile")
        if config.granularity != "api":
            raise ValueError("the Linux profiles have no SPI: use granularity 'api'")
        super().__init__(config, profile, resource_errors=resource_errors)
        for winsock_only in _WINSOCK_ONLY:
            self._dispatch.pop(winsock_only, None)
        self._dispatch.update(
            {
                LinuxSocket: self._socket,  # type: ignore[dict-item]
                Socketpair: self._socketpair,  # type: ignore[dict-item]
                OpenOther: self._open_other,  # type: ignore[dict-item]
                Close: self._close,  # type: ignore[dict-item]
                Dup: self._dup,  # type: ignore[dict-item]
                SetCloexec: self._set_cloexec,  # type: ignore[dict-item]
                Fork: self._fork,  # type: ignore[dict-item]
                Exec: self._exec,  # type: ignore[dict-item]
                CloseRange: self._close_range,  # type: ignore[dict-item]
                SendFds: self._send_fds,  # type: ignore[dict-item]
                RecvFds: self._recv_fds,  # type: ignore[dict-item]
                PidfdGetfd: self._pidfd_getfd,  # type: ignore[dict-item]
                Bind: self._linux_connection,  # type: ignore[dict-item]
                Listen: self._linux_connection,  # type: ignore[dict-item]
                Connect: self._linux_connection,  # type: ignore[dict-item]
                ConnectUnspec: self._connect_unspec,  # type: ignore[dict-item]
                Accept: self._linux_accept,  # type: ignore[dict-item]
            }
        )

    # == contract ========================================================================

    def outcomes(self, world: World, action: Action) -> list[Outcome]:
        """As `Semantics.outcomes`, with the shared calls' WSA errors reported as errno,
        and the shared code's citations said in Linux terms (`_linux_rules`)."""
        found = []
        for o in super().outcomes(world, action):
            result = o.result
            if isinstance(result, Err) and isinstance(result.error, WsaError):
                result = Err(error=self._errno(world, action, result.error))
            found.append(Outcome(result, o.world, _linux_rules(o.rules)))
        return found

    @staticmethod
    def _errno(w: World, action: Action, error: WsaError) -> Errno:
        if error == WsaError.WSAENOTSOCK:
            pid, handle = getattr(action, "pid", None), getattr(action, "handle", None)
            named = pid is not None and handle is not None and w.descriptor(pid, handle)
            return Errno.ENOTSOCK if named else Errno.EBADF
        return _ERRNO_OF.get(error, Errno.EINVAL)

    def _prolog(self, w: World, pid: int) -> WsaError | None:
        return None  # no WSAStartup on Linux

    def _resource_failures(self, w: World, action: Action) -> list[Outcome]:
        """socket(2), accept(2), dup(2), pidfd_getfd(2): EMFILE, ENFILE, ENOBUFS and
        ENOMEM leave everything as it was."""
        short = (Errno.EMFILE, Errno.ENFILE, Errno.ENOBUFS, Errno.ENOMEM)
        return [Outcome(Err(error=e), w, ("ENV",)) for e in short]

    def _lookup(
        self, w: World, pid: int, handle: int
    ) -> tuple[Descriptor, UnderlyingSocket] | WsaError:
        """The socket calls' lookup: a number that names nothing is EBADF, a descriptor
        that is no socket ENOTSOCK (both reach `_errno` as WSAENOTSOCK)."""
        found = super()._lookup(w, pid, handle)
        if isinstance(found, tuple) and found[1].kind == "other":
            return WsaError.WSAENOTSOCK
        return found

    # == candidates (for exploration and the stateful machine) ===========================

    def _candidates(self, w: World) -> Iterator[Action]:
        c = self.config
        errors = c.has("errors")
        handoff = self.profile.linux_handoff
        unborn = [p.pid for p in w.processes if p.status == "not_started"]
        running = [p.pid for p in w.processes if p.status == "running"]
        for pid in running:
            if c.has("lifecycle"):
                yield ProcessExit(pid=pid)
                yield Exec(pid=pid)
                if unborn:
                    yield Fork(pid=pid, child=unborn[0])  # children are interchangeable
            if c.has("create"):
                yield LinuxSocket(pid=pid)
                yield Socketpair(pid=pid)
                yield OpenOther(pid=pid)
                if c.has("connection"):
                    # A datagram socket differs from a stream one only in the connection
                    # calls, so it is made only where they are explored.
                    yield LinuxSocket(pid=pid, type="dgram")
                    yield Socketpair(pid=pid, type="dgram")
            handles = [d.handle for d in w.descriptors_of(pid)]
            bad = [NAMES_NOTHING] if errors else []
            for h in handles + bad:
                if c.has("close"):
                    yield Close(pid=pid, handle=h)
                if c.has("share"):
                    yield Dup(pid=pid, handle=h)
                if c.has("lifecycle"):
                    yield SetCloexec(pid=pid, handle=h, on=True)
                if c.has("connection"):
                    yield Bind(pid=pid, handle=h)
                    yield Listen(pid=pid, handle=h)
                    yield Connect(pid=pid, handle=h)
                    yield ConnectUnspec(pid=pid, handle=h)
                    yield Accept(pid=pid, handle=h)
                if c.has("options"):
                    yield SetSockOpt(pid=pid, handle=h, value="set")
                    yield GetSockOpt(pid=pid, handle=h)
            if c.has("close") and handles:
                # close_range(first, ~0U), the usual call before exec.
                for first in handles:
                    yield CloseRange(pid=pid, handles=tuple(h for h in handles if h >= first))
            if c.has("share"):
                for q in running:
                    if "scm_rights" in handoff and q != pid:
                        # (a process may message itself; left out to keep the graph small)
                        for h in handles + bad:
                            yield SendFds(pid=pid, to=q, handles=(h,))
                    if "pidfd_getfd" in handoff and q != pid:
                        for h in [d.handle for d in w.descriptors_of(q)] + bad:
                            yield PidfdGetfd(pid=pid, source_pid=q, handle=h)
                if "scm_rights" in handoff:
                    for ch in w.channels:
                        if ch.dst == pid:
                            # (exploration sends on channel 0 only: one connection per
                            # pair keeps the graph small; more are for traces)
                            queued = {m.channel for m in ch.messages if isinstance(m, FdsMessage)}
                            for channel in sorted(queued):
                                yield RecvFds(pid=pid, sender=ch.src, channel=channel)
        if c.has("connection"):
            for s in w.sockets:
                yield PeerSeesClose(socket=s.id)

    # == descriptors =====================================================================

    def _add(
        self,
        w: World,
        pid: int,
        socket: int,
        origin: DescriptorOrigin,
        cloexec: bool = False,
        at: int | None = None,
    ) -> tuple[World, int] | None:
        """A new descriptor for `socket` in `pid`: at `at`, else the lowest free number
        (L1); None when that leaves the configuration's bounds."""
        h = at if at is not None else self._allocate(w, pid)
        if h is None:
            return None
        d = Descriptor(
            pid=pid, handle=h, socket=socket, origin=origin, allocation=None, cloexec=cloexec
        )
        return _add_descriptor(w, d), h

    def _new_object(
        self,
        w: World,
        pid: int,
        kind: ObjectKind,
        state: ConnectionState = "unbound",
        type: SocketType = "stream",
    ) -> tuple[World, int] | None:
        if len(w.sockets) >= self.config.max_sockets:
            return None
        s = UnderlyingSocket(id=len(w.sockets), creator=pid, kind=kind, state=state, type=type)
        return w.model_copy(update={"sockets": (*w.sockets, s)}), s.id

    def _socket(self, w: World, a: LinuxSocket) -> list[Outcome]:
        made = self._new_object(w, a.pid, "socket", type=a.type)
        added = made and self._add(made[0], a.pid, made[1], "created")
        return [Outcome(Ok(value=added[1]), added[0], ("L1",))] if added else []

    def _open_other(self, w: World, a: OpenOther) -> list[Outcome]:
        made = self._new_object(w, a.pid, "other")
        added = made and self._add(made[0], a.pid, made[1], "created")
        return [Outcome(Ok(value=added[1]), added[0], ("L1",))] if added else []

    def _socketpair(self, w: World, a: Socketpair) -> list[Outcome]:
        handles: list[int] = []
        for _ in range(2):
            made = self._new_object(w, a.pid, "socket", "connected", a.type)
            added = made and self._add(made[0], a.pid, made[1], "created")
            if not added:
                return []
            w, h = added
            handles.append(h)
        return [Outcome(Ok(value=tuple(handles)), w, ("L1",))]

    def _close(self, w: World, a: Close) -> list[Outcome]:
        d = w.descriptor(a.pid, a.handle)
        if d is None:
            return self._unchanged(w, Errno.EBADF, "L2")
        w, rules = self.close_descriptor(w, d)
        return [Outcome(Ok(), w, ("L2", *rules))]

    def _dup(self, w: World, a: Dup) -> list[Outcome]:
        d = w.descriptor(a.pid, a.handle)
        if d is None:
            return self._unchanged(w, Errno.EBADF, "L3")
        if a.to == a.handle:
            # dup2 onto itself changes nothing; dup3 (the only one with a flag here)
            # refuses it (dup(2), seen on the live kernel).
            if a.cloexec:
                return self._unchanged(w, Errno.EINVAL, "L3")
            return [Outcome(Ok(value=a.handle), w, ("L3",))]
        rules: tuple[str, ...] = ("L3", "R26")
        at = None
        if a.to is not None and a.to != NAMES_NOTHING:
            at = a.to
            occupant = w.descriptor(a.pid, a.to)
            if occupant is not None:
                # dup2 closes the target number first, silently.
                w, closed = self.close_descriptor(w, occupant)
                rules += closed
        added = self._add(w, a.pid, d.socket, "duplicated", a.cloexec, at)
        return [Outcome(Ok(value=added[1]), added[0], rules)] if added else []

    def _set_cloexec(self, w: World, a: SetCloexec) -> list[Outcome]:
        d = w.descriptor(a.pid, a.handle)
        if d is None:
            return self._unchanged(w, Errno.EBADF, "L5")
        return [Outcome(Ok(), _flag_cloexec(w, d, a.on), ("L5",))]

    def _close_range(self, w: World, a: CloseRange) -> list[Outcome]:
        rules: tuple[str, ...] = ("L6",)
        for h in sorted(set(a.handles)):
            d = w.descriptor(a.pid, h)
            if d is None:
                continue  # close_range skips numbers that are not open
            if a.cloexec:
                w = _flag_cloexec(w, d, True)
            else:
                w, closed = self.close_descriptor(w, d)
                rules += tuple(r for r in closed if r not in rules)
        return [Outcome(Ok(), w, rules)]

    # == processes =======================================================================

    def _fork(self, w: World, a: Fork) -> list[Outcome]:
        """The child starts with a copy of the parent's table: same numbers, same open
        file descriptions, same close-on-exec flags (L4); each copy is a reference of
        its own (R33)."""
        child = w.process(a.child)
        if child is None or child.status != "not_started":
            return []
        copies = [
            d.model_copy(update={"pid": a.child, "origin": "inherited"})
            for d in w.descriptors_of(a.pid)
        ]
        w = w.model_copy(update={"descriptors": _sorted_descriptors([*w.descriptors, *copies])})
        w = _put_process(w, child.model_copy(update={"status": "running"}))
        return [Outcome(Ok(), w, ("L4", "R33"))]

    def _exec(self, w: World, a: Exec) -> list[Outcome]:
        rules: tuple[str, ...] = ("L5",)
        for d in [d for d in w.descriptors_of(a.pid) if d.cloexec]:
            w, closed = self.close_descriptor(w, d)
            rules += tuple(r for r in closed if r not in rules)
        return [Outcome(Ok(), w, rules)]

    def _process_exit(self, w: World, a: ProcessExit) -> list[Outcome]:
        """Exit closes every descriptor (L10, R33); SCM_RIGHTS messages still queued for
        the process go with its sockets, and with them their references (L7)."""
        lost = [
            s
            for c in w.channels
            if c.dst == a.pid
            for m in c.messages
            if isinstance(m, FdsMessage)
            for s in m.sockets
        ]
        outcomes = super()._process_exit(w, a)
        found = []
        for o in outcomes:
            after, _ = _release_unreferenced(o.world, lost)
            found.append(Outcome(o.result, after, ("L10", "L7", *o.rules)))
        return found

    # == handing descriptors over ========================================================

    def _send_fds(self, w: World, a: SendFds) -> list[Outcome]:
        """SCM_RIGHTS: the message takes a reference to each description, so the sender
        may close its descriptors at once (L7); nothing binds it to a receiver (L11); it
        queues behind the messages sent before it on its connection (L14)."""
        if "scm_rights" not in self.profile.linux_handoff or not a.handles:
            return []
        receiver = w.process(a.to)
        if receiver is None or receiver.status == "exited":
            return []
        sent = [w.descriptor(a.pid, h) for h in a.handles]
        if any(d is None for d in sent):
            return self._unchanged(w, Errno.EBADF, "L7")
        queued = w.channel(a.pid, a.to)
        if len(queued) >= self.config.channel_capacity:
            return []
        message = FdsMessage(
            sockets=tuple(d.socket for d in sent if d is not None), channel=a.channel
        )
        w = _put_channel(w, a.pid, a.to, (*queued, message))
        return [Outcome(Ok(), w, ("L7", "L11", "L14"))]

    def _recv_fds(self, w: World, a: RecvFds) -> list[Outcome]:
        """The oldest message on the connection (L14): its descriptions become new
        descriptors of the receiver, at the lowest free numbers in order (L8, L1); the
        message's references become theirs. Messages on other connections wait."""
        if "scm_rights" not in self.profile.linux_handoff:
            return []
        queued = w.channel(a.sender, a.pid)
        at = next(
            (
                i
                for i, m in enumerate(queued)
                if isinstance(m, FdsMessage) and m.channel == a.channel
            ),
            None,
        )
        if at is None:
            return []
        message = queued[at]
        assert isinstance(message, FdsMessage)
        w = _put_channel(w, a.sender, a.pid, (*queued[:at], *queued[at + 1 :]))
        handles = []
        for sid in message.sockets:
            added = self._add(w, a.pid, sid, "received", a.cloexec)
            if added is None:
                return []
            w, h = added
            handles.append(h)
        return [Outcome(Ok(value=tuple(handles)), w, ("L8", "L1", "R26", "L14"))]

    def _pidfd_getfd(self, w: World, a: PidfdGetfd) -> list[Outcome]:
        """The caller pulls a copy of another process's descriptor, which that process
        must still hold; the copy is close-on-exec; the pull may be repeated (L9)."""
        if "pidfd_getfd" not in self.profile.linux_handoff:
            return []
        source = w.process(a.source_pid)
        if source is None or source.status != "running":
            return self._unchanged(w, Errno.ESRCH, "L9")
        d = w.descriptor(a.source_pid, a.handle)
        if d is None:
            return self._unchanged(w, Errno.EBADF, "L9")
        added = self._add(w, a.pid, d.socket, "pulled", True)
        return [Outcome(Ok(value=added[1]), added[0], ("L9", "R26"))] if added else []

    # == the shared calls with Linux's answers ===========================================

    def _linux_connection(self, w: World, a: Bind | Listen | Connect) -> list[Outcome]:
        found = self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            return self._unchanged(w, found, "R36")
        _, s = found
        if s.type == "dgram" and a.call != "bind":
            return self._datagram(w, a, s)
        outcomes = []
        for target in _LINUX_CONNECTION[a.call][s.state]:
            if isinstance(target, Errno):
                outcomes.append(Outcome(Err(error=target), w, ("L12",)))
            else:
                after = _put_socket(w, s.model_copy(update={"state": target}))
                outcomes.append(Outcome(Ok(), after, ("R28",)))
        if a.call == "connect" and s.state in ("unbound", "bound"):
            # A nonblocking connect reports EINPROGRESS and completes in the background.
            connected = next(o.world for o in outcomes if isinstance(o.result, Ok))
            outcomes.append(Outcome(Err(error=Errno.EINPROGRESS), connected, ("R28", "L12")))
        return outcomes

    def _datagram(self, w: World, a: Listen | Connect, s: UnderlyingSocket) -> list[Outcome]:
        """listen and connect on a datagram socket (L13): listen has nothing to do
        (EOPNOTSUPP); connect sets or replaces the default peer, whatever the socket's
        state, and a failed one leaves the old peer, though a UDP socket that had no
        port has one by then (inet_dgram_connect binds before it routes)."""
        outcomes = []
        for target in _LINUX_DATAGRAM[a.call][s.state]:
            if isinstance(target, Errno):
                outcomes.append(Outcome(Err(error=target), w, ("L13",)))
                if a.call == "connect" and s.state == "unbound" and target != Errno.EAGAIN:
                    bound = _put_socket(w, s.model_copy(update={"state": "bound"}))
                    outcomes.append(Outcome(Err(error=target), bound, ("L13", "R28")))
            else:
                after = _put_socket(w, s.model_copy(update={"state": target}))
                outcomes.append(Outcome(Ok(), after, ("L13", "R28")))
        return outcomes

    def _connect_unspec(self, w: World, a: ConnectUnspec) -> list[Outcome]:
        """connect to AF_UNSPEC (L13): a datagram socket loses its default peer and
        keeps its address only if it had one before connecting; a TCP socket drops its
        connection or listener the same way, while a unix stream socket refuses the
        address (EINVAL). The model does not tell TCP from unix stream, so a stream
        socket may do either."""
        found = self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            return self._unchanged(w, found, "R36")
        _, s = found
        outcomes = []
        for target in _DISSOLVED[s.state]:
            after = _put_socket(w, s.model_copy(update={"state": target}))
            outcomes.append(Outcome(Ok(), after, ("L13", "R28")))
        if s.type == "stream":
            outcomes.append(Outcome(Err(error=Errno.EINVAL), w, ("L13",)))
        return outcomes

    def _linux_accept(self, w: World, a: Accept) -> list[Outcome]:
        """accept on a listening socket makes a connected socket and its descriptor
        (L1, R28); with no connection queued on a nonblocking listener, or on a signal,
        it fails and changes nothing (L12)."""
        found = self._lookup(w, a.pid, a.handle)
        if isinstance(found, WsaError):
            return self._unchanged(w, found, "R36")
        _, s = found
        if s.type == "dgram":
            # A datagram socket has no connections to accept (accept(2), L13).
            return self._unchanged(w, Errno.EOPNOTSUPP, "L13")
        if s.state != "listening":
            return self._unchanged(w, Errno.EINVAL, "R28")
        outcomes = [Outcome(Err(error=e), w, ("L12",)) for e in (Errno.EAGAIN, Errno.EINTR)]
        made = self._new_object(w, a.pid, "socket", "connected")
        added = made and self._add(made[0], a.pid, made[1], "accepted")
        if added:
            outcomes.insert(0, Outcome(Ok(value=added[1]), added[0], ("L1", "R28")))
        return outcomes


# Rules the shared Winsock code cites that Linux states otherwise: a number that names
# nothing is L2's EBADF (R36 is its WSAENOTSOCK); a close does not cancel another
# thread's blocked call on Linux (R35), and D9 is about Winsock event registrations.
_LINUX_TERMS: dict[str, str | None] = {"R36": "L2", "R35": None, "D9": None}


def _linux_rules(rules: tuple[str, ...]) -> tuple[str, ...]:
    said = (_LINUX_TERMS.get(r, r) for r in rules)
    return tuple(dict.fromkeys(r for r in said if r is not None))


def _flag_cloexec(w: World, d: Descriptor, on: bool) -> World:
    return _replace_descriptor(w, d, d.model_copy(update={"cloexec": on}))


def make_semantics(config: Config, profile: Profile, *, resource_errors: bool = False) -> Semantics:
    """The step relation for `profile`: Linux's for the Linux profiles, Winsock's else."""
    if profile.platform == "linux":
        return LinuxSemantics(config, profile, resource_errors=resource_errors)
    return Semantics(config, profile, resource_errors=resource_errors)

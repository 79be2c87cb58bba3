"""The state objects of the model: processes, descriptors, underlying sockets, infos, IPC.

Every object is a frozen pydantic model, so a World is an immutable value that can be
hashed, deduplicated during search, and round-tripped through JSON exactly.

Abstractions (see the bounds table in the README):
- a handle value is a per-process slot number 1..max_handles, reused lowest-free after a
  close, so that the reuse of R36 is reachable;
- the 628 bytes of a special WSAPROTOCOL_INFO are an info id (its index in World.infos);
- a process id is its index in World.processes plus one; the pid argument of a call may
  also be 0 or NONEXISTENT_PID, which name no process;
- data is {none, some} per socket in the inbound direction only (what a recv can see).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt, PositiveInt

from .errors import WsaError
from .roles import CHANNEL, HANDLE, INFO, PID_ARGUMENT, PROCESS, SOCKET, handle_in

if TYPE_CHECKING:
    from .actions import InCall


class Frozen(BaseModel):
    """Base for every state object: immutable, strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


# The identities, each marked with its role (model/roles.py) once, here: every field
# of a state object or an action that holds one uses these types, and the checker's
# translation, symmetry and the recorders read the marks, not field names.
Pid = Annotated[PositiveInt, PROCESS]
# A pid as an argument: 0 and pids that name no process are legal (they fail, R6).
PidArgument = Annotated[NonNegativeInt, PID_ARGUMENT]
# A handle value as a caller passes it: 0 and values that name no open descriptor are
# legal arguments (they produce WSAENOTSOCK), negative values are not.
HandleArg = Annotated[NonNegativeInt, HANDLE]
# A handle slot of the model (1..max_handles) held by a state object.
Slot = Annotated[PositiveInt, HANDLE]
SocketId = Annotated[NonNegativeInt, SOCKET]
InfoId = Annotated[NonNegativeInt, INFO]
ChannelId = Annotated[NonNegativeInt, CHANNEL]

# A pid argument that names no process that ever existed (the ~0 of the Wine tests).
NONEXISTENT_PID = 0xFFFFFFFF

ProcessStatus = Literal["not_started", "running", "exited"]


class Process(Frozen):
    """One process. `startups` counts successful WSAStartup calls not yet matched by a
    WSACleanup (exploration bounds it by the configuration; a checked trace may nest
    them as deeply as it likes). A process that has not started holds the count it
    will begin with (exploration starts late processes as initialised as the first
    ones; a checked trace that shows a process start shows its WSAStartup too)."""

    pid: Pid
    status: ProcessStatus = "running"
    startups: NonNegativeInt = 0
    # Profile knob `relists_returned_handles` (Wine) only, else always 0: entries of the
    # process's socket list that name no open descriptor (a value returned again by a
    # reused or foreign info); each lets one closesocket of a dead value succeed.
    stale_listings: NonNegativeInt = 0


# "inherited" (fork), "duplicated" (dup), "received" (SCM_RIGHTS) and "pulled"
# (pidfd_getfd) occur only under the Linux profiles; "preplaced" only under the knob
# `preplaced_handle_is_descriptor` (Wine): the handle WSADuplicateSocket put into the
# target, before any WSASocket returned it.
DescriptorOrigin = Literal[
    "created", "accepted", "info", "inherited", "duplicated", "received", "pulled", "preplaced"
]


class Descriptor(Frozen):
    """An open socket descriptor: a handle value in one process's table.

    `info` is the info it was materialised from (origin "info"); ghost data for the
    invariants of R4 and R14, never consulted by a transition.
    `provider` is the catalog entry the application's handle belongs to (the top of a
    layered chain), which ws2_32 routes later calls to (R17).
    `allocation` is ghost data: how the handle was allocated, by WPUModifyIFSHandle
    ("ifs") or by WPUCreateSocketHandle ("non_ifs") (R20); None while the allocating SPI
    step of an `spi` run has not happened yet.
    `listed` is False only for a handle Wine pre-placed in its target (origin
    "preplaced") whose value no WSASocket has returned yet: ws2_32's socket list does not
    hold it, so the calls that consult the list (closesocket, getsockopt, send)
    refuse it while the others act on the socket (knob `preplaced_handle_is_descriptor`).
    """

    pid: Pid
    handle: Slot
    socket: SocketId
    origin: DescriptorOrigin
    info: InfoId | None = None
    provider: NonNegativeInt = 0
    allocation: Literal["ifs", "non_ifs"] | None = "ifs"
    # Linux only: FD_CLOEXEC, a flag of the descriptor rather than of the socket, so
    # exec closes this descriptor and keeps the others (execve(2), fcntl(2)).
    cloexec: bool = False
    listed: bool = True


class PendingRecv(Frozen):
    """A recv blocked in process `pid` on descriptor `handle`. `cancelled` records that
    the process closed that descriptor meanwhile, so the call will fail (R35)."""

    pid: Pid
    handle: Slot
    socket: SocketId
    cancelled: bool = False


ConnectionState = Literal["unbound", "bound", "listening", "connected"]


class UnderlyingSocket(Frozen):
    """The socket object that descriptors name. State here is common to every descriptor
    (R28): connection state, the one option, blocking mode, inbound data."""

    id: SocketId
    creator: Pid
    # Linux only: "other" is an open file description that is no socket (a pipe, a
    # pidfd, a file): it shares the descriptor number space and the lifetime rules, and
    # socket calls on it fail with ENOTSOCK.
    kind: Literal["socket", "other"] = "socket"
    # Linux only: a connection-oriented socket (SOCK_STREAM, SOCK_SEQPACKET) or a
    # connectionless one (SOCK_DGRAM, SOCK_RAW), whose connect only names a default peer
    # and which has no listen or accept (L13). Winsock's sockets are all "stream" here,
    # and so is every socket of a trace that does not say.
    type: Literal["stream", "dgram"] = "stream"
    provider: NonNegativeInt = 0
    state: ConnectionState = "unbound"
    option: Literal["default", "set"] = "default"
    nonblocking: bool = False
    inbound: Literal["none", "some"] = "none"
    open: bool = True


class Registration(Frozen):
    """An event registration (WSAEventSelect or WSAAsyncSelect) on an underlying socket,
    made through the descriptor (owner_pid, owner_handle). The model keeps them in a list
    so that a broken implementation can hold two for one socket and the R30 invariant can
    see it."""

    socket: SocketId
    owner_pid: Pid
    owner_handle: Annotated[PositiveInt, handle_in("owner_pid")]
    kind: Literal["event", "async"]


InfoContext = Literal["handle_in_target", "none", "dead"]


class ProtocolInfo(Frozen):
    """A special WSAPROTOCOL_INFO minted by WSADuplicateSocket.

    - source_pid, source_handle, socket: what was duplicated;
    - target_pid: the process it was minted for (R4), possibly 0-free but exited;
    - catalog_entry: the provider that will be routed to in the target (R17);
    - context: the provider's private payload (dwProviderReserved, R15): "handle_in_target"
      when a handle was already duplicated into the target (the MSAFD, Wine and ReactOS
      design), "none" otherwise, "dead" when it names a process that had exited;
    - holds_reference: the pre-placed handle keeps the underlying socket alive until the
      target materialises the info or exits (D5, R40); under the knob
      `preplaced_handle_is_descriptor` it is False and the pre-placed handle is a
      descriptor of the target (origin "preplaced") that holds the reference itself;
    - consumed: a successful WSASocket used it (R2);
    - uses: ghost count of descriptors it produced, saturating at 2 ("more than
      once"); transitions never read it;
    - first_handle: the handle value the first successful use returned, which some
      implementations return again on reuse (D3); under `preplaced_handle_is_descriptor`
      the slot of the pre-placed descriptor, set at duplication (the value the info
      carries). Under `relists_returned_handles` it is cleared when that descriptor closes.
    """

    id: InfoId
    source_pid: Pid
    source_handle: Annotated[PositiveInt, handle_in("source_pid")]
    socket: SocketId
    # 0 or a value naming no process when a broken stack skips the pid check (R6).
    target_pid: PidArgument
    catalog_entry: NonNegativeInt = 0
    variant: Literal["W", "A"] = "W"
    context: InfoContext = "handle_in_target"
    holds_reference: bool = True
    consumed: bool = False
    uses: NonNegativeInt = 0
    first_handle: Annotated[PositiveInt, handle_in("target_pid")] | None = None


class PidRequest(Frozen):
    """Step 2 of the seed's table: the source asks the target for its process id."""

    kind: Literal["pid_request"] = "pid_request"


class PidReply(Frozen):
    """Step 3: the target answers with its own process id."""

    kind: Literal["pid_reply"] = "pid_reply"
    pid: Pid


class InfoMessage(Frozen):
    """Step 6: the special WSAPROTOCOL_INFO travels to the target."""

    kind: Literal["info"] = "info"
    # None in a trace whose recorder names the info by the digest of its bytes.
    info: InfoId | None = None


class Done(Frozen):
    """The arrow of step 10: the target tells the source it has its own descriptor."""

    kind: Literal["done"] = "done"


class FdsMessage(Frozen):
    """Linux: an SCM_RIGHTS message in flight, carrying references to the open file
    descriptions of the descriptors sent, which keep them alive until it is received
    or its receiver exits (unix(7))."""

    kind: Literal["fds"] = "fds"
    sockets: tuple[SocketId, ...]
    # The connection it travels on (L14): messages between the same two processes on
    # different channels queue apart. A number with no meaning but its identity; 0 when
    # the trace names none, so that one queue per ordered pair of processes remains.
    channel: ChannelId = 0


Message = Annotated[
    PidRequest | PidReply | InfoMessage | Done | FdsMessage, Field(discriminator="kind")
]


class Channel(Frozen):
    """An ordered IPC channel from one process to another. Only non-empty channels are
    kept in a World, so a World has one canonical form."""

    src: Pid
    dst: Pid
    messages: tuple[Message, ...]


class CatalogEntry(Frozen):
    """A Winsock catalog entry (a WSAPROTOCOL_INFO in the catalog) and its provider.

    - kind: a base provider, or a layer whose `next` is the next element of its chain;
    - handles: how the provider allocates handles, WPUModifyIFSHandle ("ifs") or
      WPUCreateSocketHandle ("non_ifs") (R20, R44);
    - xp1_ifs_handles: what it advertises in dwServiceFlags1 (R25);
    - load_error: the error ws2_32 reports when the provider cannot be loaded in the
      calling process (WSPStartup fails: C27, R48), or None.
    """

    id: int = Field(ge=0)
    name: str
    kind: Literal["base", "layered"] = "base"
    handles: Literal["ifs", "non_ifs"] = "ifs"
    xp1_ifs_handles: bool = True
    next: int | None = None
    load_error: WsaError | None = None
    # The pids in which the provider fails to load; empty means every process.
    load_fails_in: tuple[PidArgument, ...] = ()

    def fails_to_load_in(self, pid: int) -> WsaError | None:
        if self.load_error is None:
            return None
        return self.load_error if not self.load_fails_in or pid in self.load_fails_in else None


def entry_of(catalog: tuple[CatalogEntry, ...], entry_id: int) -> CatalogEntry | None:
    return catalog[entry_id] if 0 <= entry_id < len(catalog) else None


def chain(catalog: tuple[CatalogEntry, ...], entry_id: int) -> tuple[CatalogEntry, ...]:
    """The protocol chain from `entry_id` down to its base provider (R42, R43)."""
    found: list[CatalogEntry] = []
    entry = entry_of(catalog, entry_id)
    while entry is not None:
        if entry in found:
            raise ValueError(f"catalog: the chain of {entry.name!r} loops")
        found.append(entry)
        entry = entry_of(catalog, entry.next) if entry.next is not None else None
    return tuple(found)


# One IFS base provider, as MSAFD's TCP/IP entry on Windows.
DEFAULT_CATALOG: tuple[CatalogEntry, ...] = (CatalogEntry(id=0, name="msafd-tcp"),)


class World(Frozen):
    """The whole state of the model.

    processes[i] has pid i+1; sockets[k] and infos[k] have id k. descriptors,
    registrations and channels are kept sorted so that equal states are equal values.
    """

    processes: tuple[Process, ...]
    descriptors: tuple[Descriptor, ...] = ()
    sockets: tuple[UnderlyingSocket, ...] = ()
    registrations: tuple[Registration, ...] = ()
    infos: tuple[ProtocolInfo, ...] = ()
    channels: tuple[Channel, ...] = ()
    pending: tuple[PendingRecv, ...] = ()
    # spi granularity only: the API calls in progress (one per process), and ws2_32's
    # table of handles made by WPUCreateSocketHandle, as (pid, handle) (R23, R24).
    calls: tuple[InCall, ...] = ()
    ws2_handles: tuple[tuple[Pid, Slot], ...] = ()
    # The Winsock catalog: static for a run, kept here so a World describes itself.
    catalog: tuple[CatalogEntry, ...] = DEFAULT_CATALOG

    # -- lookups used by the semantics; pure functions of the state ------------------

    def process(self, pid: int) -> Process | None:
        """The process with this pid, or None when the pid names no process slot."""
        if 1 <= pid <= len(self.processes):
            return self.processes[pid - 1]
        return None

    def descriptor(self, pid: int, handle: int) -> Descriptor | None:
        """The open descriptor at `handle` in process `pid`, or None."""
        for d in self.descriptors:
            if d.pid == pid and d.handle == handle:
                return d
        return None

    def descriptors_of(self, pid: int) -> tuple[Descriptor, ...]:
        return tuple(d for d in self.descriptors if d.pid == pid)

    def lowest_free_handle(self, pid: int, max_handles: int) -> int | None:
        """The handle value the next allocation in `pid` gets (R36: values are reused),
        or None when every slot is taken."""
        used = {d.handle for d in self.descriptors if d.pid == pid}
        h = 1
        while h in used:
            h += 1
        return h if h <= max_handles else None

    def references(self, socket: int) -> int:
        """How many things keep `socket` alive: open descriptors naming it (R33), infos
        whose pre-placed handle still pins it (D5), and on Linux SCM_RIGHTS messages in
        flight that carry it (L7)."""
        held = sum(1 for d in self.descriptors if d.socket == socket)
        pinned = sum(1 for i in self.infos if i.socket == socket and i.holds_reference)
        in_flight = sum(
            m.sockets.count(socket)
            for c in self.channels
            for m in c.messages
            if isinstance(m, FdsMessage)
        )
        return held + pinned + in_flight

    def call_of(self, pid: int) -> InCall | None:
        """The API call process `pid` is inside of (spi granularity), or None."""
        for c in self.calls:
            if c.pid == pid:
                return c
        return None

    def channel(self, src: int, dst: int) -> tuple[Message, ...]:
        for c in self.channels:
            if c.src == src and c.dst == dst:
                return c.messages
        return ()

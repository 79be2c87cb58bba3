"""The action alphabet: every call an observer can see, with typed arguments, and results.

Each action is one API call as a tracer sees it (or an IPC step of the seed's table, or an
event of the environment such as the peer sending data). The same types are the
vocabulary of trace events, so a trace line and a model transition speak one language.

A result is Ok (with the call's value), Err (with the exact WSA error), or Pending (a
blocking call that has not returned yet; its return is a separate action, R35).
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, NonNegativeInt

from .errors import ErrorCode
from .roles import Role, handle_in
from .state import (
    ChannelId,
    Frozen,
    HandleArg,
    InfoId,
    Message,
    Pid,
    PidArgument,
    SocketId,
    World,
)

# What a call's success returns that a checker must bind rather than compare: "handle",
# a new handle value of the caller (an allocating SPI step's, for spi_step); "handles",
# a list of them. Every other value (an option, "data", a message) is compared as it is.
Returns = Literal["handle", "handles"] | None

# -- process life --------------------------------------------------------------------


class ProcessStart(Frozen):
    """A process of the configuration starts running."""

    call: Literal["process_start"] = "process_start"
    pid: Pid


class ProcessExit(Frozen):
    """A process exits; the system closes its descriptors and its pre-placed handles."""

    call: Literal["process_exit"] = "process_exit"
    pid: Pid


# -- Winsock calls ---------------------------------------------------------------------


class WSAStartup(Frozen):
    call: Literal["WSAStartup"] = "WSAStartup"
    pid: Pid


class WSACleanup(Frozen):
    call: Literal["WSACleanup"] = "WSACleanup"
    pid: Pid


class WSASocket(Frozen):
    """WSASocket for a fresh socket from catalog entry `provider` (the default entry,
    0, when the application names none)."""

    call: Literal["WSASocket"] = "WSASocket"
    returns: ClassVar[Returns] = "handle"
    pid: Pid
    provider: NonNegativeInt = 0


class WSASocketFromInfo(Frozen):
    """WSASocket(FROM_PROTOCOL_INFO x3, &info, 0, WSA_FLAG_OVERLAPPED).

    `info` is the id of the special WSAPROTOCOL_INFO whose bytes are passed, or None for
    bytes that are no info at all (zeroed or corrupt, C28)."""

    call: Literal["WSASocketFromInfo"] = "WSASocketFromInfo"
    returns: ClassVar[Returns] = "handle"
    pid: Pid
    info: InfoId | None
    # WSASocketW takes a WSAPROTOCOL_INFOW, WSASocketA the ANSI structure (D11).
    variant: Literal["W", "A"] = "W"


class Bind(Frozen):
    call: Literal["bind"] = "bind"
    pid: Pid
    handle: HandleArg


class Listen(Frozen):
    call: Literal["listen"] = "listen"
    pid: Pid
    handle: HandleArg


class Connect(Frozen):
    call: Literal["connect"] = "connect"
    pid: Pid
    handle: HandleArg


class Accept(Frozen):
    """accept on a listening socket; the peer's connection is assumed to arrive."""

    call: Literal["accept"] = "accept"
    returns: ClassVar[Returns] = "handle"
    pid: Pid
    handle: HandleArg


class WSADuplicateSocket(Frozen):
    """WSADuplicateSocket(handle, target_pid, buffer or NULL)."""

    call: Literal["WSADuplicateSocket"] = "WSADuplicateSocket"
    pid: Pid
    handle: HandleArg
    target_pid: PidArgument
    buffer: bool = True
    variant: Literal["W", "A"] = "W"


class CloseSocket(Frozen):
    call: Literal["closesocket"] = "closesocket"
    pid: Pid
    handle: HandleArg


class Send(Frozen):
    call: Literal["send"] = "send"
    pid: Pid
    handle: HandleArg


class Recv(Frozen):
    """recv. On a blocking socket with no data the call stays pending (Pending) until
    RecvReturn; on a nonblocking one it fails with WSAEWOULDBLOCK."""

    call: Literal["recv"] = "recv"
    pid: Pid
    handle: HandleArg


class RecvReturn(Frozen):
    """The return of a recv that was pending on `handle`."""

    call: Literal["recv_return"] = "recv_return"
    pid: Pid
    handle: HandleArg


class SetSockOpt(Frozen):
    """setsockopt of the one modelled option (think SO_RCVBUF) to `value`."""

    call: Literal["setsockopt"] = "setsockopt"
    pid: Pid
    handle: HandleArg
    value: Literal["default", "set"] = "set"


class GetSockOpt(Frozen):
    call: Literal["getsockopt"] = "getsockopt"
    pid: Pid
    handle: HandleArg


class WSAEventSelect(Frozen):
    """WSAEventSelect with a nonzero mask (register) or a zero mask (cancel)."""

    call: Literal["WSAEventSelect"] = "WSAEventSelect"
    pid: Pid
    handle: HandleArg
    mask_nonzero: bool = True


class WSAAsyncSelect(Frozen):
    call: Literal["WSAAsyncSelect"] = "WSAAsyncSelect"
    pid: Pid
    handle: HandleArg
    mask_nonzero: bool = True


class IoctlNonblocking(Frozen):
    """ioctlsocket(handle, FIONBIO, &value)."""

    call: Literal["ioctlsocket_fionbio"] = "ioctlsocket_fionbio"
    pid: Pid
    handle: HandleArg
    nonblocking: bool


# -- IPC steps of the seed's table and the environment ----------------------------------


class IpcSend(Frozen):
    """A process puts a message on its channel to `to` (steps 2, 3, 6 and 10)."""

    call: Literal["ipc_send"] = "ipc_send"
    pid: Pid
    to: Pid
    message: Message


class IpcRecv(Frozen):
    """A process takes the oldest message from its channel from `sender`."""

    call: Literal["ipc_recv"] = "ipc_recv"
    pid: Pid
    sender: Pid


class PeerSend(Frozen):
    """The remote peer of a connected socket sends data (no process of the model acts)."""

    call: Literal["peer_send"] = "peer_send"
    socket: SocketId


class PeerSeesClose(Frozen):
    """The remote peer of a connected socket sees the connection end (FIN): observable
    only once the underlying socket was released (R33, R34)."""

    call: Literal["peer_sees_close"] = "peer_sees_close"
    socket: SocketId


SpiFunction = Literal[
    "WSPSocket",
    "WSPDuplicateSocket",
    "WSPCloseSocket",
    "WPUModifyIFSHandle",
    "WPUCreateSocketHandle",
    "WPUCloseSocketHandle",
]


class SpiStep(Frozen):
    """The next SPI step of the call process `pid` is inside of (spi granularity):
    `function` of catalog entry `provider` runs."""

    call: Literal["spi_step"] = "spi_step"
    returns: ClassVar[Returns] = "handle"
    pid: Pid
    function: SpiFunction
    provider: NonNegativeInt
    # The catalog entry named by the WSAPROTOCOL_INFO this step received (the WSPSocket
    # steps of a materialisation), where the recorder saw it; None leaves it unobserved.
    info_entry: NonNegativeInt | None = None


class CallReturn(Frozen):
    """The API call process `pid` is inside of returns to the application."""

    call: Literal["call_return"] = "call_return"
    pid: Pid


# -- Linux (enabled only under the Linux profiles) ---------------------------------------
# The kernel's descriptor passing, with the lifetime core it shares with Winsock: a
# descriptor names an open file description (the model's UnderlyingSocket), which lives
# until the last descriptor or message in flight that refers to it is gone.


# A socket's type as the Linux model tells them apart: connection-oriented (SOCK_STREAM,
# SOCK_SEQPACKET) or connectionless (SOCK_DGRAM, SOCK_RAW). A trace that does not say
# means "stream", as traces did before the type was recorded.
SocketType = Literal["stream", "dgram"]


class LinuxSocket(Frozen):
    """socket(2): a fresh socket of `type` and a descriptor for it."""

    call: Literal["socket"] = "socket"
    returns: ClassVar[Returns] = "handle"
    pid: Pid
    type: SocketType = "stream"


class Socketpair(Frozen):
    """socketpair(2): two connected sockets of `type`; the result is the pair of
    descriptors."""

    call: Literal["socketpair"] = "socketpair"
    returns: ClassVar[Returns] = "handles"
    pid: Pid
    type: SocketType = "stream"


class ConnectUnspec(Frozen):
    """connect(2) to an address whose sa_family is AF_UNSPEC: it dissolves a datagram
    socket's association (and a TCP connection) rather than making one. A trace writes
    it as `connect` with `args.unspec: true`."""

    call: Literal["connect_unspec"] = "connect_unspec"
    pid: Pid
    handle: HandleArg


class OpenOther(Frozen):
    """A descriptor that is no socket (pipe2, pidfd_open, open): it takes a number from
    the same space as sockets."""

    call: Literal["open_other"] = "open_other"
    returns: ClassVar[Returns] = "handle"
    pid: Pid


class Close(Frozen):
    """close(2) of any descriptor."""

    call: Literal["close"] = "close"
    pid: Pid
    handle: HandleArg


class Dup(Frozen):
    """dup(2) (`to` None: the lowest free number), dup2/dup3 (`to`: that number, closed
    first if open), fcntl F_DUPFD. `cloexec` is dup3's O_CLOEXEC or F_DUPFD_CLOEXEC."""

    call: Literal["dup"] = "dup"
    returns: ClassVar[Returns] = "handle"
    pid: Pid
    handle: HandleArg
    # A number the call places (dup2, dup3): one that names nothing bound may be any free one.
    to: Annotated[NonNegativeInt, Role("handle", unbound="free")] | None = None
    cloexec: bool = False


class SetCloexec(Frozen):
    """fcntl(F_SETFD) turning FD_CLOEXEC on or off."""

    call: Literal["set_cloexec"] = "set_cloexec"
    pid: Pid
    handle: HandleArg
    on: bool = True


class Fork(Frozen):
    """fork(2): process `child` (one not started yet) starts with a copy of the caller's
    descriptor table."""

    call: Literal["fork"] = "fork"
    pid: Pid
    child: Pid


class Exec(Frozen):
    """A successful execve(2): the close-on-exec descriptors of the caller close."""

    call: Literal["exec"] = "exec"
    pid: Pid


class CloseRange(Frozen):
    """close_range(2) over the caller's descriptors `handles` (those whose numbers fall
    in the observed range; a checker translates the range), or with CLOSE_RANGE_CLOEXEC
    (`cloexec`) marking them close-on-exec instead."""

    call: Literal["close_range"] = "close_range"
    pid: Pid
    handles: tuple[HandleArg, ...] = ()
    cloexec: bool = False


class SendFds(Frozen):
    """sendmsg(2) with SCM_RIGHTS: the descriptors `handles` travel to process `to` on
    connection `channel` (a checker numbers the connections a trace names; 0 is the one
    of a trace that names none)."""

    call: Literal["send_fds"] = "send_fds"
    pid: Pid
    to: Pid
    handles: tuple[HandleArg, ...]
    channel: ChannelId = 0


class RecvFds(Frozen):
    """recvmsg(2) of the oldest SCM_RIGHTS message from `sender` on connection
    `channel`: one new descriptor per descriptor sent; `cloexec` is MSG_CMSG_CLOEXEC."""

    call: Literal["recv_fds"] = "recv_fds"
    returns: ClassVar[Returns] = "handles"
    pid: Pid
    sender: Pid
    cloexec: bool = False
    channel: ChannelId = 0


class PidfdGetfd(Frozen):
    """pidfd_getfd(2): a new descriptor in the caller for descriptor `handle` of process
    `source_pid` (named by a pidfd, which the model leaves implicit)."""

    call: Literal["pidfd_getfd"] = "pidfd_getfd"
    returns: ClassVar[Returns] = "handle"
    pid: Pid
    source_pid: PidArgument
    handle: Annotated[NonNegativeInt, handle_in("source_pid")]


LINUX_ACTION_TYPES: tuple[type[Frozen], ...] = (
    LinuxSocket,
    Socketpair,
    ConnectUnspec,
    OpenOther,
    Close,
    Dup,
    SetCloexec,
    Fork,
    Exec,
    CloseRange,
    SendFds,
    RecvFds,
    PidfdGetfd,
)


Action = Annotated[
    ProcessStart
    | ProcessExit
    | WSAStartup
    | WSACleanup
    | WSASocket
    | WSASocketFromInfo
    | Bind
    | Listen
    | Connect
    | Accept
    | WSADuplicateSocket
    | CloseSocket
    | Send
    | Recv
    | RecvReturn
    | SetSockOpt
    | GetSockOpt
    | WSAEventSelect
    | WSAAsyncSelect
    | IoctlNonblocking
    | IpcSend
    | IpcRecv
    | PeerSend
    | PeerSeesClose
    | SpiStep
    | CallReturn
    | LinuxSocket
    | Socketpair
    | ConnectUnspec
    | OpenOther
    | Close
    | Dup
    | SetCloexec
    | Fork
    | Exec
    | CloseRange
    | SendFds
    | RecvFds
    | PidfdGetfd,
    Field(discriminator="call"),
]

ACTION_TYPES: tuple[type[Frozen], ...] = (
    ProcessStart,
    ProcessExit,
    WSAStartup,
    WSACleanup,
    WSASocket,
    WSASocketFromInfo,
    Bind,
    Listen,
    Connect,
    Accept,
    WSADuplicateSocket,
    CloseSocket,
    Send,
    Recv,
    RecvReturn,
    SetSockOpt,
    GetSockOpt,
    WSAEventSelect,
    WSAAsyncSelect,
    IoctlNonblocking,
    IpcSend,
    IpcRecv,
    PeerSend,
    PeerSeesClose,
    SpiStep,
    CallReturn,
    *LINUX_ACTION_TYPES,
)


class PlannedStep(Frozen):
    """One SPI step of a call in progress.

    `decides` marks the step where the provider decides the call's outcome (the API
    transition is applied there); `allocates` marks the step that allocates the
    application's handle; `info_entry` is the catalog entry of the WSAPROTOCOL_INFO this
    step receives (a layer passes its chain's entry on unchanged, the last layer
    substitutes the base's own entry, R43).
    """

    function: SpiFunction
    provider: NonNegativeInt
    decides: bool = False
    allocates: bool = False
    info_entry: NonNegativeInt | None = None


# The name a call has in the seed's SPI table, beside the API call it stands for.
SPI_NAME: dict[str, str] = {
    "WSASocket": "WSPSocket",
    "WSASocketFromInfo": "WSPSocket",
    "WSADuplicateSocket": "WSPDuplicateSocket",
    "closesocket": "WSPCloseSocket",
    "connect": "WSPConnect",
    "bind": "WSPBind",
    "listen": "WSPListen",
    "accept": "WSPAccept",
    "send": "WSPSend",
    "recv": "WSPRecv",
    "recv_return": "WSPRecv",
    "setsockopt": "WSPSetSockOpt",
    "getsockopt": "WSPGetSockOpt",
    "WSAEventSelect": "WSPEventSelect",
    "WSAAsyncSelect": "WSPAsyncSelect",
    "ioctlsocket_fionbio": "WSPIoctl",
}


# -- results -----------------------------------------------------------------------------

# A tuple of handles for the Linux calls that make several descriptors at once
# (socketpair, recv_fds).
Value = int | str | Message | tuple[int, ...] | None


class Ok(Frozen):
    """Success. `value` is the handle for calls that return one, the info id for
    WSADuplicateSocket, the option value for getsockopt, the message for ipc_recv,
    "data" for a recv that read something."""

    status: Literal["ok"] = "ok"
    value: Value = None


class Err(Frozen):
    """Failure with the exact WSA error (an errno under the Linux profiles)."""

    status: Literal["error"] = "error"
    error: ErrorCode

    def __str__(self) -> str:
        return f"{self.error.name} ({self.error.value})"


class Pending(Frozen):
    """A blocking call that has not returned; its return is a later action."""

    status: Literal["pending"] = "pending"


Result = Annotated[Ok | Err | Pending, Field(discriminator="status")]


def returns(call: str) -> Returns:
    """What a success of `call` returns that must be bound (see Returns)."""
    return _RETURNS.get(call)


def describe(action: Frozen) -> str:
    """A short human rendering of an action, such as `WSADuplicateSocket(P1, h1, pid 2)`."""
    data = action.model_dump(mode="json")
    name = data.pop("call")
    who = data.pop("pid", None)
    parts = [f"P{who}"] if who is not None else []
    for key, value in data.items():
        if key == "handle":
            parts.append(f"h{value}")
        elif key == "message" and isinstance(value, dict):
            parts.append(str(value.get("kind")))
        else:
            parts.append(f"{key}={value}")
    return f"{name}({', '.join(parts)})"


def describe_result(result: Ok | Err | Pending) -> str:
    """A short human rendering of a result: `OK 1`, `WSAEINVAL (10022)`, `pending`."""
    if isinstance(result, Err):
        return str(result)
    if isinstance(result, Pending):
        return "pending"
    value = result.value
    if value is None:
        return "OK"
    if isinstance(value, Frozen):
        return f"OK {value.model_dump(mode='json')}"
    return f"OK {value}"


class InCall(Frozen):
    """An API call in progress at spi granularity: the call, its SPI steps, how many have
    run, and the result once a step (or ws2_32) decided it."""

    pid: Pid
    action: Action
    steps: tuple[PlannedStep, ...]
    done: NonNegativeInt = 0
    result: Result | None = None

    def next_step(self) -> PlannedStep | None:
        return self.steps[self.done] if self.done < len(self.steps) else None


World.model_rebuild(_types_namespace={"InCall": InCall})

_RETURNS: dict[str, Returns] = {
    t.model_fields["call"].default: getattr(t, "returns", None) for t in ACTION_TYPES
}

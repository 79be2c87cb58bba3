"""The fifty rules of semantics.md, each with its source and what the model does with it;
E1, which carries their error lists (R46-R50) over to the model's other calls; and the
Linux rules L1..L12 from the man pages.

Statements are ours; sources are the pages and code they come from. Status:
- "implemented": `implemented_by` names the transitions, invariants and profile knobs;
- "deferred": another issue takes it (`issue` says which), with the reason (none is,
  since the SPI model landed);
- "out_of_scope": the model leaves it out on purpose; `reason` says why.
"""

from __future__ import annotations

from typing import Literal

from .state import Frozen

DOCS = "https://learn.microsoft.com/en-us/windows/win32"
SOURCES: dict[str, str] = {
    "DUP-API": f"{DOCS}/api/winsock2/nf-winsock2-wsaduplicatesocketw",
    "DUP-SPI": f"{DOCS}/api/ws2spi/nc-ws2spi-lpwspduplicatesocket",
    "SHARED-SPI": f"{DOCS}/winsock/shared-sockets-in-the-spi-2",
    "SHARED-API": f"{DOCS}/winsock/shared-sockets-2",
    "MULTI": f"{DOCS}/winsock/multiple-handles-to-a-single-socket-2",
    "DESC": f"{DOCS}/winsock/descriptor-allocation-2",
    "WSASOCKET": f"{DOCS}/api/winsock2/nf-winsock2-wsasocketw",
    "WSPSOCKET": f"{DOCS}/api/ws2spi/nc-ws2spi-lpwspsocket",
    "WSPCLOSE": f"{DOCS}/api/ws2spi/nc-ws2spi-lpwspclosesocket",
    "CLOSE": f"{DOCS}/api/winsock/nf-winsock-closesocket",
    "CLEANUP": f"{DOCS}/api/winsock/nf-winsock-wsacleanup",
    "WPUCREATE": f"{DOCS}/api/ws2spi/nf-ws2spi-wpucreatesockethandle",
    "WPUMODIFY": f"{DOCS}/api/ws2spi/nf-ws2spi-wpumodifyifshandle",
    "WPUCLOSE": f"{DOCS}/api/ws2spi/nf-ws2spi-wpuclosesockethandle",
    "PINFO": f"{DOCS}/api/winsock2/ns-winsock2-wsaprotocol_infow",
    "WSPEVENT": f"{DOCS}/api/ws2spi/nc-ws2spi-lpwspeventselect",
    "SAN-DUP": "https://learn.microsoft.com/en-us/previous-versions/windows/hardware/network/ff566282(v=vs.85)",
    "CE-DUP": "https://learn.microsoft.com/en-us/previous-versions/aa924106(v=msdn.10)",
    "KB198663": "jeffpar/kbarchive kb/198/Q198663/README.md",
    "PYDOC": "https://docs.python.org/3/library/socket.html#socket.socket.share",
    "NET-UOO": "https://learn.microsoft.com/en-us/dotnet/api/system.net.sockets.socket.useonlyoverlappedio",
    "WINE-TEST": "wine-mirror/wine dlls/ws2_32/tests/sock.c (test_WSADuplicateSocket)",
    "PY-TEST": "python/cpython Lib/test/test_socket.py (TestSocketSharing)",
    "NET-TEST": "dotnet/runtime src/libraries/System.Net.Sockets/tests/FunctionalTests/"
    "SocketDuplicationTests.cs",
    "ROS-TEST": "reactos/reactos modules/rostests/apitests/ws2_32/close.c",
    "MS-LSP": "microsoft/Windows-classic-samples "
    "Samples/Win7Samples/netds/winsock/lsp/nonifslsp/spi.cpp",
}

Status = Literal["implemented", "deferred", "out_of_scope"]


class Rule(Frozen):
    """One rule: its id, its statement (ours), its sources, and what the model does with
    it (the transitions, invariants and knobs that implement it, or why it is left out)."""

    id: str
    statement: str
    sources: tuple[str, ...]
    status: Status
    implemented_by: tuple[str, ...] = ()
    issue: int | None = None
    reason: str = ""

    def source_links(self) -> tuple[str, ...]:
        return tuple(SOURCES.get(key, key) for key in self.sources)


def _impl(rid: str, statement: str, sources: tuple[str, ...], *by: str) -> Rule:
    return Rule(
        id=rid, statement=statement, sources=sources, status="implemented", implemented_by=by
    )


def _out(rid: str, statement: str, sources: tuple[str, ...], reason: str) -> Rule:
    return Rule(id=rid, statement=statement, sources=sources, status="out_of_scope", reason=reason)


RULES: tuple[Rule, ...] = (
    _impl(
        "R1",
        "Duplicating in the source and materialising the info in the target yields "
        "one more descriptor to the same underlying socket.",
        ("SHARED-SPI", "DUP-API"),
        "Semantics._wsa_duplicate_socket",
        "Semantics._wsa_socket_from_info",
        "invariant shares-the-source-socket",
        "property handoff-completes",
    ),
    _impl(
        "R2",
        "A special info yields a descriptor in at most one successful WSASocket call.",
        ("DUP-API", "DUP-SPI"),
        "Semantics._reuse",
        "invariant info-used-at-most-once",
        "invariant reuse-adds-no-reference",
        "knob reuse_outcomes",
    ),
    _impl(
        "R3",
        "Presenting an info that was already used fails with WSAEINVAL.",
        ("WSASOCKET",),
        "Semantics._reuse",
        "knob reuse_outcomes",
    ),
    _impl(
        "R4",
        "An info is minted for one target process, and only that process gets a "
        "descriptor from it.",
        ("DUP-API", "SHARED-API"),
        "Semantics._wrong_process",
        "invariant materialised-in-target",
        "knob wrong_process_outcomes",
    ),
    _impl(
        "R5",
        "At the SPI the target process id may be any 32-bit value.",
        ("SAN-DUP",),
        "abstraction: the pid argument takes 0, the pids of the run and a value naming no process",
        "spi.plan",
    ),
    _impl(
        "R6",
        "Duplicating for pid 0 or a pid that names no process fails with WSAEINVAL "
        "(observed on Windows).",
        ("WINE-TEST", "NET-TEST"),
        "Semantics._wsa_duplicate_socket",
        "knob validate_target_pid",
        "knob duplicate_to_exited",
    ),
    _impl(
        "R7",
        "WSADuplicateSocket checks the descriptor, then the pid, then the output "
        "buffer (observed on Windows).",
        ("WINE-TEST",),
        "Semantics._wsa_duplicate_socket",
    ),
    _impl(
        "R8",
        "A process may duplicate a socket for itself and get a second descriptor.",
        ("WINE-TEST", "ROS-TEST"),
        "Semantics._wsa_duplicate_socket",
    ),
    _impl(
        "R9",
        "Threads of one process use a descriptor without duplicating it.",
        ("DUP-API",),
        "abstraction: actions carry a process, not a thread; every thread sees the "
        "process's handle table",
    ),
    _out(
        "R10",
        "The target should create its descriptor with the flags the source used "
        "(WSA_FLAG_OVERLAPPED for a socket() source).",
        ("DUP-API",),
        "an obligation on applications whose breach has no documented outcome; creation "
        "flags are not part of the state",
    ),
    _out(
        "R11",
        "Sockets with QoS enabled cannot be shared.",
        ("DUP-API",),
        "QoS is not modelled; the windows profile of the SPI issue may add the WSAEINVAL "
        "that KB216603 reports",
    ),
    _impl(
        "R12",
        "A stack may not support sharing at all and then fails every duplication.",
        ("CE-DUP",),
        "Semantics._wsa_duplicate_socket",
        "knob sharing_supported",
    ),
    _impl(
        "R13",
        "The provider's WSPDuplicateSocket does all the work that makes the info "
        "usable in the target.",
        ("SHARED-SPI",),
        "spi.plan",
        "Semantics._wsa_duplicate_socket",
        "Semantics._wsa_socket_from_info",
    ),
    _impl(
        "R14",
        "The provider's WSPSocket returns a descriptor to the common underlying socket.",
        ("DUP-SPI",),
        "Semantics._wsa_socket_from_info",
        "invariant shares-the-source-socket",
    ),
    _impl(
        "R15",
        "The provider may keep private context, such as a handle already duplicated "
        "into the target, in dwProviderReserved.",
        ("DUP-SPI", "PINFO"),
        "Semantics._wsa_duplicate_socket",
        "Semantics._wsa_socket_from_info",
    ),
    _impl(
        "R16",
        "lpProtocolInfo is a caller-supplied buffer that the provider fills.",
        ("DUP-SPI",),
        "Semantics._wsa_duplicate_socket",
        "Semantics._decided",
    ),
    _impl(
        "R17",
        "ws2_32 routes WSASocket with an info to the provider of the info's catalog entry.",
        ("WSASOCKET", "PINFO"),
        "spi.plan",
        "Semantics._wsa_socket_from_info",
        "invariant routed-to-info-entry",
    ),
    _out(
        "R18",
        "af, type and protocol may be FROM_PROTOCOL_INFO and reach the provider unchanged.",
        ("WSASOCKET",),
        "the model's WSASocket with an info always passes FROM_PROTOCOL_INFO, as CPython, "
        ".NET and libuv do; explicit values (D14) are not modelled",
    ),
    _out(
        "R19",
        "A provider's WSPSocket accepts FROM_PROTOCOL_INFO and 0 for af and type.",
        ("WSPSOCKET",),
        "follows from R18's abstraction: every WSPSocket of the model "
        "receives FROM_PROTOCOL_INFO, and none refuses it",
    ),
    _impl(
        "R20",
        "Every new descriptor, duplicates included, is allocated with "
        "WPUModifyIFSHandle (IFS) or WPUCreateSocketHandle (non-IFS).",
        ("DUP-SPI",),
        "spi.plan",
        "Semantics._spi_step",
        "Semantics._new_descriptor",
        "invariant allocation-matches-provider",
    ),
    _impl(
        "R21",
        "IFS providers may duplicate with DuplicateHandle; non-IFS providers must "
        "do it in WSPDuplicateSocket.",
        ("DUP-SPI",),
        "spi.plan",
    ),
    _impl(
        "R22",
        "An IFS provider passes each new handle through WPUModifyIFSHandle and then "
        "uses only the returned value.",
        ("WPUMODIFY",),
        "spi.plan",
        "Semantics._spi_step",
        "invariant allocation-matches-provider",
    ),
    _impl(
        "R23",
        "A non-IFS provider hands out only handles ws2_32 issued, each with its context.",
        ("DESC", "WPUCREATE"),
        "Semantics._spi_step",
        "invariant ws2-table-matches",
        "invariant allocation-matches-provider",
    ),
    _impl(
        "R24",
        "WPUCloseSocketHandle removes a WPUCreateSocketHandle handle; a second "
        "removal fails with WSAENOTSOCK.",
        ("WPUCLOSE",),
        "spi.plan",
        "Semantics._spi_step",
        "invariant ws2-table-matches",
    ),
    _impl(
        "R25",
        "A provider that uses WPUCreateSocketHandle does not advertise XP1_IFS_HANDLES.",
        ("WPUCREATE", "DESC"),
        "invariant catalog-consistent",
    ),
    _impl(
        "R26",
        "Every descriptor of a shared socket does I/O on its own.",
        ("DUP-API",),
        "Semantics._send",
        "Semantics._recv",
        "property target-uses-after-source-closed",
    ),
    _impl(
        "R27",
        "Winsock does not arbitrate between the holders of a shared socket.",
        ("DUP-API",),
        "Semantics._send",
        "Semantics._recv",
    ),
    _impl(
        "R28",
        "State such as options, connection and blocking mode belongs to the "
        "underlying socket and is seen through every descriptor.",
        ("DUP-API", "MULTI"),
        "Semantics._setsockopt",
        "Semantics._getsockopt",
        "Semantics._connection",
        "Semantics._ioctl_nonblocking",
    ),
    _out(
        "R29",
        "On Windows a descriptor materialised before the source was bound does not "
        "behave as bound (recvfrom fails with WSAEINVAL).",
        ("WINE-TEST",),
        "per-descriptor snapshots of user-mode state (windows-evidence D7) are not "
        "modelled yet: the model keeps one shared state per socket (R28)",
    ),
    _impl(
        "R30",
        "An event registration through any descriptor replaces the one made through any other.",
        ("DUP-API",),
        "Semantics._select",
        "invariant one-registration-per-socket",
    ),
    _impl(
        "R31",
        "WSAEventSelect cancels earlier selections, a zero mask only cancels, and "
        "the socket becomes nonblocking.",
        ("WSPEVENT",),
        "Semantics._select",
        "Semantics._ioctl_nonblocking",
        "Semantics._recv",
    ),
    _out(
        "R32",
        "A completion port bound in one process blocks asynchronous use through a "
        "clone (observed).",
        ("NET-UOO", "NET-TEST"),
        "completion ports and overlapped I/O are not modelled; the model's I/O is synchronous",
    ),
    _impl(
        "R33",
        "Closing a descriptor frees only that descriptor; the socket lives until "
        "its last reference goes.",
        ("DUP-API", "DUP-SPI"),
        "Semantics.close_descriptor",
        "invariant descriptors-name-open-sockets",
        "invariant referenced-sockets-stay-open",
    ),
    _impl(
        "R34",
        "The last close releases the socket and discards its name and queued data.",
        ("WSPCLOSE",),
        "semantics._release_unreferenced",
        "invariant unreferenced-sockets-are-released",
        "invariant released-sockets-hold-no-data",
    ),
    _impl(
        "R35",
        "Closing a descriptor cancels the calls this process has pending on it, and no others.",
        ("WSPCLOSE",),
        "Semantics.close_descriptor",
        "Semantics._recv_return",
    ),
    _impl(
        "R36",
        "A closed descriptor value is invalid (WSAENOTSOCK) until it is reused.",
        ("WSPCLOSE", "CLOSE"),
        "Semantics._lookup",
        "World.lowest_free_handle",
        "invariant handle-values-unique",
    ),
    _out(
        "R37",
        "An application must not close a descriptor while another call on it is in progress.",
        ("CLOSE",),
        "an obligation on applications with no defined outcome; calls are atomic at api "
        "granularity, and a close racing a blocked recv gets the outcome of R35",
    ),
    _impl(
        "R38",
        "A close that fails with WSAEWOULDBLOCK leaves the descriptor valid.",
        ("WSPCLOSE",),
        "invariant failures-change-nothing",
        "knob environmental_errors (failures that change no state)",
    ),
    _impl(
        "R39",
        "WSACleanup closes the process's open descriptors as closesocket would.",
        ("CLEANUP",),
        "Semantics._wsa_cleanup",
        "invariant cleanup-closes-descriptors",
    ),
    _impl(
        "R40",
        "The source may close its descriptor as soon as WSADuplicateSocket returned; "
        "the info stays usable.",
        ("PYDOC", "PY-TEST", "NET-TEST"),
        "Semantics._wsa_duplicate_socket",
        "knob info_pins_socket",
        "invariant referenced-sockets-stay-open",
    ),
    _out(
        "R41",
        "On Windows 95/98 closing a duplicated TCP socket did not release it.",
        ("KB198663",),
        "a defect of an obsolete platform; no profile models Windows 9x",
    ),
    _impl(
        "R42",
        "A layered provider implements WSPDuplicateSocket and calls the next layer's.",
        ("DUP-SPI",),
        "spi.plan",
    ),
    _impl(
        "R43",
        "A layer passes the caller's info on unchanged and substitutes the base "
        "entry only when the next element is the base.",
        ("DUP-SPI", "WSPSOCKET"),
        "spi.plan",
        "invariant layers-pass-info-unchanged",
    ),
    _impl(
        "R44",
        "An LSP mints its handles with WPUCreateSocketHandle or re-tags the base "
        "handle with WPUModifyIFSHandle.",
        ("WPUCREATE", "WPUMODIFY"),
        "spi.plan",
        "invariant allocation-matches-provider",
    ),
    _impl(
        "R45",
        "Microsoft's sample LSP keeps the lower provider's dwProviderReserved and "
        "forwards it to the lower WSPSocket.",
        ("MS-LSP",),
        "Semantics._wsa_duplicate_socket",
        "Semantics._wsa_socket_from_info",
    ),
    _impl(
        "R46",
        "WSADuplicateSocket fails only with the codes its page lists.",
        ("DUP-API",),
        "invariant errors-are-documented",
    ),
    _impl(
        "R47",
        "WSPDuplicateSocket fails only with the codes its page lists (no WSAEFAULT).",
        ("DUP-SPI", "SAN-DUP"),
        "invariant spi-errors-are-documented",
        "Semantics._decided",
    ),
    _impl(
        "R48",
        "WSASocket fails only with the codes its page lists.",
        ("WSASOCKET",),
        "invariant errors-are-documented",
        "Semantics._wsa_socket_from_info",
    ),
    _impl(
        "R49",
        "WSPSocket fails only with the codes its page lists.",
        ("WSPSOCKET",),
        "invariant spi-errors-are-documented",
    ),
    _impl(
        "R50",
        "closesocket fails only with the codes its page lists.",
        ("CLOSE", "WSPCLOSE"),
        "invariant errors-are-documented",
    ),
)

# R46-R50 give the error lists of the handoff's calls; the model has other calls, whose
# pages list their codes too (model/errors.py CALL_ERRORS, with the pages).
SOURCES["API-PAGES"] = (
    "the Microsoft page of each call, listed in wsshare.model.errors.CALL_ERRORS "
    "(learn.microsoft.com/en-us/windows/win32/api/winsock2/...)"
)
CATALOGUE_RULES: tuple[Rule, ...] = (
    _impl(
        "E1",
        "Every other Winsock call of the model (WSAStartup, WSACleanup, bind, listen, "
        "connect, accept, send, recv, setsockopt, getsockopt, WSAEventSelect, "
        "WSAAsyncSelect, ioctlsocket) fails only with the codes its page lists.",
        ("API-PAGES",),
        "invariant errors-are-documented",
    ),
)

# The Linux kernel's descriptor passing (model/linux.py): the rules of the Linux profiles,
# from the Linux man pages. R26, R28, R33 and R34 hold there too and are cited as such.
MAN = "https://man7.org/linux/man-pages"
SOURCES.update(
    {
        "MAN-OPEN": f"{MAN}/man2/open.2.html",
        "MAN-SOCKET": f"{MAN}/man2/socket.2.html",
        "MAN-CLOSE": f"{MAN}/man2/close.2.html",
        "MAN-DUP": f"{MAN}/man2/dup.2.html",
        "MAN-FCNTL": f"{MAN}/man2/fcntl.2.html",
        "MAN-FORK": f"{MAN}/man2/fork.2.html",
        "MAN-EXECVE": f"{MAN}/man2/execve.2.html",
        "MAN-CLOSE-RANGE": f"{MAN}/man2/close_range.2.html",
        "MAN-UNIX": f"{MAN}/man7/unix.7.html",
        "MAN-RECVMSG": f"{MAN}/man2/recvmsg.2.html",
        "MAN-PIDFD-GETFD": f"{MAN}/man2/pidfd_getfd.2.html",
        "MAN-EXIT": f"{MAN}/man2/_exit.2.html",
        "MAN-CONNECT": f"{MAN}/man2/connect.2.html",
        "MAN-ACCEPT": f"{MAN}/man2/accept.2.html",
        "MAN-LISTEN": f"{MAN}/man2/listen.2.html",
        "MAN-UDP": f"{MAN}/man7/udp.7.html",
    }
)

LINUX_RULES: tuple[Rule, ...] = (
    _impl(
        "L1",
        "A call that makes a descriptor gives the lowest number not open in the process, "
        "whatever kind of file the other numbers name.",
        ("MAN-OPEN", "MAN-SOCKET"),
        "LinuxSemantics._socket",
        "LinuxSemantics._recv_fds",
        "LinuxSemantics._linux_accept",
    ),
    _impl(
        "L2",
        "close removes one number from the caller's table; the file description goes "
        "only when nothing refers to it any more; a number that is not open gives EBADF.",
        ("MAN-CLOSE",),
        "LinuxSemantics._close",
    ),
    _impl(
        "L3",
        "dup makes another descriptor to the same file description, without the "
        "close-on-exec flag unless asked; dup2 onto an open number closes it first.",
        ("MAN-DUP", "MAN-FCNTL"),
        "LinuxSemantics._dup",
    ),
    _impl(
        "L4",
        "A forked child starts with a copy of each of the parent's descriptors, naming "
        "the same file descriptions, with the same close-on-exec flags.",
        ("MAN-FORK",),
        "LinuxSemantics._fork",
    ),
    _impl(
        "L5",
        "The close-on-exec flag belongs to one descriptor; a successful exec closes the "
        "descriptors that have it and keeps the others.",
        ("MAN-EXECVE", "MAN-FCNTL"),
        "LinuxSemantics._exec",
        "LinuxSemantics._set_cloexec",
    ),
    _impl(
        "L6",
        "close_range closes every open descriptor in a range (or marks it close-on-exec) "
        "and ignores the numbers that are not open.",
        ("MAN-CLOSE-RANGE",),
        "LinuxSemantics._close_range",
    ),
    _impl(
        "L7",
        "A descriptor sent with SCM_RIGHTS is a reference held by the message in flight, "
        "so the sender may close it at once; the reference goes if the message is never "
        "received.",
        ("MAN-UNIX",),
        "LinuxSemantics._send_fds",
        "LinuxSemantics._process_exit",
        "World.references",
    ),
    _impl(
        "L8",
        "Receiving an SCM_RIGHTS message makes one new descriptor per descriptor sent, "
        "naming the same file descriptions; MSG_CMSG_CLOEXEC marks them close-on-exec.",
        ("MAN-UNIX", "MAN-RECVMSG"),
        "LinuxSemantics._recv_fds",
    ),
    _impl(
        "L9",
        "pidfd_getfd copies a descriptor of another process, which must still have it "
        "open (else EBADF) and be alive (else ESRCH); the copy is close-on-exec and the "
        "pull may be repeated.",
        ("MAN-PIDFD-GETFD",),
        "LinuxSemantics._pidfd_getfd",
    ),
    _impl(
        "L10",
        "A process that exits closes all its descriptors.",
        ("MAN-EXIT",),
        "LinuxSemantics._process_exit",
    ),
    _impl(
        "L11",
        "Nothing binds a descriptor in flight to a target process: whoever receives the "
        "message gets it (a pid travels only in application data).",
        ("MAN-UNIX",),
        "LinuxSemantics._send_fds",
    ),
    _impl(
        "L12",
        "bind, listen, connect and accept may fail for reasons of the address family or "
        "the environment (refused, in progress, nothing to accept) and then change "
        "nothing, except that a connect in progress completes.",
        ("MAN-CONNECT", "MAN-ACCEPT", "MAN-LISTEN"),
        "LinuxSemantics._linux_connection",
        "LinuxSemantics._linux_accept",
    ),
    # connect(2): "Some protocol sockets (e.g., datagram sockets in the UNIX and Internet
    # domains) may use connect() multiple times to change their association", and "(e.g.,
    # TCP sockets as well as datagram sockets ...) may dissolve the association by
    # connecting to an address with the sa_family member of sockaddr set to AF_UNSPEC";
    # udp(7): connect sets the default destination; listen(2), accept(2): EOPNOTSUPP for
    # a socket type without connections.
    _impl(
        "L13",
        "A datagram socket makes no connection: each connect, in whatever state, only "
        "names the peer it sends to by default (a failed one keeps the old peer, though "
        "a UDP socket has a port by then); a connect to an AF_UNSPEC address undoes it, "
        "as it drops a TCP connection, while a unix stream socket refuses it (EINVAL); "
        "listen and accept on a datagram socket fail with EOPNOTSUPP.",
        ("MAN-CONNECT", "MAN-UDP", "MAN-LISTEN", "MAN-ACCEPT"),
        "LinuxSemantics._datagram",
        "LinuxSemantics._connect_unspec",
        "LinuxSemantics._linux_accept",
    ),
    # socket(2): SOCK_STREAM and SOCK_SEQPACKET are sequenced; unix(7): unix datagram
    # sockets "don't reorder datagrams". The queue is the receiving socket's.
    _impl(
        "L14",
        "An SCM_RIGHTS message waits in the queue of the socket it was sent to, behind "
        "what was sent there before; each connection has a queue of its own, so messages "
        "on two connections between the same processes arrive independently.",
        ("MAN-UNIX", "MAN-SOCKET"),
        "LinuxSemantics._send_fds",
        "LinuxSemantics._recv_fds",
    ),
)

RULES_BY_ID: dict[str, Rule] = {r.id: r for r in (*RULES, *CATALOGUE_RULES, *LINUX_RULES)}

# The open questions of semantics.md section D, which the profiles answer knob by knob;
# one line each, for explanations that cite them.
OPEN_QUESTIONS: dict[str, str] = {
    "D1": "What WSASocket does with an info in a process other than its target.",
    "D2": "Whether a WSASocket that fails consumes the info.",
    "D3": "What a second WSASocket with an info already used returns.",
    "D4": "Whether the source may close before the target materialises the info.",
    "D5": "How long an info nobody uses keeps its socket alive.",
    "D6": "Where the target pid is checked, and what a target that has exited gives.",
    "D7": "Which socket state is shared by every descriptor and which is each one's.",
    "D8": "Whether WSAEFAULT for a NULL buffer comes from ws2_32 or the provider.",
    "D9": "What becomes of an event registration when the descriptor that made it closes.",
    "D10": "What WSACleanup does to a shared socket: close one descriptor or reset it.",
    "D11": "What mixing the ANSI and Unicode forms of the info does.",
    "D12": "Which fields of the info carry the provider's payload.",
    "D13": "Which error a stack without sharing, or a QoS socket, reports.",
    "D14": "What WSASocket does with af, type and protocol that contradict the info.",
    "D15": "How a non-IFS provider duplicates, and when it must call WPUCloseSocketHandle.",
    "D16": "Which catalog entry a layered provider's info must name.",
    "D17": "How threads that share a descriptor race with its close.",
}

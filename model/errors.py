"""Windows Sockets error codes, and which codes each call may report.

The numbers are those of winerror.h / winsock2.h. A model result names the code by its
symbolic name; the number travels with it so a report can show both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class WsaError(IntEnum):
    """Every Windows Sockets error code (the "Windows Sockets Error Codes" page; winerror.h
    for the WSA_ ones): any may reach a trace, from an implementation under test or from
    a program's own calls, and a reader rejects none of them."""

    WSA_INVALID_HANDLE = 6
    WSA_NOT_ENOUGH_MEMORY = 8
    WSA_INVALID_PARAMETER = 87
    WSA_OPERATION_ABORTED = 995
    WSA_IO_INCOMPLETE = 996
    WSA_IO_PENDING = 997
    WSAEINTR = 10004
    WSAEBADF = 10009
    WSAEACCES = 10013
    WSAEFAULT = 10014
    WSAEINVAL = 10022
    WSAEMFILE = 10024
    WSAEWOULDBLOCK = 10035
    WSAEINPROGRESS = 10036
    WSAEALREADY = 10037
    WSAENOTSOCK = 10038
    WSAEDESTADDRREQ = 10039
    WSAEMSGSIZE = 10040
    WSAEPROTOTYPE = 10041
    WSAENOPROTOOPT = 10042
    WSAEPROTONOSUPPORT = 10043
    WSAESOCKTNOSUPPORT = 10044
    WSAEOPNOTSUPP = 10045
    WSAEPFNOSUPPORT = 10046
    WSAEAFNOSUPPORT = 10047
    WSAEADDRINUSE = 10048
    WSAEADDRNOTAVAIL = 10049
    WSAENETDOWN = 10050
    WSAENETUNREACH = 10051
    WSAENETRESET = 10052
    WSAECONNABORTED = 10053
    WSAECONNRESET = 10054
    WSAENOBUFS = 10055
    WSAEISCONN = 10056
    WSAENOTCONN = 10057
    WSAESHUTDOWN = 10058
    WSAETOOMANYREFS = 10059
    WSAETIMEDOUT = 10060
    WSAECONNREFUSED = 10061
    WSAELOOP = 10062
    WSAENAMETOOLONG = 10063
    WSAEHOSTDOWN = 10064
    WSAEHOSTUNREACH = 10065
    WSAENOTEMPTY = 10066
    WSAEPROCLIM = 10067
    WSAEUSERS = 10068
    WSAEDQUOT = 10069
    WSAESTALE = 10070
    WSAEREMOTE = 10071
    WSASYSNOTREADY = 10091
    WSAVERNOTSUPPORTED = 10092
    WSANOTINITIALISED = 10093
    WSAEDISCON = 10101
    WSAENOMORE = 10102
    WSAECANCELLED = 10103
    WSAEINVALIDPROCTABLE = 10104
    WSAEINVALIDPROVIDER = 10105
    WSAEPROVIDERFAILEDINIT = 10106
    WSASYSCALLFAILURE = 10107
    WSASERVICE_NOT_FOUND = 10108
    WSATYPE_NOT_FOUND = 10109
    WSA_E_NO_MORE = 10110
    WSA_E_CANCELLED = 10111
    WSAEREFUSED = 10112
    WSATRY_AGAIN = 11002

    @classmethod
    def from_name(cls, name: str) -> WsaError:
        """Look a code up by its symbolic name; raise ValueError naming the known ones."""
        try:
            return cls[name]
        except KeyError:
            known = ", ".join(e.name for e in cls)
            raise ValueError(f"unknown WSA error {name!r}; known: {known}") from None


class Errno(IntEnum):
    """The Linux errno values the Linux profiles produce or that Linux traces carry
    (asm-generic/errno-base.h and errno.h; x86_64 numbering). They never collide with a
    WSA code, so one field can hold either."""

    EPERM = 1
    ENOENT = 2
    ESRCH = 3
    EINTR = 4
    EBADF = 9
    EAGAIN = 11
    ENOMEM = 12
    EACCES = 13
    EFAULT = 14
    EINVAL = 22
    ENFILE = 23
    EMFILE = 24
    EPIPE = 32
    ENOTSOCK = 88
    EOPNOTSUPP = 95
    EADDRINUSE = 98
    ENETDOWN = 100
    ECONNRESET = 104
    ENOBUFS = 105
    EISCONN = 106
    ENOTCONN = 107
    ECONNREFUSED = 111
    EALREADY = 114
    EINPROGRESS = 115


# What a result's error holds: a WSA code on Winsock, an errno on Linux.
ErrorCode = WsaError | Errno


def error_from_name(name: str) -> ErrorCode:
    """A WSA code or an errno by its symbolic name; ValueError naming both lists."""
    if name in WsaError.__members__:
        return WsaError[name]
    if name in Errno.__members__:
        return Errno[name]
    wsa = ", ".join(e.name for e in WsaError)
    errno = ", ".join(e.name for e in Errno)
    raise ValueError(f"unknown error {name!r}; WSA codes: {wsa}; Linux errno names: {errno}")


E = WsaError

# Errors that may arrive from the environment (network, resources) rather than from the
# protocol. They are off by default (Profile.environmental_errors) and never change state.
ENVIRONMENTAL: frozenset[WsaError] = frozenset({E.WSAENETDOWN, E.WSAENOBUFS, E.WSAEMFILE})

# Running out of a resource: a call that allocates one may fail so whatever the protocol
# says; a checker accepts it there when the trace records the code (Semantics'
# `resource_errors`).
RESOURCE: frozenset[WsaError] = frozenset({E.WSAENOBUFS, E.WSAEMFILE})


@dataclass(frozen=True)
class Catalogue:
    """The codes one call may fail with: those its Microsoft pages list in their tables
    (and, where `note` says so, in their remarks), and the rule that cites the list."""

    rule: str
    pages: tuple[str, ...]
    codes: frozenset[WsaError]
    note: str = ""


_API = "https://learn.microsoft.com/en-us/windows/win32/api"


def _catalogue(rule: str, pages: str, codes: str, note: str = "") -> Catalogue:
    return Catalogue(
        rule,
        tuple(f"{_API}/{page}" for page in pages.split()),
        frozenset(WsaError[name] for name in codes.split()),
        note,
    )


# Per model call, and per SPI function of a spi_step, the codes its pages list (read from
# MicrosoftDocs/sdk-api, sdk-api-src/content, in the pages' order). A failure outside
# the list is no documented answer of that call: R46-R50 for the calls of the handoff
# and their SPI, R22-R24 for the upcalls, E1 for every other call.
CALL_ERRORS: dict[str, Catalogue] = {
    "WSAStartup": _catalogue(
        "E1",
        "winsock2/nf-winsock2-wsastartup",
        "WSASYSNOTREADY WSAVERNOTSUPPORTED WSAEINPROGRESS WSAEPROCLIM WSAEFAULT",
    ),
    "WSACleanup": _catalogue(
        "E1",
        "winsock2/nf-winsock2-wsacleanup",
        "WSANOTINITIALISED WSAENETDOWN WSAEINPROGRESS",
    ),
    "WSASocket": _catalogue(
        "R48",
        "winsock2/nf-winsock2-wsasocketw winsock2/nf-winsock2-socket",
        "WSANOTINITIALISED WSAENETDOWN WSAEAFNOSUPPORT WSAEFAULT WSAEINPROGRESS "
        "WSAEINVAL WSAEINVALIDPROVIDER WSAEINVALIDPROCTABLE WSAEMFILE WSAENOBUFS "
        "WSAEPROTONOSUPPORT WSAEPROTOTYPE WSAEPROVIDERFAILEDINIT WSAESOCKTNOSUPPORT",
    ),
    "WSASocketFromInfo": _catalogue(
        "R48",
        "winsock2/nf-winsock2-wsasocketw",
        "WSANOTINITIALISED WSAENETDOWN WSAEAFNOSUPPORT WSAEFAULT WSAEINPROGRESS "
        "WSAEINVAL WSAEINVALIDPROVIDER WSAEINVALIDPROCTABLE WSAEMFILE WSAENOBUFS "
        "WSAEPROTONOSUPPORT WSAEPROTOTYPE WSAEPROVIDERFAILEDINIT WSAESOCKTNOSUPPORT",
    ),
    "WSADuplicateSocket": _catalogue(
        "R46",
        "winsock2/nf-winsock2-wsaduplicatesocketw",
        "WSANOTINITIALISED WSAENETDOWN WSAEINVAL WSAEINPROGRESS WSAEMFILE WSAENOBUFS "
        "WSAENOTSOCK WSAEFAULT WSASYSCALLFAILURE",
        "WSASYSCALLFAILURE: a stack without sharing support (Windows CE, R12)",
    ),
    "closesocket": _catalogue(
        "R50",
        "winsock2/nf-winsock2-closesocket",
        "WSANOTINITIALISED WSAENETDOWN WSAENOTSOCK WSAEINPROGRESS WSAEINTR WSAEWOULDBLOCK",
    ),
    "bind": _catalogue(
        "E1",
        "winsock2/nf-winsock2-bind",
        "WSANOTINITIALISED WSAENETDOWN WSAEACCES WSAEADDRINUSE WSAEADDRNOTAVAIL "
        "WSAEFAULT WSAEINPROGRESS WSAEINVAL WSAENOBUFS WSAENOTSOCK",
    ),
    "listen": _catalogue(
        "E1",
        "winsock2/nf-winsock2-listen",
        "WSANOTINITIALISED WSAENETDOWN WSAEADDRINUSE WSAEINPROGRESS WSAEINVAL "
        "WSAEISCONN WSAEMFILE WSAENOBUFS WSAENOTSOCK WSAEOPNOTSUPP",
    ),
    "connect": _catalogue(
        "E1",
        "winsock2/nf-winsock2-connect",
        "WSANOTINITIALISED WSAENETDOWN WSAEADDRINUSE WSAEINTR WSAEINPROGRESS "
        "WSAEALREADY WSAEADDRNOTAVAIL WSAEAFNOSUPPORT WSAECONNREFUSED WSAEFAULT "
        "WSAEINVAL WSAEISCONN WSAENETUNREACH WSAEHOSTUNREACH WSAENOBUFS WSAENOTSOCK "
        "WSAETIMEDOUT WSAEWOULDBLOCK WSAEACCES",
    ),
    "accept": _catalogue(
        "E1",
        "winsock2/nf-winsock2-accept winsock2/nf-winsock2-wsaaccept",
        "WSANOTINITIALISED WSAECONNRESET WSAEFAULT WSAEINTR WSAEINVAL WSAEINPROGRESS "
        "WSAEMFILE WSAENETDOWN WSAENOBUFS WSAENOTSOCK WSAEOPNOTSUPP WSAEWOULDBLOCK "
        "WSAEACCES WSAECONNREFUSED WSATRY_AGAIN",
    ),
    "send": _catalogue(
        "E1",
        "winsock2/nf-winsock2-send winsock2/nf-winsock2-wsasend",
        "WSANOTINITIALISED WSAENETDOWN WSAEACCES WSAEINTR WSAEINPROGRESS WSAEFAULT "
        "WSAENETRESET WSAENOBUFS WSAENOTCONN WSAENOTSOCK WSAEOPNOTSUPP WSAESHUTDOWN "
        "WSAEWOULDBLOCK WSAEMSGSIZE WSAEHOSTUNREACH WSAEINVAL WSAECONNABORTED "
        "WSAECONNRESET WSAETIMEDOUT WSA_IO_PENDING WSA_OPERATION_ABORTED",
    ),
    "recv": _catalogue(
        "E1",
        "winsock2/nf-winsock2-recv winsock2/nf-winsock2-wsarecv",
        "WSANOTINITIALISED WSAENETDOWN WSAEFAULT WSAENOTCONN WSAEINTR WSAEINPROGRESS "
        "WSAENETRESET WSAENOTSOCK WSAEOPNOTSUPP WSAESHUTDOWN WSAEWOULDBLOCK WSAEMSGSIZE "
        "WSAEINVAL WSAECONNABORTED WSAETIMEDOUT WSAECONNRESET WSAEDISCON WSA_IO_PENDING "
        "WSA_OPERATION_ABORTED",
    ),
    "recv_return": _catalogue(
        "E1",
        "winsock2/nf-winsock2-recv winsock2/nf-winsock2-wsarecv",
        "WSANOTINITIALISED WSAENETDOWN WSAEFAULT WSAENOTCONN WSAEINTR WSAEINPROGRESS "
        "WSAENETRESET WSAENOTSOCK WSAEOPNOTSUPP WSAESHUTDOWN WSAEWOULDBLOCK WSAEMSGSIZE "
        "WSAEINVAL WSAECONNABORTED WSAETIMEDOUT WSAECONNRESET WSAEDISCON WSA_IO_PENDING "
        "WSA_OPERATION_ABORTED",
    ),
    "setsockopt": _catalogue(
        "E1",
        "winsock2/nf-winsock2-setsockopt",
        "WSANOTINITIALISED WSAENETDOWN WSAEFAULT WSAEINPROGRESS WSAEINVAL WSAENETRESET "
        "WSAENOPROTOOPT WSAENOTCONN WSAENOTSOCK",
    ),
    "getsockopt": _catalogue(
        "E1",
        "winsock2/nf-winsock2-getsockopt",
        "WSANOTINITIALISED WSAENETDOWN WSAEFAULT WSAEINPROGRESS WSAEINVAL "
        "WSAENOPROTOOPT WSAENOTSOCK",
    ),
    "WSAEventSelect": _catalogue(
        "E1",
        "winsock2/nf-winsock2-wsaeventselect",
        "WSANOTINITIALISED WSAENETDOWN WSAEINVAL WSAEINPROGRESS WSAENOTSOCK",
    ),
    "WSAAsyncSelect": _catalogue(
        "E1",
        "winsock2/nf-winsock2-wsaasyncselect",
        "WSANOTINITIALISED WSAENETDOWN WSAEINVAL WSAEINPROGRESS WSAENOTSOCK",
    ),
    "ioctlsocket_fionbio": _catalogue(
        "E1",
        "winsock2/nf-winsock2-ioctlsocket winsock2/nf-winsock2-wsaeventselect",
        "WSANOTINITIALISED WSAENETDOWN WSAEINPROGRESS WSAENOTSOCK WSAEFAULT WSAEINVAL",
        "WSAEINVAL: the WSAEventSelect remarks (FIONBIO back to blocking while a "
        "selection is registered)",
    ),
    "WSPSocket": _catalogue(
        "R49",
        "ws2spi/nc-ws2spi-lpwspsocket",
        "WSAENETDOWN WSAEAFNOSUPPORT WSAEINPROGRESS WSAEMFILE WSAENOBUFS "
        "WSAEPROTONOSUPPORT WSAEPROTOTYPE WSAESOCKTNOSUPPORT WSAEINVAL",
    ),
    "WSPDuplicateSocket": _catalogue(
        "R47",
        "ws2spi/nc-ws2spi-lpwspduplicatesocket",
        "WSAENETDOWN WSAEINVAL WSAEINPROGRESS WSAEMFILE WSAENOBUFS WSAENOTSOCK WSASYSCALLFAILURE",
        "WSASYSCALLFAILURE: a provider without sharing (Windows CE, R12)",
    ),
    "WSPCloseSocket": _catalogue(
        "R50",
        "ws2spi/nc-ws2spi-lpwspclosesocket",
        "WSAENETDOWN WSAEINPROGRESS WSAENOTSOCK WSAEWOULDBLOCK",
    ),
    "WPUModifyIFSHandle": _catalogue(
        "R22",
        "ws2spi/nf-ws2spi-wpumodifyifshandle",
        "WSAEINVAL",
    ),
    "WPUCreateSocketHandle": _catalogue(
        "R23",
        "ws2spi/nf-ws2spi-wpucreatesockethandle",
        "WSAENOBUFS",
    ),
    "WPUCloseSocketHandle": _catalogue(
        "R24",
        "ws2spi/nf-ws2spi-wpuclosesockethandle",
        "WSAENOTSOCK",
    ),
}

# The lists of the handoff's calls, by the names the invariants use.
DUPLICATE_SOCKET_ERRORS = CALL_ERRORS["WSADuplicateSocket"].codes  # R46
WSASOCKET_ERRORS = CALL_ERRORS["WSASocket"].codes  # R48
CLOSESOCKET_ERRORS = CALL_ERRORS["closesocket"].codes  # R50
WSPDUPLICATESOCKET_ERRORS = CALL_ERRORS["WSPDuplicateSocket"].codes  # R47
WSPSOCKET_ERRORS = CALL_ERRORS["WSPSocket"].codes  # R49
WSPCLOSESOCKET_ERRORS = CALL_ERRORS["WSPCloseSocket"].codes  # R50

"""Windows Sockets error codes, and which codes each call may report.

The numbers are those of winerror.h / winsock2.h. A model result names the code by its
symbolic name; the number travels with it so a report can show both.
"""

from __future__ import annotations

from enum import IntEnum


class WsaError(IntEnum):
    """The WSA error codes the model can produce or that traces may carry."""

    WSA_OPERATION_ABORTED = 995
    WSAEINTR = 10004
    WSAEACCES = 10013
    WSAEFAULT = 10014
    WSAEINVAL = 10022
    WSAEMFILE = 10024
    WSAEWOULDBLOCK = 10035
    WSAEINPROGRESS = 10036
    WSAENOTSOCK = 10038
    WSAEPROTOTYPE = 10041
    WSAEPROTONOSUPPORT = 10043
    WSAESOCKTNOSUPPORT = 10044
    WSAEOPNOTSUPP = 10045
    WSAEAFNOSUPPORT = 10047
    WSAENETDOWN = 10050
    WSAENOBUFS = 10055
    WSAEISCONN = 10056
    WSAENOTCONN = 10057
    WSANOTINITIALISED = 10093
    WSAEINVALIDPROCTABLE = 10104
    WSAEINVALIDPROVIDER = 10105
    WSAEPROVIDERFAILEDINIT = 10106
    WSASYSCALLFAILURE = 10107

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

# R46: the codes WSADuplicateSocket documents.
DUPLICATE_SOCKET_ERRORS: frozenset[WsaError] = frozenset(
    {
        E.WSANOTINITIALISED,
        E.WSAENETDOWN,
        E.WSAEINVAL,
        E.WSAEINPROGRESS,
        E.WSAEMFILE,
        E.WSAENOBUFS,
        E.WSAENOTSOCK,
        E.WSAEFAULT,
        # R12: a stack without sharing support (Windows CE) reports this.
        E.WSASYSCALLFAILURE,
    }
)

# R48: the codes WSASocket documents.
WSASOCKET_ERRORS: frozenset[WsaError] = frozenset(
    {
        E.WSANOTINITIALISED,
        E.WSAENETDOWN,
        E.WSAEAFNOSUPPORT,
        E.WSAEFAULT,
        E.WSAEINPROGRESS,
        E.WSAEINVAL,
        E.WSAEINVALIDPROVIDER,
        E.WSAEINVALIDPROCTABLE,
        E.WSAEMFILE,
        E.WSAENOBUFS,
        E.WSAEPROTONOSUPPORT,
        E.WSAEPROTOTYPE,
        E.WSAEPROVIDERFAILEDINIT,
        E.WSAESOCKTNOSUPPORT,
    }
)

# R50: the codes closesocket documents.
CLOSESOCKET_ERRORS: frozenset[WsaError] = frozenset(
    {
        E.WSANOTINITIALISED,
        E.WSAENETDOWN,
        E.WSAENOTSOCK,
        E.WSAEINPROGRESS,
        E.WSAEINTR,
        E.WSAEWOULDBLOCK,
    }
)


# R47: the codes WSPDuplicateSocket documents (no WSAEFAULT).
WSPDUPLICATESOCKET_ERRORS: frozenset[WsaError] = frozenset(
    {
        E.WSAENETDOWN,
        E.WSAEINVAL,
        E.WSAEINPROGRESS,
        E.WSAEMFILE,
        E.WSAENOBUFS,
        E.WSAENOTSOCK,
        # R12: a provider without sharing (Windows CE).
        E.WSASYSCALLFAILURE,
    }
)

# R49: the codes WSPSocket documents.
WSPSOCKET_ERRORS: frozenset[WsaError] = frozenset(
    {
        E.WSAENETDOWN,
        E.WSAEAFNOSUPPORT,
        E.WSAEINPROGRESS,
        E.WSAEMFILE,
        E.WSAENOBUFS,
        E.WSAEPROTONOSUPPORT,
        E.WSAEPROTOTYPE,
        E.WSAESOCKTNOSUPPORT,
        E.WSAEINVAL,
    }
)

# R50: the codes WSPCloseSocket documents.
WSPCLOSESOCKET_ERRORS: frozenset[WsaError] = frozenset(
    {E.WSAENETDOWN, E.WSAEINPROGRESS, E.WSAENOTSOCK, E.WSAEWOULDBLOCK}
)

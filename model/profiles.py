"""Profiles: one knob per open question, so every implementation is data, not a fork.

The documents, Windows as observed, Wine and ReactOS disagree where the Winsock pages are
silent (semantics.md section D). A Profile answers each such question; the semantics
reads the answers and never the profile's name. Where a knob allows several outcomes the
model is nondeterministic and offers every one of them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from .state import Frozen

ReuseOutcome = Literal["einval", "same_handle"]
WrongProcessOutcome = Literal["einval", "foreign_handle"]
CorruptInfoOutcome = Literal["einval", "fresh_socket", "carried_value"]


class Profile(Frozen):
    """Answers to the open questions. Field docs name the question (D*) or rule (R*)."""

    name: str
    description: str = ""

    # Which system's calls the model offers: Winsock's, or the Linux kernel's descriptor
    # passing (model/linux.py). Actions of the other platform have no outcome.
    platform: Literal["winsock", "linux"] = "winsock"
    # Linux: the handoff mechanisms offered, SCM_RIGHTS messages (unix(7)) and
    # pidfd_getfd(2); fork inheritance and dup are always there.
    linux_handoff: frozenset[Literal["scm_rights", "pidfd_getfd"]] = Field(default=frozenset())

    # R12: a stack may not support sharing at all (Windows CE reports WSASYSCALLFAILURE).
    sharing_supported: bool = True
    # R6: WSADuplicateSocket rejects a pid that names no process with WSAEINVAL.
    validate_target_pid: bool = True
    # D6: a target that has exited. Which answers are allowed depends on whether some
    # process still holds its process object, which the model does not track, so the
    # knob is a set: "einval" (OpenProcess fails: the pid names nothing), "emfile" (the
    # object is held but the handle cannot go into an exiting process: WCF on Windows),
    # "dead_info" (success, with an info that names no usable handle: Wine).
    duplicate_to_exited: frozenset[Literal["einval", "emfile", "dead_info"]] = Field(
        default=frozenset({"einval"})
    )
    # D3/R3: what a second WSASocket with a consumed info does while its target lives.
    # "einval": the documented failure; "same_handle": the handle value of the first use is
    # returned again (an alias, not a new reference).
    reuse_outcomes: frozenset[ReuseOutcome] = Field(default=frozenset({"einval"}))
    # D1/R4: WSASocket with an info in a process other than its target. "einval": fails;
    # "foreign_handle": "succeeds" with a handle value naming no socket (Wine).
    wrong_process_outcomes: frozenset[WrongProcessOutcome] = Field(default=frozenset({"einval"}))
    # D2: whether a WSASocket that fails after finding the info consumes it.
    failed_use_consumes_info: bool = False
    # D4/D5/R40: an unused info pins the underlying socket (a handle pre-placed in the
    # target) until the target materialises it or exits.
    info_pins_socket: bool = True
    # D9: an event registration made through a descriptor that is closed while other
    # descriptors remain: cancelled with it, or surviving on the socket.
    registration_on_owner_close: Literal["cancelled", "survives"] = "cancelled"
    # R39/D10: WSACleanup of the last startup closes the process's descriptors.
    cleanup_closes_descriptors: bool = True
    # D4/D5: a materialisation after the socket was released (possible only when infos
    # do not pin it): "einval", or "zombie": a descriptor to the closed shared state,
    # which closesocket then refuses with WSAENOTSOCK (ReactOS).
    use_of_released_info: Literal["einval", "zombie"] = "einval"
    # D15: WPUCreateSocketHandle implemented, or a stub returning 0 (ReactOS), which
    # leaves non-IFS providers without handles.
    wpu_create_socket_handle: Literal["implemented", "unimplemented"] = "implemented"
    # D3/D1 (Wine): ws2_32 keeps a per-process list of socket handle values with one entry
    # per WSASocket that returned the value, and closesocket succeeds while the value has
    # an entry. So a value returned again by a reused info, or by an info used in the
    # wrong process, can be closed once more than it has descriptors. The model keeps the
    # count of such stale entries per process, not their values (a trace binds a value
    # only while a descriptor is open): a close of a value naming no descriptor may then
    # succeed, once per stale entry.
    relists_returned_handles: bool = False
    # R46/R48/R50: which calls check WSAStartup first. "every_call": each call fails with
    # WSANOTINITIALISED in a process without WSAStartup (the pages list it for each);
    # "create_and_close": only WSAStartup's partners (WSACleanup), WSASocket and closesocket
    # do; every other call goes on to the handle, which in such a process names nothing
    # (WSAENOTSOCK) since the last WSACleanup closed its descriptors (Wine).
    startup_checked_by: Literal["every_call", "create_and_close"] = "every_call"
    # D5/D1/D3 (Wine): the handle WSADuplicateSocket pre-places in its target is an
    # ordinary entry of the target's handle table from that moment, not only a pin on the
    # socket. So the info's value names the socket in the target before any WSASocket
    # (calls on it act on the socket, except those that consult ws2_32's socket list:
    # closesocket, getsockopt and send, which refuse a value no WSASocket returned);
    # WSASocket with the info returns that very slot; a use in another process reads the
    # value in the caller's table, where it may name the caller's own pre-placed handle;
    # and a closed value a pre-placement lands on works again. Off: the pre-placed handle
    # only pins the socket (D5) and the descriptor is allocated when the info is used.
    preplaced_handle_is_descriptor: bool = False
    # send on a stream socket that is not connected (unbound, bound or listening): the
    # send page says WSAENOTCONN; Wine answers WSAECONNRESET (and a blocking send on a
    # listening socket never returns there, which a trace shows as a call without return).
    send_unconnected_error: Literal["WSAENOTCONN", "WSAECONNRESET"] = "WSAENOTCONN"
    # C28/R48/D12: WSASocket with bytes that are no info the stack minted (zeroed,
    # altered). "einval": the documented failure; "fresh_socket": a new socket from the
    # af/type/protocol the bytes name (Wine, when its marker in dwServiceFlags4 is
    # missing); "carried_value": the value the bytes carry in dwServiceFlags3, returned
    # as it is, naming nothing or whatever the caller's table holds there (Wine, with
    # the marker).
    corrupt_info_outcomes: frozenset[CorruptInfoOutcome] = Field(default=frozenset({"einval"}))
    # Environmental failures (WSAENETDOWN, WSAENOBUFS, WSAEMFILE) as extra outcomes that
    # change no state; off by default so that they do not swamp exploration.
    environmental_errors: bool = False

    # Per knob, the observation the value rests on, or "unverified".
    evidence: dict[str, str] = Field(default_factory=dict)

    def knobs(self) -> dict[str, object]:
        """The knob values, without the name, description and evidence."""
        return self.model_dump(mode="json", exclude={"name", "description", "evidence"})


DOCUMENTED = Profile(
    name="documented",
    description=(
        "Microsoft's Winsock pages; where they are silent, the answers semantics.md "
        "section D recommends."
    ),
)

_WE = "windows-evidence.md"
WINDOWS = DOCUMENTED.model_copy(
    update={
        "name": "windows",
        "description": (
            "documented, with what Windows was observed to do where the pages are silent "
            "(the answers of windows-evidence.md; nothing here was measured on Windows by "
            "this project)."
        ),
        "reuse_outcomes": frozenset({"einval", "same_handle"}),
        "duplicate_to_exited": frozenset({"einval", "emfile"}),
        "registration_on_owner_close": "survives",
        "evidence": {
            "reuse_outcomes": f"{_WE} D3: one handle is pre-placed per duplication, so reuse "
            "cannot add a reference; whether it fails (WSASocket page) or returns the same "
            "value (.NET docs, Wine, ReactOS) is unverified: both allowed",
            "duplicate_to_exited": f"{_WE} D6: WSAEINVAL once the pid names nothing; WCF's "
            "SMSvcHost reports 10024 for a worker "
            "that is exiting or has exited; libuv #505",
            "registration_on_owner_close": f"{_WE} D9: unverified; AFD signals per endpoint "
            "and cleans up at the last handle",
            "wrong_process_outcomes": f"{_WE} D1: the handle value means nothing in a third "
            "process; the error code is unverified",
            "failed_use_consumes_info": f"{_WE} D2: Rust std retries WSASocketW with the same "
            "info after WSAEINVAL (rust-lang/rust PR #66835)",
            "info_pins_socket": f"{_WE} D4/D5: CPython testShare, .NET TcpServerHandler, "
            "libuv ipc_tcp_connection close the source first; Cygwin 27bbefdef sees the "
            "leak of an unused info",
            "validate_target_pid": f"{_WE} D6: Wine's tests (not todo_wine) and .NET's "
            "DuplicateAndClose_TargetProcessDoesNotExist",
            "sharing_supported": "every Windows NT since 4.0 shares sockets (KB198663)",
            "cleanup_closes_descriptors": f"{_WE} D10: unverified with open shared "
            "descriptors; Apache closes its listeners before WSACleanup",
            "use_of_released_info": "not reachable: infos pin their socket (D5)",
            "wpu_create_socket_handle": "Microsoft's sample LSPs call it (MS-LSP)",
            "environmental_errors": "off: not part of the protocol",
            "platform": "Winsock (ws2_32 and its providers)",
            "linux_handoff": "none: a Linux knob",
            "relists_returned_handles": "unverified: no evidence that Windows lets a value "
            "be closed more often than it has descriptors",
            "startup_checked_by": "the WSASocket, WSADuplicateSocket and closesocket pages "
            "list WSANOTINITIALISED first; unverified for the other calls",
            "send_unconnected_error": "the send page: WSAENOTCONN; unverified on Windows",
            "corrupt_info_outcomes": "the WSASocket page: WSAEINVAL for an info whose "
            "contents are invalid; .NET's SocketCtr_InvalidProtocolInformation expects "
            "the failure; unverified for altered bytes",
            "preplaced_handle_is_descriptor": f"{_WE} D4: MSAFD presumably pre-duplicates a "
            "handle into the target, but nothing says its value is usable before WSASocket "
            "returns it; unverified",
        },
    }
)

WINE_8 = DOCUMENTED.model_copy(
    update={
        "name": "wine-8.0",
        "description": (
            "Wine 8.0's ws2_32 (dlls/ws2_32/socket.c): the handle is duplicated into the "
            "target at WSADuplicateSocket; WSASocket returns the handle value the info "
            "carries, checking nothing."
        ),
        "reuse_outcomes": frozenset({"same_handle"}),
        "wrong_process_outcomes": frozenset({"foreign_handle"}),
        "duplicate_to_exited": frozenset({"einval", "dead_info"}),
        "relists_returned_handles": True,
        "startup_checked_by": "create_and_close",
        "preplaced_handle_is_descriptor": True,
        "send_unconnected_error": "WSAECONNRESET",
        "corrupt_info_outcomes": frozenset({"einval", "fresh_socket", "carried_value"}),
        "evidence": {
            "send_unconnected_error": "recorded (traces/real/wine send-unconnected: send "
            "on a fresh TCP socket and on a bound one fails with WSAECONNRESET, not "
            "WSAENOTCONN; on a blocking listening socket send does not return, not even when "
            "a client connects; send-listening: on a nonblocking listening socket, "
            "WSAECONNRESET too); Wine's server queues a send until the socket polls "
            "writable (server/sock.c send_socket), which a listening socket never does",
            "corrupt_info_outcomes": "recorded (traces/real/wine altered-info: with "
            "dwServiceFlags4's marker 0xff00ff00 cleared, WSASocket makes a fresh "
            "unconnected socket, which then connects; with the marker kept it returns "
            "dwServiceFlags3 as success: a value naming nothing in the caller (0x7ff0), or "
            "the caller's own connected socket; 628 zero bytes fail with WSAEINVAL, as in "
            "the live machine; the untouched info then still gives the pre-placed handle); "
            "semantics.md B.1",
            "preplaced_handle_is_descriptor": "the live machine (tests/test_wine_live.py, "
            "families create+share): P3 WSASocket -> 48, three WSADuplicateSocket(48 -> P2), "
            "P2 uses the third, P2 duplicates it to P1, P3 uses that info (wrong process) "
            "and gets a value naming its own pre-placed handle, on which WSADuplicateSocket "
            "succeeds (not WSAENOTSOCK); and: a reuse returned a closed value, a later "
            "duplicate into that process landed on it, and calls on it worked. Probed: an "
            "unused info's value takes bind, listen, connect, setsockopt, WSAEventSelect, "
            "ioctlsocket, recv and WSADuplicateSocket, while closesocket, getsockopt and send give "
            "WSAENOTSOCK until a WSASocket lists it; WSACleanup closes listed values only. "
            "semantics.md B.1: DuplicateHandle into the target at WSADuplicateSocket",
            "relists_returned_handles": "recorded (traces/real/wine reuse-double-close: "
            "after a reused info returned the same value, the target closes it twice, both "
            "OK; the live machine's wrong-process run in tests/test_wine_live.py: a value "
            "returned by an info meant for another process closes OK); socket_list_add "
            "does not de-duplicate and closesocket succeeds when socket_list_remove finds "
            "the value",
            "startup_checked_by": "recorded (traces/real/wine cleanup: after the last "
            "WSACleanup, send fails with WSAENOTSOCK; the live machine: WSADuplicateSocket, "
            "bind, getsockopt and the other handle calls too, while WSASocket, "
            "WSASocketFromInfo, closesocket and WSACleanup give WSANOTINITIALISED)",
            "reuse_outcomes": "semantics.md B.1: WSASocketW returns dwServiceFlags3 again; "
            "socket_list_add does not de-duplicate",
            "wrong_process_outcomes": "semantics.md B.1: no target check; the value is read "
            "in the caller's handle table (research/wine wrong_pid, wrong_pid_alias)",
            "duplicate_to_exited": "recorded (traces/real/wine exited-target, "
            "exited-target-held): WSAEINVAL once nothing holds the target's process "
            "object; while something does, success with an info that names nothing, since "
            "the DuplicateHandle result is not checked (semantics.md B.1)",
            "info_pins_socket": "semantics.md B.1: the handle lives in the target until it "
            "exits (research/wine unmaterialized_ref)",
            "validate_target_pid": "semantics.md B.1: OpenProcess fails for 0 and ~0 -> WSAEINVAL",
            "registration_on_owner_close": "unverified",
        },
    }
)

REACTOS = DOCUMENTED.model_copy(
    update={
        "name": "reactos",
        "description": (
            "ReactOS ws2_32 and msafd: the shared state counts materialised descriptors "
            "only; WPUCreateSocketHandle is a stub."
        ),
        "reuse_outcomes": frozenset({"same_handle"}),
        "info_pins_socket": False,
        "use_of_released_info": "zombie",
        "wpu_create_socket_handle": "unimplemented",
        "evidence": {
            "info_pins_socket": "semantics.md B.2: msafd's RefCount counts WSPSocket calls; "
            "the source's close ends the shared state before the target materialises",
            "use_of_released_info": "semantics.md B.2: WSPCloseSocket on a SocketClosed "
            "state fails with WSAENOTSOCK and leaks the handle",
            "wpu_create_socket_handle": "semantics.md B.2: WPUCreateSocketHandle is "
            "UNIMPLEMENTED and returns 0",
            "reuse_outcomes": "semantics.md B.2: reuse maps the section again and returns "
            "the same handle value",
            "wrong_process_outcomes": "semantics.md B.2: MapViewOfFile of a foreign section "
            "handle usually fails: WSAEINVAL",
        },
    }
)

_MAN = "https://man7.org/linux/man-pages/man2"
LINUX_SCM_RIGHTS = Profile(
    name="linux-scm-rights",
    description=(
        "The Linux kernel handing descriptors over in SCM_RIGHTS messages on a unix "
        "socket (and by fork and dup): the message in flight holds a reference; "
        "receiving makes new descriptors; no token is bound to a target pid."
    ),
    platform="linux",
    linux_handoff=frozenset({"scm_rights"}),
    evidence={
        "linux_handoff": "https://man7.org/linux/man-pages/man7/unix.7.html (SCM_RIGHTS); "
        "recorded in traces/real/linux",
        "platform": f"{_MAN}/close.2.html, {_MAN}/fork.2.html, {_MAN}/execve.2.html",
    },
)
LINUX_PIDFD = LINUX_SCM_RIGHTS.model_copy(
    update={
        "name": "linux-pidfd",
        "description": (
            "The Linux kernel handing descriptors over with pidfd_getfd(2): the target "
            "pulls from the source's table, which must still hold the descriptor; a pull "
            "may be repeated."
        ),
        "linux_handoff": frozenset({"pidfd_getfd"}),
        "evidence": {
            "linux_handoff": f"{_MAN}/pidfd_getfd.2.html; recording.md (Linux): the source "
            "must keep its descriptor until the pull, else EBADF",
            "platform": f"{_MAN}/close.2.html, {_MAN}/fork.2.html, {_MAN}/execve.2.html",
        },
    }
)

# A kernel since 5.6 has both mechanisms: a program may hand descriptors over in messages
# and have others pull them, and a trace of it is checked against both at once.
LINUX = LINUX_SCM_RIGHTS.model_copy(
    update={
        "name": "linux",
        "description": (
            "The Linux kernel (5.6 and later) with both handoff mechanisms: SCM_RIGHTS "
            "messages on unix sockets and pidfd_getfd(2), besides fork and dup."
        ),
        "linux_handoff": frozenset({"scm_rights", "pidfd_getfd"}),
        "evidence": {
            "linux_handoff": "https://man7.org/linux/man-pages/man7/unix.7.html (SCM_RIGHTS, "
            f"since Linux 2.2) and {_MAN}/pidfd_getfd.2.html (since Linux 5.6): one kernel "
            "offers both; recorded in traces/real/linux (SCM_RIGHTS) and by the live "
            "machine (tests/test_linux_live.py, both mechanisms)",
            "platform": f"{_MAN}/close.2.html, {_MAN}/fork.2.html, {_MAN}/execve.2.html",
        },
    }
)

PROFILES: dict[str, Profile] = {
    p.name: p for p in (DOCUMENTED, WINDOWS, WINE_8, REACTOS, LINUX_SCM_RIGHTS, LINUX_PIDFD, LINUX)
}


def get_profile(name: str) -> Profile:
    """The named profile; ValueError lists the known names when there is none."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown profile {name!r}; known profiles: {known}") from None

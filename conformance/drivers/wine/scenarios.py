"""The catalogue of scenarios recorded under Wine, with the verdicts they are expected to
get under the `documented` and `wine-8.0` profiles.

Each scenario is a short program over modelled processes (P1 the source, P2 the target,
P3 a bystander, as in semantics.md section C). Every expectation below was read from a
recording and checked against what the semantics says Wine does (section B.1) before it
was written here; where a recording departs from the `wine-8.0` profile the expectation
records what Wine did and `note` says how the profile differs.

An expectation of a violation names its event by a label the scenario sets with
`rec.mark(...)` just before the call, so the event index in the manifest follows the
recording and not a hand count.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .harness import AgentError, Info, Recording

DOC = "documented"
WINE = "wine-8.0"


@dataclass(frozen=True)
class Expect:
    verdict: str  # conforms | violates
    rules: tuple[str, ...] = ()
    at: str | None = None  # the mark naming the violating event


CONFORMS = Expect("conforms")


@dataclass(frozen=True)
class WineScenario:
    name: str
    title: str
    run: Callable[[Recording], None]
    expect: dict[str, Expect]
    processes: int = 2
    ipc: bool = False
    note: str = ""  # where the recording contradicts the wine-8.0 profile


SCENARIOS: dict[str, WineScenario] = {}


def scenario(
    title: str,
    expect: dict[str, Expect],
    processes: int = 2,
    ipc: bool = False,
    note: str = "",
) -> Callable[[Callable[[Recording], None]], Callable[[Recording], None]]:
    def add(run: Callable[[Recording], None]) -> Callable[[Recording], None]:
        name = run.__name__.removeprefix("s_").replace("_", "-")
        SCENARIOS[name] = WineScenario(name, title, run, expect, processes, ipc, note)
        return run

    return add


# -- the handoff ------------------------------------------------------------------------------


@scenario(
    "SEED: the seed's ten-step handoff, with its IPC relayed by the harness (R1, R26, R33)",
    {DOC: CONFORMS, WINE: CONFORMS},
    ipc=True,
)
def s_seed(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    conn = p1.connect(h1)
    pid = rec.ipc_pid(p1, p2)
    info = p1.duplicate(h1, pid)
    assert info is not None
    rec.ipc_info(p1, p2, info)
    h2 = p2.from_info(info)
    p2.send(h2)
    rec.peer_send(conn)
    p2.recv(h2)
    rec.ipc_done(p2, p1)
    p1.close(h1)  # the target still holds the socket: no FIN
    p2.close(h2)  # the last descriptor: the peer sees FIN
    rec.finish()


@scenario(
    "C1: happy path; the source's close leaves the socket open (R1, R26, R33, R34)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
)
def s_c1(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    conn = p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    h2 = p2.from_info(info)
    p2.send(h2)
    p1.close(h1)
    rec.peer_send(conn)
    p2.recv(h2)
    p2.close(h2)
    rec.finish()


@scenario(
    "C4: duplicate to self gives a second descriptor (R8, R33)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
    processes=1,
)
def s_c4(rec: Recording) -> None:
    (p1,) = rec.agents
    p1.startup()
    h1 = p1.socket()
    p1.connect(h1)
    info = p1.duplicate(h1, p1.pid)
    assert info is not None
    h1b = p1.from_info(info)
    p1.close(h1)
    p1.send(h1b)
    p1.close(h1b)
    rec.finish()


@scenario(
    "C14: two infos for one target give two descriptors to one socket (R2 per info)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
)
def s_c14(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    a = p1.duplicate(h1, p2.pid)
    b = p1.duplicate(h1, p2.pid)
    assert a is not None and b is not None
    h2a = p2.from_info(a)
    h2b = p2.from_info(b)
    p2.close(h2a)
    p1.close(h1)
    p2.send(h2b)
    p2.close(h2b)
    rec.finish()


@scenario(
    "C11: the source closes before the target materialises (R40, R33)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
)
def s_source_closes_first(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    conn = p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    p1.close(h1)  # the handle pre-placed in P2 keeps the socket: no FIN
    h2 = p2.from_info(info)
    p2.send(h2)
    rec.peer_send(conn)
    p2.recv(h2)
    p2.close(h2)
    rec.finish()


@scenario(
    "C12: the target exits without using the info; the source's close ends it (D5)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
)
def s_c12(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    p2.exit()
    p1.send(h1)
    p1.close(h1)
    rec.finish()


@scenario(
    "C12b: an unused info keeps the socket open after the source's close, until the "
    "target exits (R40, D5)",
    {DOC: CONFORMS, WINE: CONFORMS},
)
def s_c12b(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    p1.close(h1)
    p2.exit()
    rec.finish()


@scenario(
    "C15: fan-out to two targets, then each uses the other's info (R1, R4, D1)",
    {
        DOC: Expect("violates", ("R4", "D1", "D2"), at="cross use"),
        WINE: CONFORMS,
    },
    processes=3,
)
def s_fan_out(rec: Recording) -> None:
    p1, p2, p3 = rec.agents
    for p in rec.agents:
        p.startup()
    h1 = p1.socket()
    p1.connect(h1)
    i2 = p1.duplicate(h1, p2.pid)
    i3 = p1.duplicate(h1, p3.pid)
    assert i2 is not None and i3 is not None
    h2 = p2.from_info(i2)
    h3 = p3.from_info(i3)
    p3.send(h3)
    rec.mark("cross use")
    p3.from_info(i2)
    p2.from_info(i3)
    p1.close(h1)
    p2.close(h2)
    p3.close(h3)
    rec.finish()


@scenario(
    "Listener handoff: both processes accept from one shared listening socket (R28)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
)
def s_listener(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    lst = p1.socket()
    p1.bind(lst)
    address = p1.listen(lst)
    info = p1.duplicate(lst, p2.pid)
    assert info is not None
    lst2 = p2.from_info(info)
    rec.peer.connect(address)
    c2 = p2.accept(lst2)
    p2.send(c2)
    rec.peer.connect(address)
    c1 = p1.accept(lst)
    p1.send(c1)
    p1.close(lst)
    p2.close(lst2)
    p2.close(c2)
    p1.close(c1)
    rec.finish()


# -- state through the other descriptor -------------------------------------------------------


@scenario(
    "C19: an option set through one descriptor is seen through the other (R28)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
)
def s_options(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    h2 = p2.from_info(info)
    p2.getsockopt(h2)
    p1.setsockopt(h1, "set")
    p2.getsockopt(h2)
    p2.setsockopt(h2, "default")
    p1.getsockopt(h1)
    rec.finish()


@scenario(
    "C16/C18: event selection through the other descriptor makes the shared socket "
    "nonblocking and pins FIONBIO (R28, R30, R31)",
    {DOC: CONFORMS, WINE: CONFORMS},
)
def s_event_select(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    conn = p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    h2 = p2.from_info(info)
    p1.event_select(h1, 1)  # FD_READ
    p2.event_select(h2, 2)  # FD_WRITE: replaces P1's registration (R30)
    p1.recv(h1)  # no data and the socket is nonblocking now: WSAEWOULDBLOCK
    p1.fionbio(h1, False)  # refused while a registration exists (C18)
    p2.event_select(h2, 0)  # cancel
    p1.fionbio(h1, False)
    rec.peer_send(conn)
    p1.recv(h1)
    rec.finish()


# -- error paths ------------------------------------------------------------------------------


@scenario(
    "C8: bad target pids 0 and 0xFFFFFFFF fail with WSAEINVAL; the socket lives on (R6)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
    processes=1,
)
def s_bad_pid(rec: Recording) -> None:
    (p1,) = rec.agents
    p1.startup()
    h1 = p1.socket()
    p1.connect(h1)
    p1.duplicate(h1, 0)
    p1.duplicate(h1, 0xFFFFFFFF)
    p1.send(h1)
    p1.close(h1)
    rec.finish()


@scenario(
    "C6/C7/C9: WSADuplicateSocket checks the handle, then the pid, then the buffer (R7)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
    processes=1,
)
def s_argument_order(rec: Recording) -> None:
    (p1,) = rec.agents
    p1.startup()
    h1 = p1.socket()
    p1.connect(h1)
    p1.duplicate(0, 0, buffer=False)  # C6: WSAENOTSOCK
    p1.duplicate(h1, 0, buffer=False)  # C7: WSAEINVAL
    p1.duplicate(h1, p1.pid, buffer=False)  # C9: WSAEFAULT
    p1.close(h1)
    rec.finish()


@scenario(
    "NULL info: WSADuplicateSocket with a NULL buffer fails with WSAEFAULT and mints "
    "nothing; a later duplicate works (R46, R7)",
    {DOC: CONFORMS, WINE: CONFORMS},
)
def s_null_info(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    p1.duplicate(h1, p2.pid, buffer=False)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    p1.close(h1)
    h2 = p2.from_info(info)
    p2.send(h2)
    p2.close(h2)
    rec.finish()


@scenario(
    "C5: WSADuplicateSocket of a closed descriptor fails with WSAENOTSOCK (R36)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
)
def s_closed_socket(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    h1 = p1.socket()
    p1.connect(h1)
    p1.close(h1)
    p1.duplicate(h1, p2.pid)
    rec.finish()


@scenario(
    "C13: after every descriptor is closed, each fails with WSAENOTSOCK (R33, R36)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
)
def s_c13(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    h2 = p2.from_info(info)
    p1.close(h1)
    p2.close(h2)
    p2.send(h2)
    p1.duplicate(h1, p2.pid)
    rec.finish()


@scenario(
    "C22: a second closesocket of one descriptor fails with WSAENOTSOCK (R36)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
)
def s_double_close(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    h2 = p2.from_info(info)
    p2.close(h2)
    p2.close(h2)
    p1.close(h1)
    rec.finish()


@scenario(
    "C10: the target has not called WSAStartup; the failed use consumes nothing (R48, D2)",
    {
        DOC: CONFORMS,
        WINE: CONFORMS,
    },
)
def s_no_startup(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    h1 = p1.socket()
    p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    p2.from_info(info)  # WSANOTINITIALISED
    p2.startup()
    h2 = p2.from_info(info)
    p2.send(h2)
    rec.finish()


@scenario(
    "C2: the info used twice by its target (R2, R3; Wine: the same handle again, D3)",
    {
        DOC: Expect("violates", ("R2", "R3"), at="second use"),
        WINE: CONFORMS,
    },
)
def s_reuse(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    h2 = p2.from_info(info)
    rec.mark("second use")
    p2.from_info(info)
    p2.send(h2)
    p1.close(h1)
    p2.close(h2)
    rec.finish()


@scenario(
    "C2 then C22: after a reused info, the target's descriptor can be closed twice",
    {
        DOC: Expect("violates", ("R2", "R3"), at="second use"),
        # relists_returned_handles: Wine lists the handle once per WSASocket
        # (socket_list_add does not de-duplicate), so the second close succeeds.
        WINE: CONFORMS,
    },
)
def s_reuse_double_close(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    h2 = p2.from_info(info)
    rec.mark("second use")
    p2.from_info(info)
    p1.close(h1)
    p2.close(h2)
    rec.mark("second close")
    p2.close(h2)
    rec.finish()


@scenario(
    "C3: the info used by a bystander with no sockets, then by its target (R4, D1)",
    {
        DOC: Expect("violates", ("R4", "D1", "D2"), at="wrong process"),
        WINE: CONFORMS,
    },
    processes=3,
)
def s_wrong_process(rec: Recording) -> None:
    p1, p2, p3 = rec.agents
    for p in rec.agents:
        p.startup()
    h1 = p1.socket()
    p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    rec.mark("wrong process")
    p3.from_info(info)
    h2 = p2.from_info(info)
    p2.send(h2)
    p1.close(h1)
    p2.close(h2)
    rec.finish()


@scenario(
    "C3 alias: in a bystander that holds a socket of its own, the info's handle value names "
    "that socket (R4, D1)",
    {DOC: Expect("violates", ("R4", "D1", "D2"), at="wrong process"), WINE: CONFORMS},
    processes=3,
)
def s_wrong_process_alias(rec: Recording) -> None:
    p1, p2, p3 = rec.agents
    for p in rec.agents:
        p.startup()
    h1 = p1.socket()
    p1.connect(h1)
    own = p3.socket()
    p3.connect(own)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    rec.mark("wrong process")
    alias = p3.from_info(info)
    p3.send(alias)
    p3.close(alias)
    p1.close(h1)
    rec.finish()


@scenario(
    "D6: WSADuplicateSocket for a target that has exited (nothing holds its process "
    "object, so its pid names no process): WSAEINVAL",
    {DOC: CONFORMS, WINE: CONFORMS},
)
def s_exited_target(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    p2.exit()
    rec.mark("duplicate")
    p1.duplicate(h1, p2.pid)
    p1.send(h1)
    p1.close(h1)
    rec.finish()


@scenario(
    "D6: WSADuplicateSocket for an exited target whose process object the source holds: "
    "success, and the info pins nothing (Wine does not check DuplicateHandle)",
    {
        DOC: Expect("violates", ("R6", "D6"), at="duplicate"),
        WINE: CONFORMS,
    },
)
def s_exited_target_held(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    p1.open_process(p2.pid)
    p2.exit()
    rec.mark("duplicate")
    p1.duplicate(h1, p2.pid)
    p1.send(h1)
    p1.close(h1)
    rec.finish()


@scenario(
    "R39/D10: WSACleanup in the target closes its descriptor without ending the shared "
    "socket (the source's close then does); a later call there fails",
    {
        DOC: Expect("violates", ("R36",), at="after cleanup"),
        # startup_checked_by "create_and_close": send does not check WSAStartup in
        # Wine; the handle is gone, so it fails with WSAENOTSOCK.
        WINE: CONFORMS,
    },
)
def s_cleanup(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    h2 = p2.from_info(info)
    p2.cleanup()
    p1.send(h1)
    p1.close(h1)  # the last descriptor: WSACleanup closed P2's
    rec.mark("after cleanup")
    p2.send(h2)
    rec.finish()


# -- where Wine answers otherwise than the pages ----------------------------------------------


@scenario(
    "send on a TCP socket never connected: fresh, bound, then listening (R28: the pages say "
    "WSAENOTCONN)",
    {
        DOC: Expect("violates", ("R28",), at="fresh send"),
        # send_unconnected_error "WSAECONNRESET" for a socket never connected, unbound or
        # bound; the listening socket's send never returns, which any model allows.
        WINE: CONFORMS,
    },
    processes=1,
)
def s_send_unconnected(rec: Recording) -> None:
    (p1,) = rec.agents
    p1.startup()
    fresh = p1.socket()
    rec.mark("fresh send")
    p1.send(fresh)
    bound = p1.socket()
    p1.bind(bound)
    p1.send(bound)
    listening = p1.socket()
    p1.bind(listening)
    p1.listen(listening)
    # Blocking: Wine's server queues the send until the socket polls writable, which a
    # listening socket never does (server/sock.c send_socket), so it may not return.
    if not p1.send_may_block(listening):
        p1.kill()
    rec.finish()


@scenario(
    "send on a nonblocking listening socket (R28: the pages say WSAENOTCONN)",
    # Wine 8.0 answers WSAECONNRESET here too, as for a socket never connected
    # (send-unconnected): the knob send_unconnected_error covers every state but connected.
    {DOC: Expect("violates", ("R28",), at="send"), WINE: CONFORMS},
    processes=1,
)
def s_send_listening(rec: Recording) -> None:
    (p1,) = rec.agents
    p1.startup()
    listening = p1.socket()
    p1.bind(listening)
    p1.listen(listening)
    # Nonblocking, so that the send is tried at once instead of waiting for a
    # writability a listening socket never has (send-unconnected).
    p1.fionbio(listening, True)
    rec.mark("send")
    p1.send(listening)
    rec.finish()


# A handle value no agent reaches: Wine allocates the lowest free slot, and an agent holds
# a few dozen handles.
UNUSED_HANDLE = 0x7FF0


@scenario(
    "WSASocket with altered info bytes: the marker cleared, dwServiceFlags3 naming nothing, "
    "dwServiceFlags3 naming the caller's own socket, all zero; then the info itself (R48)",
    {
        DOC: Expect("violates", ("R48",), at="marker cleared"),
        # corrupt_info_outcomes: without Wine's marker a fresh socket is made from the
        # af/type/protocol in the bytes; with it, the value in dwServiceFlags3 is returned
        # as it is; all-zero bytes fail with WSAEINVAL.
        WINE: CONFORMS,
    },
)
def s_altered_info(rec: Recording) -> None:
    p1, p2 = rec.agents
    p1.startup()
    p2.startup()
    h1 = p1.socket()
    p1.connect(h1)
    own = p2.socket()
    p2.connect(own)
    info = p1.duplicate(h1, p2.pid)
    assert info is not None
    rec.mark("marker cleared")
    fresh = p2.from_info(info.altered(service_flags4=0))
    if fresh:
        # A fresh socket connects; the shared one, connected already, would refuse.
        p2.connect(fresh)
    if not p2.names_nothing(UNUSED_HANDLE):
        raise AgentError(f"P2's handle {UNUSED_HANDLE} names a socket; pick another value")
    p2.from_info(info.altered(service_flags3=UNUSED_HANDLE))
    p2.from_info(info.altered(service_flags3=own))
    p2.from_info(Info.zeros())
    # The alterations consumed nothing: the info's own bytes still give P2 the socket.
    h2 = p2.from_info(info)
    p2.send(h2)
    rec.finish()

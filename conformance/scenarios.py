"""The scenarios of semantics.md section C, and the seed's handoff, as executable scripts.

A scenario is a list of steps: an action with the result the documented behaviour
expects, or a check of the world in between ("the peer sees FIN" is "the socket was
released"). Running one through a Semantics says where the model (or a mutant standing in
for an implementation) departs from the expectation. The same scripts are rendered as
the seed's table by `wsshare handoff` and written as synthetic traces.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wsshare.model import (
    DOCUMENTED,
    NONEXISTENT_PID,
    Config,
    Err,
    Ok,
    Pending,
    Profile,
    Semantics,
    World,
    WsaError,
    describe,
    describe_result,
)
from wsshare.model.actions import (
    Action,
    CallReturn,
    CloseSocket,
    Connect,
    GetSockOpt,
    IoctlNonblocking,
    IpcRecv,
    IpcSend,
    PeerSeesClose,
    PeerSend,
    ProcessExit,
    Recv,
    RecvReturn,
    Send,
    SetSockOpt,
    SpiStep,
    WSAAsyncSelect,
    WSADuplicateSocket,
    WSAEventSelect,
    WSASocket,
    WSASocketFromInfo,
    WSAStartup,
)
from wsshare.model.semantics import Outcome
from wsshare.model.state import (
    CatalogEntry,
    Descriptor,
    Done,
    InfoMessage,
    PidReply,
    PidRequest,
)

E = WsaError
Expected = Ok | Err | Pending


# Catalogs to show the handoff through: an IFS base provider (MSAFD), a non-IFS base
# provider, and a layered provider over the IFS base (as Microsoft's sample LSP).
CATALOGS: dict[str, tuple[CatalogEntry, ...]] = {
    "ifs": (CatalogEntry(id=0, name="msafd-tcp"),),
    "non-ifs": (CatalogEntry(id=0, name="nonifs-base", handles="non_ifs", xp1_ifs_handles=False),),
    "lsp": (
        CatalogEntry(id=0, name="msafd-tcp"),
        CatalogEntry(
            id=1,
            name="sample-lsp",
            kind="layered",
            handles="non_ifs",
            xp1_ifs_handles=False,
            next=0,
        ),
    ),
}


class _Blocked:
    """The call cannot complete yet: the model offers no outcome for it."""

    def __repr__(self) -> str:
        return "still blocked"


BLOCKED = _Blocked()


@dataclass(frozen=True)
class Call:
    action: Action
    expect: Expected | _Blocked
    seed_step: int | None = None  # the row of the seed's table this call belongs to


@dataclass(frozen=True)
class Check:
    """An assertion about the world after the previous steps."""

    what: str
    holds: Callable[[World], bool]


Step = Call | Check


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    rules: tuple[str, ...]
    processes: int
    steps: tuple[Step, ...]
    # Profile knobs this scenario runs under, when it is about a knob (R12, say).
    knobs: tuple[tuple[str, object], ...] = ()
    # The Winsock catalog: one IFS base provider unless the scenario is about providers.
    catalog: tuple[CatalogEntry, ...] = CATALOGS["ifs"]

    def profile(self, base: Profile = DOCUMENTED) -> Profile:
        return base.model_copy(update=dict(self.knobs)) if self.knobs else base

    def config(self) -> Config:
        """Bounds roomy enough that no step of the script is cut off by them."""
        return Config(
            processes=self.processes,
            running_at_start=self.processes,
            startups_at_start=0,
            max_startups=2,
            max_sockets=6,
            max_infos=6,
            max_handles=6,
            channel_capacity=4,
            catalog=self.catalog,
        )


@dataclass
class StepRun:
    step: Step
    outcome: Outcome | None
    allowed: list[Outcome]
    ok: bool
    message: str = ""


@dataclass
class ScenarioRun:
    scenario: Scenario
    steps: list[StepRun] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(s.ok for s in self.steps)

    def explain(self) -> str:
        lines = [f"{self.scenario.id} {self.scenario.title}:"]
        for s in self.steps:
            mark = "ok " if s.ok else "BAD"
            lines.append(f"  {mark} {s.message}")
        return "\n".join(lines)


def run(scenario: Scenario, semantics: Semantics | None = None) -> ScenarioRun:
    """Run the scenario's steps in order and report each. Stops at the first step that
    departs from the expectation, since later steps would start from a wrong world."""
    sem = semantics or Semantics(scenario.config(), scenario.profile())
    world = sem.initial_worlds()[0]
    result = ScenarioRun(scenario)
    for step in scenario.steps:
        if isinstance(step, Check):
            ok = step.holds(world)
            result.steps.append(StepRun(step, None, [], ok, f"check: {step.what}"))
        else:
            allowed = sem.outcomes(world, step.action)
            label = describe(step.action)
            if isinstance(step.expect, _Blocked):
                ok = not allowed
                shown = ", ".join(describe_result(o.result) for o in allowed)
                msg = (
                    f"{label}: still blocked"
                    if ok
                    else f"{label}: expected still blocked, model allows {shown}"
                )
                result.steps.append(StepRun(step, None, allowed, ok, msg))
            else:
                chosen = next((o for o in allowed if o.result == step.expect), None)
                if chosen is None:
                    shown = ", ".join(describe_result(o.result) for o in allowed) or "nothing"
                    msg = f"{label}: expected {describe_result(step.expect)}, model allows {shown}"
                    result.steps.append(StepRun(step, None, allowed, False, msg))
                else:
                    world = chosen.world
                    msg = f"{label} -> {describe_result(chosen.result)}"
                    result.steps.append(StepRun(step, chosen, allowed, True, msg))
        if not result.steps[-1].ok:
            break
    return result


# -- building blocks -------------------------------------------------------------------


def ok(value: int | str | None = None) -> Ok:
    return Ok(value=value)


def err(error: WsaError) -> Err:
    return Err(error=error)


def startup(*pids: int, seed_step: int | None = None) -> list[Step]:
    return [Call(WSAStartup(pid=p), ok(), seed_step=seed_step) for p in pids]


def connected_socket(pid: int = 1, handle: int = 1) -> list[Step]:
    """A fresh socket in `pid`, connected to a remote peer."""
    return [
        Call(WSASocket(pid=pid), ok(handle), seed_step=1),
        Call(Connect(pid=pid, handle=handle), ok(), seed_step=1),
    ]


def share(src: int, handle: int, dst: int, info: int, new_handle: int) -> list[Step]:
    """Duplicate and materialise at once, without the IPC of the seed's table."""
    return [
        Call(WSADuplicateSocket(pid=src, handle=handle, target_pid=dst), ok(info)),
        Call(WSASocketFromInfo(pid=dst, info=info), ok(new_handle)),
    ]


def released(socket: int) -> Call:
    """The socket was released: the remote peer sees FIN (R34)."""
    return Call(PeerSeesClose(socket=socket), ok())


def still_open(socket: int) -> Call:
    """The socket lives on: the remote peer sees no FIN."""
    return Call(PeerSeesClose(socket=socket), BLOCKED)


def _registration_owner(socket: int, pid: int | None) -> Check:
    def holds(w: World) -> bool:
        owners = [r.owner_pid for r in w.registrations if r.socket == socket]
        return owners == ([] if pid is None else [pid])

    who = "no registration" if pid is None else f"only P{pid}'s registration"
    return Check(f"socket {socket} has {who}", holds)


# -- the seed's ten steps --------------------------------------------------------------

SEED = Scenario(
    "SEED",
    "The handoff of the seed's table",
    ("R1", "R26", "R33"),
    2,
    (
        *startup(1, 2, seed_step=0),
        *connected_socket(1, 1),
        Call(IpcSend(pid=1, to=2, message=PidRequest()), ok(), seed_step=2),
        Call(IpcRecv(pid=2, sender=1), ok(PidRequest()), seed_step=3),  # type: ignore[arg-type]
        Call(IpcSend(pid=2, to=1, message=PidReply(pid=2)), ok(), seed_step=3),
        Call(IpcRecv(pid=1, sender=2), ok(PidReply(pid=2)), seed_step=4),  # type: ignore[arg-type]
        Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), ok(0), seed_step=5),
        Call(IpcSend(pid=1, to=2, message=InfoMessage(info=0)), ok(), seed_step=6),
        Call(IpcRecv(pid=2, sender=1), ok(InfoMessage(info=0)), seed_step=7),  # type: ignore[arg-type]
        Call(WSASocketFromInfo(pid=2, info=0), ok(1), seed_step=8),
        Call(Send(pid=2, handle=1), ok(), seed_step=9),
        Call(PeerSend(socket=0), ok(), seed_step=9),
        Call(Recv(pid=2, handle=1), ok("data"), seed_step=9),
        Call(IpcSend(pid=2, to=1, message=Done()), ok(), seed_step=10),
        Call(IpcRecv(pid=1, sender=2), ok(Done()), seed_step=10),  # type: ignore[arg-type]
        Call(CloseSocket(pid=1, handle=1), ok(), seed_step=10),
        still_open(0),
    ),
)


# -- section C --------------------------------------------------------------------------

SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "C1",
        "Happy path",
        ("R1", "R26", "R33", "R34"),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            *share(1, 1, 2, 0, 1),
            Call(Send(pid=2, handle=1), ok()),
            Call(PeerSend(socket=0), ok()),
            Call(Recv(pid=2, handle=1), ok("data")),
            Call(CloseSocket(pid=1, handle=1), ok()),
            still_open(0),
            Call(PeerSend(socket=0), ok()),
            Call(Recv(pid=2, handle=1), ok("data")),
            Call(CloseSocket(pid=2, handle=1), ok()),
            released(0),
        ),
    ),
    Scenario(
        "C2",
        "Double use of the info",
        ("R2", "R3"),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            *share(1, 1, 2, 0, 1),
            Call(WSASocketFromInfo(pid=2, info=0), err(E.WSAEINVAL)),
        ),
    ),
    Scenario(
        "C3",
        "Use in a process other than the named target",
        ("R4",),
        3,
        (
            *startup(1, 2, 3),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), ok(0)),
            Call(WSASocketFromInfo(pid=3, info=0), err(E.WSAEINVAL)),
            Check("P3 holds no descriptor", lambda w: not w.descriptors_of(3)),
            Call(WSASocketFromInfo(pid=2, info=0), ok(1)),
        ),
    ),
    Scenario(
        "C4",
        "Duplicate to self",
        ("R8", "R33"),
        1,
        (
            *startup(1),
            *connected_socket(),
            *share(1, 1, 1, 0, 2),
            Call(CloseSocket(pid=1, handle=1), ok()),
            Call(Send(pid=1, handle=2), ok()),
            Call(CloseSocket(pid=1, handle=2), ok()),
            released(0),
        ),
    ),
    Scenario(
        "C5",
        "Duplicate of a closed descriptor",
        ("R36",),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            Call(CloseSocket(pid=1, handle=1), ok()),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), err(E.WSAENOTSOCK)),
        ),
    ),
    Scenario(
        "C6",
        "An invalid descriptor wins over the other bad arguments",
        ("R7",),
        1,
        (
            *startup(1),
            Call(
                WSADuplicateSocket(pid=1, handle=0, target_pid=0, buffer=False), err(E.WSAENOTSOCK)
            ),
        ),
    ),
    Scenario(
        "C7",
        "A bad pid wins over a NULL buffer",
        ("R7",),
        1,
        (
            *startup(1),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=0, buffer=False), err(E.WSAEINVAL)),
        ),
    ),
    Scenario(
        "C8",
        "A pid that names no process",
        ("R6",),
        1,
        (
            *startup(1),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=NONEXISTENT_PID), err(E.WSAEINVAL)),
            Call(Send(pid=1, handle=1), ok()),
        ),
    ),
    Scenario(
        "C9",
        "A NULL output buffer",
        ("R46", "R7"),
        1,
        (
            *startup(1),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=1, buffer=False), err(E.WSAEFAULT)),
        ),
    ),
    Scenario(
        "C10",
        "The target has not called WSAStartup",
        ("R48", "D2"),
        2,
        (
            *startup(1),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), ok(0)),
            Call(WSASocketFromInfo(pid=2, info=0), err(E.WSANOTINITIALISED)),
            Call(WSAStartup(pid=2), ok()),
            Call(WSASocketFromInfo(pid=2, info=0), ok(1)),
        ),
    ),
    Scenario(
        "C11",
        "The source closes before the target materialises",
        ("R40", "R33"),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), ok(0)),
            Call(CloseSocket(pid=1, handle=1), ok()),
            still_open(0),
            Call(WSASocketFromInfo(pid=2, info=0), ok(1)),
            Call(Send(pid=2, handle=1), ok()),
        ),
    ),
    Scenario(
        "C12",
        "The target exits without using the info",
        ("D5", "R34"),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), ok(0)),
            Call(ProcessExit(pid=2), ok()),
            Call(Send(pid=1, handle=1), ok()),
            Call(CloseSocket(pid=1, handle=1), ok()),
            released(0),
        ),
    ),
    Scenario(
        "C12b",
        "The target lives on and never uses the info",
        ("D5", "R40"),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), ok(0)),
            Call(CloseSocket(pid=1, handle=1), ok()),
            still_open(0),
            Call(ProcessExit(pid=2), ok()),
            released(0),
        ),
    ),
    Scenario(
        "C13",
        "Close everything, then use",
        ("R33", "R36"),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            *share(1, 1, 2, 0, 1),
            Call(CloseSocket(pid=1, handle=1), ok()),
            Call(CloseSocket(pid=2, handle=1), ok()),
            released(0),
            Call(Send(pid=2, handle=1), err(E.WSAENOTSOCK)),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), err(E.WSAENOTSOCK)),
        ),
    ),
    Scenario(
        "C14",
        "Two infos for the same target",
        ("R2",),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), ok(0)),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), ok(1)),
            Call(WSASocketFromInfo(pid=2, info=0), ok(1)),
            Call(WSASocketFromInfo(pid=2, info=1), ok(2)),
            Call(WSASocketFromInfo(pid=2, info=0), err(E.WSAEINVAL)),
            Call(CloseSocket(pid=2, handle=1), ok()),
            Call(CloseSocket(pid=1, handle=1), ok()),
            still_open(0),
            Call(CloseSocket(pid=2, handle=2), ok()),
            released(0),
        ),
    ),
    Scenario(
        "C15",
        "Fan-out to two targets",
        ("R1", "R4"),
        3,
        (
            *startup(1, 2, 3),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), ok(0)),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=3), ok(1)),
            Call(WSASocketFromInfo(pid=2, info=0), ok(1)),
            Call(WSASocketFromInfo(pid=3, info=1), ok(1)),
            Call(WSASocketFromInfo(pid=3, info=0), err(E.WSAEINVAL)),
            Call(WSASocketFromInfo(pid=2, info=1), err(E.WSAEINVAL)),
            Call(CloseSocket(pid=1, handle=1), ok()),
            Call(CloseSocket(pid=3, handle=1), ok()),
            still_open(0),
            Call(CloseSocket(pid=2, handle=1), ok()),
            released(0),
        ),
    ),
    Scenario(
        "C16",
        "EventSelect in one process cancels the other's",
        ("R30", "R31"),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            *share(1, 1, 2, 0, 1),
            Call(WSAEventSelect(pid=1, handle=1), ok()),
            _registration_owner(0, 1),
            Call(WSAEventSelect(pid=2, handle=1), ok()),
            _registration_owner(0, 2),
        ),
    ),
    Scenario(
        "C17",
        "AsyncSelect cancelled through another descriptor",
        ("R30", "R31"),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            *share(1, 1, 2, 0, 1),
            Call(WSAAsyncSelect(pid=1, handle=1), ok()),
            Call(WSAEventSelect(pid=2, handle=1, mask_nonzero=False), ok()),
            _registration_owner(0, None),
        ),
    ),
    Scenario(
        "C18",
        "EventSelect makes the shared socket nonblocking",
        ("R28", "R31"),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            *share(1, 1, 2, 0, 1),
            Call(WSAEventSelect(pid=2, handle=1), ok()),
            Call(Recv(pid=1, handle=1), err(E.WSAEWOULDBLOCK)),
            Call(IoctlNonblocking(pid=1, handle=1, nonblocking=False), err(E.WSAEINVAL)),
        ),
    ),
    Scenario(
        "C19",
        "An option set through one descriptor is seen through the other",
        ("R28",),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            *share(1, 1, 2, 0, 1),
            Call(SetSockOpt(pid=1, handle=1, value="set"), ok()),
            Call(GetSockOpt(pid=2, handle=1), ok("set")),
        ),
    ),
    Scenario(
        "C20",
        "Threads share a descriptor without duplication",
        ("R9", "R36"),
        1,
        (
            *startup(1),
            *connected_socket(),
            Call(Send(pid=1, handle=1), ok()),
            Call(CloseSocket(pid=1, handle=1), ok()),
            Call(Send(pid=1, handle=1), err(E.WSAENOTSOCK)),
        ),
    ),
    Scenario(
        "C21",
        "A close cancels only the closer's pending calls",
        ("R35",),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            *share(1, 1, 2, 0, 1),
            Call(Recv(pid=2, handle=1), Pending()),
            Call(CloseSocket(pid=1, handle=1), ok()),
            Call(RecvReturn(pid=2, handle=1), BLOCKED),
            Call(CloseSocket(pid=2, handle=1), ok()),
            Call(RecvReturn(pid=2, handle=1), err(E.WSAEINTR)),
        ),
    ),
    Scenario(
        "C22",
        "Double close",
        ("R36",),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            *share(1, 1, 2, 0, 1),
            Call(CloseSocket(pid=2, handle=1), ok()),
            Call(CloseSocket(pid=2, handle=1), err(E.WSAENOTSOCK)),
        ),
    ),
)

# Scenarios beyond section C, for rules that C1..C22 do not reach.
EXTRA: tuple[Scenario, ...] = (
    Scenario(
        "C-unsupported",
        "A stack without sharing support",
        ("R12",),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), err(E.WSASYSCALLFAILURE)),
        ),
        knobs=(("sharing_supported", False),),
    ),
    Scenario(
        "C-reuse",
        "A closed handle value is reused by the next socket",
        ("R36",),
        1,
        (
            *startup(1),
            *connected_socket(),
            Call(CloseSocket(pid=1, handle=1), ok()),
            Call(WSASocket(pid=1), ok(1)),
            Call(Send(pid=1, handle=1), err(E.WSAENOTCONN)),
        ),
    ),
)


def _on(pid: int, handle: int, what: str, holds: Callable[[Descriptor], bool]) -> Check:
    def check(w: World) -> bool:
        d = w.descriptor(pid, handle)
        return d is not None and holds(d)

    return Check(f"P{pid} h{handle} {what}", check)


_TWO_LAYERS = (
    CatalogEntry(id=0, name="msafd-tcp"),
    CatalogEntry(id=1, name="layer-2", kind="layered", handles="ifs", next=0),
    CatalogEntry(
        id=2, name="layer-1", kind="layered", handles="non_ifs", xp1_ifs_handles=False, next=1
    ),
)


def _fails_to_load_in_target(error: WsaError) -> tuple[CatalogEntry, ...]:
    return (CatalogEntry(id=0, name="msafd-tcp", load_error=error, load_fails_in=(2,)),)


def _handoff(provider: int = 0) -> list[Step]:
    return [
        *startup(1, 2),
        Call(WSASocket(pid=1, provider=provider), ok(1)),
        Call(Connect(pid=1, handle=1), ok()),
        *share(1, 1, 2, 0, 1),
    ]


# Section C's provider scenarios (C23..C30). Their SPI steps are checked at spi
# granularity by the tests; here they run at api granularity like the others.
PROVIDER_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "C23",
        "IFS provider materialisation",
        ("R20", "R22"),
        2,
        (
            *_handoff(),
            _on(2, 1, "was allocated by WPUModifyIFSHandle", lambda d: d.allocation == "ifs"),
        ),
    ),
    Scenario(
        "C24",
        "Non-IFS provider materialisation and close",
        ("R21", "R23", "R24"),
        2,
        (
            *_handoff(),
            _on(
                2, 1, "was allocated by WPUCreateSocketHandle", lambda d: d.allocation == "non_ifs"
            ),
            Check("ws2_32 lists P2 h1", lambda w: (2, 1) in w.ws2_handles),
            Call(CloseSocket(pid=2, handle=1), ok()),
            Check("ws2_32 no longer lists P2 h1", lambda w: (2, 1) not in w.ws2_handles),
            Call(CloseSocket(pid=2, handle=1), err(E.WSAENOTSOCK)),
        ),
        catalog=CATALOGS["non-ifs"],
    ),
    Scenario(
        "C25",
        "A layered provider over a base provider",
        ("R42", "R43", "R44", "R45"),
        2,
        (
            *_handoff(provider=1),
            _on(
                2,
                1,
                "belongs to the LSP and names the shared socket",
                lambda d: d.provider == 1 and d.socket == 0 and d.allocation == "non_ifs",
            ),
            Call(Send(pid=2, handle=1), ok()),
        ),
        catalog=CATALOGS["lsp"],
    ),
    Scenario(
        "C26",
        "A two-layer chain",
        ("R43",),
        2,
        (
            *_handoff(provider=2),
            _on(2, 1, "belongs to the top layer", lambda d: d.provider == 2),
        ),
        catalog=_TWO_LAYERS,
    ),
    Scenario(
        "C27",
        "The provider cannot be loaded in the target",
        ("R48", "D2"),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), ok(0)),
            Call(WSASocketFromInfo(pid=2, info=0), err(E.WSAEPROVIDERFAILEDINIT)),
            Call(WSASocketFromInfo(pid=2, info=0), err(E.WSAEPROVIDERFAILEDINIT)),
            Check("the info was not consumed", lambda w: not w.infos[0].consumed),
        ),
        catalog=_fails_to_load_in_target(E.WSAEPROVIDERFAILEDINIT),
    ),
    Scenario(
        "C28",
        "Corrupt or zeroed info",
        ("R48",),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            Call(WSASocketFromInfo(pid=2, info=None), err(E.WSAEINVAL)),
        ),
    ),
    Scenario(
        "C29",
        "A truncated transfer reaches WSASocket as bytes that are no info",
        ("R48",),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2), ok(0)),
            Call(WSASocketFromInfo(pid=2, info=None), err(E.WSAEINVAL)),
            Call(WSASocketFromInfo(pid=2, info=0), ok(1)),
        ),
    ),
    Scenario(
        "C30",
        "ANSI info given to WSASocketW",
        ("D11", "R48"),
        2,
        (
            *startup(1, 2),
            *connected_socket(),
            Call(WSADuplicateSocket(pid=1, handle=1, target_pid=2, variant="A"), ok(0)),
            Call(WSASocketFromInfo(pid=2, info=0, variant="W"), err(E.WSAEINVAL)),
            Call(WSASocketFromInfo(pid=2, info=0, variant="A"), ok(1)),
        ),
    ),
)

ALL_SCENARIOS: tuple[Scenario, ...] = (SEED, *SCENARIOS, *EXTRA, *PROVIDER_SCENARIOS)
SCENARIOS_BY_ID: dict[str, Scenario] = {s.id: s for s in ALL_SCENARIOS}


def run_all(
    profile: Profile = DOCUMENTED,
    semantics_for: Callable[[Config, Profile], Semantics] | None = None,
) -> dict[str, ScenarioRun]:
    """Run every scenario (seed included) under `profile`, with `semantics_for` building
    the implementation under test (the reference Semantics by default)."""
    make = semantics_for or (lambda c, p: Semantics(c, p))
    return {s.id: run(s, make(s.config(), s.profile(profile))) for s in ALL_SCENARIOS}


# -- the seed's handoff at spi granularity -------------------------------------------------


@dataclass
class SpiRun:
    """A scenario run at spi granularity: each API call with the SPI steps inside it."""

    scenario: Scenario
    entries: list[tuple[int | None, Action, Expected, int | None, str | None]]
    failure: str | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None


def run_spi(
    scenario: Scenario, profile: Profile = DOCUMENTED, catalog: str | None = None
) -> SpiRun:
    """Run `scenario` at spi granularity with the chosen catalog: each call that reaches a
    provider is begun, its SPI steps are taken in order (another process could interleave
    here; the script does not), and its return is checked against the expectation. Fresh
    sockets come from the top entry of the catalog."""
    entries_catalog = CATALOGS[catalog] if catalog is not None else scenario.catalog
    top = entries_catalog[-1].id if catalog is not None else None
    config = scenario.config().model_copy(update={"granularity": "spi", "catalog": entries_catalog})
    sem = Semantics(config, scenario.profile(profile))
    world = sem.initial_worlds()[0]
    run_ = SpiRun(scenario, [])
    names = {e.id: e.name for e in entries_catalog}
    for step in scenario.steps:
        if not isinstance(step, Call):
            continue
        action = step.action
        if isinstance(action, WSASocket) and top is not None:
            action = action.model_copy(update={"provider": top})
        pid = getattr(action, "pid", None)
        allowed = sem.outcomes(world, action)
        if isinstance(step.expect, _Blocked):
            if allowed:
                run_.failure = f"{describe(action)}: expected still blocked"
                return run_
            continue
        if not allowed:
            run_.failure = f"{describe(action)}: the model allows nothing"
            return run_
        first = allowed[0]
        if (
            isinstance(first.result, Pending)
            and world.call_of(pid or 0) is None
            and (first.world.call_of(pid or 0) is not None)
        ):
            world = first.world
            inside: list[tuple[int | None, Action, Expected, int | None, str | None]] = []
            while True:
                nxt = [a for a in sem.enabled(world) if getattr(a, "pid", None) == pid]
                inner = [a for a in nxt if isinstance(a, SpiStep | CallReturn)]
                if not inner:
                    run_.failure = f"{describe(action)}: the call is stuck"
                    return run_
                act = inner[0]
                options = sem.outcomes(world, act)
                if isinstance(act, CallReturn):
                    chosen = next((o for o in options if o.result == step.expect), None)
                    if chosen is None:
                        shown = ", ".join(describe_result(o.result) for o in options)
                        run_.failure = (
                            f"{describe(action)}: expected {describe_result(step.expect)}, "
                            f"model allows {shown}"
                        )
                        return run_
                    run_.entries.append((pid, action, chosen.result, step.seed_step, None))
                    run_.entries.extend(inside)
                    world = chosen.world
                    break
                chosen = _steering(options, world, act, step.expect)
                got = chosen.result
                shown = (
                    f"OK, handle h{got.value}"
                    if isinstance(got, Ok) and isinstance(got.value, int)
                    else describe_result(got)
                )
                label = f"↳ {act.function} [{names[act.provider]}] → {shown}"
                inside.append((pid, act, chosen.result, step.seed_step, label))
                world = chosen.world
            continue
        chosen = next((o for o in allowed if o.result == step.expect), None)
        if chosen is None:
            run_.failure = f"{describe(action)}: expected {describe_result(step.expect)}"
            return run_
        run_.entries.append((pid, action, chosen.result, step.seed_step, None))
        world = chosen.world
    return run_


def _steering(options: list[Outcome], world: World, act: SpiStep, expect: Expected) -> Outcome:
    """At a deciding step with several outcomes, take the one whose call result is the
    scenario's expectation."""
    for o in options:
        call = o.world.call_of(act.pid)
        if call is not None and call.result == expect:
            return o
    return options[0]

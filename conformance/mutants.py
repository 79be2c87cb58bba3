"""Deliberately broken implementations: one or more per implemented rule.

Each mutant is the reference Semantics with one call changed (or a profile knob turned the
wrong way), standing in for a buggy provider or runtime. The table says which rules each
breaks and which checks must catch it: scenario ids of semantics.md section C, and
`explore:<config>` for an exhaustive search of a named configuration that must end in an
invariant violation. The tests run every row; the stateful tests reuse the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from wsshare.model import DOCUMENTED, Config, Err, Ok, Profile, Semantics, World, WsaError
from wsshare.model.actions import (
    Action,
    CloseSocket,
    GetSockOpt,
    PlannedStep,
    ProcessExit,
    Recv,
    Send,
    WSAAsyncSelect,
    WSACleanup,
    WSADuplicateSocket,
    WSAEventSelect,
    WSASocketFromInfo,
)
from wsshare.model.semantics import Outcome, _put_info, _put_socket
from wsshare.model.state import Descriptor, ProtocolInfo, UnderlyingSocket

E = WsaError


@dataclass(frozen=True)
class Mutant:
    name: str
    rules: tuple[str, ...]
    description: str
    caught_by: tuple[str, ...]
    build: Callable[[Config, Profile], Semantics]
    # Invariants an exhaustive search (the `explore:` entries of caught_by) must find
    # broken, so that every invariant is shown to fail when its rule is broken.
    trips: tuple[str, ...] = ()


def _knob(**changes: object) -> Callable[[Config, Profile], Semantics]:
    def build(config: Config, profile: Profile) -> Semantics:
        return Semantics(config, profile.model_copy(update=changes))

    return build


def _sub(cls: type[Semantics]) -> Callable[[Config, Profile], Semantics]:
    return lambda config, profile: cls(config, profile)


class InfoUsableTwice(Semantics):
    """A consumed info materialises again, as if it were fresh (R2)."""

    def _reuse(self, w: World, pid: int, info: ProtocolInfo) -> list[Outcome]:
        fresh = info.model_copy(update={"consumed": False})
        infos = list(w.infos)
        infos[info.id] = fresh
        return self._wsa_socket_from_info(
            w.model_copy(update={"infos": tuple(infos)}), WSASocketFromInfo(pid=pid, info=info.id)
        )


class ReuseWrongError(Semantics):
    """A reused info fails, but with WSAENOTSOCK instead of WSAEINVAL (R3)."""

    def _reuse(self, w: World, pid: int, info: ProtocolInfo) -> list[Outcome]:
        return [Outcome(Err(error=E.WSAENOTSOCK), w, ("R3",))]


class NoTargetCheck(Semantics):
    """Any process that has the bytes gets a descriptor, as if it were the target (R4)."""

    def _wrong_process(self, w: World, pid: int, info: ProtocolInfo) -> list[Outcome]:
        as_if_target = _put_info(w, info.model_copy(update={"target_pid": pid}))
        found = self._wsa_socket_from_info(as_if_target, WSASocketFromInfo(pid=pid, info=info.id))
        # The info still names its real target afterwards; only the check was skipped.
        return [
            Outcome(
                o.result,
                _put_info(
                    o.world,
                    o.world.infos[info.id].model_copy(update={"target_pid": info.target_pid}),
                ),
                o.rules,
            )
            for o in found
        ]


class FaultBeforePid(Semantics):
    """Checks the output buffer before the pid (R7)."""

    def _wsa_duplicate_socket(self, w: World, a: WSADuplicateSocket) -> list[Outcome]:
        if not a.buffer and self._prolog(w, a.pid) is None and w.descriptor(a.pid, a.handle):
            return [Outcome(Err(error=E.WSAEFAULT), w, ("R7",))]
        return super()._wsa_duplicate_socket(w, a)


class NoSelfDuplicate(Semantics):
    """Refuses to duplicate for the calling process itself (R8)."""

    def _wsa_duplicate_socket(self, w: World, a: WSADuplicateSocket) -> list[Outcome]:
        if a.target_pid == a.pid and w.descriptor(a.pid, a.handle) and a.buffer:
            return [Outcome(Err(error=E.WSAEINVAL), w, ("R8",))]
        return super()._wsa_duplicate_socket(w, a)


class MaterialiseNewSocket(Semantics):
    """WSASocket with an info creates a brand-new socket instead of sharing (R1)."""

    def _wsa_socket_from_info(self, w: World, a: WSASocketFromInfo) -> list[Outcome]:
        found = super()._wsa_socket_from_info(w, a)
        out = []
        for o in found:
            if isinstance(o.result, Ok) and isinstance(o.result.value, int) and o.result.value:
                d = o.world.descriptor(a.pid, o.result.value)
                if d is not None and d.origin == "info":
                    s = UnderlyingSocket(id=len(o.world.sockets), creator=a.pid)
                    ds = tuple(
                        x.model_copy(update={"socket": s.id}) if x == d else x
                        for x in o.world.descriptors
                    )
                    world = o.world.model_copy(
                        update={"sockets": (*o.world.sockets, s), "descriptors": ds}
                    )
                    o = Outcome(o.result, world, o.rules)
            out.append(o)
        return out


class SharedDescriptorCannotRecv(Semantics):
    """A descriptor that came from an info cannot receive (R26)."""

    def _recv(self, w: World, a: Recv) -> list[Outcome]:
        d = w.descriptor(a.pid, a.handle)
        if d is not None and d.origin == "info" and self._prolog(w, a.pid) is None:
            return [Outcome(Err(error=E.WSAENOTCONN), w, ("R26",))]
        return super()._recv(w, a)


class AccessControl(Semantics):
    """Only the creator may send while it still holds a descriptor (R27)."""

    def _send(self, w: World, a: Send) -> list[Outcome]:
        d = w.descriptor(a.pid, a.handle)
        if d is not None and self._prolog(w, a.pid) is None:
            creator = w.sockets[d.socket].creator
            if a.pid != creator and any(
                x.pid == creator and x.socket == d.socket for x in w.descriptors
            ):
                return [Outcome(Err(error=E.WSAEINPROGRESS), w, ("R27",))]
        return super()._send(w, a)


class OptionsPerDescriptor(Semantics):
    """An option set through one descriptor is not seen through another (R28)."""

    def _getsockopt(self, w: World, a: GetSockOpt) -> list[Outcome]:
        d = w.descriptor(a.pid, a.handle)
        if d is not None and d.origin == "info" and self._prolog(w, a.pid) is None:
            return [Outcome(Ok(value="default"), w, ("R28",))]
        return super()._getsockopt(w, a)


class RegistrationPerDescriptor(Semantics):
    """A registration through one descriptor leaves the others' in place (R30)."""

    def _select(self, w: World, a: WSAEventSelect | WSAAsyncSelect) -> list[Outcome]:
        before = w.registrations
        found = super()._select(w, a)
        out = []
        for o in found:
            if isinstance(o.result, Ok) and a.mask_nonzero:
                added = [r for r in o.world.registrations if r not in before]
                kept = [r for r in before if (r.owner_pid, r.owner_handle) != (a.pid, a.handle)]
                regs = tuple(sorted({*kept, *added}, key=lambda r: (r.socket, r.owner_pid)))
                o = Outcome(o.result, o.world.model_copy(update={"registrations": regs}), o.rules)
            out.append(o)
        return out


class SelectKeepsBlocking(Semantics):
    """WSAEventSelect does not make the socket nonblocking (R31)."""

    def _select(self, w: World, a: WSAEventSelect | WSAAsyncSelect) -> list[Outcome]:
        found = super()._select(w, a)
        out = []
        for o in found:
            d = w.descriptor(a.pid, a.handle)
            if isinstance(o.result, Ok) and d is not None:
                s = o.world.sockets[d.socket].model_copy(
                    update={"nonblocking": w.sockets[d.socket].nonblocking}
                )
                o = Outcome(o.result, _put_socket(o.world, s), o.rules)
            out.append(o)
        return out


class ZeroMaskKeepsRegistration(Semantics):
    """WSAEventSelect with a zero mask does not cancel the registration (R31)."""

    def _select(self, w: World, a: WSAEventSelect | WSAAsyncSelect) -> list[Outcome]:
        if isinstance(a, WSAEventSelect) and not a.mask_nonzero:
            found = super()._select(w, a)
            return [
                Outcome(
                    o.result, o.world.model_copy(update={"registrations": w.registrations}), o.rules
                )
                for o in found
            ]
        return super()._select(w, a)


class ReleasedAtFirstClose(Semantics):
    """The first close of any descriptor releases the underlying socket (R33)."""

    def close_descriptor(self, w: World, d: Descriptor) -> tuple[World, tuple[str, ...]]:
        w, rules = super().close_descriptor(w, d)
        s = w.sockets[d.socket]
        if s.open:
            w = _put_socket(w, s.model_copy(update={"open": False, "inbound": "none"}))
        return w, rules


class NeverReleased(Semantics):
    """The last close leaves the underlying socket open (R34)."""

    def close_descriptor(self, w: World, d: Descriptor) -> tuple[World, tuple[str, ...]]:
        w2, rules = super().close_descriptor(w, d)
        s = w.sockets[d.socket]
        return _put_socket(w2, s), rules


class CloseCancelsEveryone(Semantics):
    """A close cancels the pending calls of every process on the socket (R35)."""

    def close_descriptor(self, w: World, d: Descriptor) -> tuple[World, tuple[str, ...]]:
        w, rules = super().close_descriptor(w, d)
        pending = tuple(
            p.model_copy(update={"cancelled": True}) if p.socket == d.socket else p
            for p in w.pending
        )
        return w.model_copy(update={"pending": pending}), rules


class CloseKeepsDescriptor(Semantics):
    """closesocket reports success but the descriptor stays usable (R36)."""

    def _closesocket(self, w: World, a: CloseSocket) -> list[Outcome]:
        if w.descriptor(a.pid, a.handle) is not None and self._prolog(w, a.pid) is None:
            return [Outcome(Ok(), w, ("R36",))]
        return super()._closesocket(w, a)


class CloseBadHandleUndocumented(Semantics):
    """closesocket of a value that names nothing fails with WSAEACCES, a code closesocket
    does not document (R50)."""

    def _closesocket(self, w: World, a: CloseSocket) -> list[Outcome]:
        found = super()._closesocket(w, a)
        return [
            Outcome(Err(error=E.WSAEACCES), o.world, o.rules)
            if isinstance(o.result, Err) and o.result.error == E.WSAENOTSOCK
            else o
            for o in found
        ]


class DuplicateBadPidUndocumented(Semantics):
    """WSADuplicateSocket reports a bad pid as WSAENOTCONN, outside its list (R46)."""

    def _wsa_duplicate_socket(self, w: World, a: WSADuplicateSocket) -> list[Outcome]:
        found = super()._wsa_duplicate_socket(w, a)
        return [
            Outcome(Err(error=E.WSAENOTCONN), o.world, o.rules)
            if isinstance(o.result, Err) and o.result.error == E.WSAEINVAL
            else o
            for o in found
        ]


class BadInfoUndocumented(Semantics):
    """WSASocket with bytes that are no info fails with WSAENOTSOCK, outside its list (R48)."""

    def _wsa_socket_from_info(self, w: World, a: WSASocketFromInfo) -> list[Outcome]:
        if a.info is None and self._prolog(w, a.pid) is None:
            return [Outcome(Err(error=E.WSAENOTSOCK), w, ("R48",))]
        return super()._wsa_socket_from_info(w, a)


class FailedDuplicateMintsInfo(Semantics):
    """A WSADuplicateSocket that fails with WSAEFAULT still mints an info (R38: failures
    change nothing)."""

    def _wsa_duplicate_socket(self, w: World, a: WSADuplicateSocket) -> list[Outcome]:
        found = super()._wsa_duplicate_socket(w, a)
        if found and isinstance(found[0].result, Err) and found[0].result.error == E.WSAEFAULT:
            minted = super()._wsa_duplicate_socket(w, a.model_copy(update={"buffer": True}))
            return [Outcome(found[0].result, o.world, o.rules) for o in minted]
        return found


class CleanupKeepsDescriptors(Semantics):
    """The last WSACleanup leaves the process's descriptors open (R39)."""

    def _wsa_cleanup(self, w: World, a: WSACleanup) -> list[Outcome]:
        p = w.process(a.pid)
        if p is not None and p.startups > 0:
            ps = list(w.processes)
            ps[a.pid - 1] = p.model_copy(update={"startups": p.startups - 1})
            return [Outcome(Ok(), w.model_copy(update={"processes": tuple(ps)}), ("R39",))]
        return super()._wsa_cleanup(w, a)


class ReleasedSocketKeepsData(Semantics):
    """The last close releases the socket but keeps its queued data (R34)."""

    def close_descriptor(self, w: World, d: Descriptor) -> tuple[World, tuple[str, ...]]:
        inbound = w.sockets[d.socket].inbound
        w, rules = super().close_descriptor(w, d)
        s = w.sockets[d.socket]
        if not s.open and inbound == "some":
            w = _put_socket(w, s.model_copy(update={"inbound": "some"}))
        return w, rules


class AlwaysHandleOne(Semantics):
    """Every new descriptor gets handle value 1, taken or not (R36)."""

    def _allocate(self, w: World, pid: int) -> int | None:
        return 1


class ExitKeepsDescriptors(Semantics):
    """A process exits but its descriptors stay in the table (R33)."""

    def _process_exit(self, w: World, a: ProcessExit) -> list[Outcome]:
        found = super()._process_exit(w, a)
        return [
            Outcome(o.result, o.world.model_copy(update={"descriptors": w.descriptors}), o.rules)
            for o in found
        ]


class ReturnsWrongHandle(Semantics):
    """WSASocket with an info returns a value one above the descriptor it made (R1)."""

    def _wsa_socket_from_info(self, w: World, a: WSASocketFromInfo) -> list[Outcome]:
        return [
            Outcome(Ok(value=o.result.value + 1), o.world, o.rules)
            if isinstance(o.result, Ok) and isinstance(o.result.value, int) and o.result.value
            else o
            for o in super()._wsa_socket_from_info(w, a)
        ]


class _PlanMutant(Semantics):
    """Begins calls with a doctored SPI plan (spi granularity)."""

    def doctor(self, steps: tuple[PlannedStep, ...], w: World) -> tuple[PlannedStep, ...]:
        raise NotImplementedError

    def _begin(self, w: World, a: Action) -> list[Outcome]:
        found = super()._begin(w, a)
        out = []
        for o in found:
            call = o.world.call_of(a.pid)  # type: ignore[union-attr]
            assert call is not None
            doctored = call.model_copy(update={"steps": self.doctor(call.steps, w)})
            calls = tuple(doctored if c.pid == call.pid else c for c in o.world.calls)
            out.append(Outcome(o.result, o.world.model_copy(update={"calls": calls}), o.rules))
        return out


class SkipsWPUModifyIFSHandle(_PlanMutant):
    """An IFS provider hands out its handle without WPUModifyIFSHandle (R20, R22)."""

    def doctor(self, steps: tuple[PlannedStep, ...], w: World) -> tuple[PlannedStep, ...]:
        return tuple(s for s in steps if s.function != "WPUModifyIFSHandle" or not s.allocates)


class SkipsWPUCloseSocketHandle(_PlanMutant):
    """A non-IFS provider closes without WPUCloseSocketHandle (R24)."""

    def doctor(self, steps: tuple[PlannedStep, ...], w: World) -> tuple[PlannedStep, ...]:
        return tuple(s for s in steps if s.function != "WPUCloseSocketHandle")


class SubstitutesAtFirstLayer(_PlanMutant):
    """The first layer substitutes the base's entry instead of passing the caller's info
    on unchanged (R43)."""

    def doctor(self, steps: tuple[PlannedStep, ...], w: World) -> tuple[PlannedStep, ...]:
        base = next((s.provider for s in steps if s.decides), None)
        return tuple(
            s.model_copy(update={"info_entry": base}) if s.info_entry is not None and i > 0 else s
            for i, s in enumerate(steps)
        )


class RoutesToDefaultEntry(Semantics):
    """ws2_32 ignores the info's catalog entry and routes to the default entry (R17)."""

    def _wsa_socket_from_info(self, w: World, a: WSASocketFromInfo) -> list[Outcome]:
        found = super()._wsa_socket_from_info(w, a)
        out = []
        for o in found:
            value = o.result.value if isinstance(o.result, Ok) else None
            d = o.world.descriptor(a.pid, value) if isinstance(value, int) and value else None
            if d is not None and d.origin == "info" and d.provider != 0:
                ds = tuple(
                    x.model_copy(update={"provider": 0}) if x == d else x
                    for x in o.world.descriptors
                )
                o = Outcome(o.result, o.world.model_copy(update={"descriptors": ds}), o.rules)
            out.append(o)
        return out


class LayerDropsProviderContext(Semantics):
    """A layer rewrites the info with its own entry but loses the base's
    dwProviderReserved (R45): the target finds nothing to adopt."""

    def _wsa_duplicate_socket(self, w: World, a: WSADuplicateSocket) -> list[Outcome]:
        found = super()._wsa_duplicate_socket(w, a)
        out = []
        for o in found:
            if isinstance(o.result, Ok) and isinstance(o.result.value, int):
                info = o.world.infos[o.result.value]
                if o.world.catalog[info.catalog_entry].kind == "layered":
                    dropped = info.model_copy(update={"context": "none", "holds_reference": False})
                    o = Outcome(o.result, _put_info(o.world, dropped), o.rules)
            out.append(o)
        return out


class UndocumentedProviderError(Semantics):
    """The provider reports a reused info with WSAEFAULT, which WSPSocket's page does not
    list (R49; WSASocket's does, so only the SPI view shows it)."""

    def _reuse(self, w: World, pid: int, info: ProtocolInfo) -> list[Outcome]:
        return [Outcome(Err(error=E.WSAEFAULT), w, ("R49",))]


def _catalog_lies(config: Config, profile: Profile) -> Semantics:
    """A non-IFS provider that advertises XP1_IFS_HANDLES (R25)."""
    catalog = tuple(
        e.model_copy(update={"xp1_ifs_handles": True}) if e.handles == "non_ifs" else e
        for e in config.catalog
    )
    return Semantics(config.model_copy(update={"catalog": catalog}), profile)


class SharingAlwaysSupported(Semantics):
    """Duplicates even on a stack that declares it cannot share (R12)."""

    def __init__(self, config: Config, profile: Profile = DOCUMENTED) -> None:
        super().__init__(config, profile.model_copy(update={"sharing_supported": True}))


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "materialise-new-socket",
        ("R1",),
        "WSASocket with an info creates a new socket instead of sharing",
        ("C1", "explore:tiny"),
        _sub(MaterialiseNewSocket),
        trips=("shares-the-source-socket",),
    ),
    Mutant(
        "info-usable-twice",
        ("R2",),
        "a consumed info materialises again",
        ("C2", "explore:tiny"),
        _sub(InfoUsableTwice),
        trips=("info-used-at-most-once", "reuse-adds-no-reference"),
    ),
    Mutant(
        "reuse-wrong-error",
        ("R3",),
        "a reused info fails with WSAENOTSOCK",
        ("C2",),
        _sub(ReuseWrongError),
    ),
    Mutant(
        "no-target-check",
        ("R4",),
        "any process that has the bytes gets a descriptor",
        ("C3", "explore:three"),
        _sub(NoTargetCheck),
        trips=("materialised-in-target",),
    ),
    Mutant(
        "no-pid-validation",
        ("R6",),
        "duplication for a pid that names no process succeeds",
        ("C8",),
        _knob(validate_target_pid=False),
    ),
    Mutant(
        "fault-before-pid",
        ("R7",),
        "the NULL buffer is checked before the pid",
        ("C7",),
        _sub(FaultBeforePid),
    ),
    Mutant(
        "no-self-duplicate",
        ("R8",),
        "duplication for the caller itself is refused",
        ("C4",),
        _sub(NoSelfDuplicate),
    ),
    Mutant(
        "sharing-always-supported",
        ("R12",),
        "a stack that cannot share duplicates anyway",
        ("C-unsupported",),
        _sub(SharingAlwaysSupported),
    ),
    Mutant(
        "shared-descriptor-cannot-recv",
        ("R26",),
        "a duplicate cannot receive",
        ("C1",),
        _sub(SharedDescriptorCannotRecv),
    ),
    Mutant(
        "access-control",
        ("R27",),
        "only the creator may send while it holds the socket",
        ("C1",),
        _sub(AccessControl),
    ),
    Mutant(
        "options-per-descriptor",
        ("R28",),
        "options are not seen through a duplicate",
        ("C19",),
        _sub(OptionsPerDescriptor),
    ),
    Mutant(
        "registration-per-descriptor",
        ("R30",),
        "each descriptor keeps its own registration",
        ("C16", "explore:events"),
        _sub(RegistrationPerDescriptor),
        trips=("one-registration-per-socket",),
    ),
    Mutant(
        "select-keeps-blocking",
        ("R31",),
        "WSAEventSelect leaves the socket blocking",
        ("C18",),
        _sub(SelectKeepsBlocking),
    ),
    Mutant(
        "zero-mask-keeps-registration",
        ("R31",),
        "a zero mask does not cancel",
        ("C17",),
        _sub(ZeroMaskKeepsRegistration),
    ),
    Mutant(
        "released-at-first-close",
        ("R33",),
        "the first close releases the socket",
        ("C1", "explore:tiny"),
        _sub(ReleasedAtFirstClose),
        trips=("referenced-sockets-stay-open", "descriptors-name-open-sockets"),
    ),
    Mutant(
        "never-released",
        ("R34",),
        "the last close does not release the socket",
        ("C1", "explore:tiny"),
        _sub(NeverReleased),
        trips=("unreferenced-sockets-are-released",),
    ),
    Mutant(
        "released-socket-keeps-data",
        ("R34",),
        "the last close keeps queued data",
        ("explore:tiny",),
        _sub(ReleasedSocketKeepsData),
        trips=("released-sockets-hold-no-data",),
    ),
    Mutant(
        "close-cancels-everyone",
        ("R35",),
        "a close cancels other processes' calls",
        ("C21",),
        _sub(CloseCancelsEveryone),
    ),
    Mutant(
        "close-keeps-descriptor",
        ("R36",),
        "a closed descriptor stays usable",
        ("C22", "C20"),
        _sub(CloseKeepsDescriptor),
    ),
    Mutant(
        "failed-duplicate-mints-info",
        ("R38",),
        "a failed duplication changes state",
        ("explore:errors",),
        _sub(FailedDuplicateMintsInfo),
        trips=("failures-change-nothing",),
    ),
    Mutant(
        "cleanup-keeps-descriptors",
        ("R39",),
        "WSACleanup leaves descriptors open",
        ("explore:startup",),
        _sub(CleanupKeepsDescriptors),
        trips=("cleanup-closes-descriptors",),
    ),
    Mutant(
        "info-dies-with-source",
        ("R40",),
        "an unused info does not keep the socket alive",
        ("C11", "explore:tiny"),
        _knob(info_pins_socket=False),
        trips=("unused-info-keeps-socket",),
    ),
    Mutant(
        "duplicate-bad-pid-undocumented",
        ("R46",),
        "a bad pid fails with WSAENOTCONN",
        ("explore:errors",),
        _sub(DuplicateBadPidUndocumented),
        trips=("errors-are-documented",),
    ),
    Mutant(
        "bad-info-undocumented",
        ("R48",),
        "bytes that are no info fail with WSAENOTSOCK",
        ("explore:errors",),
        _sub(BadInfoUndocumented),
        trips=("errors-are-documented",),
    ),
    Mutant(
        "close-bad-handle-undocumented",
        ("R50",),
        "closing nothing fails with WSAEACCES",
        ("explore:errors",),
        _sub(CloseBadHandleUndocumented),
        trips=("errors-are-documented",),
    ),
    Mutant(
        "registration-survives-its-descriptor",
        ("D9", "R30"),
        "a registration outlives the descriptor that made it",
        ("explore:events",),
        _knob(registration_on_owner_close="survives"),
        trips=("registration-follows-its-descriptor",),
    ),
    Mutant(
        "always-handle-one",
        ("R36",),
        "every new descriptor gets handle value 1",
        ("explore:tiny",),
        _sub(AlwaysHandleOne),
        trips=("handle-values-unique",),
    ),
    Mutant(
        "exit-keeps-descriptors",
        ("R33",),
        "an exited process keeps its descriptors",
        ("explore:tiny",),
        _sub(ExitKeepsDescriptors),
        trips=("exited-processes-hold-nothing",),
    ),
    Mutant(
        "returns-wrong-handle",
        ("R1",),
        "WSASocket with an info returns the wrong value",
        ("C1", "explore:tiny"),
        _sub(ReturnsWrongHandle),
        trips=("returned-handles-are-open",),
    ),
    Mutant(
        "skips-wpumodifyifshandle",
        ("R20", "R22"),
        "an IFS provider hands out handles without WPUModifyIFSHandle",
        ("explore:spi-lsp",),
        _sub(SkipsWPUModifyIFSHandle),
        trips=("allocation-matches-provider",),
    ),
    Mutant(
        "skips-wpuclosesockethandle",
        ("R24", "R23"),
        "a non-IFS provider closes without WPUCloseSocketHandle",
        ("explore:spi-lsp",),
        _sub(SkipsWPUCloseSocketHandle),
        trips=("ws2-table-matches",),
    ),
    Mutant(
        "substitutes-at-first-layer",
        ("R43",),
        "the first layer substitutes the base's entry",
        ("explore:spi-chain",),
        _sub(SubstitutesAtFirstLayer),
        trips=("layers-pass-info-unchanged",),
    ),
    Mutant(
        "routes-to-default-entry",
        ("R17",),
        "ws2_32 routes a materialisation to the default entry, not the info's",
        ("explore:spi-lsp",),
        _sub(RoutesToDefaultEntry),
        trips=("routed-to-info-entry",),
    ),
    Mutant(
        "layer-drops-provider-context",
        ("R45", "R15"),
        "a layer loses the base's dwProviderReserved when it rewrites the info",
        ("C25",),
        _sub(LayerDropsProviderContext),
    ),
    Mutant(
        "undocumented-provider-error",
        ("R49", "R47"),
        "WSPSocket fails with WSAEFAULT, which its page does not list",
        ("explore:spi-lsp",),
        _sub(UndocumentedProviderError),
        trips=("spi-errors-are-documented",),
    ),
    Mutant(
        "non-ifs-advertises-ifs-handles",
        ("R25",),
        "a provider using WPUCreateSocketHandle sets XP1_IFS_HANDLES",
        ("explore:spi-lsp",),
        _catalog_lies,
        trips=("catalog-consistent",),
    ),
    Mutant(
        "failed-use-consumes-info",
        ("D2",),
        "a failed WSASocket consumes the info",
        ("C3",),
        _knob(failed_use_consumes_info=True),
    ),
)

MUTANTS_BY_NAME: dict[str, Mutant] = {m.name: m for m in MUTANTS}

# Rules the model implements by abstraction, where no mutant can break them.
NOT_MUTATED: dict[str, str] = {
    "R9": "threads are not modelled: every call is made by a process, so a thread that "
    "duplicates nothing cannot be told apart from one that does",
    "R5": "a domain, not a behaviour: the pid argument of WSPDuplicateSocket takes any "
    "value, and R6's mutant shows what checking it means",
    "R13": "the plan has the base's WSPDuplicateSocket, in the source, decide and prepare "
    "everything; a provider that left work for the target would need a target-side step "
    "the model has no place for; C11 (source closes first) and R45's mutant cover its "
    "consequence",
    "R14": "shares-the-source-socket checks it at both granularities; R1's mutants break it",
    "R16": "the info is an output of the provider; R7's and R38's mutants cover the NULL buffer",
    "R21": "the model gives IFS and non-IFS providers the same duplication step; the "
    "difference (DuplicateHandle or not) is inside the provider",
    "R42": "every chain's plan calls each layer in turn; R43's mutant breaks the chain",
    "R44": "a layer's allocation kind is catalog data; R20/R22's and R24's mutants break each kind",
}


def reference(config: Config, profile: Profile = DOCUMENTED) -> Semantics:
    return Semantics(config, profile)

"""What ws2_32 and the service providers do inside one API call: the SPI plan.

At `spi` granularity a call that reaches a provider is a begin step, the SPI steps of its
plan, and a return step. The plan depends on the catalog: the chain of the catalog entry
the call is routed to (R17), its layers and its base provider, and how each allocates
handles (R20).

- fresh WSASocket: WSPSocket down the chain; the base decides; then each level, from the
  base up, allocates its handle: WPUModifyIFSHandle for an IFS provider (R22),
  WPUCreateSocketHandle for a non-IFS one or a layer that wants every call to pass through
  it (R23, R44). The top level's handle is the application's.
- WSASocket with an info: the same, routed by the info's catalog entry; each layer passes
  the caller's info on unchanged and the last layer substitutes the base's own entry
  (R43); the base adopts the handle its WSPDuplicateSocket pre-placed (R13, R15, R21).
- WSADuplicateSocket: WSPDuplicateSocket down the chain (R42, R43); the base decides and
  does the cross-process work (R13, R21); layers keep its dwProviderReserved (R45).
- closesocket: WSPCloseSocket of the top level decides (R33), then of the levels below,
  then WPUCloseSocketHandle for each handle made by WPUCreateSocketHandle (R24).

Where ws2_32 itself decides the outcome (no WSAStartup, a handle it does not know, bytes
that are no info, a provider it cannot load) the plan is empty and the return step
carries the result.
"""

from __future__ import annotations

from .actions import (
    Action,
    CloseSocket,
    PlannedStep,
    WSADuplicateSocket,
    WSASocket,
    WSASocketFromInfo,
)
from .state import CatalogEntry, Frozen, World, chain, entry_of

# The API calls that reach a provider through an SPI plan.
SPI_CALLS: tuple[type[Frozen], ...] = (
    WSASocket,
    WSASocketFromInfo,
    WSADuplicateSocket,
    CloseSocket,
)
# Their names, as traces spell them: at spi level each is a begin and a return event.
SPI_CALL_NAMES: frozenset[str] = frozenset(t.model_fields["call"].default for t in SPI_CALLS)


def _down(levels: tuple[CatalogEntry, ...], function: str, top_entry: int) -> list[PlannedStep]:
    """One step per level, top to bottom; the base decides. Each layer receives the
    chain's entry unchanged; the base receives its own entry, substituted by the layer
    above it (R43)."""
    steps = []
    for level in levels:
        info_entry = level.id if level.kind == "base" else top_entry
        steps.append(
            PlannedStep(
                function=function,
                provider=level.id,
                decides=level.kind == "base",
                info_entry=info_entry,
            )
        )
    return steps


def _allocations(levels: tuple[CatalogEntry, ...]) -> list[PlannedStep]:
    """From the base up, each level allocates the handle it hands to the level above; the
    top level's handle is the application's (R20, R22, R23, R44)."""
    steps = []
    for level in reversed(levels):
        function = "WPUModifyIFSHandle" if level.handles == "ifs" else "WPUCreateSocketHandle"
        steps.append(
            PlannedStep(
                function=function,
                provider=level.id,
                allocates=level is levels[0],
            )
        )
    return steps


def plan(world: World, action: Action) -> tuple[PlannedStep, ...]:
    """The SPI steps of `action` in `world`; empty when ws2_32 decides on its own."""
    pid = getattr(action, "pid", 0)
    process = world.process(pid)
    if process is None or process.startups == 0:
        return ()  # WSANOTINITIALISED: ws2_32's prolog
    catalog = world.catalog
    if isinstance(action, WSASocket):
        entry = entry_of(catalog, action.provider)
        if entry is None or entry.fails_to_load_in(pid) is not None:
            return ()
        levels = chain(catalog, entry.id)
        return (*_down(levels, "WSPSocket", entry.id), *_allocations(levels))
    if isinstance(action, WSASocketFromInfo):
        if action.info is None or action.info >= len(world.infos):
            return ()  # bytes that are no info: ws2_32 finds no catalog entry (C28)
        info = world.infos[action.info]
        entry = entry_of(catalog, info.catalog_entry)
        if info.variant != action.variant or entry is None:
            return ()
        if entry.fails_to_load_in(pid) is not None:
            return ()
        levels = chain(catalog, entry.id)
        return (*_down(levels, "WSPSocket", entry.id), *_allocations(levels))
    if isinstance(action, WSADuplicateSocket | CloseSocket):
        d = world.descriptor(pid, action.handle)
        if d is None or not world.sockets[d.socket].open:
            return ()  # ws2_32 knows no such socket: WSAENOTSOCK
        levels = chain(catalog, d.provider)
        if isinstance(action, WSADuplicateSocket):
            return tuple(_down(levels, "WSPDuplicateSocket", d.provider))
        closes = [
            PlannedStep(function="WSPCloseSocket", provider=level.id, decides=level is levels[0])
            for level in levels
        ]
        frees = [
            PlannedStep(function="WPUCloseSocketHandle", provider=level.id)
            for level in reversed(levels)
            if level.handles == "non_ifs"
        ]
        return (*closes, *frees)
    return ()

"""Safety invariants and reachability properties, each naming the rules it checks.

World invariants look at one world; edge invariants look at one transition (the world
before, the action, its outcome). They read ghost data (how many times an info was used,
which info a descriptor came from, who created a socket) that no transition consults, so
a broken transition shows up here instead of being hidden by its own bookkeeping.

Some invariants hold only where the profile takes the documented side of an open question;
`applies` says when. A profile that deviates (Wine's reuse of an info, say) is expected to
break the invariant of the rule it deviates from, and that is how a deviation is named.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from .actions import (
    Action,
    CallReturn,
    Close,
    CloseSocket,
    Connect,
    Err,
    Exec,
    Ok,
    Recv,
    RecvReturn,
    Send,
    SpiStep,
    WSASocket,
    WSASocketFromInfo,
)
from .errors import CALL_ERRORS, ENVIRONMENTAL, Errno, WsaError
from .profiles import Profile
from .semantics import Outcome
from .state import World


@dataclass(frozen=True, slots=True)
class InvariantViolation:
    """An invariant that failed: its name, the rules it checks, and what was wrong."""

    invariant: str
    rules: tuple[str, ...]
    message: str


def _always(_: Profile) -> bool:
    return True


@dataclass(frozen=True)
class WorldInvariant:
    name: str
    rules: tuple[str, ...]
    statement: str
    find: Callable[[World, Profile], str | None]
    applies: Callable[[Profile], bool] = _always

    def check(self, world: World, profile: Profile) -> InvariantViolation | None:
        if not self.applies(profile):
            return None
        problem = self.find(world, profile)
        return None if problem is None else InvariantViolation(self.name, self.rules, problem)


@dataclass(frozen=True)
class EdgeInvariant:
    name: str
    rules: tuple[str, ...]
    statement: str
    find: Callable[[World, Action, Outcome, Profile], str | None]
    applies: Callable[[Profile], bool] = _always

    def check_edge(
        self, before: World, action: Action, outcome: Outcome, profile: Profile
    ) -> InvariantViolation | None:
        if not self.applies(profile):
            return None
        problem = self.find(before, action, outcome, profile)
        return None if problem is None else InvariantViolation(self.name, self.rules, problem)


# -- world invariants -------------------------------------------------------------------


def _descriptors_name_open_sockets(w: World, _: Profile) -> str | None:
    for d in w.descriptors:
        if not w.sockets[d.socket].open:
            return f"P{d.pid} h{d.handle} names socket {d.socket}, which was released"
    return None


def _referenced_sockets_open(w: World, _: Profile) -> str | None:
    for s in w.sockets:
        refs = w.references(s.id)
        if refs > 0 and not s.open:
            return f"socket {s.id} was released while {refs} reference(s) hold it"
    return None


def _unreferenced_sockets_released(w: World, _: Profile) -> str | None:
    for s in w.sockets:
        if s.open and w.references(s.id) == 0:
            return f"socket {s.id} is still open although no descriptor or info holds it"
    return None


def _unused_infos_keep_socket(w: World, _: Profile) -> str | None:
    for i in w.infos:
        target = w.process(i.target_pid)
        alive = target is not None and target.status == "running"
        unused = i.context == "handle_in_target" and not i.consumed
        if alive and unused and not w.sockets[i.socket].open:
            return f"info {i.id} for P{i.target_pid} is unused but its socket was released"
    return None


def _info_used_once(w: World, _: Profile) -> str | None:
    for i in w.infos:
        if i.uses > 1:
            return f"info {i.id} was used successfully {i.uses} times"
    return None


def _reuse_adds_no_reference(w: World, _: Profile) -> str | None:
    made = Counter(d.info for d in w.descriptors if d.info is not None)
    for info, count in made.items():
        if count > 1:
            return f"info {info} produced {count} live descriptors"
    return None


def _materialised_in_target(w: World, _: Profile) -> str | None:
    for d in w.descriptors:
        if d.info is not None and w.infos[d.info].target_pid != d.pid:
            target = w.infos[d.info].target_pid
            return f"P{d.pid} h{d.handle} came from info {d.info}, minted for P{target}"
    return None


def _shares_source_socket(w: World, _: Profile) -> str | None:
    for d in w.descriptors:
        if d.info is not None and w.infos[d.info].socket != d.socket:
            return (
                f"P{d.pid} h{d.handle} came from info {d.info} but names socket "
                f"{d.socket}, not the duplicated socket {w.infos[d.info].socket}"
            )
    return None


def _one_registration(w: World, _: Profile) -> str | None:
    per_socket = Counter(r.socket for r in w.registrations)
    for socket, count in per_socket.items():
        if count > 1:
            return f"socket {socket} has {count} event registrations"
    return None


def _registration_owner_open(w: World, profile: Profile) -> str | None:
    for r in w.registrations:
        if not w.sockets[r.socket].open:
            return f"released socket {r.socket} still has a registration"
        if profile.registration_on_owner_close == "cancelled":
            d = w.descriptor(r.owner_pid, r.owner_handle)
            if d is None or d.socket != r.socket:
                return (
                    f"the registration on socket {r.socket} outlived its descriptor "
                    f"P{r.owner_pid} h{r.owner_handle}"
                )
    return None


def _handles_unique(w: World, _: Profile) -> str | None:
    seen = Counter((d.pid, d.handle) for d in w.descriptors)
    for (pid, handle), count in seen.items():
        if count > 1:
            return f"P{pid} h{handle} names {count} descriptors at once"
    return None


def _cleanup_closed_everything(w: World, _: Profile) -> str | None:
    for p in w.processes:
        # Only what ws2_32's socket list holds: every descriptor, except (Wine) a handle
        # pre-placed in the process that no WSASocket returned yet.
        listed = [d for d in w.descriptors_of(p.pid) if d.listed]
        if p.status == "running" and p.startups == 0 and listed:
            return f"P{p.pid} holds descriptors without a WSAStartup in force"
    return None


def _exited_hold_nothing(w: World, _: Profile) -> str | None:
    for p in w.processes:
        if p.status == "running":
            continue
        if w.descriptors_of(p.pid):
            return f"P{p.pid} is {p.status} but holds descriptors"
        if any(i.target_pid == p.pid and i.holds_reference for i in w.infos):
            return f"P{p.pid} is {p.status} but a handle pre-placed in it still pins a socket"
    return None


def _released_sockets_quiet(w: World, _: Profile) -> str | None:
    for s in w.sockets:
        if not s.open and s.inbound != "none":
            return f"released socket {s.id} still holds data"
    return None


def _allocation_matches_provider(w: World, profile: Profile) -> str | None:
    busy = {c.pid for c in w.calls}
    for d in w.descriptors:
        if d.pid in busy or profile.wpu_create_socket_handle == "unimplemented":
            continue
        want = w.catalog[d.provider].handles
        if d.allocation != want:
            how = "no allocation" if d.allocation is None else f"a {d.allocation} allocation"
            return (
                f"P{d.pid} h{d.handle} of {w.catalog[d.provider].name} ({want} handles) got {how}"
            )
    return None


def _ws2_table_matches(w: World, _: Profile) -> str | None:
    busy = {c.pid for c in w.calls}
    made = {(d.pid, d.handle) for d in w.descriptors if d.allocation == "non_ifs"}
    table = {x for x in w.ws2_handles if x[0] not in busy}
    made = {x for x in made if x[0] not in busy}
    if table - made:
        pid, h = sorted(table - made)[0]
        return f"ws2_32 still lists P{pid} h{h}, whose socket was closed"
    if made - table:
        pid, h = sorted(made - table)[0]
        return f"P{pid} h{h} came from WPUCreateSocketHandle but ws2_32 does not list it"
    return None


def _catalog_consistent(w: World, _: Profile) -> str | None:
    for e in w.catalog:
        if e.handles == "non_ifs" and e.xp1_ifs_handles:
            return f"{e.name} makes handles with WPUCreateSocketHandle but sets XP1_IFS_HANDLES"
    return None


def _routed_to_info_entry(w: World, _: Profile) -> str | None:
    for d in w.descriptors:
        if d.info is not None and d.provider != w.infos[d.info].catalog_entry:
            return (
                f"P{d.pid} h{d.handle} came from info {d.info} of catalog entry "
                f"{w.infos[d.info].catalog_entry} but belongs to entry {d.provider}"
            )
    return None


def _documented_reuse(p: Profile) -> bool:
    return p.reuse_outcomes == frozenset({"einval"})


def _documented_pinning(p: Profile) -> bool:
    return p.info_pins_socket


def _pinning_by_info(p: Profile) -> bool:
    # Under `preplaced_handle_is_descriptor` the pre-placed handle is a descriptor the
    # application can close (through a stale socket-list entry with its value, Wine), so
    # an unused info may outlive its socket.
    return p.info_pins_socket and not p.preplaced_handle_is_descriptor


def _documented_wrong_process(p: Profile) -> bool:
    return "foreign_handle" not in p.wrong_process_outcomes


def _documented_cleanup(p: Profile) -> bool:
    if p.platform == "linux":
        return False  # no WSAStartup: descriptors need none in force
    return p.cleanup_closes_descriptors


def _handles_implemented(p: Profile) -> bool:
    # Linux has no providers and no WPU calls.
    return p.wpu_create_socket_handle == "implemented" and p.platform == "winsock"


WORLD_INVARIANTS: tuple[WorldInvariant, ...] = (
    WorldInvariant(
        "allocation-matches-provider",
        ("R20", "R22", "R23"),
        "every handle was allocated as its provider's kind demands: WPUModifyIFSHandle "
        "for IFS providers, WPUCreateSocketHandle for the others",
        _allocation_matches_provider,
        _handles_implemented,
    ),
    WorldInvariant(
        "ws2-table-matches",
        ("R23", "R24"),
        "ws2_32's table holds exactly the open handles made by WPUCreateSocketHandle",
        _ws2_table_matches,
        _handles_implemented,
    ),
    WorldInvariant(
        "catalog-consistent",
        ("R25",),
        "no provider that uses WPUCreateSocketHandle advertises XP1_IFS_HANDLES",
        _catalog_consistent,
    ),
    WorldInvariant(
        "routed-to-info-entry",
        ("R17",),
        "a descriptor made from an info belongs to the info's catalog entry",
        _routed_to_info_entry,
    ),
    WorldInvariant(
        "descriptors-name-open-sockets",
        ("R33",),
        "every open descriptor names an underlying socket that is still open",
        _descriptors_name_open_sockets,
    ),
    WorldInvariant(
        "referenced-sockets-stay-open",
        ("R33", "R40"),
        "a socket stays open while a descriptor or an unused info holds it",
        _referenced_sockets_open,
        _documented_pinning,
    ),
    WorldInvariant(
        "unused-info-keeps-socket",
        ("R40", "D4", "D5"),
        "an info not yet used by its living target keeps the socket open",
        _unused_infos_keep_socket,
        _pinning_by_info,
    ),
    WorldInvariant(
        "unreferenced-sockets-are-released",
        ("R34",),
        "a socket that nothing holds any more is released",
        _unreferenced_sockets_released,
    ),
    WorldInvariant(
        "info-used-at-most-once",
        ("R2", "R3"),
        "a special WSAPROTOCOL_INFO succeeds in at most one WSASocket call",
        _info_used_once,
        _documented_reuse,
    ),
    WorldInvariant(
        "reuse-adds-no-reference",
        ("R2", "D3"),
        "an info never accounts for two live descriptors",
        _reuse_adds_no_reference,
    ),
    WorldInvariant(
        "materialised-in-target",
        ("R4", "D1"),
        "a descriptor made from an info lives in the process the info was minted for",
        _materialised_in_target,
        _documented_wrong_process,
    ),
    WorldInvariant(
        "shares-the-source-socket",
        ("R1",),
        "a descriptor made from an info names the socket that was duplicated",
        _shares_source_socket,
    ),
    WorldInvariant(
        "one-registration-per-socket",
        ("R30",),
        "an underlying socket has at most one event registration",
        _one_registration,
    ),
    WorldInvariant(
        "registration-follows-its-descriptor",
        ("R30", "R34", "D9"),
        "a registration lives on an open socket and, unless the profile lets it survive, "
        "through an open descriptor",
        _registration_owner_open,
    ),
    WorldInvariant(
        "handle-values-unique",
        ("R36",),
        "a handle value names at most one descriptor in a process",
        _handles_unique,
    ),
    WorldInvariant(
        "cleanup-closes-descriptors",
        ("R39", "D10"),
        "a process whose last WSAStartup was undone holds no descriptors",
        _cleanup_closed_everything,
        _documented_cleanup,
    ),
    WorldInvariant(
        "exited-processes-hold-nothing",
        ("R33", "D5"),
        "an exited process holds no descriptors and pins no socket",
        _exited_hold_nothing,
    ),
    WorldInvariant(
        "released-sockets-hold-no-data",
        ("R34",),
        "the last close discards queued data",
        _released_sockets_quiet,
    ),
)


# -- edge invariants --------------------------------------------------------------------


def _error_in_catalogue(_: World, action: Action, outcome: Outcome, __: Profile) -> str | None:
    if not isinstance(outcome.result, Err) or not isinstance(outcome.result.error, WsaError):
        return None
    if isinstance(action, SpiStep | CallReturn):
        return None  # the SPI steps have their own invariant; a return repeats a step's
    entry = CALL_ERRORS.get(action.call)
    if entry is None:
        return None  # an IPC step or a peer's: no page, and they do not fail
    if outcome.result.error not in entry.codes:
        error = outcome.result.error.name
        return f"{action.call} failed with {error}, not in its list ({entry.rule})"
    return None


def _bound_by_failed_connect(before: World, after: World) -> bool:
    """Whether `after` differs from `before` only in datagram sockets that went from
    unbound to bound."""
    if after.model_copy(update={"sockets": before.sockets}) != before:
        return False
    changed = [(b, a) for b, a in zip(before.sockets, after.sockets, strict=True) if b != a]
    return all(
        b.type == "dgram"
        and (b.state, a.state) == ("unbound", "bound")
        and b.model_copy(update={"state": "bound"}) == a
        for b, a in changed
    )


def _failure_changes_nothing(
    before: World, action: Action, outcome: Outcome, profile: Profile
) -> str | None:
    if not isinstance(outcome.result, Err):
        return None
    after = outcome.world
    # At spi granularity a failing step still moves the call along.
    after = after.model_copy(update={"calls": before.calls})
    if isinstance(action, RecvReturn):
        # The cancelled call is gone; nothing else may change.
        after = after.model_copy(update={"pending": before.pending})
    if profile.failed_use_consumes_info and isinstance(action, WSASocketFromInfo):
        after = after.model_copy(update={"infos": before.infos})
    if outcome.result.error == Errno.EINPROGRESS or (
        isinstance(action, Connect) and outcome.result.error == WsaError.WSAEWOULDBLOCK
    ):
        return None  # a nonblocking connect fails, yet the connection goes on (R31, L12)
    if isinstance(action, Connect) and _bound_by_failed_connect(before, after):
        return None  # UDP binds a port before it routes, and keeps it (L13)
    if after != before and outcome.result.error not in ENVIRONMENTAL:
        return f"{action.call} failed with {outcome.result.error.name} but changed the world"
    if after != before:
        return f"environmental failure {outcome.result.error.name} changed the world"
    return None


def _success_returns_open_handle(
    _: World, action: Action, outcome: Outcome, __: Profile
) -> str | None:
    """A fresh socket or a materialised info hands the caller a value that names the new
    descriptor (R1)."""
    if not isinstance(action, WSASocket | WSASocketFromInfo):
        return None
    if not isinstance(outcome.result, Ok) or not isinstance(outcome.result.value, int):
        return None
    h = outcome.result.value
    if h == 0:
        return None
    if outcome.world.descriptor(action.pid, h) is None:
        return f"{action.call} returned h{h}, which names no descriptor of P{action.pid}"
    return None


def _spi_error_in_catalogue(_: World, action: Action, outcome: Outcome, __: Profile) -> str | None:
    if not isinstance(action, SpiStep) or not isinstance(outcome.result, Err):
        return None
    entry = CALL_ERRORS[action.function]
    if outcome.result.error not in entry.codes:
        error = outcome.result.error.name
        return f"{action.function} failed with {error}, not in its list ({entry.rule})"
    return None


def _layers_pass_info_unchanged(
    before: World, action: Action, _: Outcome, __: Profile
) -> str | None:
    """R43: a layer hands the next layer the caller's info unchanged; only the last
    layer substitutes the base provider's own entry."""
    if not isinstance(action, SpiStep) or action.function not in (
        "WSPSocket",
        "WSPDuplicateSocket",
    ):
        return None
    call = before.call_of(action.pid)
    step = call.next_step() if call is not None else None
    if call is None or step is None or step.info_entry is None:
        return None
    entry = before.catalog[step.provider]
    top = call.steps[0].provider
    want = entry.id if entry.kind == "base" else top
    if step.info_entry != want:
        return (
            f"{action.function} of {entry.name} received the info of entry "
            f"{step.info_entry}, not {want}"
        )
    return None


EDGE_INVARIANTS: tuple[EdgeInvariant, ...] = (
    EdgeInvariant(
        "spi-errors-are-documented",
        ("R22", "R23", "R24", "R47", "R49", "R50"),
        "a provider's SPI function fails only with a code its page lists",
        _spi_error_in_catalogue,
    ),
    EdgeInvariant(
        "layers-pass-info-unchanged",
        ("R43",),
        "each layer passes the caller's info on unchanged; the last layer substitutes the "
        "base provider's entry",
        _layers_pass_info_unchanged,
    ),
    EdgeInvariant(
        "errors-are-documented",
        ("R46", "R48", "R50", "E1"),
        "a call fails only with a code its reference page lists",
        _error_in_catalogue,
    ),
    EdgeInvariant(
        "failures-change-nothing",
        ("R38", "R7", "D2"),
        "a failed call leaves the state as it was (a failed close keeps the descriptor)",
        _failure_changes_nothing,
    ),
    EdgeInvariant(
        "returned-handles-are-open",
        ("R1",),
        "a handle WSASocket returns names a descriptor of the caller",
        _success_returns_open_handle,
    ),
)


# -- reachability properties ------------------------------------------------------------


@dataclass(frozen=True)
class Property:
    """Something that must be reachable, witnessed by an edge (before, action, outcome)."""

    name: str
    rules: tuple[str, ...]
    statement: str
    holds: Callable[[World, Action, Outcome], bool]
    # The properties of one platform are witnessed only under its profiles.
    platform: str = "winsock"


def _handoff_completes(before: World, action: Action, outcome: Outcome) -> bool:
    """Step 10 of the seed's table: the source closes its descriptor while the target
    holds one made from the info, and the socket lives on."""
    if not isinstance(action, CloseSocket) or not isinstance(outcome.result, Ok):
        return False
    d = before.descriptor(action.pid, action.handle)
    if d is None or d.origin == "info":
        return False
    after = outcome.world
    return after.sockets[d.socket].open and any(
        x.socket == d.socket and x.origin == "info" and x.pid != action.pid
        for x in after.descriptors
    )


def _target_uses_after_source_closed(before: World, action: Action, outcome: Outcome) -> bool:
    if not isinstance(action, Send | Recv) or not isinstance(outcome.result, Ok):
        return False
    d = before.descriptor(action.pid, action.handle)
    if d is None or d.origin != "info":
        return False
    creator = before.sockets[d.socket].creator
    return not any(x.pid == creator and x.socket == d.socket for x in before.descriptors)


def _last_close_releases_shared(before: World, action: Action, outcome: Outcome) -> bool:
    if not isinstance(action, CloseSocket) or not isinstance(outcome.result, Ok):
        return False
    d = before.descriptor(action.pid, action.handle)
    return d is not None and d.origin == "info" and not outcome.world.sockets[d.socket].open


_HANDED_OVER = ("received", "pulled")


def _linux_handoff_completes(before: World, action: Action, outcome: Outcome) -> bool:
    """The Linux handoff's step 10: the sender closes its descriptor while another
    process holds one it received or pulled, and the socket lives on."""
    if not isinstance(action, Close) or not isinstance(outcome.result, Ok):
        return False
    d = before.descriptor(action.pid, action.handle)
    if d is None or d.origin in _HANDED_OVER:
        return False
    after = outcome.world
    return after.sockets[d.socket].open and any(
        x.socket == d.socket and x.origin in _HANDED_OVER and x.pid != action.pid
        for x in after.descriptors
    )


def _in_flight_outlives_sender(before: World, action: Action, outcome: Outcome) -> bool:
    """The sender closes its last descriptor while an SCM_RIGHTS message carries the
    socket: no descriptor names it, yet it stays open."""
    if not isinstance(action, Close) or not isinstance(outcome.result, Ok):
        return False
    d = before.descriptor(action.pid, action.handle)
    if d is None:
        return False
    after = outcome.world
    return after.sockets[d.socket].open and not any(x.socket == d.socket for x in after.descriptors)


def _exec_closes_flagged(before: World, action: Action, outcome: Outcome) -> bool:
    if not isinstance(action, Exec) or not isinstance(outcome.result, Ok):
        return False
    kept = outcome.world.descriptors_of(action.pid)
    return 0 < len(kept) < len(before.descriptors_of(action.pid))


PROPERTIES: tuple[Property, ...] = (
    Property(
        "handoff-completes",
        ("R1", "R33"),
        "the seed's handoff completes: the source closes and the target's descriptor lives on",
        _handoff_completes,
    ),
    Property(
        "target-uses-after-source-closed",
        ("R26", "R33", "R40"),
        "the target does I/O on the shared socket after the source has closed it",
        _target_uses_after_source_closed,
    ),
    Property(
        "last-close-releases-shared-socket",
        ("R34",),
        "the target's close of the last descriptor releases the shared socket",
        _last_close_releases_shared,
    ),
    Property(
        "linux-handoff-completes",
        ("L7", "L8", "L9", "R33"),
        "the sender closes and the descriptor another process received or pulled lives on",
        _linux_handoff_completes,
        "linux",
    ),
    Property(
        "in-flight-outlives-sender",
        ("L7", "R34"),
        "a socket no descriptor names stays open while a message in flight carries it",
        _in_flight_outlives_sender,
        "linux",
    ),
    Property(
        "exec-closes-only-flagged",
        ("L5",),
        "an exec closes the close-on-exec descriptors and keeps the others",
        _exec_closes_flagged,
        "linux",
    ),
)


def properties_for(profile: Profile) -> tuple[Property, ...]:
    """The reachability properties that make sense under `profile`'s platform."""
    return tuple(p for p in PROPERTIES if p.platform == profile.platform)

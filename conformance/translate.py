"""Observed values to model values, field by field, by the roles the model's types mark.

A trace names things as the recorder saw them: real pids, real handle values, digests of
info bytes, socket and channel identities. The model names them by its own slots. Each
field of an action says in its type what it holds (wsshare.model.roles), and this module
turns an observed action into the model actions it can stand for in one candidate (a
world and a binding of observed to model identities):

- a pid of a process of the trace becomes its model pid (in order of first appearance);
  a pid argument that names none of them becomes 0 or NONEXISTENT_PID;
- a handle value becomes the slot bound to it in the table of the process that holds it
  (the caller's, or the one the role names), or NAMES_NOTHING (None for a number the call
  itself places, which may then be any free one);
- an info is the one the event's digest is bound to; without a digest, every info the
  world has minted, or bytes that are none;
- a socket is the one the event's identity is bound to, or every socket there is;
- a channel identity gets a number, the first the trace names being 1.

Nothing here knows a call's field names: a new call needs no edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import product
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from wsshare.model import NAMES_NOTHING, NONEXISTENT_PID, World
from wsshare.model.actions import Action, Fork
from wsshare.model.roles import Role, Shape, map_values, marked_fields

from .trace import TraceEvent, TraceHeader

if TYPE_CHECKING:
    from .checker import Binding


class PidMap:
    """Observed process ids to model pids, in order of first appearance."""

    def __init__(self, acting: list[int]) -> None:
        self.model = {obs: i + 1 for i, obs in enumerate(acting)}
        self.observed = {m: o for o, m in self.model.items()}

    def of_caller(self, observed: int) -> int:
        return self.model[observed]

    def of_argument(self, observed: int) -> int:
        """A pid passed as an argument: a process of the trace, 0, or one that names no
        process (any other value)."""
        if observed == 0:
            return 0
        return self.model.get(observed, NONEXISTENT_PID)

    def of(self, role: Role, observed: int) -> int:
        return self.of_argument(observed) if role.any_value else self.of_caller(observed)


def named_processes(action: BaseModel) -> Iterator[int]:
    """Every pid in `action` (nested messages included) that must name a process of the
    run: the caller, a receiver, a child. Arguments that may name no process (a target
    pid) are left out: a pid the trace only passes names nothing it knows."""
    found: list[int] = []

    def note(role: Role, value: Any) -> Any:
        if role.kind == "pid" and not role.any_value and isinstance(value, int) and value > 0:
            found.append(value)
        return value

    for name, shape in marked_fields(type(action)):
        map_values(getattr(action, name), shape, note)
    yield from found


class Processes:
    """The processes of a trace, gathered in one pass: the pids in order of first
    appearance (callers, and the peers named by their calls, which exist even if they
    record no call), those started during the trace, and those that call WSAStartup (the
    others are taken to have called it before recording)."""

    def __init__(self, header: TraceHeader) -> None:
        self.acting: dict[int, None] = dict.fromkeys(header.processes or [])
        self.started: set[int] = set()
        self.startup: set[int] = set()

    def add(self, e: TraceEvent) -> None:
        if e.pid is None:
            return
        self.acting.setdefault(e.pid, None)
        if e.call == "process_start":
            self.started.add(e.pid)
        elif e.call == "WSAStartup":
            self.startup.add(e.pid)
        action = e.action()
        for pid in named_processes(action):
            self.acting.setdefault(pid, None)
        if isinstance(action, Fork):
            # A forked child exists from its fork on, as if started there.
            self.started.add(action.child)

    def add_all(self, events: Iterable[TraceEvent]) -> Processes:
        for e in events:
            self.add(e)
        return self

    def pid_map(self) -> PidMap:
        return PidMap(list(self.acting))


class Translation:
    """The model actions an observed event can stand for, in one candidate."""

    def __init__(self, pids: PidMap) -> None:
        self.pids = pids
        # Channel identities, numbered in order of first appearance; shared by every
        # candidate, since the number means nothing but the identity.
        self.channels: dict[str, int] = {}

    def actions(self, e: TraceEvent, action: Action, w: World, b: Binding) -> Iterator[Action]:
        """`action` (the event's, with observed values) as model actions in (w, b)."""
        fields = marked_fields(type(action))
        # Pids first: a handle is looked up in the table of the process its owner field
        # names, in model terms.
        pid_values = {
            name: map_values(getattr(action, name), shape, self._pid) for name, shape in fields
        }
        observed = action.model_copy(update=pid_values)

        def slot(role: Role, value: Any) -> Any:
            if role.kind != "handle" or not isinstance(value, int):
                return value
            owner = getattr(observed, role.owner, None)
            found = b.slot(owner, value) if isinstance(owner, int) else None
            if found is not None:
                return found
            return None if role.unbound == "free" else NAMES_NOTHING

        update = {name: map_values(getattr(observed, name), shape, slot) for name, shape in fields}
        base = observed.model_copy(update=update)
        choices = [
            (name, self._choices(getattr(base, name), shape, e, w, b)) for name, shape in fields
        ]
        varying = [(name, values) for name, values in choices if values is not None]
        if not varying:
            yield base
            return
        for values in product(*(v for _, v in varying)):
            yield base.model_copy(update=dict(zip((n for n, _ in varying), values, strict=True)))

    def _pid(self, role: Role, value: Any) -> Any:
        return self.pids.of(role, value) if role.kind == "pid" and isinstance(value, int) else value

    def _choices(
        self, value: Any, shape: Shape, e: TraceEvent, w: World, b: Binding
    ) -> list[Any] | None:
        """The values a field may have had where the recorder named it by an identity
        (an info by its digest, a socket, a channel) rather than a value; None when the
        field has only the one value it holds."""
        if shape is None:
            return None
        kind = shape[0]
        if kind == "value":
            return self._identified(shape[1], e, w, b)
        if kind == "optional":
            return self._choices(value, shape[1], e, w, b)
        if kind == "model" and isinstance(value, BaseModel):
            inner = [
                (name, self._choices(getattr(value, name), s, e, w, b))
                for name, s in marked_fields(type(value))
            ]
            varying = [(name, vs) for name, vs in inner if vs is not None]
            if not varying:
                return None
            return [
                value.model_copy(update=dict(zip((n for n, _ in varying), vs, strict=True)))
                for vs in product(*(v for _, v in varying))
            ]
        return None

    def _identified(self, role: Role, e: TraceEvent, w: World, b: Binding) -> list[Any] | None:
        if role.kind == "info":
            if e.info_digest is None:
                # The bytes were not visible: any info, or bytes that are none.
                return [i.id for i in w.infos] + [None]
            return [b.info(e.info_digest)]
        if role.kind == "socket":
            known = b.socket(e.socket) if e.socket is not None else None
            return [known] if known is not None else [s.id for s in w.sockets]
        if role.kind == "channel":
            if e.channel is None:
                return [0]
            return [self.channels.setdefault(e.channel, len(self.channels) + 1)]
        return None


__all__ = ["PidMap", "Processes", "Translation", "named_processes"]

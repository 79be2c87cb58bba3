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

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import product
from typing import TYPE_CHECKING, Any, get_args

from pydantic import BaseModel

from wsshare.model import NAMES_NOTHING, NONEXISTENT_PID, World
from wsshare.model.actions import ACTION_TYPES, Action, Fork
from wsshare.model.roles import Role, Shape, map_values, marked_fields
from wsshare.model.state import Message

from ..trace import TraceEvent, TraceHeader

if TYPE_CHECKING:
    from .engine import Binding


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


class ForkPidMap(PidMap):
    """A PidMap for checking online, before the children of a run are known: `reserve`
    model processes wait for children not forked yet, and a pid the map does not know,
    met as a caller (a fork's child), takes the next of them."""

    PLACEHOLDER = -1  # placeholders are -1, -2, ...: no real pid is negative

    def __init__(self, acting: list[int], reserve: int) -> None:
        self.placeholders = [self.PLACEHOLDER - i for i in range(reserve)]
        super().__init__(acting + self.placeholders)

    def of_caller(self, observed: int) -> int:
        if observed not in self.model and self.placeholders:
            placeholder = self.placeholders.pop(0)
            model = self.model.pop(placeholder)
            self.model[observed] = model
            self.observed[model] = observed
        return self.model[observed]


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


# -- model values to observed ones ---------------------------------------------------------


@dataclass
class Written:
    """How a recorder writes a model action: its `args`, and the identities the event
    carries instead of arguments (`info_digest`, `socket`, `channel`)."""

    args: dict[str, Any]
    identities: dict[str, Any]


# write(role, value, holder): a model value as observed; `holder` is the state object or
# action the value is a field of (a handle's owner is another of its fields).
Writer = Callable[[Role, Any, BaseModel], Any]


def observed_arguments(action: BaseModel, write: Writer) -> Written:
    """The trace arguments of a model action (its JSON form without `call` and the
    caller's `pid`), with every marked value written by `write`; fields named by an
    identity (an info, a socket, a channel) leave the arguments, and the first value of
    each kind, written, is the event's identity of that kind."""
    identities: dict[str, Any] = {}
    args = _written(action, write, identities)
    args.pop("call", None)
    args.pop("pid", None)
    return Written(args, identities)


_IDENTITY_FIELD = {"info": "info_digest", "socket": "socket", "channel": "channel"}


def _written(obj: BaseModel, write: Writer, ids: dict[str, Any]) -> dict[str, Any]:
    data = obj.model_dump(mode="json")
    for name, shape in marked_fields(type(obj)):
        value = getattr(obj, name)
        role = _identity_role(shape)
        if role is not None:
            data.pop(name, None)
            ids.setdefault(_IDENTITY_FIELD[role.kind], write(role, value, obj))
            continue
        data[name] = _written_value(value, shape, write, ids, obj)
    return data


def _identity_role(shape: Shape) -> Role | None:
    while shape is not None and shape[0] == "optional":
        shape = shape[1]
    if shape is not None and shape[0] == "value" and shape[1].kind in _IDENTITY_FIELD:
        return shape[1]
    return None


def _written_value(
    value: Any, shape: Shape, write: Writer, ids: dict[str, Any], holder: BaseModel
) -> Any:
    if shape is None or value is None:
        return value if not isinstance(value, BaseModel) else value.model_dump(mode="json")
    kind = shape[0]
    if kind == "value":
        return write(shape[1], value, holder)
    if kind == "optional":
        return _written_value(value, shape[1], write, ids, holder)
    if kind == "each":
        return [_written_value(v, shape[1], write, ids, holder) for v in value]
    if kind == "fixed":
        return [
            _written_value(v, s, write, ids, holder) for v, s in zip(value, shape[1], strict=True)
        ]
    if isinstance(value, BaseModel):
        return _written(value, write, ids)
    return value


# -- observed arguments to model ones, for a driver ------------------------------------------


class Unknown(Exception):
    """An observed value names nothing a driver's model knows: the call is declined."""


_MESSAGES: dict[str, type[BaseModel]] = {
    m.model_fields["kind"].default: m for m in get_args(get_args(Message)[0])
}
_ACTIONS: dict[str, type[BaseModel]] = {t.model_fields["call"].default: t for t in ACTION_TYPES}


def model_arguments(
    call: str, args: dict[str, Any], read: Callable[[Role, Any], Any]
) -> dict[str, Any]:
    """The arguments of `call` as model values: every marked value v in `args` (nested
    messages included) becomes read(role, v); a field named by an identity instead of an
    argument (an info, a socket) becomes read(role, None), the reader knowing it from
    the event. Raises Unknown when a required identity names nothing (read gave None)."""
    return _read(_ACTIONS[call], args, read)


def _read(
    cls: type[BaseModel], data: dict[str, Any], read: Callable[[Role, Any], Any]
) -> dict[str, Any]:
    out = dict(data)
    for name, shape in marked_fields(cls):
        role = _identity_role(shape)
        if role is not None:
            value = read(role, None)
            if value is None and (shape is None or shape[0] != "optional"):
                raise Unknown(f"{name}: names nothing")
            out[name] = value
        elif name in out:
            out[name] = _read_value(out[name], shape, read)
    return out


def _read_value(value: Any, shape: Shape, read: Callable[[Role, Any], Any]) -> Any:
    if shape is None or value is None:
        return value
    kind = shape[0]
    if kind == "value":
        return read(shape[1], value)
    if kind == "optional":
        return _read_value(value, shape[1], read)
    if kind == "each":
        return [_read_value(v, shape[1], read) for v in value]
    if kind == "fixed":
        return [_read_value(v, s, read) for v, s in zip(value, shape[1], strict=True)]
    if isinstance(value, dict) and value.get("kind") in _MESSAGES:
        return _read(_MESSAGES[value["kind"]], value, read)
    return value


__all__ = [
    "ForkPidMap",
    "PidMap",
    "Processes",
    "Translation",
    "Unknown",
    "Written",
    "model_arguments",
    "named_processes",
    "observed_arguments",
]

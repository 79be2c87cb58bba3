"""Identity roles: which values name a process, a handle, an info, a socket or a channel.

A pid, a handle value, an info id and a socket id are all ints, and what makes one of
them one or the other is what it names. Each field that holds such a value is marked
once, in its type (`Pid`, `HandleArg`, ... in state.py; the action types use them), and
everything that must know the roles reads the marks instead of lists of field names:

- the checker translates observed values (real pids, real handle values, digests, socket
  identities) into model values field by field (conformance's translation);
- symmetry renames every pid field, and only those;
- a recorder writes model values back as observed ones.

So a new call is its action type with marked fields, and nothing else learns its field
names. Pure: no I/O.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

RoleKind = Literal["pid", "handle", "info", "socket", "channel"]


@dataclass(frozen=True, slots=True)
class Role:
    """What a value names.

    - kind "pid": a process; `any_value` when the field is an argument that may name no
      process at all (0, a pid that never existed: WSADuplicateSocket's target);
    - kind "handle": a handle value in the table of the process the field `owner` names
      (the caller's, `pid`, unless said otherwise); an observed value that names no open
      descriptor means a value that names nothing, or with `unbound` "free" (a number the
      call itself places, as dup2's), any free one;
    - kind "info": a special WSAPROTOCOL_INFO (observed as the digest of its bytes);
    - kind "socket": an underlying socket (observed as an identity: an inode, addresses);
    - kind "channel": a connection messages queue on (observed as an identity too).
    """

    kind: RoleKind
    any_value: bool = False
    owner: str = "pid"
    unbound: Literal["nothing", "free"] = "nothing"


PROCESS = Role("pid")
PID_ARGUMENT = Role("pid", any_value=True)
HANDLE = Role("handle")
INFO = Role("info")
SOCKET = Role("socket")
CHANNEL = Role("channel")


def handle_in(owner: str) -> Role:
    """A handle value in the table of the process field `owner` names."""
    return Role("handle", owner=owner)


# The shape of a field's value, as far as roles go: a marked value, a tuple of them, a
# nested state object (or a union of them), None allowed, or nothing with a role.
Shape = tuple[Any, ...] | None


def _role_in(metadata: tuple[Any, ...]) -> Role | None:
    return next((m for m in metadata if isinstance(m, Role)), None)


def shape_of(annotation: Any) -> Shape:
    """The role structure of a type: ("value", role), ("each", shape) for tuple[X, ...],
    ("fixed", shapes) for tuple[X, Y, ...], ("model",) for a state object or a union of
    them, ("optional", shape) for X | None; None where no role is inside."""
    if get_origin(annotation) is Annotated:
        role = _role_in(annotation.__metadata__)
        return ("value", role) if role is not None else shape_of(get_args(annotation)[0])
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:
        members = [a for a in get_args(annotation) if a is not type(None)]
        if all(isinstance(m, type) and issubclass(m, BaseModel) for m in members):
            return ("model",)
        inner = [s for s in (shape_of(m) for m in members) if s is not None]
        if not inner:
            return None
        if all(s == ("model",) for s in inner):
            return ("model",)  # state objects among plain values: each speaks for itself
        if len(inner) > 1 or len(members) > 1:
            raise TypeError(f"roles: {annotation} mixes marked types; give it one role")
        return ("optional", inner[0])
    if origin is tuple:
        args = get_args(annotation)
        if len(args) == 2 and args[1] is Ellipsis:
            inner_shape = shape_of(args[0])
            return ("each", inner_shape) if inner_shape is not None else None
        shapes = tuple(shape_of(a) for a in args)
        return ("fixed", shapes) if any(s is not None for s in shapes) else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return ("model",)
    return None


@cache
def marked_fields(cls: type[BaseModel]) -> tuple[tuple[str, Shape], ...]:
    """The fields of a state object or action with a role inside, with their shapes, in
    declaration order."""
    found = []
    for name, info in cls.model_fields.items():
        annotation = info.annotation
        role = _role_in(tuple(info.metadata))
        shape = ("value", role) if role is not None else shape_of(annotation)
        if shape is not None:
            found.append((name, shape))
    return tuple(found)


def roles(cls: type[BaseModel]) -> dict[str, Role]:
    """The fields of `cls` that hold one marked value (or None), by name: what a
    translator of arguments reads."""
    found = {}
    for name, shape in marked_fields(cls):
        while shape is not None and shape[0] == "optional":
            shape = shape[1]
        if shape is not None and shape[0] == "value":
            found[name] = shape[1]
    return found


def map_values(value: Any, shape: Shape, fn: Callable[[Role, Any], Any]) -> Any:
    """`value` with every marked value in it replaced by fn(role, value), nested state
    objects included (their own marks apply)."""
    if shape is None or value is None:
        return value
    kind = shape[0]
    if kind == "value":
        return fn(shape[1], value)
    if kind == "optional":
        return map_values(value, shape[1], fn)
    if kind == "each":
        return tuple(map_values(v, shape[1], fn) for v in value)
    if kind == "fixed":
        return tuple(map_values(v, s, fn) for v, s in zip(value, shape[1], strict=True))
    if not isinstance(value, BaseModel):
        return value  # a plain value where the type also allows a state object
    update = {
        name: map_values(getattr(value, name), inner, fn)
        for name, inner in marked_fields(type(value))
    }
    return value.model_copy(update=update) if update else value


__all__ = [
    "CHANNEL",
    "HANDLE",
    "INFO",
    "PID_ARGUMENT",
    "PROCESS",
    "SOCKET",
    "Role",
    "handle_in",
    "map_values",
    "marked_fields",
    "roles",
    "shape_of",
]

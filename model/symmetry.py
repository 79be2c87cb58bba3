"""Symmetry over interchangeable processes: canonical keys and stable fingerprints.

Every process slot of a configuration starts the same way and obeys the same rules, so
renaming processes (pid 1 <-> pid 2, with every pid-valued field renamed alike) maps a
reachable World to a reachable World and a run to a run. The search therefore keeps one
representative per orbit, keyed by the canonical form below: the least, over the
renamings that could matter, of the World written as nested tuples of plain values.

Why a tuple form and not the World: comparing candidate renamings needs a total order,
and building a pydantic World per renaming costs more than the whole step. The tuple form
is made by walking every field of every object generically (nothing is abstracted away,
and a field added to a state object later is included without a change here), so a
canonical key names one orbit.

Which fields hold pids is read from their types (model/roles.py: every pid-valued field
is a `Pid` or a `PidArgument`), so a field added later is renamed if it holds a pid and
left alone if not. The soundness test (tests/test_explore.py) guards it: worlds with one
key must have the same successors, key for key, in every small configuration.

Handle values need no symmetry (design.md): they are per-process slots, reused lowest
first, so they are already canonical. Socket and info ids are creation order and are not
permuted either; only pids are.

Pure: no clocks, no I/O. The fingerprint is a blake2b digest of the canonical form, for
what leaves the process (exports, pinned tests, saved counterexamples); Python's hash()
of a str changes between runs and is never used for that.
"""

from __future__ import annotations

import hashlib
from itertools import permutations, product
from typing import Any

from pydantic import BaseModel

from .roles import Shape, marked_fields
from .state import World

# A canonical key: nested tuples of plain values.
Key = tuple[Any, ...]

# World collections the World keeps sorted (so a renaming must re-sort them); processes
# are in pid order, which sorting their renamed forms restores. Any other collection is
# positional (sockets and infos by id, the catalog by entry) and keeps its order.
SORTED_COLLECTIONS = frozenset(
    {"processes", "descriptors", "registrations", "channels", "pending", "calls", "ws2_handles"}
)


class _Missing:
    """Stands for None in a form: below every other value, so that forms stay totally
    ordered when a field holds None in one world and an int or a str in another."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return other is not self

    def __gt__(self, other: object) -> bool:
        return False

    def __le__(self, other: object) -> bool:
        return True

    def __ge__(self, other: object) -> bool:
        return other is self

    def __repr__(self) -> str:
        return "None"

    def __reduce__(self) -> str:
        return "NONE"


NONE = _Missing()

# Per state type, each field with what renaming does to it: None (no pid inside: the
# form of its value), or the field's role shape (model/roles.py), walked to rename the
# values marked as pids, 0 and NONEXISTENT_PID included (they are fixed by every
# renaming, since no process has them).
_PLANS: dict[type[BaseModel], tuple[tuple[str, Shape], ...]] = {}


def _has_pid(shape: Shape) -> bool:
    if shape is None:
        return False
    kind = shape[0]
    if kind == "value":
        return bool(shape[1].kind == "pid")
    if kind in ("optional", "each"):
        return _has_pid(shape[1])
    if kind == "fixed":
        return any(_has_pid(s) for s in shape[1])
    return False  # a nested state object: its own plan renames it


def _plan(cls: type[BaseModel]) -> tuple[tuple[str, Shape], ...]:
    plan = _PLANS.get(cls)
    if plan is None:
        shapes = dict(marked_fields(cls))
        plan = _PLANS[cls] = tuple(
            (name, shapes[name] if _has_pid(shapes.get(name)) else None)
            for name in cls.model_fields
        )
    return plan


def _renamed(value: Any, shape: Shape, rename: dict[int, int]) -> Any:
    """The form of a value whose shape holds pids: each pid renamed; a tuple of pids is a
    set (the processes a provider fails in), so its form is sorted."""
    assert shape is not None
    kind = shape[0]
    if value is None:
        return NONE
    if kind == "value":
        return rename.get(value, value) if shape[1].kind == "pid" else _form(value, rename)
    if kind == "optional":
        return _renamed(value, shape[1], rename)
    if kind == "each":
        items = tuple(_renamed(v, shape[1], rename) for v in value)
        return tuple(sorted(items)) if shape[1][0] == "value" else items
    return tuple(_renamed(v, s, rename) for v, s in zip(value, shape[1], strict=True))


def _form(value: Any, rename: dict[int, int]) -> Any:
    if isinstance(value, BaseModel):
        return tuple(
            _form(getattr(value, name), rename)
            if shape is None
            else _renamed(getattr(value, name), shape, rename)
            for name, shape in _plan(type(value))
        )
    if isinstance(value, tuple):
        return tuple(_form(x, rename) for x in value)
    if value is None:
        return NONE
    return value


def renamed_form(world: World, rename: dict[int, int]) -> Key:
    """The tuple form of `world` with pid p renamed rename[p] (pids not in `rename` are
    kept); collections the World keeps sorted are re-sorted, so the form is the one the
    renamed World would have."""
    out = []
    for name, shape in _plan(World):
        items = getattr(world, name)
        form: Any = _form(items, rename) if shape is None else _renamed(items, shape, rename)
        if name in SORTED_COLLECTIONS:
            form = tuple(sorted(form))
        out.append(form)
    return tuple(out)


def identity_form(world: World) -> Key:
    """The tuple form without renaming: equal exactly when the Worlds are equal."""
    return renamed_form(world, {})


def _signature(world: World, pid: int, pids: list[int]) -> Key:
    """What the world looks like from process `pid`: its form with `pid` renamed 0 and
    every other process 1. A renaming maps a process to one with the same signature, so
    only renamings that keep signatures in order can give the least form, and processes
    with equal signatures are the only choices left to try."""
    return renamed_form(world, {q: 0 if q == pid else 1 for q in pids})


def renamings(world: World) -> list[dict[int, int]]:
    """The pid renamings worth trying for the least form: processes are ordered by
    signature, and only processes with equal signatures are permuted among themselves."""
    pids = [p.pid for p in world.processes]
    signed = sorted((_signature(world, pid, pids), pid) for pid in pids)
    groups: list[list[int]] = []
    last: object = None
    for sig, pid in signed:
        if not groups or sig != last:
            groups.append([])
            last = sig
        groups[-1].append(pid)
    found: list[dict[int, int]] = []
    for choice in product(*(permutations(g) for g in groups)):
        order = [pid for group in choice for pid in group]
        found.append({old: new for new, old in enumerate(order, start=1)})
    return found


def canonical_key(world: World) -> Key:
    """The least renamed form of `world`: equal for two Worlds exactly when one is a pid
    renaming of the other."""
    candidates = renamings(world)
    if len(candidates) == 1:
        return renamed_form(world, candidates[0])
    return min(renamed_form(world, r) for r in candidates)


def fingerprint(key: Key) -> str:
    """A stable 16-hex-digit blake2b digest of a key (canonical or identity form)."""
    return hashlib.blake2b(repr(key).encode(), digest_size=8).hexdigest()

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

Which fields hold pids is known by name (PID_FIELDS): a new pid-valued field under
another name would not be renamed, and worlds that differ only there could be merged.
The soundness test (tests/test_explore.py) guards it: worlds with one key must have the
same successors, key for key, in every small configuration.

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

from .state import World

# A canonical key: nested tuples of plain values.
Key = tuple[Any, ...]

# Fields that hold one pid, in any state object (Process, Descriptor, PendingRecv,
# PidReply and the spi granularity's in-call records: `pid`; UnderlyingSocket: `creator`;
# Registration: `owner_pid`; ProtocolInfo: `source_pid`, `target_pid`; Channel: `src`,
# `dst`). 0 and NONEXISTENT_PID name no process and are fixed by every renaming (R6).
PID_FIELDS = frozenset({"pid", "creator", "owner_pid", "source_pid", "target_pid", "src", "dst"})
# Fields that hold a set of pids (CatalogEntry: where a provider fails to load). Renaming
# them too keeps the reduction sound when the catalog singles a process out: a renaming
# that moves such a process changes the catalog, so it merges nothing reachable.
PID_SET_FIELDS = frozenset({"load_fails_in"})
# World collections of (pid, value) pairs (ws2_handles: handles ws2_32 made, R23, R24).
PID_PAIR_COLLECTIONS = frozenset({"ws2_handles"})
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

_FIELDS: dict[type[BaseModel], tuple[str, ...]] = {}


def _fields(cls: type[BaseModel]) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(cls.model_fields)
    return names


def _form(value: Any, rename: dict[int, int]) -> Any:
    if isinstance(value, BaseModel):
        out: list[Any] = []
        for name in _fields(type(value)):
            v = getattr(value, name)
            if name in PID_FIELDS and type(v) is int:
                out.append(rename.get(v, v))
            elif name in PID_SET_FIELDS:
                out.append(tuple(sorted(rename.get(x, x) for x in v)))
            else:
                out.append(_form(v, rename))
        return tuple(out)
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
    for name in _fields(World):
        items = getattr(world, name)
        if name in PID_PAIR_COLLECTIONS:
            form: Any = tuple((rename.get(p, p), *_form(rest, rename)) for p, *rest in items)
        else:
            form = _form(items, rename)
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
